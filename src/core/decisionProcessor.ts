// The approval processor's logic, over ports so that it stays pure: verify a decision,
// judge it against the run as it is now and the approval policy, record it in the audit
// index, and apply it to the run with optimistic concurrency. The OpenSearch adapter and
// the Lambda/SQS shells live in src/processor.
//
// Exactly once, and the order of the two writes
// ---------------------------------------------
// Every decision gets one audit document whose id is its decision_id, created with
// op_type=create, and the audit is written BEFORE the run: no run ever carries an approval
// that the audit trail lacks. The run update is conditional (if_seq_no/if_primary_term of a
// realtime read of the run's newest document) and stamps `approval_decision_ids`, so that
// "this run was decided by this decision" can be told later.
//
// A delivery can stop anywhere (Lambda timeout, crash, OpenSearch failing half way), and SQS
// then delivers the message again. On every delivery the run is re-read and the decision
// judged afresh; when the create finds the audit already there, what it says decides:
//  - recorded, but the run does not list this decision: the earlier delivery stopped between
//    the audit and the run update. Skipping it would leave an approval the audit shows as
//    recorded but the run never got, so the update is finished now; if another decision
//    decided the run meanwhile, or its evidence changed, the audit is corrected instead
//    (superseded / refused).
//  - awaiting-quorum: a vote. It is finished only when the votes now reach the quorum (the
//    delivery that should have applied them stopped); otherwise the replay changes nothing.
//  - superseded, refused, invalid: final. The replay changes nothing.
//  - recorded and the run lists this decision: a plain replay; nothing changes.
// A version conflict on the run (another decision got there first) re-reads and re-judges:
// the loser's audit is then corrected to superseded. The window in which an audit says
// `recorded` before its run update lands is the price of writing the audit first.
//
// Quorum votes race too: two approvers whose decisions are processed at once may each see
// only their own vote. Votes are therefore created with refresh=true and the votes listed
// once more after the own vote is visible; of two racing votes at least the later one sees
// both, and the conditional update lets only one apply them.
//
// Invalid messages are audited and never touch a run. A message whose signature does not
// verify gets the id `invalid-<sha256 of the body>` even when it names a decision_id: an
// unauthenticated message must not be able to take the id of a genuine decision (whose
// create would then be a no-op); replays of the same garbage are still one document.

import { createHash } from 'node:crypto';
import { describeTally, policyForJob, approverKey, isSelfApproval, tallyQuorum, type ApprovalPolicy, type JobPolicy, type Vote } from './approvalPolicy';
import { retryDelays } from './backoff';
import {
  DECISION_EVENT_TYPE,
  FRESHNESS_MS,
  isDecisionFresh,
  parseDecisionMessage,
  verifyMessageSignature,
  type DecisionMessage,
  type SigningSecret,
} from './decisionMessage';
import { truncateForDisplay } from './untrustedText';
import { evidenceSha256 } from './evidence';
import { parseJobRun } from './jobRunParser';
import type { CheckValue, Decision, JobRun } from './model';
import { isPending } from './pendingQuery';
import { parseTimestampMs } from './timestamp';

export type AuditOutcomeStatus = 'recorded' | 'superseded' | 'refused' | 'invalid' | 'awaiting-quorum';

/** A document of the `job-approvals` audit index as the processor writes it. */
export interface AuditDocument {
  /** The decision's time (message timestamp); received_at when the message had none. */
  timestamp: string;
  event_type: string;
  job_name: string | null;
  job_run_id: string | null;
  decision: string | null;
  decided_by: string | null;
  reason: string | null;
  original_quality_status: string | null;
  original_quality_checks: Array<{ name: string; status: string | null; value: CheckValue; threshold: CheckValue }>;
  decision_id: string | null;
  identity_arn: string | null;
  evidence_sha256: string | null;
  audit_status: AuditOutcomeStatus;
  audit_detail: string | null;
  received_at: string;
}

