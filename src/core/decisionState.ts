// Where a decision on one run stands in its details panel, as a pure function of what
// happened: next(state, event) gives the new state and what the panel must do next (read the
// run again, read its votes again, open the form to decide again, drop the drafts). What the
// processor made of a published decision comes from the pending store, which follows every
// decision this window publishes (pendingRunsStore.ts); the panel feeds each change in here.
import type { AuditRecord } from './auditRecord';
import { canDecide, type DecisionStateView } from './decisionView';
import type { PublishOutcome } from './decisionWorkflow';
import type { ClassifiedFailure } from './failureClassification';
import type { Decision, JobRun } from './model';
import { isPending } from './pendingQuery';
import type { PublishedFollowUp } from './pendingRunsStore';
import { afterNotApplied, allowsDecidingAgain } from './publishedDecisions';
import { formatUtc, type ApprovalView } from './runDetailsModel';
import { parseTimestampMs } from './timestamp';

/** What publishing a decision came to (the decision controller's answer). */
export type DecisionResult = PublishOutcome | { kind: 'failed'; failure: ClassifiedFailure } | { kind: 'inProgress' };

export interface PanelDecision {
  view: DecisionStateView;
  /** The view before the click: shown again when the confirmation is cancelled. */
  beforeDeciding?: DecisionStateView;
  /** The reason of the decision published from this window, kept for deciding again. */
  publishedReason?: string;
  /** The audit of a published decision the processor turned down, while the run is read afresh. */
  turnedDown?: AuditRecord;
}

export type PanelEvent =
  /** The run was read afresh; `approval` is the page's model of its approval. */
  | { type: 'loaded'; run: JobRun; approval: ApprovalView | null; followUp: PublishedFollowUp | undefined }
  /** The store's watch of the run's published decision changed (undefined: it no longer follows one). */
  | { type: 'followUp'; followUp: PublishedFollowUp | undefined }
  /** A click on Approve or Reject that passed the panel's checks. */
  | { type: 'decide'; decision: Decision; confirm: boolean }
  | { type: 'confirmed' }
  | { type: 'cancelled' }
  /** The controller's answer to this panel's decision; `fixLabel` names the fix of a failure. */
  | { type: 'result'; decision: Decision; result: DecisionResult; fixLabel?: string; followUp: PublishedFollowUp | undefined }
  /** A decision on this run from the tree, the palette or another panel of this window. */
  | { type: 'decidedElsewhere'; decision: Decision; result: DecisionResult; followUp: PublishedFollowUp | undefined };

/**
 * Read the run again, with its votes (it changed, a vote was counted, or the processor is done
 * with the decision); drop the drafts (published); open the form to decide again (turned
 * down, the run still waits) with this reason unless a draft is kept.
 */
export type PanelEffect = { kind: 'load' } | { kind: 'dropDrafts' } | { kind: 'decideAgain'; reason: string };

export interface Transition {
  state: PanelDecision;
  effects: PanelEffect[];
}

export const INITIAL_DECISION: PanelDecision = { view: { kind: 'idle' } };

/** From the click to the controller's answer (confirmation included). */
export function isDeciding(view: DecisionStateView): boolean {
  return view.kind === 'confirming' || view.kind === 'publishing';
}

export function next(state: PanelDecision, event: PanelEvent): Transition {
  switch (event.type) {
    case 'loaded':
      return loaded(state, event.run, event.approval, event.followUp);
    case 'followUp':
      return follow(state, event.followUp);
    case 'decide':
      if (!canDecide(state.view)) return only(state);
      return only({ ...state, beforeDeciding: state.view, view: { kind: event.confirm ? 'confirming' : 'publishing', decision: event.decision } });
    case 'confirmed':
      return state.view.kind === 'confirming' ? only({ ...state, view: { kind: 'publishing', decision: state.view.decision } }) : only(state);
    case 'cancelled':
      return isDeciding(state.view) ? only({ ...state, view: state.beforeDeciding ?? { kind: 'idle' }, beforeDeciding: undefined }) : only(state);
    case 'result':
      return applyResult({ ...state, beforeDeciding: undefined }, event.decision, event.result, event.fixLabel, event.followUp);
    case 'decidedElsewhere': {
      const kind = event.result.kind;
      if (!canDecide(state.view)) return only(state);
      if (kind !== 'published' && kind !== 'alreadyDecided' && kind !== 'noLongerPending' && kind !== 'evidenceChanged') return only(state);
      return applyResult(state, event.decision, event.result, undefined, event.followUp);
    }
  }
}

