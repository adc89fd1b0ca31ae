// The processor store's batched ports against the real local OpenSearch: each item of an
// _msearch, _mget or _bulk gets its own answer, in its own place, as the single request for
// it would have answered (a missing run, an audit already there, a stale version, a document
// OpenSearch refuses), and the conditional updates of one document in one bulk apply in order.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { PermanentDecisionError, type AuditDocument, type RunApprovalFields } from '../../src/core/decisionProcessor';
import type { Settled } from '../../src/core/lockstepBatcher';
import { OpenSearchDecisionStore } from '../../src/processor/openSearchDecisionStore';
import { localStack, type StackEnv } from '../support/localStack';

const INDICES = { events: 'job-events', approvals: 'job-approvals' };
const JOB = 'decision_store_batch_it';

describe('the processor store, batched, against the local OpenSearch', function () {
  this.timeout(120_000);
  let env: StackEnv;
  let client: Client;
  let store: OpenSearchDecisionStore;
  const runIds: string[] = [];
  const auditIds: string[] = [];

  const value = <T>(settled: Settled<T> | undefined): T => {
    assert.ok(settled?.ok, `an answer, not ${settled && !settled.ok ? String(settled.error) : 'nothing'}`);
    return settled.value;
  };

  /** A pending run whose document id is its run id (and an older document of it, when asked). */
  async function createRun(options: { olderDocument?: boolean } = {}): Promise<string> {
    const runId = `${JOB}-${randomUUID().slice(0, 8)}`;
    runIds.push(runId);
    const source = (minutesAgo: number) => ({
      timestamp: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: JOB,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      quality_status: 'RED',
    });
    if (options.olderDocument) await client.index({ index: INDICES.events, id: `${runId}-older`, body: source(60) });
    await client.index({ index: INDICES.events, id: runId, body: source(30), refresh: true });
    return runId;
  }

  function auditOf(runId: string, status: AuditDocument['audit_status']): AuditDocument {
    return {
      timestamp: new Date().toISOString(),
      event_type: 'approval_decision',
      job_name: JOB,
      job_run_id: runId,
      decision: 'APPROVED',
      decided_by: 'alice',
      reason: 'batched store test',
      original_quality_status: 'RED',
      original_quality_checks: [],
      decision_id: null,
      identity_arn: 'arn:aws:iam::123456789012:user/alice',
      evidence_sha256: null,
      audit_status: status,
      audit_detail: null,
      received_at: new Date().toISOString(),
    };
  }

  const fields = (decisionId: string): RunApprovalFields => ({
    approval_status: 'APPROVED',
    approved_by: 'alice',
    approval_reason: 'batched store test',
    approval_timestamp: new Date().toISOString(),
    approval_decision_ids: [decisionId],
  });

  before(async () => {
    env = (await localStack()).env;
    client = new Client({ node: env.opensearchUrl });
    store = new OpenSearchDecisionStore(client, env.opensearchUrl, INDICES);
  });

  after(async () => {
    for (const id of runIds.flatMap((runId) => [runId, `${runId}-older`])) await client.delete({ index: INDICES.events, id, refresh: true }, { ignore: [404] });
    for (const id of auditIds) await client.delete({ index: INDICES.approvals, id, refresh: true }, { ignore: [404] });
    await client.close();
  });

  it('reads the newest document of each run, with its version, in the order asked; a run that does not exist is null', async () => {
    const [a, b] = [await createRun({ olderDocument: true }), await createRun()];
    const answers = await store.batchPorts().getRunsWithVersion([b, `${JOB}-missing`, a]);
    const [first, missing, third] = answers.map(value);
    assert.equal(first?.documentId, b);
    assert.equal(missing, null);
    assert.equal(third?.documentId, a, 'the newest document, not the older one');
    assert.equal((third?.source as { job_run_id?: string }).job_run_id, a);
    const single = await store.getRunWithVersion(a);
    assert.deepEqual(third?.version, single?.version);
  });

  it('creates audits in one bulk: an id already there is "exists", a document OpenSearch refuses fails alone and for good', async () => {
    const runId = await createRun();
    const [fresh, existing, refused] = [randomUUID(), randomUUID(), randomUUID()];
    auditIds.push(fresh, existing, refused);
    await store.createAudit(existing, auditOf(runId, 'recorded'), { refresh: false });
    // `timestamp` is a date field: text that is no date makes OpenSearch refuse the document.
    const broken = { ...auditOf(runId, 'recorded'), timestamp: 'not a date' };
    const answers = await store.batchPorts().createAudits([
      { id: fresh, doc: auditOf(runId, 'awaiting-quorum'), refresh: true },
      { id: existing, doc: auditOf(runId, 'awaiting-quorum'), refresh: true },
      { id: refused, doc: broken, refresh: true },
    ]);
    assert.deepEqual(answers.slice(0, 2).map(value), ['created', 'exists']);
    const third = answers[2];
    assert.ok(third && !third.ok && third.error instanceof PermanentDecisionError, 'a refused document is a permanent failure of its item alone');
    assert.equal((await store.getAudit(existing))?.audit_status, 'recorded', 'the existing audit is untouched');
    const [got, none] = (await store.batchPorts().getAudits([fresh, randomUUID()])).map(value);
    assert.equal(got?.audit_status, 'awaiting-quorum');
    assert.equal(none, null);
  });

  it("lists each run's verified approvals under its own run", async () => {
    const [a, b, c] = [await createRun(), await createRun(), await createRun()];
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    auditIds.push(...ids);
    await store.batchPorts().createAudits([
      { id: ids[0] as string, doc: auditOf(a, 'awaiting-quorum'), refresh: false },
      { id: ids[1] as string, doc: auditOf(b, 'awaiting-quorum'), refresh: false },
      { id: ids[2] as string, doc: auditOf(b, 'recorded'), refresh: false },
      { id: ids[3] as string, doc: auditOf(a, 'invalid'), refresh: true },
    ]);
    const lists = (await store.batchPorts().listAuditsForRuns([a, b, c])).map(value);
    assert.deepEqual(
      lists.map((list) => list.map((doc) => `${doc.job_run_id} ${doc.audit_status}`).sort()),
      [[`${a} awaiting-quorum`], [`${b} awaiting-quorum`, `${b} recorded`], []],
    );
  });

  it('applies conditional updates in one bulk: the first of two at the same version wins, the second is a conflict, as is a stale one', async () => {
    const [a, b] = [await createRun(), await createRun()];
    const [snapA, snapB] = (await store.batchPorts().getRunsWithVersion([a, b])).map(value);
    assert.ok(snapA && snapB);
    await store.updateRunIfVersion(b, snapB.version, fields('changed-meanwhile'));
    const answers = (
      await store.batchPorts().updateRunsIfVersion([
        { documentId: a, version: snapA.version, fields: fields('first') },
        { documentId: a, version: snapA.version, fields: fields('second') },
        { documentId: b, version: snapB.version, fields: fields('stale') },
      ])
    ).map(value);
    assert.deepEqual(answers, ['updated', 'conflict', 'conflict']);
    const decided = (await store.batchPorts().getRunDocuments([b, a, `${JOB}-missing`])).map(value);
    const decisionIds = decided.map((doc) => (doc?.source as { approval_decision_ids?: string[] } | undefined)?.approval_decision_ids ?? null);
    assert.deepEqual(decisionIds, [['changed-meanwhile'], ['first'], null]);
  });
});
