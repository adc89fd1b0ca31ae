// The audit lookup the pending store follows published decisions with, against the real
// local OpenSearch: the processor's audit documents found by decision_id (their _id), an
// unverifiable message's `invalid-<hash>` audit found by the decision_id it claims, other
// decisions left out, and a missing audit index read as "nothing recorded yet".
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { ApprovalsBackend } from '../../src/adapters/approvalsBackend';
import { DEFAULT_CONNECTION_SETTINGS, type ConnectionSettings } from '../../src/core/connectionSettings';
import { auditsByDecisionId, followUpState } from '../../src/core/publishedDecisions';
import { localStack, type StackEnv } from '../support/localStack';

describe('audits of published decisions against the local stack', function () {
  this.timeout(120_000);
  let env: StackEnv;
  let profile: string;
  let client: Client;
  const backends: ApprovalsBackend[] = [];
  const written: string[] = [];
  // The extension reads the default index names, as the stack creates them.
  const approvalsIndex = () => DEFAULT_CONNECTION_SETTINGS.approvalsIndex;

  const backend = (overrides: Partial<ConnectionSettings> = {}): ApprovalsBackend => {
    const created = new ApprovalsBackend({ ...DEFAULT_CONNECTION_SETTINGS, profile, region: env.region, awsEndpointUrl: env.awsEndpointUrl, ...overrides }, () => 72);
    backends.push(created);
    return created;
  };

  /** An audit document as the processor writes it (src/core/decisionProcessor.ts). */
  async function writeAudit(id: string, fields: Record<string, unknown>): Promise<void> {
    written.push(id);
    await client.index({
      index: approvalsIndex(),
      id,
      refresh: true,
      body: {
        timestamp: new Date().toISOString(),
        event_type: 'approval_decision',
        job_name: 'load_orders',
        job_run_id: 'integration-audit-run',
        decision: 'APPROVED',
        decided_by: 'alice',
        reason: 'integration test',
        received_at: new Date().toISOString(),
        ...fields,
      },
    });
  }

  before(async () => {
    const local = await localStack();
    env = local.env;
    profile = local.profile;
    client = new Client({ node: env.opensearchUrl });
  });

  after(async () => {
    for (const id of written) await client.delete({ index: approvalsIndex(), id, refresh: true }, { ignore: [404] });
    await Promise.all(backends.map((b) => b.dispose()));
    await client.close();
  });

  it('finds the processor\'s audits by decision_id, and an unverifiable message by the decision_id it claims', async () => {
    const [refused, quorum, forgedTarget, other, none] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await writeAudit(refused, { decision_id: refused, audit_status: 'refused', audit_detail: 'alice triggered this run and cannot approve it.' });
    await writeAudit(quorum, { decision_id: quorum, audit_status: 'awaiting-quorum', audit_detail: 'Awaiting quorum: 1 of 2 distinct approvals (alice).' });
    await writeAudit(`invalid-${randomUUID().replace(/-/g, '')}`, { decision_id: forgedTarget, audit_status: 'invalid', audit_detail: 'The signature does not verify.' });
    await writeAudit(other, { decision_id: other, audit_status: 'recorded', audit_detail: null });

    const ids = [refused, quorum, forgedTarget, none];
    const found = await backend().pendingSource().auditsFor?.(ids);
    assert.ok(found, 'the backend source looks audits up');
    assert.ok(!found.some((a) => a.auditId === other), 'only the decisions asked for');
    const byDecision = auditsByDecisionId(found, ids);
    assert.deepEqual(new Set(byDecision.keys()), new Set([refused, quorum, forgedTarget]));
    assert.equal(byDecision.get(refused )?.auditStatus, 'refused');
    assert.equal(byDecision.get(refused )?.detail, 'alice triggered this run and cannot approve it.');
    assert.equal(byDecision.get(forgedTarget )?.auditStatus, 'invalid');

    const published = { jobRunId: 'integration-audit-run', decision: 'APPROVED', publishedAtMs: Date.now() };
    assert.equal(followUpState({ ...published, decisionId: refused  }, byDecision.get(refused ), Date.now()).kind, 'not-applied');
    assert.deepEqual(followUpState({ ...published, decisionId: quorum  }, byDecision.get(quorum ), Date.now()), {
      kind: 'awaiting-quorum',
      have: 1,
      need: 2,
      detail: 'Awaiting quorum: 1 of 2 distinct approvals (alice).',
    });
    assert.equal(followUpState({ ...published, decisionId: none  }, byDecision.get(none ), Date.now()).kind, 'hidden');
  });

  it('reads a missing audit index as nothing recorded yet', async () => {
    const found = await backend({ approvalsIndex: `no-such-approvals-${Date.now()}` }).pendingSource().auditsFor?.([randomUUID()]);
    assert.deepEqual(found, []);
  });
});
