// The details panel's decision state as a pure function: every event in every order the
// panel can meet, odd ones included (the audit before the publish returns, a failed publish,
// a refusal then a new decision, a run superseded meanwhile, two panels on one run).
import assert from 'node:assert/strict';
import { parseAuditRecord } from '../../src/core/auditRecord';
import { INITIAL_DECISION, isDeciding, next, type DecisionResult, type PanelDecision, type PanelEffect, type PanelEvent } from '../../src/core/decisionState';
import { canDecide } from '../../src/core/decisionView';
import type { DecisionMessage } from '../../src/core/decisionMessage';
import { evidenceSha256 } from '../../src/core/evidence';
import type { Decision } from '../../src/core/model';
import type { PublishedFollowUp } from '../../src/core/pendingRunsStore';
import type { FollowUpState } from '../../src/core/publishedDecisions';
import { pendingRun } from './fixtures';

const RUN = pendingRun({ job_run_id: 'r-1' });
const REASON = 'Drop rate explained by the vendor outage';

function published(decisionId: string, reason = REASON): DecisionResult {
  return { kind: 'published', messageId: `m-${decisionId}`, message: { decision_id: decisionId, reason } as DecisionMessage };
}

function watch(decisionId: string, state: FollowUpState, options: { following?: boolean; auditStatus?: string; evidence?: string | null; decision?: Decision } = {}): PublishedFollowUp {
  const auditStatus = options.auditStatus ?? (state.kind === 'not-applied' ? state.status : null);
  const audit = auditStatus
    ? parseAuditRecord(decisionId, {
        decision_id: decisionId,
        job_run_id: RUN.jobRunId,
        decision: options.decision ?? 'APPROVED',
        reason: 'the reason in the audit',
        audit_status: auditStatus,
        audit_detail: state.kind === 'not-applied' ? state.detail : null,
        evidence_sha256: options.evidence === undefined ? evidenceSha256(RUN) : options.evidence,
      })
    : undefined;
  return {
    jobRunId: RUN.jobRunId,
    decision: options.decision ?? 'APPROVED',
    decisionId,
    publishedAtMs: 0,
    state,
    following: options.following ?? (state.kind === 'hidden' || state.kind === 'awaiting-quorum'),
    ...(audit ? { audit } : {}),
  };
}

const REFUSED: FollowUpState = { kind: 'not-applied', status: 'refused', detail: 'alice triggered this run and cannot approve it.', code: null };
const decided = { ...RUN, status: 'APPROVED', approval: { status: 'APPROVED', approvedBy: 'alice', reason: 'fine', timestamp: '2024-01-15T12:00:00Z' } };

