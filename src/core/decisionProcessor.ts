// The approval processor's logic, over ports so that it stays pure: verify a decision (its
// HMAC, and for signature v2 its identity proof, checked by STS), judge it against the run
// as it is now and the approval policy, record it in the audit index, apply it to the run
// with optimistic concurrency, and publish the effective outcome. The OpenSearch, STS and
// SNS adapters and the Lambda/SQS shells live in src/adapters and src/processor.
//
// Who decided
// -----------
// A v2 decision's identity is taken from STS, never from the message: the proof (an STS
// GetCallerIdentity request signed by the reviewer, bound to the decision's hash) is checked
// here first (signed for our own STS endpoint, binds this decision, not too old) and then
// sent to STS by the verifier port; the ARN STS returns must be identity_arn, and decided_by
// must be derived from it. v1 (shared secret only) is refused unless acceptSignatureV1.
// Freshness is judged on when the message was SENT (SNS Timestamp / SQS SentTimestamp),
// so a backed-up queue does not turn genuine decisions stale; a proof that STS no longer
// accepts by the time it is drained is audited "identity proof expired: decide again".
//
// Exactly once, and the order of the two writes
// ---------------------------------------------
// Every decision gets one audit document whose id is its decision_id, created with
// op_type=create, and the audit is written BEFORE the run: no run ever carries an approval
// that the audit trail lacks. The audit stores the hash of the message (message_sha256) and
// the run document it judged (run_document_id). A decision_id is consumed by the message it
// was first seen with: another message under that id is audited invalid under its own key
// (conflict-<sha256>), and the first audit is left as it is. The run update is conditional
// (if_seq_no/if_primary_term of a realtime read of the run's newest document) and stamps
// `approval_decision_ids`, so that "this run was decided by this decision" can be told later.
//
// A delivery can stop anywhere (Lambda timeout, crash, OpenSearch failing half way), and SQS
// then delivers the message again. On every delivery the run is re-read; when the create
// finds the audit already there (and the same message), what it says decides:
//  - the run's newest document is no longer the one the audit judged: the replay changes
//    nothing on the newer document, whatever it holds. If the judged document never got
//    the decision (the earlier delivery stopped before the update), a `recorded` audit is
//    corrected to superseded; if it did, an outcome not yet published is published.
//  - recorded, the same document, but it does not list this decision: the earlier delivery
//    stopped between the audit and the run update. The update is finished now; if another
//    decision decided the run meanwhile, or its evidence changed, the audit is corrected
//    instead (superseded / refused).
//  - awaiting-quorum: a vote. It is finished only when the votes now reach the quorum (the
//    delivery that should have applied them stopped); otherwise the replay changes nothing.
//  - superseded, refused, invalid: final. The replay changes nothing.
//  - recorded and the run lists this decision: a plain replay; only an outcome that was not
//    published yet (the delivery stopped after the run update) is published now.
// A version conflict on the run (another decision got there first) re-reads and re-judges:
// the loser's audit is then corrected to superseded. The window in which an audit says
// `recorded` before its run update lands is the price of writing the audit first.
//
// Quorum votes race too: two approvers whose decisions are processed at once may each see
// only their own vote. Votes are therefore created with refresh=true and the votes listed
// once more after the own vote is visible; of two racing votes at least the later one sees
// both, and the conditional update lets only one apply them. Only verified votes count: the
// store lists approvals audited awaiting-quorum or recorded (never invalid ones), for the
// same run document.
//
// A batch of records (processBatch) runs this same per-message logic for every record at
// once, and when the ports offer batched forms (ports.batch) the records' OpenSearch calls
// go out together (core/lockstepBatcher.ts): one read of the runs for the whole batch, one
// bulk create of the audits, one bulk of conditional run updates, and so on, each item's
// result going back to its own record. Records naming the same run are taken one after
// another, in the order they were sent (SQS SentTimestamp, SNS Timestamp; then their place
// in the batch): the first decision wins and the next is judged against the run it left,
// as if they had arrived in two batches. Other records' calls go in the batch in record order.
//
// Invalid messages are audited and never touch a run. A message that is not verified (bad
// form, signature or identity proof) gets the id `invalid-<sha256 of the body>` even when it
// names a decision_id: an unauthenticated message must not be able to take the id of a
// genuine decision (whose create would then be a no-op); replays of the same garbage are
// still one document. A permanent failure (OpenSearch refusing a document: a 4xx other than
// 404/409/429) is audited as invalid with code permanent-failure and acknowledged; anything
// else thrown is transient, and the message is delivered again.

import { createHash } from 'node:crypto';
import { policyForJob, type ApprovalPolicy, type JobPolicy } from './approvalPolicy';
import { LockstepBatcher, type BatchSender, type Participant } from './lockstepBatcher';
import { emailEligibility, isApprovalApiIdentity } from './emailPolicy';
import { isEmailAddress } from './emailAddress';
import { outcomeOfRun, type ApprovalOutcome, type RunOutcomeFields } from './approvalOutcome';
import { describeTally, eligibility, tallyApprovals, type RunContext, type VoteRecord } from './approvalProgress';
import { retryDelays } from './backoff';
import { decidedByFromArn } from './callerIdentity';
import {
  DECISION_EVENT_TYPE,
  EMAIL_CHANNEL,
  FRESHNESS_MS,
  decisionSha256,
  isDecisionFresh,
  messageSha256,
  parseDecisionMessage,
  verifyMessageSignature,
  type DecisionMessage,
  type DecisionMessageV2,
  type SigningSecret,
} from './decisionMessage';
import { truncateForDisplay } from './untrustedText';
import { checkFields, evidenceSha256 } from './evidence';
import { proofRefusal, type IdentityProof, type StsAnswer } from './identityProof';
import { parseJobRun } from './jobRunParser';
import type { CheckValue, Decision, JobRun } from './model';
import { isPending } from './pendingQuery';
import { parseTimestampMs } from './timestamp';

