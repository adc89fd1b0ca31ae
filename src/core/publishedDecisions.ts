// What became of a decision this window published. The pending store hides a run right after
// its decision is published, so that it does not linger while the approval processor works.
// But the processor may not apply the decision: it refuses (stale evidence, self-approval,
// the run is no longer waiting), marks it superseded or invalid (bad signature, stale
// timestamp), counts it as one vote of a quorum, or never gets it at all. The run is then
// still PENDING_APPROVAL, and hiding it any longer would lose the decision. So every
// published decision is followed: its audit document (id = decision_id) in job-approvals is
// looked up, and the run comes back, saying why, as soon as the audit says it was not applied,
// or when the grace period passes with the run still pending.
import type { AuditRecord, AuditStatus } from './auditRecord';
import { truncateForDisplay } from './untrustedText';
import { evidenceSha256 } from './evidence';
import { DECISION_WORDS, type JobRun } from './model';
import { isPending, type SearchBody } from './pendingQuery';

/**
 * How long a published run stays hidden while nothing says what became of its decision.
 * The processor normally records a decision within seconds; five minutes (five polls at the
 * default refresh interval) covers a slow queue without hiding a lost decision for long.
 */
export const PUBLISHED_GRACE_MS = 5 * 60_000;

/** How soon a published decision is first looked for; the wait doubles while nothing changes, up to the maximum. */
export const FOLLOW_UP_INTERVAL_MS = 3_000;
export const MAX_FOLLOW_UP_INTERVAL_MS = 15_000;

/** Most decision ids asked for in one audit query. */
export const MAX_DECISION_IDS_PER_QUERY = 500;

export interface PublishedDecision {
  jobRunId: string;
  decision: string;
  /** The message's decision_id; null when the caller did not say (nothing to look up then). */
  decisionId: string | null;
  publishedAtMs: number;
}

/** Where a published decision stands, as far as this window can tell. */
export type FollowUpState =
  /** Just published and nothing says otherwise yet: the run stays hidden. */
  | { kind: 'hidden' }
  /** The processor counted the approval as one vote; the run waits for more approvers. */
  | { kind: 'awaiting-quorum'; have: number | null; need: number | null; detail: string | null }
  /**
   * The processor will not apply it: refused, superseded or invalid, with its reason and,
   * for a message not taken on its merits, the audit's code (see isIdentityProofExpired).
   */
  | { kind: 'not-applied'; status: 'refused' | 'superseded' | 'invalid'; detail: string | null; code: string | null }
  /**
   * The grace period passed and the run is still pending. `auditStatus` is what the audit
   * index says, if it has the decision at all (null: the processor never recorded it).
   */
  | { kind: 'overdue'; auditStatus: AuditStatus | null }
  /** The run left the pending list: the processor applied the decision (or another one). */
  | { kind: 'recorded' };

/**
 * Audit statuses of a decision the processor turned down on its merits or its form (stale
 * evidence, self-approval, a bad or stale signature), after which the reviewer may decide
 * again. Not `superseded` (another decision won: the run is decided) and not
 * `awaiting-quorum` (the vote was counted and still stands).
 */
const DECIDE_AGAIN_AFTER: ReadonlySet<AuditStatus> = new Set(['refused', 'invalid']);

/** The processor could not check the decision's identity proof in time (STS accepts one for 15 minutes). */
export function isIdentityProofExpired(code: string | null | undefined): boolean {
  return code === 'identity-proof-expired';
}

/**
 * The processor refused the decision for its signature: the signing secret this window holds
 * may have been rotated, so it is read again before the next decision.
 */
export function isRefusedForSignature(code: string | null | undefined): boolean {
  return code === 'signature';
}

/** Whether a decision audited with this status may be followed by a new one on the same run. */
export function allowsDecidingAgain(status: string): boolean {
  return DECIDE_AGAIN_AFTER.has(status as AuditStatus);
}

