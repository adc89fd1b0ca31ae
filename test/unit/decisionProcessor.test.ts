// The processor's logic against an in-memory store that behaves like OpenSearch where it
// matters (op_type=create conflicts, seq_no checks), with failures injected between steps
// to show what a redelivery does after a crash in the middle.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseApprovalPolicy, type ApprovalPolicy } from '../../src/core/approvalPolicy';
import { buildDecisionMessageV1, canonicalForm, decisionSha256, draftDecision, messageSha256, signDecision, type DecisionMessage } from '../../src/core/decisionMessage';
import { outcomeIdOf, type ApprovalOutcome } from '../../src/core/approvalOutcome';
import { readStsAnswer, type IdentityProof, type StsAnswer } from '../../src/core/identityProof';
import { FAKE_STS_URL, fakeProof, fakeStsAnswer, signV2 } from './fakeIdentity';
import {
  DecisionProcessor,
  PermanentDecisionError,
  TransientDecisionError,
  type AuditCreate,
  type AuditDocument,
  type AuditUpdate,
  type DecisionBatchPorts,
  type DecisionProcessorPorts,
  type RunUpdate,
  type RunApprovalFields,
  type RunSnapshot,
  type RunVersion,
} from '../../src/core/decisionProcessor';
import { evidenceSha256 } from '../../src/core/evidence';
import type { BatchSender, Settled } from '../../src/core/lockstepBatcher';
import { parseJobRun } from '../../src/core/jobRunParser';

const SECRET = 'unit-test-secret';
const NOW = Date.parse('2024-01-15T11:00:30Z');
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Reviewer/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/Reviewer/bob';
const CAROL = 'arn:aws:iam::123456789012:user/carol';

type Method =
  | 'getRunWithVersion'
  | 'getRunDocument'
  | 'createAudit'
  | 'getAudit'
  | 'updateAudit'
  | 'updateRunIfVersion'
  | 'listAuditsForRun'
  | 'verifyIdentityProof'
  | 'publishOutcome';

interface StoredDoc {
  source: Record<string, unknown>;
  seqNo: number;
}

/** job-events and job-approvals in memory; every call yields, so concurrent calls interleave. */
class MemoryStore implements DecisionProcessorPorts {
  readonly runs = new Map<string, StoredDoc>();
  readonly audits = new Map<string, AuditDocument>();
  readonly calls: Method[] = [];
  readonly outcomes: ApprovalOutcome[] = [];
  readonly proofsSent: IdentityProof[] = [];
  /** What the fake STS answers; default: the ARN the proof's access key names. */
  sts: (proof: IdentityProof) => StsAnswer = fakeStsAnswer;
  nowMs = NOW;
  private readonly failures: Array<{ method: Method; when: () => boolean }> = [];
  private seq = 0;

  addRun(documentId: string, source: Record<string, unknown>): void {
    this.runs.set(documentId, { source: structuredClone(source), seqNo: this.seq++ });
  }

  /** The next call of `method` (for which `when` holds) throws, as if OpenSearch went away. */
  failOnce(method: Method, when: () => boolean = () => true): void {
    this.failures.push({ method, when });
  }

  run(documentId: string): Record<string, unknown> {
    const doc = this.runs.get(documentId);
    assert.ok(doc, `run ${documentId} exists`);
    return doc.source;
  }

  runSeqNo(documentId: string): number {
    return this.runs.get(documentId)?.seqNo ?? -1;
  }

  async getRunWithVersion(jobRunId: string): Promise<RunSnapshot | null> {
    await this.step('getRunWithVersion');
    let newest: [string, StoredDoc] | undefined;
    for (const entry of this.runs) {
      if (entry[1].source.job_run_id !== jobRunId) continue;
      if (!newest || String(entry[1].source.timestamp) > String(newest[1].source.timestamp)) newest = entry;
    }
    if (!newest) return null;
    return { documentId: newest[0], source: structuredClone(newest[1].source), version: { seqNo: newest[1].seqNo, primaryTerm: 1 } };
  }

  async getRunDocument(documentId: string): Promise<RunSnapshot | null> {
    await this.step('getRunDocument');
    const doc = this.runs.get(documentId);
    return doc ? { documentId, source: structuredClone(doc.source), version: { seqNo: doc.seqNo, primaryTerm: 1 } } : null;
  }

  async verifyIdentityProof(proof: IdentityProof): Promise<StsAnswer> {
    await this.step('verifyIdentityProof');
    this.proofsSent.push(structuredClone(proof));
    return this.sts(proof);
  }

  async publishOutcome(outcome: ApprovalOutcome): Promise<void> {
    await this.step('publishOutcome');
    this.outcomes.push(structuredClone(outcome));
  }

  async createAudit(id: string, doc: AuditDocument): Promise<'created' | 'exists'> {
    await this.step('createAudit');
    if (this.audits.has(id)) return 'exists';
    this.audits.set(id, structuredClone(doc));
    return 'created';
  }

  async getAudit(id: string): Promise<AuditDocument | null> {
    await this.step('getAudit');
    const doc = this.audits.get(id);
    return doc ? structuredClone(doc) : null;
  }

  async updateAudit(id: string, fields: AuditUpdate): Promise<void> {
    await this.step('updateAudit');
    const doc = this.audits.get(id);
    assert.ok(doc, `audit ${id} exists when it is updated`);
    Object.assign(doc, fields);
  }

  async updateRunIfVersion(documentId: string, version: RunVersion, fields: RunApprovalFields): Promise<'updated' | 'conflict'> {
    await this.step('updateRunIfVersion');
    const doc = this.runs.get(documentId);
    if (!doc || doc.seqNo !== version.seqNo) return 'conflict';
    Object.assign(doc.source, structuredClone(fields));
    doc.seqNo = this.seq++;
    return 'updated';
  }