export type AuditOutcomeStatus = 'recorded' | 'superseded' | 'refused' | 'invalid' | 'awaiting-quorum';

/**
 * Why a message was not taken on its merits, for readers that act on it (the extension
 * offers "decide again" for an expired proof, and re-reads the signing secret after a
 * signature refusal). Null for a decision judged on its merits.
 */
export type AuditCode =
  | 'malformed'
  | 'signature'
  | 'signature-v1-refused'
  | 'identity-proof-invalid'
  | 'identity-proof-expired'
  | 'identity-mismatch'
  | 'stale'
  | 'decision-id-conflict'
  | 'permanent-failure';

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
  /** messageSha256() of the message this audit is about (of the body, when it did not parse). */
  message_sha256?: string | null;
  /** `_id` of the job-events document the decision was judged against (null: none). */
  run_document_id?: string | null;
  audit_code?: AuditCode | null;
  signature_version?: string | null;
  /** When the effective outcome this decision decided was published (absent: not yet). */
  outcome_published_at?: string | null;
  /** "email" for a decision made through an alert email's link; absent/null: the extension. */
  channel?: string | null;
}

/** What the processor changes in an audit after creating it. */
export type AuditUpdate = Partial<Pick<AuditDocument, 'audit_status' | 'audit_detail' | 'audit_code' | 'run_document_id' | 'outcome_published_at'>>;

/** The fields a decision writes on the run's newest `job-events` document. */
export type RunApprovalFields = RunOutcomeFields<Decision>;

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

/** When and how a message reached the processor, from the event that carried it. */
export interface MessageContext {
  /** When the message was sent (SNS Timestamp, SQS SentTimestamp); null/absent: now. */
  sentAtMs?: number | null;
}

/**
 * What the processor needs of the outside world. Errors thrown are transient (the message
 * is delivered again), except PermanentDecisionError.
 */
export interface DecisionProcessorPorts {
  /** The run's newest document, read now (realtime), with its version; null if none. */
  getRunWithVersion(jobRunId: string): Promise<RunSnapshot | null>;
  /** One job-events document by `_id`, read now; null if it is gone. */
  getRunDocument(documentId: string): Promise<RunSnapshot | null>;
  /** op_type=create: 'exists' when a document with this id is already there. */
  createAudit(id: string, doc: AuditDocument, options: { refresh: boolean }): Promise<'created' | 'exists'>;
  getAudit(id: string): Promise<AuditDocument | null>;
  updateAudit(id: string, fields: AuditUpdate): Promise<void>;
  /** A partial update that succeeds only if the document is still at `version`. */
  updateRunIfVersion(documentId: string, version: RunVersion, fields: RunApprovalFields): Promise<'updated' | 'conflict'>;
  /** The run's verified approvals (audited awaiting-quorum or recorded), for counting quorum votes. */
  listAuditsForRun(jobRunId: string): Promise<AuditDocument[]>;
  /**
   * Sends a v2 identity proof to the processor's own STS endpoint, byte for byte as signed,
   * and reads the answer. Throws only when STS could not be reached. Absent: v2 cannot be verified.
   */
  verifyIdentityProof?(proof: IdentityProof): Promise<StsAnswer>;
  /** Publishes an effective outcome on the outcomes topic. Absent: outcomes are not published. */
  publishOutcome?(outcome: ApprovalOutcome): Promise<void>;
  now(): number;
  /** Waits between version-conflict retries; defaults to setTimeout. */
  sleep?(ms: number): Promise<void>;
  /**
   * The same reads and writes for many items in one request each; processBatch then sends
   * the calls its records make at the same step together. Absent: one request per call.
   */
  batch?: DecisionBatchPorts;
}

/**
 * Batched forms of the store's ports (and of the outcome publish): one result per item, in
 * the items' order; an item's error is that item's alone (transient unless a
 * PermanentDecisionError), a rejection of the whole call fails every item. Updates of the
 * same document in one call are applied in item order.
 */
export interface DecisionBatchPorts {
  getRunsWithVersion: BatchSender<string, RunSnapshot | null>;
  getRunDocuments: BatchSender<string, RunSnapshot | null>;
  createAudits: BatchSender<AuditCreate, 'created' | 'exists'>;
  getAudits: BatchSender<string, AuditDocument | null>;
  updateAudits: BatchSender<{ id: string; fields: AuditUpdate }, void>;
  updateRunsIfVersion: BatchSender<RunUpdate, 'updated' | 'conflict'>;
  listAuditsForRuns: BatchSender<string, AuditDocument[]>;
  publishOutcomes?: BatchSender<ApprovalOutcome, void>;
}

export interface AuditCreate {
  id: string;
  doc: AuditDocument;
  /** Make it visible to searches at once (a quorum vote); for a batch, the whole request is refreshed. */
  refresh: boolean;
}

export interface RunUpdate {
  documentId: string;
  version: RunVersion;
  fields: RunApprovalFields;
}

/** One record of a batch: the decision's body and how it arrived. */
export interface BatchRecord {
  body: string;
  context?: MessageContext;
}

/** What became of one record of a batch: processed (acknowledge it), or failed or not started (deliver it again). */
export type BatchRecordResult =
  | { ok: true; outcome: DecisionOutcome; ms: number }
  | { ok: false; error: unknown; started: boolean; ms: number };

