// Publishing a decision over ports: fresh lookup first, nothing published for a run that is
// decided or changed, the same decision_id on a retry, and a signature over what was sent.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { decisionSha256, type DecisionMessage } from '../../src/core/decisionMessage';
import { publishDecision, type DecisionPorts } from '../../src/core/decisionWorkflow';
import type { JobRun } from '../../src/core/model';
import { fakeProof } from './fakeIdentity';
import { pendingRun } from './fixtures';

const SECRET = 'test-secret';

const JANE = 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_DataEngineer_abc/jane@corp.com';

function ports(fresh: JobRun | null): DecisionPorts & { published: DecisionMessage[]; proved: string[] } {
  const published: DecisionMessage[] = [];
  const proved: string[] = [];
  return {
    published,
    proved,
    proveIdentity: (hash) => {
      proved.push(hash);
      return Promise.resolve(fakeProof(hash, JANE, Date.parse('2024-01-15T11:00:00Z')));
    },
    freshRun: () => Promise.resolve(fresh),
    identity: () => Promise.resolve({ arn: JANE, decidedBy: 'jane@corp.com' }),
    signingSecret: () => Promise.resolve(SECRET),
    topicArn: () => Promise.resolve('arn:aws:sns:us-east-1:123456789012:job_approvals'),
    publish: (_topic, message) => {
      published.push(message);
      return Promise.resolve({ messageId: `m-${published.length}` });
    },
    now: () => new Date('2024-01-15T11:00:00Z'),
  };
}

describe('publishDecision', () => {
  it('publishes one signed v2 message for a pending run, with the trimmed reason, the caller as decided_by and a proof of them', async () => {
    const shown = pendingRun();
    const p = ports(pendingRun());
    const outcome = await publishDecision(p, { shownRun: shown, decision: 'APPROVED', reason: '  known bad batch  ' });
    assert.equal(outcome.kind, 'published');
    assert.equal(p.published.length, 1);
    const message = p.published[0]!;
    assert.equal(message.reason, 'known bad batch');
    assert.equal(message.decided_by, 'jane@corp.com');
    assert.equal(message.job_run_id, 'abc123');
    assert.equal(message.timestamp, '2024-01-15T11:00:00Z');
    assert.equal(message.signature_version, 'v2');
    assert.deepEqual(p.proved, [decisionSha256(message)], 'the proof is asked for this decision');
    assert.ok(message.signature_version === 'v2' && message.identity_proof.headers['x-dwh-decision-sha256'] === decisionSha256(message));
    const { signature, ...unsigned } = message;
    const sorted = (value: unknown): unknown =>
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sorted(v)]))
        : value;
    const canonical = JSON.stringify(sorted(unsigned));
    assert.equal(signature, createHmac('sha256', SECRET).update(canonical).digest('hex'));
  });

  it('reuses the given decision_id on a retry', async () => {
    const p = ports(pendingRun());
    const id = '3f1c2a9e-8b7d-4c6e-9f10-1a2b3c4d5e6f';
    await publishDecision(p, { shownRun: pendingRun(), decision: 'REJECTED', reason: 'rerun', decisionId: id });
    await publishDecision(p, { shownRun: pendingRun(), decision: 'REJECTED', reason: 'rerun', decisionId: id });
    assert.deepEqual(p.published.map((m) => m.decision_id), [id, id]);
  });

  it('publishes nothing for a run someone else decided meanwhile, and says who', async () => {
    const decided = pendingRun({ approval_status: 'REJECTED', approved_by: 'bob', approval_reason: 'no', approval_timestamp: '2024-01-15T10:59:00Z' });
    const p = ports(decided);
    const outcome = await publishDecision(p, { shownRun: pendingRun(), decision: 'APPROVED', reason: 'fine' });
    assert.deepEqual(outcome, { kind: 'alreadyDecided', status: 'REJECTED', decidedBy: 'bob', decidedAt: '2024-01-15T10:59:00.000Z', reason: 'no' });
    assert.equal(p.published.length, 0);
  });

  it('publishes nothing for a run that is gone, no longer pending, or whose evidence changed', async () => {
    const shown = pendingRun();
    const gone = ports(null);
    assert.equal((await publishDecision(gone, { shownRun: shown, decision: 'APPROVED', reason: 'ok' })).kind, 'notFound');
    const finished = ports(pendingRun({ status: 'SUCCESS' }));
    assert.equal((await publishDecision(finished, { shownRun: shown, decision: 'APPROVED', reason: 'ok' })).kind, 'noLongerPending');
    const changed = ports(pendingRun({ records_dropped: 13000 }));
    assert.equal((await publishDecision(changed, { shownRun: shown, decision: 'APPROVED', reason: 'ok' })).kind, 'evidenceChanged');
    assert.equal(gone.published.length + finished.published.length + changed.published.length, 0);
  });

  it('refuses an empty reason before publishing', async () => {
    const p = ports(pendingRun());
    await assert.rejects(publishDecision(p, { shownRun: pendingRun(), decision: 'APPROVED', reason: '   ' }));
    assert.equal(p.published.length, 0);
  });
});