  async listAuditsForRun(jobRunId: string): Promise<AuditDocument[]> {
    await this.step('listAuditsForRun');
    // As the OpenSearch store's query: verified approvals only.
    return [...this.audits.values()]
      .filter((doc) => doc.job_run_id === jobRunId && doc.decision === 'APPROVED' && (doc.audit_status === 'awaiting-quorum' || doc.audit_status === 'recorded'))
      .map((doc) => structuredClone(doc));
  }

  now(): number {
    return this.nowMs;
  }

  sleep(): Promise<void> {
    return Promise.resolve();
  }

  auditsOf(jobRunId: string): AuditDocument[] {
    return [...this.audits.values()].filter((doc) => doc.job_run_id === jobRunId);
  }

  private async step(method: Method): Promise<void> {
    this.calls.push(method);
    await new Promise((resolve) => setImmediate(resolve));
    const index = this.failures.findIndex((f) => f.method === method && f.when());
    if (index >= 0) {
      this.failures.splice(index, 1);
      throw Object.assign(new Error(`connect ECONNREFUSED (injected in ${method})`), { name: 'ConnectionError' });
    }
  }
}

function runSource(runId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: '2024-01-15T10:30:00Z',
    event_type: 'job_completed',
    job_name: 'transform_images',
    job_run_id: runId,
    status: 'PENDING_APPROVAL',
    failure_type: 'QUALITY',
    quality_status: 'RED',
    quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }],
    records_read: 100000,
    records_written: 88000,
    records_dropped: 12000,
    triggered_by: 'arn:aws:sts::123456789012:assumed-role/PipelineRunner/scheduler',
    ...overrides,
  };
}

function evidenceOfSource(source: Record<string, unknown>): string {
  return evidenceSha256(parseJobRun('x', source));
}

interface Sign {
  identityArn?: string;
  decision?: 'APPROVED' | 'REJECTED';
  reason?: string;
  at?: number;
  jobName?: string;
  evidence?: string;
  decisionId?: string;
  /** Whose credentials signed the identity proof (default: identityArn). */
  signedBy?: string;
  proofAt?: number;
}

function sign(source: Record<string, unknown>, options: Sign = {}): DecisionMessage {
  return signV2(
    {
      jobName: options.jobName ?? String(source.job_name),
      jobRunId: String(source.job_run_id),
      decision: options.decision ?? 'APPROVED',
      reason: options.reason ?? 'Known bad upstream batch; acceptable.',
      identityArn: options.identityArn ?? ALICE,
      evidenceSha256: options.evidence ?? evidenceOfSource(source),
      timestamp: options.at ?? NOW,
      ...(options.decisionId ? { decisionId: options.decisionId } : {}),
    },
    SECRET,
    { ...(options.signedBy ? { signedBy: options.signedBy } : {}), ...(options.proofAt !== undefined ? { proofAtMs: options.proofAt } : {}) },
  );
}

const SECRETS = { current: SECRET, previous: null, previousAcceptedUntilMs: null };

function body(message: DecisionMessage): string {
  return JSON.stringify(message);
}

function processor(store: MemoryStore, policy: ApprovalPolicy = parseApprovalPolicy(''), extra: Partial<ConstructorParameters<typeof DecisionProcessor>[1]> = {}): DecisionProcessor {
  return new DecisionProcessor(store, { secrets: SECRETS, policy, allowedProofUrls: [FAKE_STS_URL], ...extra });
}