export interface BatchOptions {
  /** Records processed at once. */
  concurrency: number;
  /** FIFO: records in batch order, one at a time, and after a failure the rest are not started. */
  stopAtFirstFailure?: boolean;
  /** Asked before each record starts; false leaves it for redelivery (the invocation is running out of time). */
  canStart?: () => boolean;
  /** Called as each record finishes, in the order they finish. */
  onResult?: (index: number, result: BatchRecordResult) => void;
}

/** The signing secrets accepted now: the current one, and the previous one during a rotation's grace. */
export interface SigningSecrets {
  current: SigningSecret;
  previous: SigningSecret | null;
  /** Until when (ms since the epoch) `previous` is accepted; null: not at all. */
  previousAcceptedUntilMs: number | null;
}

export interface DecisionProcessorOptions {
  secrets: SigningSecrets;
  /**
   * Asked at most once per message whose signature does not verify, for secrets that may
   * have been rotated since they were read; returns null when nothing newer is available.
   */
  refreshSecrets?: () => Promise<SigningSecrets | null>;
  policy: ApprovalPolicy;
  /** Accepted distance between the decision's timestamp and when it was sent. */
  freshnessMs?: number;
  /** Reads of the run before giving up on repeated version conflicts (then the message is retried). */
  maxAttempts?: number;
  /** Accept signature v1 (identity not proven). Default false. */
  acceptSignatureV1?: boolean;
  /** The STS endpoint(s) a v2 proof may be signed for: the processor's own. */
  allowedProofUrls?: readonly string[];
  /**
   * The approval API's role ARN(s). A decision proven by one of them is taken only with
   * channel "email", for the recipient in decided_by; no other identity may send channel
   * "email". Empty: no email decision is accepted.
   */
  emailApproverRoleArns?: readonly string[];
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
  /** An approval_outcome was published while processing this message. */
  outcomePublished: boolean;
  code: AuditCode | null;
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
  /** `_id` of that document: votes audited against another document do not count. */
  runDocumentId?: string | null;
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

/** Thrown by a port for a failure that no retry can fix (a document OpenSearch refuses). */
export class PermanentDecisionError extends Error {
  override readonly name = 'PermanentDecisionError';
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
  // Who decides is the verified identity_arn, judged as a person by the job's policy; for an
  // email decision (only ever from the approval API's role) it is the link's recipient.
  const allowed = message.channel === EMAIL_CHANNEL
    ? emailEligibility(policy, run, message.decided_by, message.decision)
    : eligibility(policy, run, message.identity_arn, message.decision);
  if (!allowed.allowed) {
    return { kind: 'refused', detail: allowed.detail };
  }
  const own: RunApprovalFields = {
    approval_status: message.decision,
    approved_by: message.decided_by,
    approval_reason: message.reason,
    approval_timestamp: message.timestamp,
    approval_decision_ids: [message.decision_id],
  };
  // A rejection from anyone allowed decides at once; so does an approval where one suffices.
  if (message.decision === 'REJECTED' || policy.quorum <= 1) {
    return { kind: 'apply', detail: null, fields: own };
  }
  const context: RunContext = {
    jobName: run.jobName,
    jobRunId: message.job_run_id,
    triggeredBy: run.triggeredBy,
    evidenceSha256: evidence,
    runDocumentId: input.runDocumentId ?? null,
  };
  const records = input.audits.map(voteRecordOfAudit);
  const tally = tallyApprovals(policy, context, records, voteRecordOf(message, input.receivedAt));
  if (!tally.reached) {
    // The current decision's own audit may be among the records: it is not an earlier vote.
    const earlier = tallyApprovals(policy, context, records.filter((record) => record.decisionId !== message.decision_id));
    const person = 'principal' in allowed ? { key: allowed.principal.personKey, name: allowed.principal.personName } : { key: allowed.personKey, name: allowed.name };
    const duplicate = earlier.approvals.some((approval) => approval.personKey === person.key);
    const again = duplicate ? `${person.name} has already approved this run; the same person counts once. ` : '';
    return { kind: 'awaiting-quorum', detail: `${again}Awaiting quorum: ${describeTally(tally)}.` };
  }
  return {
    kind: 'apply',
    detail: `Quorum reached: ${describeTally(tally)}.`,
    fields: {
      approval_status: 'APPROVED',
      approved_by: tally.approvals.map((approval) => approval.decidedBy).join(', '),
      approval_reason: tally.approvals.map((approval) => `${approval.decidedBy}: ${approval.reason}`).join('\n'),
      approval_timestamp: message.timestamp,
      approval_decision_ids: [...new Set([...tally.approvals.map((approval) => approval.decisionId), message.decision_id])],
    },
  };
}

/** What the processor knows of a decision's own audit while it works on it. */
interface AuditState {
  status: AuditOutcomeStatus;
  detail: string | null;
  runDocumentId: string | null;
  outcomePublished: boolean;
}

interface IdentityRefusal {
  code: AuditCode;
  detail: string;
}

export class DecisionProcessor {
  private readonly freshnessMs: number;
  private readonly maxAttempts: number;
  /** Shared with the per-record processors of a batch, so a refreshed secret serves them all. */
  private readonly secretsHolder: { secrets: SigningSecrets };

  constructor(
    private readonly ports: DecisionProcessorPorts,
    private readonly options: DecisionProcessorOptions,
    shared?: { secrets: SigningSecrets },
  ) {
    this.freshnessMs = options.freshnessMs ?? FRESHNESS_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.secretsHolder = shared ?? { secrets: options.secrets };
  }

