// Runs that do not wait forever: the processor's scheduled sweep. A pending run past its
// expiry (docs/CONTRACTS.md §2: `expires_at`, else timestamp + the TTL) gets the per-job policy's action —
// `expire` by default, or `reject` / `approve` — recorded like a decision: an audit in
// job-approvals with `decided_by: "system"`, the run's approval fields written with
// optimistic concurrency, and the outcome published on the outcomes topic. A run entering
// its last hour is announced once (`approval_expiring`), so that a team can page someone.
//
// Exactly once when sweeps race (two schedules overlapping, a retried invocation): the
// expiry's audit id is derived from the run document, and the audit is created with
// op_type=create, so one sweep wins the claim; the run update is conditional on the version
// read, so a human decision that lands first wins and the expiry is audited as superseded.
// The announcement is claimed on the run document itself with a conditional update
// (`expiry_announcement_claimed_at`), published, then marked (`expiry_announced_at`); a claim
// that was never marked (a sweep that died in between) is taken over after CLAIM_STALE_MS.
//
// Policy: the approval policy's `expiry` per job (core/approvalPolicy.ts; globs and
// specificity as for the other fields):
//   { "default": { "expiry": "expire" }, "jobs": { "load_*": { "expiry": "reject" } } }
// Pure: no AWS SDK, no OpenSearch.
import { createHash } from 'node:crypto';
import { outcomeOfRun, type ApprovalOutcome, type RunOutcomeFields } from './approvalOutcome';
import { isPlainObject, policyForJob, type ApprovalPolicy, type ExpiryAction } from './approvalPolicy';
import type { AuditDocument, AuditUpdate, RunSnapshot, RunVersion } from './decisionProcessor';
import { formatDuration } from './durations';
import { expiryOf } from './expiry';
import { parseJobRun } from './jobRunParser';
import { SYSTEM_DECIDER, type Decision, type JobRun } from './model';
import { isPending } from './pendingQuery';
import { snsPublishParameters, type SnsPublishParameters } from './snsPublish';

export { SYSTEM_DECIDER };

/** What an expiry writes as approval_status. */
export type ExpiryStatus = 'EXPIRED' | Decision;
export type { ExpiryAction };

export const EXPIRY_EVENT_TYPE = 'approval_expiry';
const EXPIRING_EVENT_TYPE = 'approval_expiring';
/** Runs with less than this left are announced (once). */
const ANNOUNCE_WITHIN_MS = 60 * 60_000;
/** A claim this old that was never finished is taken over by the next sweep. */
export const CLAIM_STALE_MS = 5 * 60_000;

const STATUS_OF: Record<ExpiryAction, ExpiryStatus> = { expire: 'EXPIRED', reject: 'REJECTED', approve: 'APPROVED' };

/** The job's expiry action under the approval policy (its most specific entry, else the default). */
export function expiryActionFor(policy: ApprovalPolicy, jobName: string): ExpiryAction {
  return policyForJob(policy, jobName).expiry;
}

/** The expiry's audit id: one per run document, so that racing sweeps claim the same id. */
export function expiryAuditId(runDocumentId: string): string {
  return `expiry-${createHash('sha256').update(runDocumentId, 'utf8').digest('hex')}`;
}

/** The `approval_expiring` message: a run entered its last hour without a decision. */
export interface ExpiringAnnouncement {
  event_type: 'approval_expiring';
  /** The same for every publication about this run document: consumers deduplicate on it. */
  announcement_id: string;
  job_name: string;
  job_run_id: string;
  run_document_id: string;
  expires_at: string;
  /** What the policy will record at expiry. */
  expiry_action: ExpiryAction;
  announced_at: string;
}

export interface ExpirySweepPorts {
  /** The pending runs (newest document per run), in any order. */
  listPending(): Promise<JobRun[]>;
  /** The run's newest document, read now, with its version; null if none. */
  getRunWithVersion(jobRunId: string): Promise<RunSnapshot | null>;
  createAudit(id: string, doc: AuditDocument, options: { refresh: boolean }): Promise<'created' | 'exists'>;
  getAudit(id: string): Promise<AuditDocument | null>;
  updateAudit(id: string, fields: AuditUpdate): Promise<void>;
  /** A partial update of a job-events document that succeeds only at `version`. */
  updateRunIfVersion(documentId: string, version: RunVersion, fields: Record<string, unknown>): Promise<'updated' | 'conflict'>;
  /** One job-events document by `_id`, read now; null if it is gone. Absent: no recovery pass. */
  getRunDocument?(documentId: string): Promise<RunSnapshot | null>;
  /**
   * Expiry audits (event_type approval_expiry) recorded at or before `receivedBeforeMs` whose
   * outcome was not marked published. Absent: no recovery pass.
   */
  listUnpublishedExpiries?(receivedBeforeMs: number): Promise<Array<{ auditId: string; audit: AuditDocument }>>;
  /** Absent: outcomes are not published (as for decisions). */
  publishOutcome?(outcome: ApprovalOutcome): Promise<void>;
  /** Absent: runs are not announced. */
  publishAnnouncement?(announcement: ExpiringAnnouncement): Promise<void>;
  now(): number;
}