/** What may follow a published decision the processor did not apply, the run read afresh. */
export type AfterNotApplied =
  /** The run still waits: decide again, with a new decision_id. */
  | {
      kind: 'decideAgain';
      status: 'refused' | 'invalid';
      detail: string | null;
      /** The audit's code, when the message was not taken on its merits. */
      code: string | null;
      /**
       * The run's checks, metrics or artifacts are not those the decision was made on (the
       * usual cause of a refusal): the reviewer must look at the run as it is now.
       */
      evidenceChanged: boolean;
    }
  /** Superseded, counted as a vote, not turned down at all, or the run no longer waits. */
  | { kind: 'final' };

/**
 * Judges a decision the processor did not apply against the run as it is now (`freshRun`,
 * read after the audit said so; null when it is gone). The evidence is compared with what
 * the decision carried, so a stale-evidence refusal asks for a fresh review whatever the
 * processor's wording.
 */
export function afterNotApplied(audit: Pick<AuditRecord, 'auditStatus' | 'detail' | 'evidenceSha256' | 'code'>, freshRun: JobRun | null): AfterNotApplied {
  if (!allowsDecidingAgain(audit.auditStatus) || freshRun === null || !isPending(freshRun)) return { kind: 'final' };
  return {
    kind: 'decideAgain',
    status: audit.auditStatus as 'refused' | 'invalid',
    detail: audit.detail,
    code: audit.code ?? null,
    evidenceChanged: audit.evidenceSha256 !== null && audit.evidenceSha256 !== evidenceSha256(freshRun),
  };
}

/** An audit document as the repository found it: its `_id` and its parsed source. */
export interface AuditLookup {
  auditId: string;
  record: AuditRecord;
}

/** The statuses after which the processor will never apply the decision. */
const NOT_APPLIED: ReadonlySet<AuditStatus> = new Set(['refused', 'superseded', 'invalid']);

/** Whether the processor, having audited a decision with this status, will not apply it. */
export function isNotApplied(status: string): status is 'refused' | 'superseded' | 'invalid' {
  return NOT_APPLIED.has(status as AuditStatus);
}

/** Whether no further audit of the decision can change what the store shows for it. */
export function isFinal(state: FollowUpState): boolean {
  return state.kind === 'not-applied' || state.kind === 'recorded';
}

/** Whether the run is shown again (with a notice) rather than hidden. */
export function isShown(state: FollowUpState): boolean {
  return state.kind !== 'hidden' && state.kind !== 'recorded';
}

/**
 * Judges a published decision of a run that is still pending. `audit` is the decision's
 * audit document, if there is one yet.
 */
export function followUpState(published: PublishedDecision, audit: AuditRecord | undefined, nowMs: number, graceMs = PUBLISHED_GRACE_MS): FollowUpState {
  if (audit) {
    if (isNotApplied(audit.auditStatus)) {
      return { kind: 'not-applied', status: audit.auditStatus, detail: audit.detail, code: audit.code ?? null };
    }
    if (audit.auditStatus === 'awaiting-quorum') {
      const progress = quorumProgress(audit.detail);
      return { kind: 'awaiting-quorum', have: progress?.have ?? null, need: progress?.need ?? null, detail: audit.detail };
    }
  }
  // Recorded (the run update may land a moment later), unknown, or not there yet.
  if (nowMs - published.publishedAtMs < graceMs) return { kind: 'hidden' };
  return { kind: 'overdue', auditStatus: audit?.auditStatus ?? null };
}

/** "Awaiting quorum: 1 of 2 distinct approvals (alice)." → {have: 1, need: 2}. */
export function quorumProgress(detail: string | null): { have: number; need: number } | null {
  const match = /(\d+)\s+of\s+(\d+)\s+distinct approvals?/i.exec(detail ?? '');
  if (!match) return null;
  return { have: Number(match[1]), need: Number(match[2]) };
}

/**
 * The audit document of each decision id. The document whose `_id` is the decision_id is
 * the processor's own; failing that, one that claims the decision_id (a message whose
 * signature did not verify is audited as `invalid-<hash>` with the decision_id it claimed).
 */