  /**
   * Processes the records of one batch, `concurrency` at once (see the top of the file for
   * the batched ports and the order of records naming the same run). Never throws: each
   * record's result says whether to acknowledge it.
   */
  async processBatch(records: readonly BatchRecord[], options: BatchOptions): Promise<BatchRecordResult[]> {
    const fifo = options.stopAtFirstFailure === true;
    const order = fifo ? records.map((_, index) => index) : sentOrder(records);
    // Each record waits for the one before it (in `order`) that names the same run.
    const previousOfSameRun = new Map<number, number>();
    if (!fifo) {
      const lastOfRun = new Map<string, number>();
      for (const index of order) {
        const runId = claimedRunId(records[index]?.body ?? '');
        if (runId === null) continue;
        const previous = lastOfRun.get(runId);
        if (previous !== undefined) previousOfSameRun.set(index, previous);
        lastOfRun.set(runId, index);
      }
    }
    const results: BatchRecordResult[] = new Array<BatchRecordResult>(records.length);
    const finished = new Map<number, Promise<void>>();
    const batcher = this.ports.batch ? new LockstepBatcher() : null;
    let next = 0;
    let stop = false;
    const settle = (index: number, result: BatchRecordResult): void => {
      results[index] = result;
      options.onResult?.(index, result);
    };
    const runRecord = async (index: number): Promise<void> => {
      const record = records[index] as BatchRecord;
      const previous = previousOfSameRun.get(index);
      if (previous !== undefined) await finished.get(previous);
      if (stop || (options.canStart && !options.canStart())) {
        settle(index, { ok: false, error: new TransientDecisionError('Not started: left for the next delivery.'), started: false, ms: 0 });
        return;
      }
      const participant = batcher?.join() ?? null;
      const started = Date.now();
      try {
        const processor = participant === null ? this : this.withPorts(this.recordPorts(participant));
        settle(index, { ok: true, outcome: await processor.process(record.body, record.context ?? {}), ms: Date.now() - started });
      } catch (error) {
        if (fifo) stop = true;
        settle(index, { ok: false, error, started: true, ms: Date.now() - started });
      } finally {
        participant?.done();
      }
    };
    const worker = async (): Promise<void> => {
      while (next < order.length) {
        const index = order[next++] as number;
        const done = runRecord(index);
        finished.set(index, done);
        await done;
      }
    };
    const workers = fifo ? 1 : Math.max(1, Math.min(options.concurrency, records.length));
    await Promise.all(Array.from({ length: workers }, () => worker()));
    return results;
  }

  /** A processor for one record of a batch: the same options and (shared) secrets, over that record's ports. */
  private withPorts(ports: DecisionProcessorPorts): DecisionProcessor {
    return new DecisionProcessor(ports, this.options, this.secretsHolder);
  }

  /** The ports of one record of a batch: the store's calls go through the batcher. */
  private recordPorts(participant: Participant): DecisionProcessorPorts {
    const ports = this.ports;
    const batch = ports.batch as DecisionBatchPorts;
    const publishOutcomes = batch.publishOutcomes;
    // Calls through `ports`, not a spread: ports may be a class instance whose methods live on its prototype.
    return {
      now: () => ports.now(),
      ...(ports.sleep ? { sleep: (ms: number) => ports.sleep?.(ms) ?? Promise.resolve() } : {}),
      ...(ports.verifyIdentityProof
        ? { verifyIdentityProof: (proof: IdentityProof) => ports.verifyIdentityProof?.(proof) ?? Promise.reject(new Error('No STS verifier.')) }
        : {}),
      ...(ports.publishOutcome ? { publishOutcome: (outcome: ApprovalOutcome) => ports.publishOutcome?.(outcome) ?? Promise.resolve() } : {}),
      getRunWithVersion: (jobRunId) => participant.call(batch.getRunsWithVersion, jobRunId),
      getRunDocument: (documentId) => participant.call(batch.getRunDocuments, documentId),
      createAudit: (id, doc, options) => participant.call(batch.createAudits, { id, doc, refresh: options.refresh }),
      getAudit: (id) => participant.call(batch.getAudits, id),
      updateAudit: (id, fields) => participant.call(batch.updateAudits, { id, fields }),
      updateRunIfVersion: (documentId, version, fields) => participant.call(batch.updateRunsIfVersion, { documentId, version, fields }),
      listAuditsForRun: (jobRunId) => participant.call(batch.listAuditsForRuns, jobRunId),
      ...(publishOutcomes && ports.publishOutcome ? { publishOutcome: (outcome: ApprovalOutcome) => participant.call(publishOutcomes, outcome) } : {}),
    };
  }

  /**
   * Processes one message body (the decision JSON). Throws only for transient failures; a
   * permanent one is audited and the message acknowledged.
   */
  async process(body: string, context: MessageContext = {}): Promise<DecisionOutcome> {
    try {
      return await this.processMessage(body, context);
    } catch (error) {
      if (error instanceof PermanentDecisionError) return this.recordPermanentFailure(body, error);
      throw error;
    }
  }