/** The fields a decision writes on the run's newest `job-events` document. */
export interface RunApprovalFields {
  approval_status: Decision;
  /** decided_by; for a quorum, the approvers' names joined with ", ". */
  approved_by: string;
  approval_reason: string;
  approval_timestamp: string;
  /** The decisions that decided the run: how a redelivery knows its update landed. */
  approval_decision_ids: string[];
}

export interface RunVersion {
  seqNo: number;
  primaryTerm: number;
}

export interface RunSnapshot {
  /** `_id` of the run's newest document. */
  documentId: string;
  source: unknown;
  version: RunVersion;
}

/** What the processor needs of the outside world. Errors thrown are treated as transient. */
export interface DecisionProcessorPorts {
  /** The run's newest document, read now (realtime), with its version; null if none. */
  getRunWithVersion(jobRunId: string): Promise<RunSnapshot | null>;
  /** op_type=create: 'exists' when a document with this id is already there. */
  createAudit(id: string, doc: AuditDocument, options: { refresh: boolean }): Promise<'created' | 'exists'>;
  getAudit(id: string): Promise<AuditDocument | null>;
  updateAudit(id: string, fields: { audit_status: AuditOutcomeStatus; audit_detail: string | null }): Promise<void>;
  /** A partial update that succeeds only if the document is still at `version`. */
  updateRunIfVersion(documentId: string, version: RunVersion, fields: RunApprovalFields): Promise<'updated' | 'conflict'>;
  /** Every audit document of the run (any status), for counting quorum votes. */
  listAuditsForRun(jobRunId: string): Promise<AuditDocument[]>;
  now(): number;
  /** Waits between version-conflict retries; defaults to setTimeout. */
  sleep?(ms: number): Promise<void>;
}

export interface DecisionProcessorOptions {
  secret: SigningSecret;
  /**
   * Asked at most once per message whose signature does not verify, for a secret that may
   * have been rotated since it was read; returns null when nothing newer is available.
   */
  refreshSecret?: () => Promise<SigningSecret | null>;
  policy: ApprovalPolicy;
  /** Accepted distance between the decision's timestamp and the processor's clock. */
  freshnessMs?: number;
  /** Reads of the run before giving up on repeated version conflicts (then the message is retried). */
  maxAttempts?: number;
}

export interface DecisionOutcome {
  auditId: string;
  status: AuditOutcomeStatus;
  detail: string | null;
  decisionId: string | null;
  jobRunId: string | null;
  decision: string | null;
  decidedBy: string | null;
  /** The audit already existed: a redelivery or a replay. */
  replay: boolean;
  /** A redelivery that finished what an earlier delivery left undone. */
  resumed: boolean;
  runUpdated: boolean;
}

/** The processor's judgement of a verified, fresh decision against the run as it is now. */
export type Verdict =
  | { kind: 'apply'; detail: string | null; fields: RunApprovalFields }
  | { kind: 'already-applied'; detail: string }
  | { kind: 'awaiting-quorum'; detail: string }
  | { kind: 'superseded' | 'refused' | 'invalid'; detail: string };

export interface JudgeInput {
  message: DecisionMessage;
  /** The run's newest document, parsed; null when there is none. */
  run: JobRun | null;
  /** `approval_decision_ids` of that document. */
  runDecisionIds: readonly string[];
  policy: JobPolicy;
  /** The run's audit documents; only read for an approval under a quorum above 1. */
  audits: readonly AuditDocument[];
  /** When this decision was received (ISO); orders approvals made in the same second. */
  receivedAt?: string;
}

/** Thrown when a decision could not be finished for a passing reason; the message is retried. */
export class TransientDecisionError extends Error {
  override readonly name = 'TransientDecisionError';
}

export const DEFAULT_MAX_ATTEMPTS = 8;
/** Identifiers and names are keyword fields: OpenSearch refuses a term longer than 32 KB. */
const MAX_KEYWORD_CHARS = 512;
const MAX_REASON_AUDIT_CHARS = 4000;
const RESUMABLE: ReadonlySet<AuditOutcomeStatus> = new Set(['recorded', 'awaiting-quorum']);