export interface ExpirySweepOptions {
  policy: ApprovalPolicy;
  /** Hours a run without `expires_at` waits (default 72, docs/CONTRACTS.md §2). */
  ttlHours: number;
  /** Runs handled at once. */
  concurrency?: number;
}

export type RunSweepResult =
  | { jobRunId: string; kind: 'expired'; status: ExpiryStatus; auditId: string; outcomePublished: boolean }
  | { jobRunId: string; kind: 'announced'; announcementId: string }
  /** Another sweep holds the claim, a decision came first, or the run is no longer due. */
  | { jobRunId: string; kind: 'skipped'; why: string }
  | { jobRunId: string; kind: 'superseded'; auditId: string; detail: string };

export interface SweepReport {
  candidates: number;
  results: RunSweepResult[];
}

const MAX_ATTEMPTS = 5;

/** What an expiry writes on the run (and publishes as its outcome). */
type ExpiryFields = RunOutcomeFields<ExpiryStatus>;

export class ExpirySweep {
  constructor(
    private readonly ports: ExpirySweepPorts,
    private readonly options: ExpirySweepOptions,
  ) {}

  /** One sweep: every pending run past expiry is decided by the policy, every run in its last hour announced. */
  async sweep(): Promise<SweepReport> {
    const now = this.ports.now();
    const runs = await this.ports.listPending();
    const due = runs.filter((run) => {
      const expiry = expiryOf(run, this.options.ttlHours);
      return expiry !== null && expiry - now <= ANNOUNCE_WITHIN_MS;
    });
    const results: RunSweepResult[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const run = due[next++];
        if (run) results.push(await this.sweepRun(run.jobRunId));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.options.concurrency ?? 4, due.length)) }, () => worker()));
    results.push(...(await this.finishUnpublished(now)));
    return { candidates: due.length, results };
  }

  /** Expires or announces one run, as its newest document says now. */
  async sweepRun(jobRunId: string): Promise<RunSweepResult> {
    let claimedAudit: string | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const snapshot = await this.ports.getRunWithVersion(jobRunId);
      if (snapshot === null) return { jobRunId, kind: 'skipped', why: 'the run is gone' };
      const run = parseJobRun(snapshot.documentId, snapshot.source);
      const now = this.ports.now();
      if (!isPending(run)) {
        if (claimedAudit !== null) return this.superseded(jobRunId, claimedAudit, run);
        return { jobRunId, kind: 'skipped', why: 'not pending' };
      }
      const expiry = expiryOf(run, this.options.ttlHours);
      if (expiry === null) return { jobRunId, kind: 'skipped', why: 'no expiry' };
      if (expiry > now) {
        if (expiry - now > ANNOUNCE_WITHIN_MS) return { jobRunId, kind: 'skipped', why: 'not due' };
        const announced = await this.announce(run, snapshot, expiry, now);
        if (announced !== 'conflict') return announced;
        continue;
      }
      const action = expiryActionFor(this.options.policy, run.jobName);
      const status = STATUS_OF[action];
      const auditId = expiryAuditId(snapshot.documentId);
      if (claimedAudit !== auditId) {
        const claim = await this.claim(auditId, run, snapshot, expiry, action, status, now);
        if (claim !== 'claimed') return { jobRunId, kind: 'skipped', why: claim };
        claimedAudit = auditId;
      }
      const fields: ExpiryFields = {
        approval_status: status,
        approved_by: SYSTEM_DECIDER,
        approval_reason: expiryReason(run, expiry, action),
        approval_timestamp: new Date(now).toISOString(),
        approval_decision_ids: [auditId],
      };
      if ((await this.ports.updateRunIfVersion(snapshot.documentId, snapshot.version, fields)) === 'conflict') continue;
      const outcomePublished = await this.publishOutcome(auditId, run.jobName, run.jobRunId, snapshot.documentId, fields);
      return { jobRunId, kind: 'expired', status, auditId, outcomePublished };
    }
    return { jobRunId, kind: 'skipped', why: `the run kept changing (${MAX_ATTEMPTS} version conflicts); the next sweep tries again` };
  }

  /** Publishes the expiry's outcome and marks it in the expiry's audit; false when outcomes are off. */
  private async publishOutcome(auditId: string, jobName: string, jobRunId: string, documentId: string, fields: ExpiryFields): Promise<boolean> {
    if (!this.ports.publishOutcome) return false;
    await this.ports.publishOutcome(outcomeOfRun({ jobName, jobRunId, documentId }, fields, this.ports.now()));
    await this.ports.updateAudit(auditId, { outcome_published_at: new Date(this.ports.now()).toISOString() });
    return true;
  }

  /**
   * Finishes expiries whose sweep updated the run but died before it published the outcome:
   * their audit is recorded without `outcome_published_at` for longer than CLAIM_STALE_MS, and
   * the run document names the audit. Racing sweeps claim the publish with a conditional
   * update of the run document (`expiry_outcome_claimed_at`), so one of them publishes it, with
   * the outcome_id of the run document (a sweep dying again after publishing, before marking
   * the audit, means one repeat: consumers deduplicate on outcome_id, as for decisions).
   */
  private async finishUnpublished(now: number): Promise<RunSweepResult[]> {
    if (!this.ports.publishOutcome || !this.ports.listUnpublishedExpiries || !this.ports.getRunDocument) return [];
    const results: RunSweepResult[] = [];
    for (const { auditId, audit } of await this.ports.listUnpublishedExpiries(now - CLAIM_STALE_MS)) {
      const documentId = audit.run_document_id;
      if (typeof documentId !== 'string' || audit.audit_status !== 'recorded' || audit.outcome_published_at) continue;
      const judged = await this.ports.getRunDocument(documentId);
      const source = judged !== null && isPlainObject(judged.source) ? judged.source : null;
      const ids = Array.isArray(source?.approval_decision_ids) ? source.approval_decision_ids : [];
      const status = source?.approval_status;
      if (judged === null || source === null || !ids.includes(auditId) || (status !== 'EXPIRED' && status !== 'REJECTED' && status !== 'APPROVED')) continue;
      // One sweep finishes it: a conditional update of the run document claims the publish.
      const claimedAt = typeof source.expiry_outcome_claimed_at === 'string' ? Date.parse(source.expiry_outcome_claimed_at) : NaN;
      if (Number.isFinite(claimedAt) && now - claimedAt < CLAIM_STALE_MS) continue;
      if ((await this.ports.updateRunIfVersion(documentId, judged.version, { expiry_outcome_claimed_at: new Date(now).toISOString() })) === 'conflict') continue;
      const text = (value: unknown): string => (typeof value === 'string' ? value : '');
      const fields: ExpiryFields = {
        approval_status: status,
        approved_by: text(source.approved_by),
        approval_reason: text(source.approval_reason),
        approval_timestamp: text(source.approval_timestamp),
        approval_decision_ids: [auditId],
      };
      await this.publishOutcome(auditId, text(source.job_name), text(source.job_run_id), documentId, fields);
      results.push({ jobRunId: text(source.job_run_id), kind: 'expired', status, auditId, outcomePublished: true });
    }
    return results;
  }

  /**
   * Creates the expiry's audit (op_type=create). Another sweep's claim is left to it while
   * fresh; a stale one (its sweep died before it updated the run) is taken over.
   */
  private async claim(auditId: string, run: JobRun, snapshot: RunSnapshot, expiry: number, action: ExpiryAction, status: ExpiryStatus, now: number): Promise<string> {
    const doc = expiryAuditDocument(run, snapshot.documentId, auditId, expiry, action, status, now);
    if ((await this.ports.createAudit(auditId, doc, { refresh: false })) === 'created') return 'claimed';
    const existing = await this.ports.getAudit(auditId);
    const claimedAt = Date.parse(existing?.received_at ?? '');
    if (existing !== null && existing.audit_status === 'recorded' && Number.isFinite(claimedAt) && now - claimedAt < CLAIM_STALE_MS) {
      return 'another sweep is expiring it';
    }
    if (existing !== null && existing.audit_status !== 'recorded') return `its expiry was audited ${existing.audit_status}`;
    await this.ports.updateAudit(auditId, { audit_status: 'recorded', audit_detail: `${doc.audit_detail} (taken over from a sweep that did not finish)` });
    return 'claimed';
  }

  private async superseded(jobRunId: string, auditId: string, run: JobRun): Promise<RunSweepResult> {
    const by = run.approval ? `${run.approval.status} by ${run.approval.approvedBy ?? 'someone'}` : `status ${run.status ?? 'missing'}`;
    const detail = `Not applied: the run was decided (${by}) before its expiry was recorded.`;
    await this.ports.updateAudit(auditId, { audit_status: 'superseded', audit_detail: detail });
    return { jobRunId, kind: 'superseded', auditId, detail };
  }

  /** Claims the announcement on the run document (conditional update), publishes it, marks it sent. */
  private async announce(run: JobRun, snapshot: RunSnapshot, expiry: number, now: number): Promise<RunSweepResult | 'conflict'> {
    if (!this.ports.publishAnnouncement) return { jobRunId: run.jobRunId, kind: 'skipped', why: 'announcements are off' };
    const source = isPlainObject(snapshot.source) ? snapshot.source : {};
    if (typeof source.expiry_announced_at === 'string') return { jobRunId: run.jobRunId, kind: 'skipped', why: 'already announced' };
    const claimedAt = typeof source.expiry_announcement_claimed_at === 'string' ? Date.parse(source.expiry_announcement_claimed_at) : NaN;
    if (Number.isFinite(claimedAt) && now - claimedAt < CLAIM_STALE_MS) return { jobRunId: run.jobRunId, kind: 'skipped', why: 'another sweep is announcing it' };
    const claim = await this.ports.updateRunIfVersion(snapshot.documentId, snapshot.version, { expiry_announcement_claimed_at: new Date(now).toISOString() });
    if (claim === 'conflict') return 'conflict';
    const announcementId = `expiring-${createHash('sha256').update(snapshot.documentId, 'utf8').digest('hex')}`;
    await this.ports.publishAnnouncement({
      event_type: EXPIRING_EVENT_TYPE,
      announcement_id: announcementId,
      job_name: run.jobName,
      job_run_id: run.jobRunId,
      run_document_id: snapshot.documentId,
      expires_at: new Date(expiry).toISOString(),
      expiry_action: expiryActionFor(this.options.policy, run.jobName),
      announced_at: new Date(now).toISOString(),
    });
    // Marked without a version check: the claim is ours, and a decision landing meanwhile must not undo the mark.
    const latest = await this.ports.getRunWithVersion(run.jobRunId);
    if (latest?.documentId === snapshot.documentId) {
      await this.ports.updateRunIfVersion(snapshot.documentId, latest.version, { expiry_announced_at: new Date(this.ports.now()).toISOString() });
    }
    return { jobRunId: run.jobRunId, kind: 'announced', announcementId };
  }
}