function applyResult(state: PanelDecision, decision: Decision, result: DecisionResult, fixLabel: string | undefined, followUp: PublishedFollowUp | undefined): Transition {
  switch (result.kind) {
    case 'published': {
      const view: DecisionStateView = { kind: 'published', decision, decisionId: result.message.decision_id, messageId: result.messageId, waiting: true };
      const followed = follow({ ...state, view, publishedReason: result.message.reason, turnedDown: undefined }, followUp);
      return { state: followed.state, effects: [{ kind: 'dropDrafts' }, ...followed.effects] };
    }
    case 'alreadyDecided': {
      const decidedAt = formatUtc(parseTimestampMs(result.decidedAt)) ?? result.decidedAt ?? 'an unknown time';
      const view: DecisionStateView = { kind: 'alreadyDecided', status: result.status, decidedBy: result.decidedBy ?? 'someone', decidedAt, reason: result.reason ?? '' };
      return { state: { ...state, view }, effects: [{ kind: 'load' }] };
    }
    case 'noLongerPending':
      return { state: { ...state, view: { kind: 'noLongerPending', status: result.status ?? 'missing' } }, effects: [{ kind: 'load' }] };
    case 'notFound':
      return only({ ...state, view: { kind: 'notFound' } });
    case 'evidenceChanged':
      return { state: { ...state, view: { kind: 'evidenceChanged', decision } }, effects: [{ kind: 'load' }] };
    case 'inProgress':
      return only({ ...state, view: { kind: 'inProgress' } });
    case 'failed':
      return only({ ...state, view: { kind: 'failed', decision, message: result.failure.message, ...(fixLabel === undefined ? {} : { fixLabel }) } });
  }
}

/** What the run read afresh says: not pending, it is closed (or recorded); pending, it may be decided (again). */
function loaded(state: PanelDecision, run: JobRun, approval: ApprovalView | null, followUp: PublishedFollowUp | undefined): Transition {
  const view = state.view;
  if (!isPending(run)) {
    if (view.kind === 'published' && run.approval) {
      const { status, approvedBy, reason, timestamp } = run.approval;
      const timeText = formatUtc(parseTimestampMs(timestamp)) ?? timestamp ?? 'unknown time';
      const recorded: DecisionStateView = { kind: 'recorded', status, approvedBy: approvedBy ?? 'unknown', reason: reason ?? '', timeText, publishedDecision: view.decision, decisionId: view.decisionId, messageId: view.messageId };
      return only({ ...state, view: recorded, turnedDown: undefined });
    }
    if (canDecide(view) || view.kind === 'closed') return only({ ...state, view: { kind: 'closed', status: run.status ?? 'missing', approval } });
    return only(state);
  }
  const turnedDown = state.turnedDown;
  if (view.kind === 'published' && turnedDown && turnedDown.decisionId === view.decisionId) {
    const after = afterNotApplied(turnedDown, run);
    if (after.kind !== 'decideAgain') return only({ ...state, turnedDown: undefined });
    const notApplied: DecisionStateView = { kind: 'notApplied', decision: view.decision, decisionId: view.decisionId, status: after.status, detail: after.detail, evidenceChanged: after.evidenceChanged };
    return { state: { ...state, view: notApplied, turnedDown: undefined }, effects: [{ kind: 'decideAgain', reason: state.publishedReason ?? turnedDown.reason }] };
  }
  const open: PanelDecision = view.kind === 'closed' ? { ...state, view: { kind: 'idle' } } : state;
  // Published from the tree or the palette of this window (a decision turned down already is not followed again).
  const decision = followUp?.decision;
  const turnedDownAlready = open.view.kind === 'notApplied' && followUp?.decisionId === open.view.decisionId;
  if (!followUp || !canDecide(open.view) || turnedDownAlready || (decision !== 'APPROVED' && decision !== 'REJECTED')) return only(open);
  const published: DecisionStateView = { kind: 'published', decision, decisionId: followUp.decisionId, messageId: null, waiting: true };
  return follow({ ...open, view: published, publishedReason: undefined }, followUp);
}

/**
 * The store's watch of the published decision, applied to the view: counted as a vote
 * (awaiting quorum), turned down (refused, invalid: read the run to decide again), superseded,
 * no longer followed (overdue), or recorded (read the run to show who recorded it).
 */
function follow(state: PanelDecision, followUp: PublishedFollowUp | undefined): Transition {
  const view = state.view;
  if (view.kind !== 'published') return only(state);
  if (!followUp || followUp.decisionId !== view.decisionId || followUp.state.kind === 'recorded') {
    // Recorded, or no longer followed by the store (its run left the list): the run says which.
    return view.waiting ? { state: { ...state, view: { ...view, waiting: false } }, effects: [{ kind: 'load' }] } : only(state);
  }
  const watch = followUp.state;
  let next: DecisionStateView = { ...view, waiting: followUp.following };
  const effects: PanelEffect[] = [];
  let turnedDown = state.turnedDown;
  if (watch.kind === 'awaiting-quorum') {
    next = { ...next, audit: { status: 'awaiting-quorum', detail: watch.detail } };
    if (view.audit?.status !== 'awaiting-quorum') effects.push({ kind: 'load' });
  } else if (watch.kind === 'not-applied') {
    next = { ...next, waiting: false, audit: { status: watch.status, detail: watch.detail } };
    if (allowsDecidingAgain(watch.status) && followUp.audit && view.audit?.status !== watch.status) {
      // Turned down, not superseded: read the run again (fresh evidence, still waiting?).
      turnedDown = followUp.audit;
      effects.push({ kind: 'load' });
    }
  }
  if (effects.length === 0 && JSON.stringify(next) === JSON.stringify(view)) return only(state);
  return { state: { ...state, view: next, turnedDown }, effects };
}

function only(state: PanelDecision): Transition {
  return { state, effects: [] };
}