/** Decides what a verified, fresh decision does. Pure. */
export function judgeDecision(input: JudgeInput): Verdict {
  const { message, run, policy } = input;
  if (run === null) {
    return { kind: 'invalid', detail: `No run with job_run_id ${quote(message.job_run_id)} exists in job-events.` };
  }
  if (run.jobName !== message.job_name) {
    return { kind: 'invalid', detail: `Run ${quote(message.job_run_id)} belongs to job ${quote(run.jobName)}, not ${quote(message.job_name)}.` };
  }
  if (input.runDecisionIds.includes(message.decision_id)) {
    return { kind: 'already-applied', detail: 'The run already carries this decision.' };
  }
  if (run.approval !== null) {
    const a = run.approval;
    return {
      kind: 'superseded',
      detail: `The run was already ${a.status}${a.approvedBy ? ` by ${a.approvedBy}` : ''}${a.timestamp ? ` at ${a.timestamp}` : ''}; the first decision wins.`,
    };
  }
  if (!isPending(run)) {
    return { kind: 'refused', detail: `The run is not waiting for approval: its status is ${run.status ?? 'missing'}.` };
  }
  const evidence = evidenceSha256(run);
  if (evidence !== message.evidence_sha256) {
    return {
      kind: 'refused',
      detail:
        `The run's checks, metrics or artifacts changed after it was reviewed (evidence ${message.evidence_sha256.slice(0, 12)}… ` +
        `reviewed, ${evidence.slice(0, 12)}… now); it must be reviewed again.`,
    };
  }
  if (message.decision === 'APPROVED' && policy.forbidSelfApproval && isSelfApproval(run.triggeredBy, message)) {
    return { kind: 'refused', detail: `${message.decided_by} triggered this run (triggered_by ${quote(run.triggeredBy ?? '')}) and cannot approve it.` };
  }
  const own: RunApprovalFields = {
    approval_status: message.decision,
    approved_by: message.decided_by,
    approval_reason: message.reason,
    approval_timestamp: message.timestamp,
    approval_decision_ids: [message.decision_id],
  };
  // A rejection from anyone decides at once; so does an approval where one suffices.
  if (message.decision === 'REJECTED' || policy.quorum <= 1) {
    return { kind: 'apply', detail: null, fields: own };
  }
  const current = voteOf(message, input.receivedAt);
  const earlier = input.audits.filter((doc) => countsAsVote(doc, message.job_run_id, evidence)).map(voteOfAudit);
  const tally = tallyQuorum(earlier, current, policy.quorum);
  if (!tally.reached) {
    const again = tally.duplicate ? `${message.decided_by} has already approved this run; the same approver counts once. ` : '';
    return { kind: 'awaiting-quorum', detail: `${again}Awaiting quorum: ${describeTally(tally)}.` };
  }
  return {
    kind: 'apply',
    detail: `Quorum reached: ${describeTally(tally)}.`,
    fields: {
      approval_status: 'APPROVED',
      approved_by: tally.approvers.map((vote) => vote.decidedBy).join(', '),
      approval_reason: tally.approvers.map((vote) => `${vote.decidedBy}: ${vote.reason}`).join('\n'),
      approval_timestamp: message.timestamp,
      approval_decision_ids: [...new Set([...tally.approvers.map((vote) => vote.decisionId), message.decision_id])],
    },
  };
}

export class DecisionProcessor {
  private readonly freshnessMs: number;
  private readonly maxAttempts: number;
  private secret: SigningSecret;

  constructor(
    private readonly ports: DecisionProcessorPorts,
    private readonly options: DecisionProcessorOptions,
  ) {
    this.freshnessMs = options.freshnessMs ?? FRESHNESS_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.secret = options.secret;
  }