/** "No decision within 72h (expired 2026-01-15 10:30 UTC); policy for load_orders: expire." */
function expiryReason(run: Pick<JobRun, 'jobName' | 'timestampMs' | 'expiresAt'>, expiryMs: number, action: ExpiryAction): string {
  const waited = run.timestampMs === null ? '' : ` within ${formatDuration(expiryMs - run.timestampMs)}`;
  const at = new Date(expiryMs).toISOString().slice(0, 16).replace('T', ' ');
  return `No decision${waited} (expired ${at} UTC); the policy for ${run.jobName} is to ${action} at expiry.`;
}

function expiryAuditDocument(run: JobRun, runDocumentId: string, auditId: string, expiryMs: number, action: ExpiryAction, status: ExpiryStatus, nowMs: number): AuditDocument {
  const at = new Date(nowMs).toISOString();
  return {
    timestamp: at,
    event_type: EXPIRY_EVENT_TYPE,
    job_name: run.jobName,
    job_run_id: run.jobRunId,
    decision: status,
    decided_by: SYSTEM_DECIDER,
    reason: expiryReason(run, expiryMs, action),
    original_quality_status: run.qualityStatus,
    original_quality_checks: run.qualityChecks.map((check) => ({ name: check.name, status: check.status, value: check.value, threshold: check.threshold })),
    decision_id: auditId,
    identity_arn: null,
    evidence_sha256: null,
    audit_status: 'recorded',
    audit_detail: `Expired: ${action} by policy.`,
    received_at: at,
    run_document_id: runDocumentId,
    audit_code: null,
  };
}

/** SNS Publish parameters of an announcement: attribute `event_type` (no `decision`: downstream's decision filters skip it). */
export function announcementPublishParameters(announcement: ExpiringAnnouncement, topicArn: string): SnsPublishParameters<'event_type', string> {
  return snsPublishParameters(announcement, { name: 'event_type', value: EXPIRING_EVENT_TYPE }, { topicArn, deduplicationId: announcement.announcement_id });
}

/** The scheduled event that starts a sweep: the rule's constant input, or EventBridge's own scheduled event. */
export function isExpirySweepEvent(event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  if (event.action === 'expiry-sweep') return true;
  return event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';
}
