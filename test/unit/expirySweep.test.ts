// The expiry sweep's logic over in-memory ports: the approval policy's `expiry` field, what is due,
// and the races the integration test cannot time on purpose — a decision that lands between
// the sweep's read and its conditional update, and a claim left behind by a sweep that died.
import assert from 'node:assert/strict';
import type { AuditDocument, AuditUpdate, RunSnapshot, RunVersion } from '../../src/core/decisionProcessor';
import { ApprovalPolicyError, DEFAULT_APPROVAL_POLICY, parseApprovalPolicy } from '../../src/core/approvalPolicy';
import { CLAIM_STALE_MS, ExpirySweep, expiryActionFor, expiryAuditId, isExpirySweepEvent, type ExpirySweepPorts } from '../../src/core/expirySweep';
import type { ApprovalOutcome } from '../../src/core/approvalOutcome';
import { parseJobRun } from '../../src/core/jobRunParser';

const NOW = Date.parse('2026-01-15T12:00:00Z');
const MINUTE = 60_000;

class MemoryStore {
  docs = new Map<string, { source: Record<string, unknown>; seqNo: number }>();
  audits = new Map<string, AuditDocument>();
  outcomes: ApprovalOutcome[] = [];
  /** Runs once, just before the next conditional update: what another writer does meanwhile. */
  beforeUpdate: (() => void) | null = null;

  put(id: string, source: Record<string, unknown>): void {
    const seqNo = (this.docs.get(id)?.seqNo ?? -1) + 1;
    this.docs.set(id, { source, seqNo });
  }

  ports(now = NOW): ExpirySweepPorts {
    const snapshot = (id: string): RunSnapshot | null => {
      const doc = this.docs.get(id);
      return doc ? { documentId: id, source: doc.source, version: { seqNo: doc.seqNo, primaryTerm: 1 } } : null;
    };
    return {
      listPending: () => Promise.resolve([...this.docs.entries()].map(([id, doc]) => parseJobRun(id, doc.source)).filter((run) => run.approval === null)),
      getRunWithVersion: (id) => Promise.resolve(snapshot(id)),
      createAudit: (id: string, doc: AuditDocument) => {
        if (this.audits.has(id)) return Promise.resolve('exists' as const);
        this.audits.set(id, doc);
        return Promise.resolve('created' as const);
      },
      getAudit: (id) => Promise.resolve(this.audits.get(id) ?? null),
      updateAudit: (id: string, fields: AuditUpdate) => {
        const doc = this.audits.get(id);
        if (doc) this.audits.set(id, { ...doc, ...fields });
        return Promise.resolve();
      },
      updateRunIfVersion: (id: string, version: RunVersion, fields: Record<string, unknown>) => {
        const meanwhile = this.beforeUpdate;
        this.beforeUpdate = null;
        meanwhile?.();
        const doc = this.docs.get(id);
        if (!doc || doc.seqNo !== version.seqNo) return Promise.resolve('conflict' as const);
        this.put(id, { ...doc.source, ...fields });
        return Promise.resolve('updated' as const);
      },
      getRunDocument: (id) => Promise.resolve(snapshot(id)),
      listUnpublishedExpiries: (before: number) =>
        Promise.resolve(
          [...this.audits.entries()]
            .filter(([, audit]) => audit.event_type === 'approval_expiry' && audit.audit_status === 'recorded' && !audit.outcome_published_at && Date.parse(audit.received_at) <= before)
            .map(([auditId, audit]) => ({ auditId, audit })),
        ),
      publishOutcome: (outcome) => {
        this.outcomes.push(outcome);
        return Promise.resolve();
      },
      now: () => now,
    };
  }
}

function pendingDoc(job: string, expiresAtMs: number): Record<string, unknown> {
  return { job_name: job, job_run_id: `${job}-1`, timestamp: new Date(NOW - 3_600_000).toISOString(), status: 'PENDING_APPROVAL', expires_at: new Date(expiresAtMs).toISOString() };
}