export function auditsByDecisionId(found: readonly AuditLookup[], decisionIds: readonly string[]): Map<string, AuditRecord> {
  const wanted = new Set(decisionIds);
  const result = new Map<string, AuditRecord>();
  for (const { auditId, record } of found) {
    if (wanted.has(auditId)) result.set(auditId, record);
  }
  for (const { record } of found) {
    if (wanted.has(record.decisionId) && !result.has(record.decisionId) && record.auditStatus === 'invalid') result.set(record.decisionId, record);
  }
  return result;
}

/** The audit documents of these decisions: by `_id`, or claiming the decision_id. */
export function auditsByDecisionIdsQuery(decisionIds: readonly string[]): SearchBody {
  const ids = [...new Set(decisionIds)].slice(0, MAX_DECISION_IDS_PER_QUERY);
  return {
    size: Math.min(ids.length * 4, 10_000),
    query: {
      bool: {
        should: [{ ids: { values: ids } }, { terms: { decision_id: ids } }],
        minimum_should_match: 1,
      },
    },
  };
}

export interface FollowUpNotice {
  /** Short, for the tree row's description. */
  short: string;
  /** One or two sentences, for a tooltip or a notification. */
  long: string;
  /** The notice is a problem the reviewer should act on (not just "counted, waiting"). */
  warning: boolean;
}

const SHORT_DETAIL_CHARS = 80;

/**
 * What the tree and the notification say about a run whose published decision came back.
 * `clock` formats the publishing time (the extension passes the reviewer's local HH:MM).
 */
export function followUpNotice(published: PublishedDecision, state: FollowUpState, clock: (ms: number) => string = formatClock): FollowUpNotice | null {
  const noun = published.decision === 'APPROVED' || published.decision === 'REJECTED' ? DECISION_WORDS[published.decision].noun : 'decision';
  const at = clock(published.publishedAtMs);
  switch (state.kind) {
    case 'hidden':
    case 'recorded':
      return null;
    case 'awaiting-quorum': {
      const progress = state.have !== null && state.need !== null ? ` ${state.have}/${state.need}` : '';
      return {
        short: `awaiting quorum${progress}`,
        long: `Your ${noun} (published at ${at}) was counted; the run is awaiting quorum${progress} and stays pending until more approvers decide.${state.detail ? ` ${state.detail}` : ''}`,
        warning: false,
      };
    }
    case 'not-applied': {
      if (isIdentityProofExpired(state.code)) {
        return {
          short: `your ${noun} could not be verified in time: decide again`,
          long:
            `Your ${noun} (published at ${at}) reached the approval processor after its identity proof had expired ` +
            '(STS accepts one for 15 minutes), so it was not recorded. The run is still pending: decide again.',
          warning: true,
        };
      }
      const verb = state.status === 'refused' ? 'refused by the processor' : state.status === 'superseded' ? 'superseded' : 'rejected by the processor as invalid';
      const reason = state.detail?.trim() || 'no reason given';
      return {
        short: `your ${noun} was ${verb}: ${truncateForDisplay(reason, SHORT_DETAIL_CHARS)}`,
        long: `Your ${noun} (published at ${at}) was ${verb.replace('the processor', 'the approval processor')}: ${truncateForDisplay(reason)} The run is still pending.`,
        warning: true,
      };
    }
    case 'overdue': {
      const recorded = state.auditStatus === 'recorded';
      return {
        short: recorded ? `${noun} published at ${at}, recorded but not applied yet` : `${noun} published at ${at}, not yet recorded by the approval processor`,
        long: recorded
          ? `Your ${noun} was published at ${at} and the approval processor recorded it, but the run is still pending. Refresh later, or decide again.`
          : `Your ${noun} was published at ${at} but is not yet recorded by the approval processor, and the run is still pending. The processor may be slow or stopped, or it could not verify the message; check its log, or decide again.`,
        warning: true,
      };
    }
  }
}

/** HH:MM (24-hour) in `timeZone`, the local zone by default. */
export function formatClock(ms: number, timeZone?: string): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(timeZone ? { timeZone } : {}) }).format(date);
}

/** Whether two states say the same thing (so that nothing is redrawn or notified twice). */
export function sameState(a: FollowUpState, b: FollowUpState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