/** Runs the events in order, collecting every effect. */
function run(events: PanelEvent[], from: PanelDecision = INITIAL_DECISION): { state: PanelDecision; effects: PanelEffect[] } {
  let state = from;
  const effects: PanelEffect[] = [];
  for (const event of events) {
    const step = next(state, event);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

/** Published from this panel without a confirmation, the store following it as `followUp`. */
function publishedHere(decisionId = 'd-1', followUp: PublishedFollowUp | undefined = watch(decisionId, { kind: 'hidden' })): PanelDecision {
  return run([
    { type: 'decide', decision: 'APPROVED', confirm: false },
    { type: 'result', decision: 'APPROVED', result: published(decisionId), followUp },
  ]).state;
}

describe('the details panel decision state (next)', () => {
  it('publishes through a confirmation: confirming, publishing, published and followed; the drafts go', () => {
    let step = next(INITIAL_DECISION, { type: 'decide', decision: 'APPROVED', confirm: true });
    assert.deepEqual(step.state.view, { kind: 'confirming', decision: 'APPROVED' });
    assert.ok(isDeciding(step.state.view));
    step = next(step.state, { type: 'confirmed' });
    assert.deepEqual(step.state.view, { kind: 'publishing', decision: 'APPROVED' });
    step = next(step.state, { type: 'result', decision: 'APPROVED', result: published('d-1'), followUp: watch('d-1', { kind: 'hidden' }) });
    assert.deepEqual(step.state.view, { kind: 'published', decision: 'APPROVED', decisionId: 'd-1', messageId: 'm-d-1', waiting: true });
    assert.ok(!isDeciding(step.state.view));
    assert.deepEqual(step.effects, [{ kind: 'dropDrafts' }]);
    assert.equal(canDecide(step.state.view), false, 'no second publish');
    assert.equal(next(step.state, { type: 'decide', decision: 'REJECTED', confirm: false }).state, step.state, 'a click now changes nothing');
  });

  it('goes back to the form as it was when the confirmation is cancelled, and ignores a stray confirmation', () => {
    const failed = run([
      { type: 'decide', decision: 'APPROVED', confirm: false },
      { type: 'result', decision: 'APPROVED', result: { kind: 'inProgress' }, followUp: undefined },
    ]).state;
    assert.deepEqual(failed.view, { kind: 'inProgress' });
    const cancelled = run([{ type: 'decide', decision: 'REJECTED', confirm: true }, { type: 'cancelled' }], failed).state;
    assert.deepEqual(cancelled.view, { kind: 'inProgress' });
    assert.equal(next(INITIAL_DECISION, { type: 'confirmed' }).state, INITIAL_DECISION);
    assert.equal(next(cancelled, { type: 'cancelled' }).state, cancelled, 'nothing to cancel');
  });

  it('keeps the typed reason when the publish fails (no drafts dropped), says why, and lets the reviewer try again', () => {
    const { state, effects } = run([
      { type: 'decide', decision: 'REJECTED', confirm: false },
      { type: 'result', decision: 'REJECTED', result: { kind: 'failed', failure: { kind: 'network', message: 'SNS did not answer.', detail: '' } as never }, fixLabel: 'Retry', followUp: undefined },
    ]);
    assert.deepEqual(state.view, { kind: 'failed', decision: 'REJECTED', message: 'SNS did not answer.', fixLabel: 'Retry' });
    assert.deepEqual(effects, [], 'the drafts stay');
    assert.ok(canDecide(state.view));
    assert.deepEqual(next(state, { type: 'decide', decision: 'REJECTED', confirm: false }).state.view, { kind: 'publishing', decision: 'REJECTED' });
  });

  it('says what the controller refused and reads the run again where it changed', () => {
    const answer = (result: DecisionResult) => run([{ type: 'decide', decision: 'APPROVED', confirm: false }, { type: 'result', decision: 'APPROVED', result, followUp: undefined }]);
    const already = answer({ kind: 'alreadyDecided', status: 'REJECTED', decidedBy: null, decidedAt: '2024-01-15T12:00:00Z', reason: null });
    assert.deepEqual(already.state.view, { kind: 'alreadyDecided', status: 'REJECTED', decidedBy: 'someone', decidedAt: '2024-01-15 12:00:00 UTC', reason: '' });
    assert.deepEqual(already.effects, [{ kind: 'load' }]);
    const gone = answer({ kind: 'noLongerPending', status: null });
    assert.deepEqual([gone.state.view, gone.effects], [{ kind: 'noLongerPending', status: 'missing' }, [{ kind: 'load' }]]);
    const changed = answer({ kind: 'evidenceChanged', freshRun: RUN });
    assert.deepEqual([changed.state.view, changed.effects], [{ kind: 'evidenceChanged', decision: 'APPROVED' }, [{ kind: 'load' }]]);
    assert.ok(canDecide(changed.state.view), 'the run as it is now may be decided');
    const missing = answer({ kind: 'notFound' });
    assert.deepEqual([missing.state.view, missing.effects], [{ kind: 'notFound' }, []]);
  });

  it('follows the store to the recorded run: reads it once, then shows who recorded it', () => {
    const state = publishedHere();
    assert.equal(next(state, { type: 'followUp', followUp: watch('d-1', { kind: 'hidden' }) }).state, state, 'nothing new');
    const recorded = next(state, { type: 'followUp', followUp: watch('d-1', { kind: 'recorded' }, { auditStatus: 'recorded' }) });
    assert.deepEqual(recorded.effects, [{ kind: 'load' }]);
    assert.equal(recorded.state.view.kind === 'published' && recorded.state.view.waiting, false);
    assert.deepEqual(next(recorded.state, { type: 'followUp', followUp: undefined }).effects, [], 'read once');
    const shown = next(recorded.state, { type: 'loaded', run: decided, approval: null, followUp: undefined });
    assert.deepEqual(shown.state.view, {
      kind: 'recorded', status: 'APPROVED', approvedBy: 'alice', reason: 'fine', timeText: '2024-01-15 12:00:00 UTC', publishedDecision: 'APPROVED', decisionId: 'd-1', messageId: 'm-d-1',
    });
    // The store forgot it (the overview no longer has the run): the run is read to see why.
    const forgotten = next(state, { type: 'followUp', followUp: undefined });
    assert.deepEqual(forgotten.effects, [{ kind: 'load' }]);
  });

  it('shows a counted vote awaiting quorum, reads the run and its votes once, and stops waiting when the store stops following', () => {
    const state = publishedHere();
    const first = watch('d-1', { kind: 'awaiting-quorum', have: 1, need: 2, detail: 'Awaiting quorum: 1 of 2 distinct approvals (alice).' }, { auditStatus: 'awaiting-quorum' });
    const counted = next(state, { type: 'followUp', followUp: first });
    assert.deepEqual(counted.state.view, { kind: 'published', decision: 'APPROVED', decisionId: 'd-1', messageId: 'm-d-1', waiting: true, audit: { status: 'awaiting-quorum', detail: 'Awaiting quorum: 1 of 2 distinct approvals (alice).' } });
    assert.deepEqual(counted.effects, [{ kind: 'load' }], 'the run and its votes read again');
    assert.deepEqual(next(counted.state, { type: 'followUp', followUp: first }).effects, [], 'told again: nothing to do');
    const late = next(counted.state, { type: 'followUp', followUp: { ...first, following: false } });
    assert.equal(late.state.view.kind === 'published' && late.state.view.waiting, false);
    assert.deepEqual(late.effects, []);
    const overdue = next(state, { type: 'followUp', followUp: watch('d-1', { kind: 'overdue', auditStatus: null }) });
    assert.equal(overdue.state.view.kind === 'published' && overdue.state.view.waiting, false, 'not recorded in time: no longer waiting');
  });

  it('after a refusal, reads the run and opens the form again with the published reason; a new decision is followed by its own id', () => {
    const state = publishedHere();
    const refused = next(state, { type: 'followUp', followUp: watch('d-1', REFUSED) });
    assert.deepEqual(refused.effects, [{ kind: 'load' }]);
    assert.deepEqual(refused.state.view, { kind: 'published', decision: 'APPROVED', decisionId: 'd-1', messageId: 'm-d-1', waiting: false, audit: { status: 'refused', detail: REFUSED.kind === 'not-applied' ? REFUSED.detail : null } });
    assert.deepEqual(next(refused.state, { type: 'followUp', followUp: watch('d-1', REFUSED) }).effects, [], 'the same refusal again: the run is not read twice');
    const open = next(refused.state, { type: 'loaded', run: RUN, approval: null, followUp: watch('d-1', REFUSED) });
    assert.deepEqual(open.state.view, { kind: 'notApplied', decision: 'APPROVED', decisionId: 'd-1', status: 'refused', detail: 'alice triggered this run and cannot approve it.', evidenceChanged: false });
    assert.deepEqual(open.effects, [{ kind: 'decideAgain', reason: REASON }]);
    assert.ok(canDecide(open.state.view));
    // Read again later, the run still points at the turned-down decision: it is not followed again.
    assert.equal(next(open.state, { type: 'loaded', run: RUN, approval: null, followUp: watch('d-1', REFUSED) }).state.view, open.state.view);
    const again = run([
      { type: 'decide', decision: 'REJECTED', confirm: false },
      { type: 'result', decision: 'REJECTED', result: published('d-2'), followUp: watch('d-2', { kind: 'hidden' }, { decision: 'REJECTED' }) },
    ], open.state).state;
    assert.deepEqual(again.view, { kind: 'published', decision: 'REJECTED', decisionId: 'd-2', messageId: 'm-d-2', waiting: true });
  });

  it('after a refusal for stale evidence, says the run changed; the run no longer waiting closes nothing it should not', () => {
    const refused = next(publishedHere(), { type: 'followUp', followUp: watch('d-1', REFUSED, { evidence: 'an older hash' }) }).state;
    const open = next(refused, { type: 'loaded', run: RUN, approval: null, followUp: undefined });
    assert.equal(open.state.view.kind === 'notApplied' && open.state.view.evidenceChanged, true);
    // Decided by someone else meanwhile: shown as recorded, no form.
    const closed = next(refused, { type: 'loaded', run: decided, approval: null, followUp: undefined });
    assert.equal(closed.state.view.kind, 'recorded');
    assert.deepEqual(closed.effects, []);
  });

  it('when the audit arrives before the publish returns, takes it from the store with the answer', () => {
    const deciding = next(INITIAL_DECISION, { type: 'decide', decision: 'APPROVED', confirm: false }).state;
    assert.equal(next(deciding, { type: 'followUp', followUp: watch('d-1', REFUSED) }).state, deciding, 'nothing published yet to follow');
    const answered = next(deciding, { type: 'result', decision: 'APPROVED', result: published('d-1'), followUp: watch('d-1', REFUSED) });
    assert.deepEqual(answered.effects, [{ kind: 'dropDrafts' }, { kind: 'load' }]);
    const open = next(answered.state, { type: 'loaded', run: RUN, approval: null, followUp: watch('d-1', REFUSED) });
    assert.equal(open.state.view.kind, 'notApplied');
    assert.deepEqual(open.effects, [{ kind: 'decideAgain', reason: REASON }]);
  });

  it('shows a decision superseded while the panel is open, without offering to decide again', () => {
    const superseded = next(publishedHere(), { type: 'followUp', followUp: watch('d-1', { kind: 'not-applied', status: 'superseded', detail: 'bob decided first.', code: null }) });
    assert.deepEqual(superseded.state.view, { kind: 'published', decision: 'APPROVED', decisionId: 'd-1', messageId: 'm-d-1', waiting: false, audit: { status: 'superseded', detail: 'bob decided first.' } });
    assert.deepEqual(superseded.effects, []);
    assert.equal(canDecide(superseded.state.view), false);
  });

  it('follows a decision published elsewhere in this window, but not while deciding here, nor a failure there', () => {
    const followUp = watch('d-9', { kind: 'hidden' });
    const elsewhere = next(INITIAL_DECISION, { type: 'decidedElsewhere', decision: 'REJECTED', result: published('d-9'), followUp });
    assert.deepEqual(elsewhere.state.view, { kind: 'published', decision: 'REJECTED', decisionId: 'd-9', messageId: 'm-d-9', waiting: true });
    const deciding = next(INITIAL_DECISION, { type: 'decide', decision: 'APPROVED', confirm: true }).state;
    assert.equal(next(deciding, { type: 'decidedElsewhere', decision: 'REJECTED', result: published('d-9'), followUp }).state, deciding);
    const failure = { kind: 'failed', failure: { kind: 'network', message: 'x', detail: '' } as never } as const;
    assert.equal(next(INITIAL_DECISION, { type: 'decidedElsewhere', decision: 'REJECTED', result: failure, followUp: undefined }).state, INITIAL_DECISION);
    assert.equal(next(INITIAL_DECISION, { type: 'decidedElsewhere', decision: 'REJECTED', result: { kind: 'notFound' }, followUp: undefined }).state, INITIAL_DECISION);
    const already = next(INITIAL_DECISION, { type: 'decidedElsewhere', decision: 'REJECTED', result: { kind: 'alreadyDecided', status: 'APPROVED', decidedBy: 'bob', decidedAt: null, reason: 'ok' }, followUp: undefined });
    assert.equal(already.state.view.kind, 'alreadyDecided');
  });

  it('two panels on the same run follow the one watch of the store to the same end', () => {
    const followUp = watch('d-1', { kind: 'hidden' });
    let mine = publishedHere('d-1', followUp);
    let theirs = next(INITIAL_DECISION, { type: 'decidedElsewhere', decision: 'APPROVED', result: published('d-1'), followUp }).state;
    for (const event of [
      { type: 'followUp', followUp: watch('d-1', { kind: 'recorded' }) },
      { type: 'loaded', run: decided, approval: null, followUp: undefined },
    ] as PanelEvent[]) {
      mine = next(mine, event).state;
      theirs = next(theirs, event).state;
    }
    assert.equal(mine.view.kind, 'recorded');
    assert.deepEqual(theirs.view, mine.view);
  });

  it('on loading: a run not waiting closes the form; waiting again, it opens; one published from the tree is followed', () => {
    const approval = { status: 'APPROVED', approvedBy: 'alice', reason: 'fine', timeText: '2024-01-15 12:00:00 UTC' };
    const closed = next(INITIAL_DECISION, { type: 'loaded', run: decided, approval, followUp: undefined }).state;
    assert.deepEqual(closed.view, { kind: 'closed', status: 'APPROVED', approval });
    assert.deepEqual(next(closed, { type: 'loaded', run: RUN, approval: null, followUp: undefined }).state.view, { kind: 'idle' });
    const adopted = next(INITIAL_DECISION, { type: 'loaded', run: RUN, approval: null, followUp: watch('d-5', { kind: 'hidden' }) });
    assert.deepEqual(adopted.state.view, { kind: 'published', decision: 'APPROVED', decisionId: 'd-5', messageId: null, waiting: true });
    // Published from the tree and refused before the panel opened: followed to the form at once.
    const refusedEarlier = next(INITIAL_DECISION, { type: 'loaded', run: RUN, approval: null, followUp: watch('d-5', REFUSED) });
    assert.deepEqual(refusedEarlier.effects, [{ kind: 'load' }]);
    const reopened = next(refusedEarlier.state, { type: 'loaded', run: RUN, approval: null, followUp: watch('d-5', REFUSED) });
    assert.deepEqual(reopened.effects, [{ kind: 'decideAgain', reason: 'the reason in the audit' }], 'the audit\'s reason when this panel did not publish it');
    // A run read while publishing keeps the form as it is.
    const publishing = next(INITIAL_DECISION, { type: 'decide', decision: 'APPROVED', confirm: false }).state;
    assert.equal(next(publishing, { type: 'loaded', run: decided, approval, followUp: undefined }).state, publishing);
  });
});