  /** Processes one message body (the decision JSON). Throws only for transient failures. */
  async process(body: string): Promise<DecisionOutcome> {
    const receivedAtMs = this.ports.now();
    const receivedAt = new Date(receivedAtMs).toISOString();
    const parsed = parseDecisionMessage(body);
    if (!parsed.ok) {
      return this.recordUnverified(body, parsed.fields, `Not a valid decision message: ${parsed.reason}`, receivedAt);
    }
    const message = parsed.message;
    if (!(await this.verify(message))) {
      return this.recordUnverified(
        body,
        message as unknown as Record<string, unknown>,
        'The signature does not verify: the message was changed after signing, or signed with another secret.',
        receivedAt,
      );
    }
    if (!isDecisionFresh(message, receivedAtMs, this.freshnessMs)) {
      const madeMs = parseTimestampMs(message.timestamp) ?? receivedAtMs;
      const minutes = Math.round(Math.abs(receivedAtMs - madeMs) / 60_000);
      const when = madeMs <= receivedAtMs ? `${minutes} minutes before` : `${minutes} minutes after`;
      return this.recordStale(
        message,
        `Stale: the decision is dated ${message.timestamp}, ${when} the processor received it; ` +
          `at most ${Math.round(this.freshnessMs / 60_000)} minutes either way are accepted.`,
        receivedAt,
      );
    }
    return this.processVerified(message, receivedAt, null);
  }

  private async verify(message: DecisionMessage): Promise<boolean> {
    if (verifyMessageSignature(message, this.secret)) return true;
    const fresh = this.options.refreshSecret ? await this.options.refreshSecret() : null;
    if (fresh === null) return false;
    this.secret = fresh;
    return verifyMessageSignature(message, fresh);
  }

  private async recordUnverified(body: string, fields: Record<string, unknown> | null, detail: string, receivedAt: string): Promise<DecisionOutcome> {
    const id = `invalid-${createHash('sha256').update(body, 'utf8').digest('hex')}`;
    const doc = claimedAuditDocument(fields, detail, receivedAt);
    const created = await this.ports.createAudit(id, doc, { refresh: false });
    return outcome(id, doc, 'invalid', detail, { replay: created === 'exists' });
  }

  /** A genuine decision that arrived too late or too early: audited under its own id. */
  private async recordStale(message: DecisionMessage, detail: string, receivedAt: string): Promise<DecisionOutcome> {
    const doc = auditDocument(message, null, 'invalid', detail, receivedAt);
    if ((await this.ports.createAudit(message.decision_id, doc, { refresh: false })) === 'created') {
      return outcome(message.decision_id, doc, 'invalid', detail, {});
    }
    // It was fresh when first delivered: a redelivery may have to finish that delivery's work.
    const existing = await this.readExistingAudit(message.decision_id);
    if (RESUMABLE.has(existing.audit_status)) return this.processVerified(message, receivedAt, existing);
    return outcome(message.decision_id, doc, existing.audit_status, existing.audit_detail, { replay: true });
  }