describe('expiry policy', () => {
  it('reads `expiry` from the approval policy: per job name or glob (the most specific entry), else the default, else expire', () => {
    const policy = parseApprovalPolicy(JSON.stringify({ default: { quorum: 1 }, jobs: { 'load_*': { expiry: 'reject' }, load_orders: { quorum: 2 }, score_fraud: { expiry: 'approve' } } }));
    assert.equal(expiryActionFor(policy, 'load_items'), 'reject');
    assert.equal(expiryActionFor(policy, 'load_orders'), 'expire', 'entries do not cascade: load_orders takes the default');
    assert.equal(expiryActionFor(policy, 'score_fraud'), 'approve');
    assert.equal(expiryActionFor(policy, 'other'), 'expire');
    assert.equal(expiryActionFor(parseApprovalPolicy(JSON.stringify({ default: { expiry: 'reject' } })), 'other'), 'reject');
    assert.equal(expiryActionFor(DEFAULT_APPROVAL_POLICY, 'any'), 'expire');
  });

  it('refuses an action it does not know rather than guessing', () => {
    assert.throws(() => parseApprovalPolicy({ jobs: { a: { expiry: 'delete' } } }), ApprovalPolicyError);
    assert.throws(() => parseApprovalPolicy({ default: { expiry: null } }), /default\.expiry/);
  });

  it('knows the schedule rule\'s event and EventBridge\'s scheduled event, nothing else', () => {
    assert.ok(isExpirySweepEvent({ action: 'expiry-sweep' }));
    assert.ok(isExpirySweepEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event' }));
    assert.ok(!isExpirySweepEvent({ Records: [] }));
    assert.ok(!isExpirySweepEvent('expiry-sweep'));
  });
});

describe('expiry sweep', () => {
  it('leaves the run to a decision that lands between its read and its update, and audits the expiry as superseded', async () => {
    const store = new MemoryStore();
    store.put('orders-1', pendingDoc('orders', NOW - MINUTE));
    store.beforeUpdate = () => store.put('orders-1', { ...store.docs.get('orders-1')?.source, approval_status: 'APPROVED', approved_by: 'alice' });
    const report = await new ExpirySweep(store.ports(), { policy: DEFAULT_APPROVAL_POLICY, ttlHours: 72 }).sweep();
    assert.equal(report.results[0]?.kind, 'superseded');
    assert.equal(store.docs.get('orders-1')?.source.approved_by, 'alice');
    assert.equal(store.audits.get(expiryAuditId('orders-1'))?.audit_status, 'superseded');
    assert.deepEqual(store.outcomes, []);
  });

  it('leaves a fresh claim of another sweep alone, and takes over a stale one', async () => {
    const store = new MemoryStore();
    store.put('orders-1', pendingDoc('orders', NOW - 10 * MINUTE));
    const sweep = (now: number) => new ExpirySweep(store.ports(now), { policy: DEFAULT_APPROVAL_POLICY, ttlHours: 72 }).sweep();
    // A sweep that claimed the expiry and died before updating the run.
    await store.ports().createAudit(expiryAuditId('orders-1'), { received_at: new Date(NOW).toISOString(), audit_status: 'recorded' } as AuditDocument, { refresh: false });
    assert.equal((await sweep(NOW + MINUTE)).results[0]?.kind, 'skipped');
    assert.equal(store.docs.get('orders-1')?.source.approval_status, undefined);
    const later = await sweep(NOW + CLAIM_STALE_MS + MINUTE);
    assert.equal(later.results[0]?.kind, 'expired', JSON.stringify(later.results));
    assert.equal(store.docs.get('orders-1')?.source.approval_status, 'EXPIRED');
    assert.equal(store.outcomes.length, 1);
  });

  it('publishes, once, the outcome of an expiry whose sweep died after updating the run, when its claim is stale', async () => {
    const store = new MemoryStore();
    const auditId = expiryAuditId('orders-1');
    store.put('orders-1', { ...pendingDoc('orders', NOW - 20 * MINUTE), approval_status: 'EXPIRED', approved_by: 'system', approval_reason: 'No decision', approval_timestamp: new Date(NOW - 10 * MINUTE).toISOString(), approval_decision_ids: [auditId] });
    const left = { event_type: 'approval_expiry', audit_status: 'recorded', run_document_id: 'orders-1', received_at: new Date(NOW - 10 * MINUTE).toISOString() } as AuditDocument;
    store.audits.set(auditId, left);
    const sweep = (now: number) => new ExpirySweep(store.ports(now), { policy: DEFAULT_APPROVAL_POLICY, ttlHours: 72 }).sweep();
    assert.deepEqual((await sweep(NOW - 9 * MINUTE)).results, [], 'a fresh claim is its sweep\'s to finish');
    const report = await sweep(NOW);
    assert.deepEqual(report.results, [{ jobRunId: 'orders-1', kind: 'expired', status: 'EXPIRED', auditId, outcomePublished: true }]);
    assert.deepEqual(store.outcomes.map((o) => [o.job_run_id, o.decision, o.approved_by, o.run_document_id]), [['orders-1', 'EXPIRED', 'system', 'orders-1']]);
    await sweep(NOW + MINUTE);
    assert.equal(store.outcomes.length, 1, 'marked: not published again');
  });
});
