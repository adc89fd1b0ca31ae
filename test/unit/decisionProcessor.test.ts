// The processor's logic against an in-memory store that behaves like OpenSearch where it
// matters (op_type=create conflicts, seq_no checks), with failures injected between steps
// to show what a redelivery does after a crash in the middle.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseApprovalPolicy, type ApprovalPolicy } from '../../src/core/approvalPolicy';
import { buildDecisionMessage, canonicalForm, type DecisionMessage } from '../../src/core/decisionMessage';
import {
  DecisionProcessor,
  TransientDecisionError,
  type AuditDocument,
  type AuditOutcomeStatus,
  type DecisionProcessorPorts,
  type RunApprovalFields,
  type RunSnapshot,
  type RunVersion,
} from '../../src/core/decisionProcessor';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';

const SECRET = 'unit-test-secret';
const NOW = Date.parse('2024-01-15T11:00:30Z');
const ALICE = 'arn:aws:sts::123456789012:assumed-role/Reviewer/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/Reviewer/bob';
const CAROL = 'arn:aws:iam::123456789012:user/carol';

type Method = 'getRunWithVersion' | 'createAudit' | 'getAudit' | 'updateAudit' | 'updateRunIfVersion' | 'listAuditsForRun';

interface StoredDoc {
  source: Record<string, unknown>;
  seqNo: number;
}

/** job-events and job-approvals in memory; every call yields, so concurrent calls interleave. */
class MemoryStore implements DecisionProcessorPorts {
  readonly runs = new Map<string, StoredDoc>();
  readonly audits = new Map<string, AuditDocument>();
  readonly calls: Method[] = [];
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

  async updateAudit(id: string, fields: { audit_status: AuditOutcomeStatus; audit_detail: string | null }): Promise<void> {
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
    return [...this.audits.values()].filter((doc) => doc.job_run_id === jobRunId).map((doc) => structuredClone(doc));
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
}

function sign(source: Record<string, unknown>, options: Sign = {}): DecisionMessage {
  return buildDecisionMessage(
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
  );
}

function body(message: DecisionMessage): string {
  return JSON.stringify(message);
}

function processor(store: MemoryStore, policy: ApprovalPolicy = parseApprovalPolicy(''), extra: Partial<ConstructorParameters<typeof DecisionProcessor>[1]> = {}): DecisionProcessor {
  return new DecisionProcessor(store, { secret: SECRET, policy, ...extra });
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
      assert.match(result.detail ?? '', /signature does not verify/);
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
      const message = sign(source, { at: NOW - 16 * 60_000 });
      const result = await processor(store).process(body(message));
      assert.equal(result.status, 'invalid');
      assert.equal(result.auditId, message.decision_id);
      assert.match(result.detail ?? '', /Stale.*16 minutes before/);
      assert.equal(store.run('doc-1').approval_status, undefined);
    });

    it('audits a decision from the future as invalid', async () => {
      const result = await processor(store).process(body(sign(source, { at: NOW + 20 * 60_000 })));
      assert.equal(result.status, 'invalid');
      assert.match(result.detail ?? '', /after the processor received it/);
    });

    it('accepts a wider window when configured', async () => {
      const result = await processor(store, undefined, { freshnessMs: 30 * 60_000 }).process(body(sign(source, { at: NOW - 16 * 60_000 })));
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
        secret: 'the-old-secret',
        policy: parseApprovalPolicy(''),
        refreshSecret: () => {
          asked += 1;
          return Promise.resolve(SECRET);
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
        { secret: SECRET, policy: parseApprovalPolicy(''), maxAttempts: 3 },
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

  it('signs what canonicalForm says (sanity check of the test helper)', () => {
    const message = sign(source);
    assert.ok(canonicalForm(message).includes('"decision_id"'));
  });
});

function bind(store: MemoryStore): DecisionProcessorPorts {
  return {
    getRunWithVersion: (id) => store.getRunWithVersion(id),
    createAudit: (id, doc) => store.createAudit(id, doc),
    getAudit: (id) => store.getAudit(id),
    updateAudit: (id, fields) => store.updateAudit(id, fields),
    updateRunIfVersion: (id, version, fields) => store.updateRunIfVersion(id, version, fields),
    listAuditsForRun: (id) => store.listAuditsForRun(id),
    now: () => store.now(),
    sleep: () => store.sleep(),
  };
}