  private async processVerified(message: DecisionMessage, receivedAt: string, existing: AuditDocument | null): Promise<DecisionOutcome> {
    const id = message.decision_id;
    const policy = policyForJob(this.options.policy, message.job_name);
    const delays = retryDelays(this.maxAttempts, 10, 250);
    let audit: { status: AuditOutcomeStatus; detail: string | null } | null = existing
      ? { status: existing.audit_status, detail: existing.audit_detail }
      : null;
    let replay = existing !== null;
    let existingStatus = existing?.audit_status;
    let relisted = false;
    const done = (status: AuditOutcomeStatus, detail: string | null, runUpdated = false): DecisionOutcome =>
      outcome(id, message, status, detail, { replay, resumed: replay && (runUpdated || status !== existingStatus), runUpdated });

    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      const snapshot = await this.ports.getRunWithVersion(message.job_run_id);
      const run = snapshot ? parseJobRun(snapshot.documentId, snapshot.source) : null;
      const needsVotes = message.decision === 'APPROVED' && policy.quorum > 1 && run !== null && isPending(run);
      const audits = needsVotes ? await this.ports.listAuditsForRun(message.job_run_id) : [];
      const verdict = judgeDecision({ message, run, runDecisionIds: decisionIdsOf(snapshot?.source), policy, audits, receivedAt: existing?.received_at ?? receivedAt });

      if (audit === null) {
        const status = statusOf(verdict);
        // refresh=true for votes: a concurrent vote must see this one (see the top of the file).
        const created = await this.ports.createAudit(id, auditDocument(message, run, status, verdict.detail, receivedAt), { refresh: policy.quorum > 1 });
        if (created === 'created') {
          audit = { status, detail: verdict.detail };
        } else {
          const found = await this.readExistingAudit(id);
          audit = { status: found.audit_status, detail: found.audit_detail };
          existingStatus = found.audit_status;
          replay = true;
        }
      }
      if (replay && !RESUMABLE.has(audit.status)) return done(audit.status, audit.detail);
      if (replay && audit.status === 'awaiting-quorum' && verdict.kind !== 'apply') return done(audit.status, audit.detail);

      switch (verdict.kind) {
        case 'already-applied':
          return done(audit.status, audit.detail);
        case 'apply': {
          if (snapshot === null) throw new TransientDecisionError('The run disappeared while the decision was applied.');
          if (audit.status !== 'recorded') {
            await this.ports.updateAudit(id, { audit_status: 'recorded', audit_detail: verdict.detail });
            audit = { status: 'recorded', detail: verdict.detail };
          }
          if ((await this.ports.updateRunIfVersion(snapshot.documentId, snapshot.version, verdict.fields)) === 'updated') {
            return done('recorded', audit.detail, true);
          }
          // Someone changed the run since it was read: read it again and judge again.
          await this.sleep(delays[attempt] ?? 0);
          continue;
        }
        case 'awaiting-quorum':
          if (audit.status !== 'awaiting-quorum' || audit.detail !== verdict.detail) {
            await this.ports.updateAudit(id, { audit_status: 'awaiting-quorum', audit_detail: verdict.detail });
            audit = { status: 'awaiting-quorum', detail: verdict.detail };
          }
          if (!relisted && !replay) {
            relisted = true;
            continue;
          }
          return done('awaiting-quorum', audit.detail);
        default:
          if (audit.status !== verdict.kind || audit.detail !== verdict.detail) {
            await this.ports.updateAudit(id, { audit_status: verdict.kind, audit_detail: verdict.detail });
          }
          return done(verdict.kind, verdict.detail);
      }
    }
    throw new TransientDecisionError(`Gave up on run ${message.job_run_id} after ${this.maxAttempts} version conflicts; the message will be retried.`);
  }

  private async readExistingAudit(id: string): Promise<AuditDocument> {
    const found = await this.ports.getAudit(id);
    // Created a moment ago by someone else, yet unreadable: try the whole message again later.
    if (found === null) throw new TransientDecisionError(`The audit document ${id} exists but could not be read.`);
    return found;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return this.ports.sleep ? this.ports.sleep(ms) : new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** The audit document of a verified decision; `run` is the run as judged (null if unknown). */
export function auditDocument(message: DecisionMessage, run: JobRun | null, status: AuditOutcomeStatus, detail: string | null, receivedAt: string): AuditDocument {
  return {
    timestamp: message.timestamp,
    event_type: DECISION_EVENT_TYPE,
    job_name: keyword(message.job_name),
    job_run_id: keyword(message.job_run_id),
    decision: message.decision,
    decided_by: keyword(message.decided_by),
    reason: message.reason,
    original_quality_status: run?.qualityStatus ?? null,
    original_quality_checks: (run?.qualityChecks ?? []).map((check) => ({
      name: check.name,
      status: check.status,
      value: check.value,
      threshold: check.threshold,
    })),
    decision_id: message.decision_id,
    identity_arn: keyword(message.identity_arn),
    evidence_sha256: message.evidence_sha256,
    audit_status: status,
    audit_detail: detail,
    received_at: receivedAt,
  };
}

/**
 * The audit document of a message that could not be verified: what it claimed, as text,
 * shortened so that any garbage can be indexed (a keyword longer than 32 KB, or a date
 * field holding a non-date, would make OpenSearch refuse the audit itself).
 */
export function claimedAuditDocument(fields: Record<string, unknown> | null, detail: string, receivedAt: string): AuditDocument {
  const claim = (key: string, max = MAX_KEYWORD_CHARS): string | null => {
    const value = fields !== null && Object.prototype.hasOwnProperty.call(fields, key) ? fields[key] : undefined;
    return typeof value === 'string' ? truncateForDisplay(value, max) : null;
  };
  const claimedTimestamp = claim('timestamp');
  const timestamp = claimedTimestamp !== null && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(claimedTimestamp) && parseTimestampMs(claimedTimestamp) !== null
    ? claimedTimestamp
    : receivedAt;
  return {
    timestamp,
    event_type: DECISION_EVENT_TYPE,
    job_name: claim('job_name'),
    job_run_id: claim('job_run_id'),
    decision: claim('decision'),
    decided_by: claim('decided_by'),
    reason: claim('reason', MAX_REASON_AUDIT_CHARS),
    original_quality_status: null,
    original_quality_checks: [],
    decision_id: claim('decision_id', 100),
    identity_arn: claim('identity_arn'),
    evidence_sha256: claim('evidence_sha256', 100),
    audit_status: 'invalid',
    audit_detail: detail,
    received_at: receivedAt,
  };
}

/** `approval_decision_ids` of a run document, however stored. */
export function decisionIdsOf(source: unknown): string[] {
  if (typeof source !== 'object' || source === null) return [];
  const raw = (source as Record<string, unknown>).approval_decision_ids;
  if (typeof raw === 'string') return [raw];
  return Array.isArray(raw) ? raw.filter((id): id is string => typeof id === 'string') : [];
}

function statusOf(verdict: Verdict): AuditOutcomeStatus {
  switch (verdict.kind) {
    case 'apply':
    case 'already-applied':
      return 'recorded';
    default:
      return verdict.kind;
  }
}

/** An earlier audit that is a live approval of this run for the evidence it has now. */
function countsAsVote(doc: AuditDocument, jobRunId: string, evidence: string): boolean {
  return (
    doc.job_run_id === jobRunId &&
    doc.decision === 'APPROVED' &&
    (doc.audit_status === 'awaiting-quorum' || doc.audit_status === 'recorded') &&
    doc.evidence_sha256 === evidence &&
    typeof doc.decision_id === 'string' &&
    approverKey(doc) !== null
  );
}

function voteOf(message: DecisionMessage, receivedAt: string | undefined): Vote {
  return {
    decisionId: message.decision_id,
    approver: approverKey(message) ?? message.decided_by,
    decidedBy: message.decided_by,
    reason: message.reason,
    timestamp: message.timestamp,
    ...(receivedAt === undefined ? {} : { receivedAt }),
  };
}

function voteOfAudit(doc: AuditDocument): Vote {
  return {
    decisionId: doc.decision_id ?? '',
    approver: approverKey(doc) ?? '',
    decidedBy: doc.decided_by ?? '(unknown)',
    reason: doc.reason ?? '',
    timestamp: doc.timestamp,
    receivedAt: doc.received_at,
  };
}

function outcome(
  auditId: string,
  claim: { decision_id?: unknown; job_run_id?: unknown; decision?: unknown; decided_by?: unknown },
  status: AuditOutcomeStatus,
  detail: string | null,
  flags: { replay?: boolean; resumed?: boolean; runUpdated?: boolean },
): DecisionOutcome {
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    auditId,
    status,
    detail,
    decisionId: text(claim.decision_id),
    jobRunId: text(claim.job_run_id),
    decision: text(claim.decision),
    decidedBy: text(claim.decided_by),
    replay: flags.replay ?? false,
    resumed: flags.resumed ?? false,
    runUpdated: flags.runUpdated ?? false,
  };
}

function keyword(value: string): string {
  return truncateForDisplay(value, MAX_KEYWORD_CHARS);
}

function quote(value: string): string {
  return JSON.stringify(truncateForDisplay(value, 120));
}