  private async processMessage(body: string, context: MessageContext): Promise<DecisionOutcome> {
    const receivedAtMs = this.ports.now();
    const receivedAt = new Date(receivedAtMs).toISOString();
    const sentAtMs = typeof context.sentAtMs === 'number' && Number.isFinite(context.sentAtMs) ? context.sentAtMs : receivedAtMs;
    const parsed = parseDecisionMessage(body);
    if (!parsed.ok) {
      return this.recordUnverified(body, parsed.fields, `Not a valid decision message: ${parsed.reason}`, 'malformed', receivedAt);
    }
    const message = parsed.message;
    const claimed = message as unknown as Record<string, unknown>;
    if (message.signature_version === 'v1' && this.options.acceptSignatureV1 !== true) {
      return this.recordUnverified(
        body,
        claimed,
        'Signature v1 is not accepted: it proves only the shared secret, not who decided. Update the DWH Approvals extension and decide again.',
        'signature-v1-refused',
        receivedAt,
      );
    }
    if (!(await this.verifySignature(message))) {
      return this.recordUnverified(
        body,
        claimed,
        'The signature does not verify: the message was changed after signing, or signed with another secret.',
        'signature',
        receivedAt,
      );
    }
    if (message.signature_version === 'v2') {
      const refusal = await this.verifyIdentity(message, receivedAtMs);
      // A redelivery of a message whose identity was verified when first seen (its audit
      // holds this very message's hash) need not be proven again: STS no longer accepts the
      // proof after 15 minutes, and the crash-resume of that delivery must still happen.
      if (refusal !== null && !(refusal.code === 'identity-proof-expired' && (await this.wasVerifiedBefore(message)))) {
        return this.recordUnverified(body, claimed, refusal.detail, refusal.code, receivedAt);
      }
    }
    if (!isDecisionFresh(message, sentAtMs, this.freshnessMs)) {
      const madeMs = parseTimestampMs(message.timestamp) ?? sentAtMs;
      const minutes = Math.round(Math.abs(sentAtMs - madeMs) / 60_000);
      const when = madeMs <= sentAtMs ? `${minutes} minutes before` : `${minutes} minutes after`;
      return this.recordStale(
        message,
        `Stale: the decision is dated ${message.timestamp}, ${when} it was sent (${new Date(sentAtMs).toISOString()}); ` +
          `at most ${Math.round(this.freshnessMs / 60_000)} minutes either way are accepted.`,
        receivedAt,
      );
    }
    return this.processVerified(message, receivedAt, null);
  }

  private async verifySignature(message: DecisionMessage): Promise<boolean> {
    if (this.signatureVerifies(message, this.secretsHolder.secrets)) return true;
    const fresh = this.options.refreshSecrets ? await this.options.refreshSecrets() : null;
    if (fresh === null) return false;
    this.secretsHolder.secrets = fresh;
    return this.signatureVerifies(message, fresh);
  }

  /** The current secret, or the previous one while the rotation's grace lasts. */
  private signatureVerifies(message: DecisionMessage, secrets: SigningSecrets): boolean {
    if (verifyMessageSignature(message, secrets.current)) return true;
    const graceLasts = secrets.previous !== null && secrets.previousAcceptedUntilMs !== null && this.ports.now() < secrets.previousAcceptedUntilMs;
    return graceLasts && secrets.previous !== null && verifyMessageSignature(message, secrets.previous);
  }

  /** Whether this very message was verified and audited under its decision_id before. */
  private async wasVerifiedBefore(message: DecisionMessage): Promise<boolean> {
    const audit = await this.ports.getAudit(message.decision_id);
    return audit !== null && audit.message_sha256 === messageSha256(message) && (audit.audit_code ?? null) === null;
  }

  /** Null when STS proves the decision's identity; else why not. Throws when STS is unavailable. */
  private async verifyIdentity(message: DecisionMessageV2, nowMs: number): Promise<IdentityRefusal | null> {
    const proof = message.identity_proof;
    const refusal = proofRefusal(proof, { decisionSha256: decisionSha256(message), allowedUrls: this.options.allowedProofUrls ?? [], nowMs });
    if (refusal !== null) return { code: refusal.kind === 'expired' ? 'identity-proof-expired' : 'identity-proof-invalid', detail: refusal.detail };
    if (!this.ports.verifyIdentityProof) {
      return { code: 'identity-proof-invalid', detail: 'This processor has no STS verifier, so it cannot check identity proofs.' };
    }
    const answer = await this.ports.verifyIdentityProof(proof);
    switch (answer.kind) {
      case 'unavailable':
        throw new TransientDecisionError(`STS could not check the identity proof now: ${answer.detail}`);
      case 'expired':
        return { code: 'identity-proof-expired', detail: answer.detail };
      case 'rejected':
        return { code: 'identity-proof-invalid', detail: answer.detail };
      case 'verified':
        break;
    }
    if (answer.arn !== message.identity_arn) {
      return {
        code: 'identity-mismatch',
        detail: `The identity proof was signed by ${quote(answer.arn)}, but the decision names ${quote(message.identity_arn)}: it is not recorded.`,
      };
    }
    const viaApprovalApi = isApprovalApiIdentity(answer.arn, this.options.emailApproverRoleArns ?? []);
    if (message.channel === EMAIL_CHANNEL) {
      // The person is the link's recipient, and only because the approval API (which
      // publishes only for a link it verified) proved it sent this.
      if (!viaApprovalApi) {
        return { code: 'identity-mismatch', detail: `An email decision must be sent by the approval API's role; ${quote(answer.arn)} is not it.` };
      }
      if (!isEmailAddress(message.decided_by)) {
        return { code: 'identity-mismatch', detail: `decided_by ${quote(message.decided_by)} of an email decision is not an email address.` };
      }
      return null;
    }
    if (viaApprovalApi) {
      return { code: 'identity-mismatch', detail: "The approval API's role is not a person: it decides only for an email link's recipient (channel email)." };
    }
    let derived: string;
    try {
      derived = decidedByFromArn(answer.arn);
    } catch {
      return { code: 'identity-mismatch', detail: `STS returned ${quote(answer.arn)}, from which no decided_by can be derived.` };
    }
    if (derived !== message.decided_by) {
      return { code: 'identity-mismatch', detail: `decided_by ${quote(message.decided_by)} is not the name in the proven identity (${quote(derived)}).` };
    }
    return null;
  }

