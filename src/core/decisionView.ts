// Where a decision on a run stands as the details page shows it (decisionState.ts decides it,
// the page renders it). The page's script loads this module: type imports only.
import type { Decision } from './model';

/** Where a decision on the run stands, as the form shows it. */
export type DecisionStateView =
  /** Pending; nothing published from here yet. */
  | { kind: 'idle' }
  /** The run was not waiting for a decision when the panel loaded. */
  | { kind: 'closed'; status: string; approval: { status: string; approvedBy: string; reason: string; timeText: string } | null }
  | { kind: 'confirming'; decision: Decision }
  | { kind: 'publishing'; decision: Decision }
  /**
   * Published; `waiting` while the pending store follows it for the processor's answer. `audit` is
   * what the processor wrote into its audit index when it did not (yet) apply the decision:
   * awaiting-quorum, or the final superseded / refused / invalid, with its reason.
   */
  | {
      kind: 'published';
      decision: Decision;
      decisionId: string | null;
      messageId: string | null;
      waiting: boolean;
      audit?: { status: string; detail: string | null };
    }
  /**
   * The processor turned the published decision down (refused, or invalid: stale evidence,
   * self-approval, a bad or stale signature) and the run, read afresh, still waits: the form
   * is open again, and deciding sends a new decision with a new decision_id. With
   * `evidenceChanged` the run is not what the decision was made on; the page shows it anew.
   */
  | {
      kind: 'notApplied';
      decision: Decision;
      decisionId: string | null;
      status: 'refused' | 'invalid';
      detail: string | null;
      evidenceChanged: boolean;
    }
  /** The processor updated the run; `publishedDecision` is what this window sent, if it did. */
  | {
      kind: 'recorded';
      status: string;
      approvedBy: string;
      reason: string;
      timeText: string;
      publishedDecision: Decision | null;
      decisionId: string | null;
      messageId: string | null;
    }
  | { kind: 'alreadyDecided'; status: string; decidedBy: string; decidedAt: string; reason: string }
  | { kind: 'noLongerPending'; status: string }
  | { kind: 'notFound' }
  /** The checks, metrics or artifacts changed since the page was loaded; it was reloaded. */
  | { kind: 'evidenceChanged'; decision: Decision }
  /** Another decision on this run is being published from elsewhere in this window. */
  | { kind: 'inProgress' }
  | { kind: 'failed'; decision: Decision; message: string; fixLabel?: string };

/** States in which the form may publish (the run is pending and nothing is under way). */
export function canDecide(state: DecisionStateView): boolean {
  return state.kind === 'idle' || state.kind === 'failed' || state.kind === 'evidenceChanged' || state.kind === 'inProgress' || state.kind === 'notApplied';
}