describe('DecisionProcessor', () => {
  let store: MemoryStore;
  let source: Record<string, unknown>;

  beforeEach(() => {
    store = new MemoryStore();
    source = runSource('run-1');
    store.addRun('doc-1', source);
  });

  describe('a valid decision', () => {
    it('is audited as recorded and applied to the run', async () => {
      const message = sign(source);
      const result = await processor(store).process(body(message));
      assert.equal(result.status, 'recorded');
      assert.equal(result.runUpdated, true);
      assert.equal(result.replay, false);
      const run = store.run('doc-1');
      assert.equal(run.approval_status, 'APPROVED');
      assert.equal(run.approved_by, 'alice');
      assert.equal(run.approval_reason, message.reason);
      assert.equal(run.approval_timestamp, message.timestamp);
      assert.deepEqual(run.approval_decision_ids, [message.decision_id]);
      const audit = store.audits.get(message.decision_id);
      assert.ok(audit);
      assert.equal(audit.audit_status, 'recorded');
      assert.equal(audit.event_type, 'approval_decision');
      assert.equal(audit.job_name, 'transform_images');
      assert.equal(audit.decision, 'APPROVED');
      assert.equal(audit.decided_by, 'alice');
      assert.equal(audit.identity_arn, ALICE);
      assert.equal(audit.evidence_sha256, message.evidence_sha256);
      assert.equal(audit.original_quality_status, 'RED');
      assert.deepEqual(audit.original_quality_checks, [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }]);
      assert.equal(audit.received_at, new Date(NOW).toISOString());
      assert.equal(audit.timestamp, message.timestamp);
    });

    it('writes the audit before it touches the run', async () => {
      await processor(store).process(body(sign(source)));
      assert.ok(store.calls.indexOf('createAudit') < store.calls.indexOf('updateRunIfVersion'));
    });

    it('records a rejection the same way', async () => {
      const result = await processor(store).process(body(sign(source, { decision: 'REJECTED', identityArn: BOB })));
      assert.equal(result.status, 'recorded');
      assert.equal(store.run('doc-1').approval_status, 'REJECTED');
      assert.equal(store.run('doc-1').approved_by, 'bob');
    });

    it('updates only the newest document of a run', async () => {
      store.addRun('doc-0', runSource('run-1', { timestamp: '2024-01-15T09:00:00Z' }));
      await processor(store).process(body(sign(source)));
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
      assert.equal(store.run('doc-0').approval_status, undefined);
    });
  });

  describe('replays', () => {
    it('change nothing: one audit document, the run untouched', async () => {
      const message = sign(source);
      await processor(store).process(body(message));
      const seqNo = store.runSeqNo('doc-1');
      const again = await processor(store).process(body(message));
      assert.equal(again.replay, true);
      assert.equal(again.runUpdated, false);
      assert.equal(again.status, 'recorded');
      assert.equal(store.runSeqNo('doc-1'), seqNo);
      assert.equal(store.auditsOf('run-1').length, 1);
    });

    it('of a superseded decision stay superseded', async () => {
      await processor(store).process(body(sign(source)));
      const late = sign(source, { identityArn: BOB, decision: 'REJECTED' });
      assert.equal((await processor(store).process(body(late))).status, 'superseded');
      const again = await processor(store).process(body(late));
      assert.equal(again.status, 'superseded');
      assert.equal(again.replay, true);
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
    });

    it('arriving after the freshness window change nothing either', async () => {
      const message = sign(source);
      await processor(store).process(body(message));
      store.nowMs = NOW + 60 * 60_000;
      const again = await processor(store).process(body(message));
      assert.equal(again.replay, true);
      assert.equal(again.status, 'recorded');
      assert.equal(store.auditsOf('run-1').length, 1);
    });
  });

  describe('invalid messages', () => {
    it('audits a tampered reason as invalid under an id derived from the body, and leaves the run alone', async () => {
      const tampered = { ...sign(source), reason: 'Something else entirely' };
      const text = JSON.stringify(tampered);
      const result = await processor(store).process(text);
      assert.equal(result.status, 'invalid');
      assert.match(result.detail ?? '', /identity_proof is bound to another decision/);
      const id = `invalid-${createHash('sha256').update(text).digest('hex')}`;
      assert.equal(result.auditId, id);
      const audit = store.audits.get(id);
      assert.ok(audit);
      assert.equal(audit.audit_status, 'invalid');
      assert.equal(audit.decision_id, tampered.decision_id, 'the claimed decision id is kept for searching');
      assert.equal(audit.reason, 'Something else entirely');
      assert.equal(store.audits.has(tampered.decision_id), false, 'an unverified message cannot take a genuine decision id');
      assert.equal(store.run('doc-1').approval_status, undefined);
      const again = await processor(store).process(text);
      assert.equal(again.replay, true);
      assert.equal(store.audits.size, 1);
    });

    it('audits text that is not JSON, and JSON missing fields', async () => {
      const garbage = await processor(store).process('{not json');
      assert.equal(garbage.status, 'invalid');
      assert.match(garbage.detail ?? '', /not JSON/);
      const partial = await processor(store).process(JSON.stringify({ event_type: 'approval_decision', job_run_id: 'run-1', decision: 'APPROVED' }));
      assert.equal(partial.status, 'invalid');
      assert.match(partial.detail ?? '', /missing/);
      const audit = store.audits.get(partial.auditId);
      assert.equal(audit?.job_run_id, 'run-1');
      assert.equal(audit?.decision, 'APPROVED');
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('keeps unindexable claims out of the audit: non-text values, huge values, non-dates', async () => {
      const result = await processor(store).process(
        JSON.stringify({ job_run_id: 'x'.repeat(50_000), decision: { $gt: '' }, timestamp: 'yesterday', reason: 'r'.repeat(10_000) }),
      );
      const audit = store.audits.get(result.auditId);
      assert.ok(audit);
      assert.ok((audit.job_run_id ?? '').length <= 512);
      assert.equal(audit.decision, null);
      assert.equal(audit.timestamp, audit.received_at);
      assert.ok((audit.reason ?? '').length <= 4000);
    });

    it('audits a stale decision as invalid under its own decision id', async () => {
      const message = sign(source, { at: NOW - 16 * 60_000, proofAt: NOW });
      const result = await processor(store).process(body(message));
      assert.equal(result.status, 'invalid');
      assert.equal(result.auditId, message.decision_id);
      assert.match(result.detail ?? '', /Stale.*16 minutes before it was sent/);
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('audits a decision from the future as invalid', async () => {
      const result = await processor(store).process(body(sign(source, { at: NOW + 20 * 60_000, proofAt: NOW })));
      assert.equal(result.status, 'invalid');
      assert.match(result.detail ?? '', /after it was sent/);
    });

    it('accepts a wider window when configured', async () => {
      const result = await processor(store, undefined, { freshnessMs: 30 * 60_000 }).process(body(sign(source, { at: NOW - 16 * 60_000, proofAt: NOW })));
      assert.equal(result.status, 'recorded');
    });

    it('audits a decision for an unknown run as invalid', async () => {
      const result = await processor(store).process(body(sign(runSource('no-such-run'))));
      assert.equal(result.status, 'invalid');
      assert.match(result.detail ?? '', /No run with job_run_id "no-such-run"/);
    });

    it('audits a decision naming another job as invalid', async () => {
      const result = await processor(store).process(body(sign(source, { jobName: 'other_job' })));
      assert.equal(result.status, 'invalid');
      assert.match(result.detail ?? '', /belongs to job "transform_images"/);
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('asks for a rotated secret once when a signature does not verify', async () => {
      let asked = 0;
      const rotated = new DecisionProcessor(store, {
        secrets: { current: 'the-old-secret', previous: null, previousAcceptedUntilMs: null },
        policy: parseApprovalPolicy(''),
        allowedProofUrls: [FAKE_STS_URL],
        refreshSecrets: () => {
          asked += 1;
          return Promise.resolve(SECRETS);
        },
      });
      assert.equal((await rotated.process(body(sign(source)))).status, 'recorded');
      assert.equal(asked, 1);
    });
  });

  describe('refusals', () => {
    it('refuses a decision whose evidence no longer matches the run', async () => {
      const message = sign(source);
      store.run('doc-1').quality_checks = [{ name: 'drop_rate', status: 'FAIL', value: '9.0%', threshold: '10.0%' }];
      const result = await processor(store).process(body(message));
      assert.equal(result.status, 'refused');
      assert.match(result.detail ?? '', /changed after it was reviewed/);
      assert.equal(store.run('doc-1').approval_status, undefined);
      assert.equal(store.audits.get(message.decision_id)?.audit_status, 'refused');
    });

    it('refuses an approval from whoever triggered the run, by ARN or by name', async () => {
      store.run('doc-1').triggered_by = ALICE;
      const byArn = await processor(store).process(body(sign(source)));
      assert.equal(byArn.status, 'refused');
      assert.match(byArn.detail ?? '', /alice triggered this run/);
      store.run('doc-1').triggered_by = 'Alice';
      assert.equal((await processor(store).process(body(sign(source)))).status, 'refused');
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('lets the trigger reject their own run, and a job policy allow self-approval', async () => {
      store.run('doc-1').triggered_by = ALICE;
      const policy = parseApprovalPolicy({ jobs: { transform_images: { forbidSelfApproval: false } } });
      assert.equal((await processor(store, policy).process(body(sign(source)))).status, 'recorded');
      store.addRun('doc-2', runSource('run-2', { triggered_by: ALICE }));
      assert.equal((await processor(store).process(body(sign(runSource('run-2', { triggered_by: ALICE }), { decision: 'REJECTED' })))).status, 'recorded');
    });

    it('refuses a caller the job’s policy does not name, and root by default, and leaves the run alone', async () => {
      const policy = parseApprovalPolicy({ jobs: { 'transform_*': { approvers: [CAROL] } } });
      const outsider = await processor(store, policy).process(body(sign(source)));
      assert.equal(outsider.status, 'refused');
      assert.equal(outsider.detail, `alice ("${ALICE}") is not an approver of jobs matching "transform_*".`);
      const root = await processor(store).process(body(sign(source, { identityArn: 'arn:aws:iam::123456789012:root', decision: 'REJECTED' })));
      assert.equal(root.status, 'refused');
      assert.match(root.detail ?? '', /a root identity; the default policy counts only iam-user, sso-user, assumed-role/);
      assert.equal(store.run('doc-1').approval_status, undefined);
      assert.equal((await processor(store, policy).process(body(sign(source, { identityArn: CAROL })))).status, 'recorded');
    });

    it('refuses a decision for a run that is no longer waiting for approval', async () => {
      store.run('doc-1').status = 'SUCCESS';
      const result = await processor(store).process(body(sign(source)));
      assert.equal(result.status, 'refused');
      assert.match(result.detail ?? '', /status is SUCCESS/);
    });
  });

  describe('competing decisions', () => {
    it('lets the first one win and audits the later one as superseded', async () => {
      await processor(store).process(body(sign(source)));
      const later = await processor(store).process(body(sign(source, { identityArn: BOB, decision: 'REJECTED' })));
      assert.equal(later.status, 'superseded');
      assert.match(later.detail ?? '', /already APPROVED by alice/);
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
    });

    it('lets exactly one of two concurrent decisions win, every time', async () => {
      for (let round = 0; round < 25; round += 1) {
        const runId = `race-${round}`;
        const src = runSource(runId);
        store.addRun(`doc-${runId}`, src);
        const p = processor(store);
        const results = await Promise.all([
          p.process(body(sign(src, { identityArn: ALICE }))),
          p.process(body(sign(src, { identityArn: BOB, decision: 'REJECTED' }))),
        ]);
        const statuses = results.map((r) => r.status).sort();
        assert.deepEqual(statuses, ['recorded', 'superseded'], `round ${round}`);
        const winner = results.find((r) => r.status === 'recorded');
        assert.deepEqual(store.run(`doc-${runId}`).approval_decision_ids, [winner?.decisionId]);
        const audits = store.auditsOf(runId).map((a) => a.audit_status).sort();
        assert.deepEqual(audits, ['recorded', 'superseded']);
      }
    });
  });

  describe('a crash in the middle', () => {
    it('after the audit, before the run update: the redelivery finishes the update', async () => {
      const message = sign(source);
      store.failOnce('updateRunIfVersion');
      await assert.rejects(processor(store).process(body(message)), /ECONNREFUSED/);
      assert.equal(store.audits.get(message.decision_id)?.audit_status, 'recorded');
      assert.equal(store.run('doc-1').approval_status, undefined);

      const redelivered = await processor(store).process(body(message));
      assert.equal(redelivered.replay, true);
      assert.equal(redelivered.resumed, true);
      assert.equal(redelivered.runUpdated, true);
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
      assert.equal(store.auditsOf('run-1').length, 1);
    });

    it('the redelivery finishes even when it arrives after the freshness window', async () => {
      const message = sign(source);
      store.failOnce('updateRunIfVersion');
      await assert.rejects(processor(store).process(body(message)));
      store.nowMs = NOW + 40 * 60_000;
      const redelivered = await processor(store).process(body(message));
      assert.equal(redelivered.status, 'recorded');
      assert.equal(redelivered.runUpdated, true);
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
    });

    it('when another decision won meanwhile, the redelivery corrects the audit to superseded', async () => {
      const first = sign(source);
      store.failOnce('updateRunIfVersion');
      await assert.rejects(processor(store).process(body(first)));
      await processor(store).process(body(sign(source, { identityArn: BOB, decision: 'REJECTED' })));
      const redelivered = await processor(store).process(body(first));
      assert.equal(redelivered.status, 'superseded');
      assert.equal(store.audits.get(first.decision_id)?.audit_status, 'superseded');
      assert.equal(store.run('doc-1').approval_status, 'REJECTED');
    });

    it('before the audit: nothing was written, the redelivery does everything', async () => {
      const message = sign(source);
      store.failOnce('createAudit');
      await assert.rejects(processor(store).process(body(message)));
      assert.equal(store.audits.size, 0);
      assert.equal((await processor(store).process(body(message))).status, 'recorded');
    });

    it('gives up after repeated version conflicts with a transient error', async () => {
      const stubborn = new DecisionProcessor(
        { ...bind(store), updateRunIfVersion: () => Promise.resolve('conflict' as const) },
        { secrets: SECRETS, policy: parseApprovalPolicy(''), maxAttempts: 3, allowedProofUrls: [FAKE_STS_URL] },
      );
      await assert.rejects(stubborn.process(body(sign(source))), TransientDecisionError);
    });
  });

  describe('a quorum of 2', () => {
    // Reviewer's trust policy makes its session names people (personalRoles): alice and bob are two.
    const policy = parseApprovalPolicy({ jobs: { transform_images: { quorum: 2, personalRoles: ['arn:aws:iam::123456789012:role/Reviewer'] } } });

    it('is not reached by the same approver twice', async () => {
      const first = await processor(store, policy).process(body(sign(source)));
      assert.equal(first.status, 'awaiting-quorum');
      assert.match(first.detail ?? '', /1 of 2 distinct approvals \(alice\)/);
      const second = await processor(store, policy).process(body(sign(source, { reason: 'Really, it is fine.' })));
      assert.equal(second.status, 'awaiting-quorum');
      assert.match(second.detail ?? '', /already approved/);
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('is reached by two distinct approvers, and the run lists both', async () => {
      const a = sign(source);
      const b = sign(source, { identityArn: BOB, reason: 'Agreed.', at: NOW + 1000 });
      assert.equal((await processor(store, policy).process(body(a))).status, 'awaiting-quorum');
      const second = await processor(store, policy).process(body(b));
      assert.equal(second.status, 'recorded');
      assert.match(second.detail ?? '', /Quorum reached: 2 of 2/);
      const run = store.run('doc-1');
      assert.equal(run.approval_status, 'APPROVED');
      assert.equal(run.approved_by, 'alice, bob');
      assert.equal(run.approval_reason, `alice: ${a.reason}\nbob: Agreed.`);
      assert.deepEqual(run.approval_decision_ids, [a.decision_id, b.decision_id]);
    });

    it('is reached when two approvers decide at the same moment', async () => {
      for (let round = 0; round < 10; round += 1) {
        const src = runSource(`q-${round}`);
        store.addRun(`doc-q-${round}`, src);
        const p = processor(store, policy);
        await Promise.all([p.process(body(sign(src))), p.process(body(sign(src, { identityArn: BOB })))]);
        assert.equal(store.run(`doc-q-${round}`).approval_status, 'APPROVED', `round ${round}`);
      }
    });

    it('is decided at once by a rejection', async () => {
      await processor(store, policy).process(body(sign(source)));
      const reject = await processor(store, policy).process(body(sign(source, { identityArn: CAROL, decision: 'REJECTED' })));
      assert.equal(reject.status, 'recorded');
      assert.equal(store.run('doc-1').approval_status, 'REJECTED');
      assert.equal(store.run('doc-1').approved_by, 'carol');
    });

    it('does not count a vote given for evidence the run no longer has', async () => {
      await processor(store, policy).process(body(sign(source)));
      store.run('doc-1').records_dropped = 13000;
      const changed = store.run('doc-1');
      const result = await processor(store, policy).process(body(sign(changed, { identityArn: BOB })));
      assert.equal(result.status, 'awaiting-quorum');
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('is finished by a replayed vote when the deciding vote stopped before the run update', async () => {
      const a = sign(source);
      const b = sign(source, { identityArn: BOB, at: NOW + 1000 });
      await processor(store, policy).process(body(a));
      store.failOnce('updateRunIfVersion');
      await assert.rejects(processor(store, policy).process(body(b)));
      assert.equal(store.audits.get(b.decision_id)?.audit_status, 'recorded');
      const replayed = await processor(store, policy).process(body(a));
      assert.equal(replayed.runUpdated, true);
      assert.equal(store.run('doc-1').approved_by, 'alice, bob');
      const redelivered = await processor(store, policy).process(body(b));
      assert.equal(redelivered.runUpdated, false, 'the run already lists the decision');
      assert.equal(redelivered.status, 'recorded');
      assert.ok(store.outcomes.length >= 1);
      assert.deepEqual([...new Set(store.outcomes.map((o) => o.outcome_id))], [outcomeIdOf('doc-1', 'APPROVED')], 'whichever delivery publishes it, one outcome id');
    });

    it('leaves a vote alone when it is replayed without reaching the quorum', async () => {
      const a = sign(source);
      await processor(store, policy).process(body(a));
      const again = await processor(store, policy).process(body(a));
      assert.equal(again.replay, true);
      assert.equal(again.status, 'awaiting-quorum');
      assert.equal(store.auditsOf('run-1').length, 1);
    });
  });

  describe('signature v2: who decided comes from STS', () => {
    it('refuses a proof signed by one person for a decision naming another, under an id of its own', async () => {
      const spoofed = sign(source, { identityArn: BOB, signedBy: ALICE });
      const result = await processor(store).process(body(spoofed));
      assert.equal(result.status, 'invalid');
      assert.equal(result.code, 'identity-mismatch');
      assert.match(result.detail ?? '', /signed by "arn:aws:sts::123456789012:assumed-role\/Reviewer\/alice", but the decision names/);
      assert.match(result.auditId, /^invalid-[0-9a-f]{64}$/);
      assert.equal(store.audits.has(spoofed.decision_id), false, 'the spoofed decision_id is not consumed');
      assert.equal(store.run('doc-1').approval_status, undefined);
      assert.equal(store.outcomes.length, 0);
    });

    it('refuses a decided_by that is not the name in the proven ARN', async () => {
      const claimsBob = signV2(
        { jobName: 'transform_images', jobRunId: 'run-1', decision: 'APPROVED', reason: 'ok', identityArn: ALICE, decidedBy: 'bob', evidenceSha256: evidenceOfSource(source), timestamp: NOW },
        SECRET,
      );
      const result = await processor(store).process(body(claimsBob));
      assert.equal(result.code, 'identity-mismatch');
      assert.match(result.detail ?? '', /decided_by "bob" is not the name in the proven identity \("alice"\)/);
    });

    it('sends the proof to STS and records the identity STS returned', async () => {
      const message = sign(source, { identityArn: CAROL });
      const result = await processor(store).process(body(message));
      assert.equal(result.status, 'recorded');
      assert.equal(store.proofsSent.length, 1);
      assert.deepEqual(store.proofsSent[0], (message as Extract<DecisionMessage, { signature_version: 'v2' }>).identity_proof);
      assert.equal(store.run('doc-1').approved_by, 'carol');
    });

    it('refuses v1 by default, and accepts it only when configured', async () => {
      const v1 = buildDecisionMessageV1(
        { jobName: 'transform_images', jobRunId: 'run-1', decision: 'APPROVED', reason: 'ok', identityArn: ALICE, evidenceSha256: evidenceOfSource(source), timestamp: NOW },
        SECRET,
      );
      const refused = await processor(store).process(JSON.stringify(v1));
      assert.equal(refused.status, 'invalid');
      assert.equal(refused.code, 'signature-v1-refused');
      assert.equal(store.run('doc-1').approval_status, undefined);
      const accepted = await processor(store, undefined, { acceptSignatureV1: true }).process(JSON.stringify(v1));
      assert.equal(accepted.status, 'recorded');
    });

    it('never sends a proof signed for another endpoint, whatever host the message names', async () => {
      const draft = draftDecision({ jobName: 'transform_images', jobRunId: 'run-1', decision: 'APPROVED', reason: 'ok', identityArn: ALICE, evidenceSha256: evidenceOfSource(source), timestamp: NOW });
      const elsewhere = signDecision(draft, fakeProof(decisionSha256(draft), ALICE, NOW, 'https://sts.attacker.example/'), SECRET);
      const result = await processor(store).process(JSON.stringify(elsewhere));
      assert.equal(result.code, 'identity-proof-invalid');
      assert.match(result.detail ?? '', /signed for "https:\/\/sts.attacker.example\/", not for the STS endpoint this processor verifies with/);
      assert.equal(store.proofsSent.length, 0);
    });

    it('refuses a proof older than STS accepts before sending it: decide again', async () => {
      const old = sign(source, { proofAt: NOW - 16 * 60_000 });
      const result = await processor(store).process(body(old), { sentAtMs: NOW - 15 * 60_000 });
      assert.equal(result.status, 'invalid');
      assert.equal(result.code, 'identity-proof-expired');
      assert.match(result.detail ?? '', /^Identity proof expired: decide again\./);
      assert.equal(store.proofsSent.length, 0);
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('audits a proof STS calls expired with the decide-again verdict, and retries when STS is unavailable', async () => {
      store.sts = () => readStsAnswer(403, '<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>Signature expired: 20240115T104500Z is now earlier than 20240115T105000Z</Message></Error></ErrorResponse>');
      const expired = await processor(store).process(body(sign(source)));
      assert.equal(expired.code, 'identity-proof-expired');
      assert.match(expired.detail ?? '', /decide again/);
      store.sts = () => readStsAnswer(503, '<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>');
      await assert.rejects(processor(store).process(body(sign(source))), TransientDecisionError);
      store.sts = () => readStsAnswer(403, '<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error></ErrorResponse>');
      assert.equal((await processor(store).process(body(sign(source)))).code, 'identity-proof-invalid');
    });

    it('judges freshness on when the message was sent, not when the queue is drained', async () => {
      store.nowMs = NOW + 14 * 60_000;
      const backedUp = await processor(store).process(body(sign(source, { at: NOW - 16 * 60_000, proofAt: NOW })), { sentAtMs: NOW - 15 * 60_000 });
      assert.equal(backedUp.status, 'recorded', 'sent a minute after it was made: fresh');
    });
  });

  describe('a decision_id is consumed once', () => {
    it('by the message it was first seen with: another message under it is invalid under its own key', async () => {
      const first = sign(source);
      await processor(store).process(body(first));
      const before = structuredClone(store.audits.get(first.decision_id));
      const other = runSource('run-2');
      store.addRun('doc-2', other);
      const reuse = sign(other, { identityArn: BOB, decisionId: first.decision_id });
      const result = await processor(store).process(body(reuse));
      assert.equal(result.status, 'invalid');
      assert.equal(result.code, 'decision-id-conflict');
      assert.equal(result.auditId, `conflict-${messageSha256(reuse)}`);
      assert.deepEqual(store.audits.get(first.decision_id), before, 'the first audit is untouched');
      assert.equal(store.audits.get(result.auditId)?.job_run_id, 'run-2');
      assert.equal(store.run('doc-2').approval_status, undefined);
    });

    it('a replay after the run got a newer pending document changes nothing', async () => {
      const message = sign(source);
      await processor(store).process(body(message));
      const newer = runSource('run-1', { timestamp: '2024-01-15T10:45:00Z' });
      store.addRun('doc-2', newer);
      const outcomesBefore = store.outcomes.length;
      const replay = await processor(store).process(body(message));
      assert.equal(replay.replay, true);
      assert.equal(replay.runUpdated, false);
      assert.equal(store.run('doc-2').approval_status, undefined, 'the newer document is not approved');
      assert.equal(store.audits.get(message.decision_id)?.audit_status, 'recorded');
      assert.equal(store.outcomes.length, outcomesBefore);
    });

    it('a redelivery after a crash before the run update, once a newer document came, is refused, not applied to it', async () => {
      const message = sign(source);
      store.failOnce('updateRunIfVersion');
      await assert.rejects(processor(store).process(body(message)));
      store.addRun('doc-2', runSource('run-1', { timestamp: '2024-01-15T10:45:00Z' }));
      const redelivered = await processor(store).process(body(message));
      assert.equal(redelivered.status, 'refused');
      assert.match(redelivered.detail ?? '', /replaced by "doc-2"/);
      assert.equal(store.run('doc-2').approval_status, undefined);
      assert.equal(store.run('doc-1').approval_status, undefined);
    });
  });

  describe('signing-secret rotation', () => {
    const rotated = { current: 'the-new-secret', previous: SECRET, previousAcceptedUntilMs: NOW + 60_000 };

    it('accepts the previous secret during the grace, and refuses it after', async () => {
      assert.equal((await processor(store, undefined, { secrets: rotated }).process(body(sign(source)))).status, 'recorded');
      store.addRun('doc-2', runSource('run-2'));
      store.nowMs = NOW + 60_000;
      const late = await processor(store, undefined, { secrets: rotated }).process(body(sign(runSource('run-2'), { proofAt: NOW + 60_000, at: NOW + 60_000 })));
      assert.equal(late.status, 'invalid');
      assert.equal(late.code, 'signature');
    });
  });

  describe('effective outcomes', () => {
    // Reviewer's sessions are people here (personalRoles): alice and bob are two.
    const quorum2 = parseApprovalPolicy({ jobs: { transform_images: { quorum: 2, personalRoles: ['arn:aws:iam::123456789012:role/Reviewer'] } } });

    it('one per recorded approval or rejection, none for a vote or a refusal, none again on replay', async () => {
      const approval = sign(source);
      await processor(store).process(body(approval));
      await processor(store).process(body(approval));
      assert.deepEqual(store.outcomes.map((o) => [o.event_type, o.outcome_id, o.decision, o.job_run_id, o.approved_by]), [['approval_outcome', outcomeIdOf('doc-1', 'APPROVED'), 'APPROVED', 'run-1', 'alice']]);
      assert.ok(store.audits.get(approval.decision_id)?.outcome_published_at);

      const q = runSource('run-q');
      store.addRun('doc-q', q);
      const vote = await processor(store, quorum2).process(body(sign(q)));
      assert.equal(vote.status, 'awaiting-quorum');
      assert.equal(store.outcomes.length, 1, 'a vote is not an outcome');
      const deciding = sign(q, { identityArn: BOB, at: NOW + 1000 });
      await processor(store, quorum2).process(body(deciding));
      assert.equal(store.outcomes.length, 2);
      assert.equal(store.outcomes[1]?.approved_by, 'alice, bob');
      assert.deepEqual(store.outcomes[1]?.decision_ids, [store.outcomes[1]?.decision_ids[0], deciding.decision_id]);
      assert.equal(store.outcomes[1]?.outcome_id, outcomeIdOf('doc-q', 'APPROVED'));

      const r = runSource('run-r', { triggered_by: ALICE });
      store.addRun('doc-r', r);
      assert.equal((await processor(store).process(body(sign(r)))).status, 'refused');
      assert.equal((await processor(store).process(body(sign(r, { identityArn: BOB, decision: 'REJECTED' })))).status, 'recorded');
      assert.deepEqual(store.outcomes.map((o) => o.decision), ['APPROVED', 'APPROVED', 'REJECTED']);
    });

    it('a redelivery after a crash between the run update and the publish publishes it once', async () => {
      const message = sign(source);
      store.failOnce('publishOutcome');
      await assert.rejects(processor(store).process(body(message)));
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
      assert.equal(store.outcomes.length, 0);
      const redelivered = await processor(store).process(body(message));
      assert.equal(redelivered.outcomePublished, true);
      assert.equal(store.outcomes.length, 1);
      await processor(store).process(body(message));
      assert.equal(store.outcomes.length, 1);
    });
  });

  describe('permanent failures', () => {
    it('are audited and acknowledged, not retried', async () => {
      const message = sign(source);
      const refusing = new DecisionProcessor(
        { ...bind(store), updateRunIfVersion: () => Promise.reject(new PermanentDecisionError('OpenSearch update on job-events refused the request (HTTP 400): mapper_parsing_exception')) },
        { secrets: SECRETS, policy: parseApprovalPolicy(''), allowedProofUrls: [FAKE_STS_URL] },
      );
      const result = await refusing.process(body(message));
      assert.equal(result.status, 'invalid');
      assert.equal(result.code, 'permanent-failure');
      assert.match(store.audits.get(message.decision_id)?.audit_detail ?? '', /mapper_parsing_exception/);
    });
  });

  it('signs what canonicalForm says (sanity check of the test helper)', () => {
    const message = sign(source);
    assert.ok(canonicalForm(message).includes('"decision_id"'));
  });

  describe('a batch of records (processBatch over batched ports)', () => {
    /** The store's ports with batched forms that apply the items in order, one call per batch, as a _bulk does. */
    function batched(memory: MemoryStore): DecisionProcessorPorts & { batchCalls: string[] } {
      const batchCalls: string[] = [];
      const each =
        <I, R>(kind: string, one: (item: I) => Promise<R>): BatchSender<I, R> =>
        async (items) => {
          batchCalls.push(kind);
          const out: Array<Settled<R>> = [];
          for (const item of items) {
            try {
              out.push({ ok: true, value: await one(item) });
            } catch (error) {
              out.push({ ok: false, error });
            }
          }
          return out;
        };
      const batch: DecisionBatchPorts = {
        getRunsWithVersion: each('getRunsWithVersion', (id: string) => memory.getRunWithVersion(id)),
        getRunDocuments: each('getRunDocuments', (id: string) => memory.getRunDocument(id)),
        createAudits: each('createAudits', (item: AuditCreate) => memory.createAudit(item.id, item.doc)),
        getAudits: each('getAudits', (id: string) => memory.getAudit(id)),
        updateAudits: each('updateAudits', (item: { id: string; fields: AuditUpdate }) => memory.updateAudit(item.id, item.fields)),
        updateRunsIfVersion: each('updateRunsIfVersion', (item: RunUpdate) => memory.updateRunIfVersion(item.documentId, item.version, item.fields)),
        listAuditsForRuns: each('listAuditsForRuns', (id: string) => memory.listAuditsForRun(id)),
        publishOutcomes: each('publishOutcomes', (outcome: ApprovalOutcome) => memory.publishOutcome(outcome)),
      };
      // The single-call ports must not be used by a batch: they throw.
      const refuse = () => Promise.reject(new Error('a single call in a batch'));
      return {
        ...bind(memory),
        getRunWithVersion: refuse,
        createAudit: refuse,
        updateRunIfVersion: refuse,
        batch,
        batchCalls,
      };
    }

    const batchProcessor = (ports: DecisionProcessorPorts, policy: ApprovalPolicy = parseApprovalPolicy('')) =>
      new DecisionProcessor(ports, { secrets: SECRETS, policy, allowedProofUrls: [FAKE_STS_URL] });

    const runsOf = (count: number, jobName = 'transform_images') =>
      Array.from({ length: count }, (_, i) => {
        const run = runSource(`batch-run-${jobName}-${i}`, { job_name: jobName });
        store.addRun(`batch-doc-${jobName}-${i}`, run);
        return run;
      });

    it('makes one call of each kind for ten decisions on ten runs, each recorded once', async () => {
      const ports = batched(store);
      const runs = runsOf(10);
      const messages = runs.map((run) => sign(run));
      const results = await batchProcessor(ports).processBatch(
        messages.map((m) => ({ body: body(m), context: { sentAtMs: NOW } })),
        { concurrency: 10 },
      );
      assert.deepEqual(results.map((r) => r.ok && r.outcome.status), Array<string>(10).fill('recorded'));
      assert.deepEqual(ports.batchCalls, ['getRunsWithVersion', 'createAudits', 'updateRunsIfVersion', 'publishOutcomes', 'updateAudits']);
      messages.forEach((message, i) => assert.deepEqual(store.run(`batch-doc-transform_images-${i}`).approval_decision_ids, [message.decision_id]));
      assert.equal(store.outcomes.length, 10);
    });

    it('gives a run to the decision sent first, whatever its place in the batch; the later one is superseded without a correction', async () => {
      const ports = batched(store);
      const approve = sign(source, { at: NOW - 2000 });
      const reject = sign(source, { identityArn: BOB, decision: 'REJECTED', reason: 'No.', at: NOW - 1000 });
      const results = await batchProcessor(ports).processBatch(
        [
          { body: body(reject), context: { sentAtMs: NOW - 1000 } },
          { body: body(approve), context: { sentAtMs: NOW - 2000 } },
        ],
        { concurrency: 10 },
      );
      assert.equal(store.run('doc-1').approval_status, 'APPROVED');
      assert.deepEqual(results.map((r) => r.ok && r.outcome.status), ['superseded', 'recorded']);
      assert.equal(store.audits.get(reject.decision_id)?.audit_status, 'superseded');
      assert.equal(ports.batchCalls.filter((c) => c === 'updateAudits').length, 1, 'only the outcome mark: the loser was never recorded, then corrected');
    });

    it('fails back only the record whose write failed; the others are done', async () => {
      const ports = batched(store);
      const runs = runsOf(3);
      const messages = runs.map((run) => sign(run));
      store.failOnce('createAudit', () => store.audits.size === 1); // the second create of the bulk
      const results = await batchProcessor(ports).processBatch(
        messages.map((m) => ({ body: body(m) })),
        { concurrency: 10 },
      );
      assert.deepEqual(results.map((r) => r.ok), [true, false, true]);
      assert.equal(store.run('batch-doc-transform_images-1').approval_status, undefined);
      assert.equal(store.run('batch-doc-transform_images-2').approval_status, 'APPROVED');
    });

    it('keeps each run to its own tally when a batch holds votes for runs of jobs with different quorums', async () => {
      const policy = parseApprovalPolicy({
        jobs: {
          transform_images: { quorum: 2, personalRoles: ['arn:aws:iam::123456789012:role/Reviewer'] },
          load_orders: { quorum: 3, personalRoles: ['arn:aws:iam::123456789012:role/Reviewer'] },
        },
      });
      const ports = batched(store);
      const [a] = runsOf(1);
      const [b] = runsOf(1, 'load_orders');
      assert.ok(a && b);
      const votes = [sign(a), sign(b), sign(a, { identityArn: BOB, at: NOW + 1000 }), sign(b, { identityArn: BOB, at: NOW + 1000 })];
      const results = await batchProcessor(ports, policy).processBatch(
        votes.map((m, i) => ({ body: body(m), context: { sentAtMs: NOW + i } })),
        { concurrency: 10 },
      );
      assert.deepEqual(results.map((r) => r.ok && r.outcome.status), ['awaiting-quorum', 'awaiting-quorum', 'recorded', 'awaiting-quorum']);
      assert.equal(store.run('batch-doc-transform_images-0').approved_by, 'alice, bob');
      assert.equal(store.run('batch-doc-load_orders-0').approval_status, undefined);
      assert.match((results[3]?.ok && results[3].outcome.detail) || '', /2 of 3/);
    });

    it('FIFO: records in batch order, and none started after a failure', async () => {
      const runs = runsOf(3);
      store.failOnce('getRunWithVersion');
      const results = await processor(store).processBatch(
        runs.map((run) => ({ body: body(sign(run)) })),
        { concurrency: 10, stopAtFirstFailure: true },
      );
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.started ? 'failed' : 'not started')), ['failed', 'not started', 'not started']);
    });
  });
});

function bind(store: MemoryStore): DecisionProcessorPorts {
  return {
    getRunWithVersion: (id) => store.getRunWithVersion(id),
    getRunDocument: (id) => store.getRunDocument(id),
    verifyIdentityProof: (proof) => store.verifyIdentityProof(proof),
    publishOutcome: (outcome) => store.publishOutcome(outcome),
    createAudit: (id, doc) => store.createAudit(id, doc),
    getAudit: (id) => store.getAudit(id),
    updateAudit: (id, fields) => store.updateAudit(id, fields),
    updateRunIfVersion: (id, version, fields) => store.updateRunIfVersion(id, version, fields),
    listAuditsForRun: (id) => store.listAuditsForRun(id),
    now: () => store.now(),
    sleep: () => store.sleep(),
  };
}