  private async recordUnverified(body: string, fields: Record<string, unknown> | null, detail: string, code: AuditCode, receivedAt: string): Promise<DecisionOutcome> {
    const bodySha = sha256Hex(body);
    const id = `invalid-${bodySha}`;
    const doc: AuditDocument = { ...claimedAuditDocument(fields, detail, receivedAt), audit_code: code, message_sha256: bodySha };
    const created = await this.ports.createAudit(id, doc, { refresh: false });
    return outcome(id, doc, 'invalid', detail, { replay: created === 'exists', code });
  }

  /** A genuine decision that arrived too late or too early: audited under its own id. */
  private async recordStale(message: DecisionMessage, detail: string, receivedAt: string): Promise<DecisionOutcome> {
    const hash = messageSha256(message);
    const doc: AuditDocument = { ...auditDocument(message, null, 'invalid', detail, receivedAt, { messageSha256: hash, runDocumentId: null }), audit_code: 'stale' };
    if ((await this.ports.createAudit(message.decision_id, doc, { refresh: false })) === 'created') {
      return outcome(message.decision_id, doc, 'invalid', detail, { code: 'stale' });
    }
    const existing = await this.readExistingAudit(message.decision_id);
    if (!isSameMessage(existing, message, hash)) return this.recordConflict(message, hash, existing, receivedAt);
    // It was fresh when first delivered: a redelivery may have to finish that delivery's work.
    if (RESUMABLE.has(existing.audit_status)) return this.processVerified(message, receivedAt, existing);
    return outcome(message.decision_id, doc, existing.audit_status, existing.audit_detail, { replay: true, code: existing.audit_code ?? null });
  }

  /** Another message under a consumed decision_id: audited invalid under its own key; the first audit stays. */
  private async recordConflict(message: DecisionMessage, hash: string, first: AuditDocument, receivedAt: string): Promise<DecisionOutcome> {
    const id = `conflict-${hash}`;
    const detail =
      `decision_id ${message.decision_id} was already used by another message (audited ${first.audit_status}); ` +
      'a decision_id is consumed once, by the message it was first seen with. This message is not applied.';
    const doc: AuditDocument = { ...auditDocument(message, null, 'invalid', detail, receivedAt, { messageSha256: hash, runDocumentId: null }), audit_code: 'decision-id-conflict' };
    const created = await this.ports.createAudit(id, doc, { refresh: false });
    return outcome(id, doc, 'invalid', detail, { replay: created === 'exists', code: 'decision-id-conflict' });
  }

  private async processVerified(message: DecisionMessage, receivedAt: string, existing: AuditDocument | null): Promise<DecisionOutcome> {
    const id = message.decision_id;
    const hash = messageSha256(message);
    const policy = policyForJob(this.options.policy, message.job_name);
    const delays = retryDelays(this.maxAttempts, 10, 250);
    let audit: AuditState | null = existing ? auditState(existing) : null;
    let replay = existing !== null;
    let existingStatus = existing?.audit_status;
    let relisted = false;
    let outcomePublished = false;
    const done = (status: AuditOutcomeStatus, detail: string | null, runUpdated = false): DecisionOutcome =>
      outcome(id, message, status, detail, { replay, resumed: replay && (runUpdated || outcomePublished || status !== existingStatus), runUpdated, outcomePublished });

    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      const snapshot = await this.ports.getRunWithVersion(message.job_run_id);
      if (audit !== null && replay && audit.runDocumentId !== null && snapshot?.documentId !== audit.runDocumentId) {
        const settled = await this.settleOnJudgedDocument(message, audit, snapshot?.documentId ?? null);
        outcomePublished = settled.outcomePublished;
        return done(settled.status, settled.detail);
      }
      const run = snapshot ? parseJobRun(snapshot.documentId, snapshot.source) : null;
      const needsVotes = message.decision === 'APPROVED' && policy.quorum > 1 && run !== null && isPending(run);
      const audits = needsVotes ? await this.ports.listAuditsForRun(message.job_run_id) : [];
      const verdict = judgeDecision({
        message,
        run,
        runDecisionIds: decisionIdsOf(snapshot?.source),
        runDocumentId: snapshot?.documentId ?? null,
        policy,
        audits,
        receivedAt: existing?.received_at ?? receivedAt,
      });

      if (audit === null) {
        const status = statusOf(verdict);
        const runDocumentId = snapshot?.documentId ?? null;
        // refresh=true for votes: a concurrent vote must see this one (see the top of the file).
        const doc = auditDocument(message, run, status, verdict.detail, receivedAt, { messageSha256: hash, runDocumentId });
        const created = await this.ports.createAudit(id, doc, { refresh: policy.quorum > 1 });
        if (created === 'created') {
          audit = { status, detail: verdict.detail, runDocumentId, outcomePublished: false };
        } else {
          const found = await this.readExistingAudit(id);
          if (!isSameMessage(found, message, hash)) return this.recordConflict(message, hash, found, receivedAt);
          audit = auditState(found);
          existingStatus = found.audit_status;
          replay = true;
          // Judged against a document the run has left behind: see the top of the file.
          if (audit.runDocumentId !== null && audit.runDocumentId !== runDocumentId) continue;
        }
      }
      if (replay && !RESUMABLE.has(audit.status)) return done(audit.status, audit.detail);
      if (replay && audit.status === 'awaiting-quorum' && verdict.kind !== 'apply') return done(audit.status, audit.detail);

      switch (verdict.kind) {
        case 'already-applied':
          if (snapshot !== null && audit.status === 'recorded' && !audit.outcomePublished) {
            outcomePublished = await this.publishOutcomeOf(id, snapshot.documentId, snapshot.source);
          }
          return done(audit.status, audit.detail);
        case 'apply': {
          if (snapshot === null) throw new TransientDecisionError('The run disappeared while the decision was applied.');
          if (audit.status !== 'recorded' || audit.runDocumentId !== snapshot.documentId) {
            await this.ports.updateAudit(id, { audit_status: 'recorded', audit_detail: verdict.detail, run_document_id: snapshot.documentId });
            audit = { ...audit, status: 'recorded', detail: verdict.detail, runDocumentId: snapshot.documentId };
          }
          if ((await this.ports.updateRunIfVersion(snapshot.documentId, snapshot.version, verdict.fields)) === 'updated') {
            outcomePublished = await this.publishOutcome(id, message.job_name, message.job_run_id, snapshot.documentId, verdict.fields);
            return done('recorded', audit.detail, true);
          }
          // Someone changed the run since it was read: read it again and judge again.
          await this.sleep(delays[attempt] ?? 0);
          continue;
        }
        case 'awaiting-quorum':
          if (audit.status !== 'awaiting-quorum' || audit.detail !== verdict.detail) {
            await this.ports.updateAudit(id, { audit_status: 'awaiting-quorum', audit_detail: verdict.detail });
            audit = { ...audit, status: 'awaiting-quorum', detail: verdict.detail };
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

  /**
   * A replay whose audit judged a document that is no longer the run's newest. The newer
   * document is never touched: if the judged one carries the decision, only an outcome not
   * yet published is published; if it does not, a `recorded` audit is corrected to refused.
   */
  private async settleOnJudgedDocument(
    message: DecisionMessage,
    audit: AuditState,
    newestDocumentId: string | null,
  ): Promise<{ status: AuditOutcomeStatus; detail: string | null; outcomePublished: boolean }> {
    const judgedId = audit.runDocumentId ?? '';
    const judged = await this.ports.getRunDocument(judgedId);
    if (judged !== null && decisionIdsOf(judged.source).includes(message.decision_id)) {
      const published = audit.status === 'recorded' && !audit.outcomePublished ? await this.publishOutcomeOf(message.decision_id, judged.documentId, judged.source) : false;
      return { status: audit.status, detail: audit.detail, outcomePublished: published };
    }
    if (audit.status !== 'recorded') return { status: audit.status, detail: audit.detail, outcomePublished: false };
    const detail =
      `Not applied: the run's document ${quote(judgedId)} was replaced by ${newestDocumentId === null ? 'nothing (the run is gone)' : quote(newestDocumentId)} ` +
      'before this decision reached it. Review the run as it is now and decide again.';
    await this.ports.updateAudit(message.decision_id, { audit_status: 'refused', audit_detail: detail });
    return { status: 'refused', detail, outcomePublished: false };
  }

  /** Publishes the outcome a run document carries (a redelivery finishing the work). */
  private async publishOutcomeOf(decisionId: string, documentId: string, source: unknown): Promise<boolean> {
    const fields = runApprovalFieldsOf(source);
    const doc = typeof source === 'object' && source !== null ? (source as Record<string, unknown>) : {};
    if (fields === null || typeof doc.job_name !== 'string' || typeof doc.job_run_id !== 'string') return false;
    return this.publishOutcome(decisionId, doc.job_name, doc.job_run_id, documentId, fields);
  }

  /** Publishes an effective outcome and marks it in the decisive decision's audit. */
  private async publishOutcome(decisionId: string, jobName: string, jobRunId: string, documentId: string, fields: RunApprovalFields): Promise<boolean> {
    if (!this.ports.publishOutcome) return false;
    await this.ports.publishOutcome(outcomeOfRun({ jobName, jobRunId, documentId }, fields, this.ports.now()));
    await this.ports.updateAudit(decisionId, { outcome_published_at: new Date(this.ports.now()).toISOString() });
    return true;
  }

  /** A failure no retry can fix: audited (the decision's own audit, else failed-<sha256>) and acknowledged. */
  private async recordPermanentFailure(body: string, error: PermanentDecisionError): Promise<DecisionOutcome> {
    const receivedAt = new Date(this.ports.now()).toISOString();
    const detail = `Could not be processed, and will not be retried: ${truncateForDisplay(error.message, 1000)}`;
    const code: AuditCode = 'permanent-failure';
    const parsed = parseDecisionMessage(body);
    try {
      if (parsed.ok) {
        const own = await this.ports.getAudit(parsed.message.decision_id);
        if (own !== null && isSameMessage(own, parsed.message, messageSha256(parsed.message)) && RESUMABLE.has(own.audit_status)) {
          await this.ports.updateAudit(parsed.message.decision_id, { audit_status: 'invalid', audit_detail: detail, audit_code: code });
          return outcome(parsed.message.decision_id, parsed.message, 'invalid', detail, { code });
        }
      }
      const bodySha = sha256Hex(body);
      const id = `failed-${bodySha}`;
      const fields = parsed.ok ? (parsed.message as unknown as Record<string, unknown>) : parsed.fields;
      const doc: AuditDocument = { ...claimedAuditDocument(fields, detail, receivedAt), audit_code: code, message_sha256: bodySha };
      const created = await this.ports.createAudit(id, doc, { refresh: false });
      return outcome(id, doc, 'invalid', detail, { replay: created === 'exists', code });
    } catch (auditError) {
      if (!(auditError instanceof PermanentDecisionError)) throw auditError;
      const claim = parsed.ok ? parsed.message : {};
      return outcome('', claim, 'invalid', `${detail} Its audit could not be written either: ${truncateForDisplay(auditError.message, 500)}`, { code });
    }
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

/**
 * Whether an audit is about this very message. Audits written before message_sha256 existed
 * are matched on what the message decided, by whom, when and about what.
 */
function isSameMessage(doc: AuditDocument, message: DecisionMessage, hash: string): boolean {
  if (typeof doc.message_sha256 === 'string' && doc.message_sha256 !== '') return doc.message_sha256 === hash;
  return (
    doc.job_run_id === keyword(message.job_run_id) &&
    doc.decision === message.decision &&
    doc.identity_arn === keyword(message.identity_arn) &&
    doc.timestamp === message.timestamp &&
    doc.evidence_sha256 === message.evidence_sha256
  );
}

function auditState(doc: AuditDocument): AuditState {
  return {
    status: doc.audit_status,
    detail: doc.audit_detail,
    runDocumentId: typeof doc.run_document_id === 'string' && doc.run_document_id !== '' ? doc.run_document_id : null,
    outcomePublished: typeof doc.outcome_published_at === 'string' && doc.outcome_published_at !== '',
  };
}

/** The approval fields a run document carries, when it carries a decision. */
function runApprovalFieldsOf(source: unknown): RunApprovalFields | null {
  if (typeof source !== 'object' || source === null) return null;
  const doc = source as Record<string, unknown>;
  const status = doc.approval_status;
  if (status !== 'APPROVED' && status !== 'REJECTED') return null;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    approval_status: status,
    approved_by: text(doc.approved_by),
    approval_reason: text(doc.approval_reason),
    approval_timestamp: text(doc.approval_timestamp),
    approval_decision_ids: decisionIdsOf(source),
  };
}

/** Record indices by when they were sent (those without a time after), then by their place in the batch. */
function sentOrder(records: readonly BatchRecord[]): number[] {
  const sent = (record: BatchRecord | undefined): number => {
    const ms = record?.context?.sentAtMs;
    return typeof ms === 'number' && Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY;
  };
  return records.map((_, index) => index).sort((a, b) => sent(records[a]) - sent(records[b]) || a - b);
}

/** The job_run_id a body names, verified or not: only used to order records naming the same run. */
function claimedRunId(body: string): string | null {
  const parsed = parseDecisionMessage(body);
  if (parsed.ok) return parsed.message.job_run_id;
  const claimed = parsed.fields?.job_run_id;
  return typeof claimed === 'string' ? claimed : null;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The audit document of a verified decision; `run` is the run as judged (null if unknown). */
export function auditDocument(
  message: DecisionMessage,
  run: JobRun | null,
  status: AuditOutcomeStatus,
  detail: string | null,
  receivedAt: string,
  binding: { messageSha256: string; runDocumentId: string | null } = { messageSha256: messageSha256(message), runDocumentId: null },
): AuditDocument {
  return {
    timestamp: message.timestamp,
    event_type: DECISION_EVENT_TYPE,
    job_name: keyword(message.job_name),
    job_run_id: keyword(message.job_run_id),
    decision: message.decision,
    decided_by: keyword(message.decided_by),
    reason: message.reason,
    original_quality_status: run?.qualityStatus ?? null,
    original_quality_checks: (run?.qualityChecks ?? []).map(checkFields),
    decision_id: message.decision_id,
    identity_arn: keyword(message.identity_arn),
    evidence_sha256: message.evidence_sha256,
    audit_status: status,
    audit_detail: detail,
    received_at: receivedAt,
    message_sha256: binding.messageSha256,
    run_document_id: binding.runDocumentId,
    audit_code: null,
    signature_version: message.signature_version,
    ...(message.channel === undefined ? {} : { channel: message.channel }),
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
    signature_version: claim('signature_version', 10),
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

/** An audit document as the shared tally reads it (identity_arn, never decided_by). */
function voteRecordOfAudit(doc: AuditDocument): VoteRecord {
  return {
    decisionId: doc.decision_id,
    jobRunId: doc.job_run_id,
    decision: doc.decision,
    auditStatus: doc.audit_status,
    evidenceSha256: doc.evidence_sha256,
    identityArn: doc.identity_arn,
    reason: doc.reason,
    timestamp: doc.timestamp,
    receivedAt: doc.received_at,
    auditCode: doc.audit_code ?? null,
    runDocumentId: doc.run_document_id ?? null,
    channel: doc.channel ?? null,
    decidedBy: doc.decided_by,
  };
}

/** The decision being judged, as a vote of its verified identity. */
function voteRecordOf(message: DecisionMessage, receivedAt: string | undefined): VoteRecord {
  return {
    decisionId: message.decision_id,
    jobRunId: message.job_run_id,
    decision: message.decision,
    auditStatus: 'awaiting-quorum',
    evidenceSha256: message.evidence_sha256,
    identityArn: message.identity_arn,
    reason: message.reason,
    timestamp: message.timestamp,
    receivedAt: receivedAt ?? null,
    channel: message.channel ?? null,
    decidedBy: message.decided_by,
  };
}

function outcome(
  auditId: string,
  claim: { decision_id?: unknown; job_run_id?: unknown; decision?: unknown; decided_by?: unknown },
  status: AuditOutcomeStatus,
  detail: string | null,
  flags: { replay?: boolean; resumed?: boolean; runUpdated?: boolean; outcomePublished?: boolean; code?: AuditCode | null },
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
    outcomePublished: flags.outcomePublished ?? false,
    code: flags.code ?? null,
  };
}

function keyword(value: string): string {
  return truncateForDisplay(value, MAX_KEYWORD_CHARS);
}

function quote(value: string): string {
  return JSON.stringify(truncateForDisplay(value, 120));
}
