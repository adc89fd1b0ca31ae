// What became of a decision this window published: hidden while the processor works, back
// with the reason when it refused, superseded or invalidated it, "awaiting quorum n/m" when
// it counted a vote, and back after the grace period when nothing recorded it.
import assert from 'node:assert/strict';
import { parseAuditRecord, type AuditRecord } from '../../src/core/auditRecord';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import {
  PUBLISHED_GRACE_MS,
  afterNotApplied,
  allowsDecidingAgain,
  auditsByDecisionId,
  auditsByDecisionIdsQuery,
  followUpNotice,
  followUpState,
  formatClock,
  isFinal,
  isIdentityProofExpired,
  isRefusedForSignature,
  isShown,
  quorumProgress,
  type PublishedDecision,
} from '../../src/core/publishedDecisions';

const PUBLISHED_AT = Date.parse('2024-01-15T14:05:30Z');
const published: PublishedDecision = { jobRunId: 'run-1', decision: 'APPROVED', decisionId: 'd-1', publishedAtMs: PUBLISHED_AT };
const utcClock = (ms: number) => formatClock(ms, 'UTC');

function audit(status: string, detail: string | null = null, id = 'd-1'): AuditRecord {
  return parseAuditRecord(id, { decision_id: id, job_run_id: 'run-1', job_name: 'load_orders', decision: 'APPROVED', decided_by: 'alice', audit_status: status, audit_detail: detail });
}

describe('published decisions', () => {
  it('keeps the run hidden while nothing is recorded and the grace period lasts', () => {
    const state = followUpState(published, undefined, PUBLISHED_AT + 60_000);
    assert.deepEqual(state, { kind: 'hidden' });
    assert.equal(isShown(state), false);
    assert.equal(followUpNotice(published, state), null);
  });

  it('keeps a recorded decision hidden: the processor updates the run right after its audit', () => {
    assert.deepEqual(followUpState(published, audit('recorded'), PUBLISHED_AT + 1000), { kind: 'hidden' });
  });

  it('shows the run again at once when the processor refused the decision, with its reason', () => {
    const detail = "The run's checks, metrics or artifacts changed after it was reviewed; it must be reviewed again.";
    const state = followUpState(published, audit('refused', detail), PUBLISHED_AT + 1000);
    assert.deepEqual(state, { kind: 'not-applied', status: 'refused', detail, code: null });
    assert.ok(isShown(state) && isFinal(state));
    const notice = followUpNotice(published, state, utcClock);
    assert.ok(notice);
    assert.equal(notice.warning, true);
    assert.match(notice.short, /^your approval was refused by the processor: The run's checks/);
    assert.ok(notice.short.length < 140, 'the row stays short');
    assert.equal(notice.long, `Your approval (published at 14:05) was refused by the approval processor: ${detail} The run is still pending.`);
  });

  it('says so for superseded and invalid decisions, and for a rejection', () => {
    const superseded = followUpState(published, audit('superseded', 'The run was already APPROVED by bob; the first decision wins.'), PUBLISHED_AT);
    assert.equal(superseded.kind, 'not-applied');
    assert.match(followUpNotice(published, superseded)?.short ?? '', /^your approval was superseded: The run was already APPROVED by bob/);
    const stale = followUpState(published, audit('invalid', 'Stale: the decision is dated 2024-01-15T13:40:00Z.'), PUBLISHED_AT);
    assert.match(followUpNotice(published, stale)?.short ?? '', /^your approval was rejected by the processor as invalid: Stale/);
    const rejection = { ...published, decision: 'REJECTED' };
    assert.match(followUpNotice(rejection, followUpState(rejection, audit('refused', 'x'), PUBLISHED_AT))?.short ?? '', /^your rejection was refused/);
    assert.match(followUpNotice(published, followUpState(published, audit('refused', null), PUBLISHED_AT))?.short ?? '', /refused by the processor: no reason given$/);
  });

  it('shows a counted quorum vote as "awaiting quorum 1/2", not as refused', () => {
    const detail = 'Awaiting quorum: 1 of 2 distinct approvals (alice).';
    const state = followUpState(published, audit('awaiting-quorum', detail), PUBLISHED_AT + 1000);
    assert.deepEqual(state, { kind: 'awaiting-quorum', have: 1, need: 2, detail });
    assert.ok(isShown(state));
    assert.ok(!isFinal(state), 'more votes change it');
    const notice = followUpNotice(published, state, utcClock);
    assert.ok(notice);
    assert.equal(notice.short, 'awaiting quorum 1/2');
    assert.equal(notice.warning, false);
    assert.match(notice.long, /was counted; the run is awaiting quorum 1\/2/);
    assert.doesNotMatch(notice.long, /refused/);
  });

  it('reads the vote count from the processor detail, also after a duplicate vote', () => {
    assert.deepEqual(quorumProgress('Awaiting quorum: 2 of 3 distinct approvals (alice, bob).'), { have: 2, need: 3 });
    assert.deepEqual(quorumProgress('alice has already approved this run; the same approver counts once. Awaiting quorum: 1 of 2 distinct approvals (alice).'), { have: 1, need: 2 });
    assert.equal(quorumProgress(null), null);
    assert.equal(quorumProgress('something else'), null);
    const state = followUpState(published, audit('awaiting-quorum', 'votes pending'), PUBLISHED_AT);
    assert.equal(followUpNotice(published, state)?.short, 'awaiting quorum');
  });

  it('shows the run again after the grace period when the processor has not recorded it', () => {
    const justBefore = followUpState(published, undefined, PUBLISHED_AT + PUBLISHED_GRACE_MS - 1);
    assert.equal(justBefore.kind, 'hidden');
    const after = followUpState(published, undefined, PUBLISHED_AT + PUBLISHED_GRACE_MS);
    assert.deepEqual(after, { kind: 'overdue', auditStatus: null });
    assert.ok(isShown(after) && !isFinal(after), 'the processor may still record it later');
    const notice = followUpNotice(published, after, utcClock);
    assert.equal(notice?.short, 'approval published at 14:05, not yet recorded by the approval processor');
    assert.equal(notice?.warning, true);
    assert.equal(followUpState(published, undefined, PUBLISHED_AT + 10_000, 5_000).kind, 'overdue', 'the grace period is a parameter');
  });

  it('shows a recorded decision whose run is still pending after the grace period', () => {
    const state = followUpState(published, audit('recorded'), PUBLISHED_AT + PUBLISHED_GRACE_MS + 1);
    assert.deepEqual(state, { kind: 'overdue', auditStatus: 'recorded' });
    assert.match(followUpNotice(published, state, utcClock)?.short ?? '', /recorded but not applied yet/);
  });

  it('prefers the processor\'s own audit (id = decision_id) to one that only claims the decision_id', () => {
    const own = audit('awaiting-quorum', 'Awaiting quorum: 1 of 2 distinct approvals (alice).');
    const forged = parseAuditRecord('invalid-abc', { decision_id: 'd-1', audit_status: 'invalid', audit_detail: 'The signature does not verify' });
    const other = audit('refused', 'no', 'd-9');
    const found = auditsByDecisionId([{ auditId: 'invalid-abc', record: forged }, { auditId: 'd-1', record: own }, { auditId: 'd-9', record: other }], ['d-1', 'd-2']);
    assert.deepEqual([...found.keys()], ['d-1']);
    assert.equal(found.get('d-1')?.auditStatus, 'awaiting-quorum');
    // Without its own audit, a message whose signature did not verify is what the index has.
    const onlyForged = auditsByDecisionId([{ auditId: 'invalid-abc', record: forged }], ['d-1']);
    assert.equal(onlyForged.get('d-1')?.auditStatus, 'invalid');
  });

  it('asks the audit index by _id and by claimed decision_id', () => {
    const body = auditsByDecisionIdsQuery(['d-1', 'd-2', 'd-1']);
    assert.deepEqual(body, {
      size: 8,
      query: { bool: { should: [{ ids: { values: ['d-1', 'd-2'] } }, { terms: { decision_id: ['d-1', 'd-2'] } }], minimum_should_match: 1 } },
    });
  });

  it('formats the publishing time as HH:MM on a 24-hour clock', () => {
    assert.equal(formatClock(Date.parse('2024-01-15T09:07:59Z'), 'UTC'), '09:07');
    assert.equal(formatClock(Date.parse('2024-01-15T23:59:00Z'), 'UTC'), '23:59');
    assert.equal(formatClock(Number.NaN), 'an unknown time');
  });

  describe('deciding again after the processor turned a decision down', () => {
    const doc = {
      timestamp: '2024-01-15T14:00:00Z',
      job_name: 'load_orders',
      job_run_id: 'run-1',
      status: 'PENDING_APPROVAL',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }],
      records_read: 1000,
      records_dropped: 120,
    };
    const reviewed = parseJobRun('doc-1', doc);
    const turnedDown = (status: string, evidence: string | null = evidenceSha256(reviewed), detail: string | null = 'why') =>
      parseAuditRecord('d-1', { decision_id: 'd-1', job_run_id: 'run-1', audit_status: status, audit_detail: detail, evidence_sha256: evidence });

    it('reads the evidence the decision carried from its audit', () => {
      assert.equal(turnedDown('refused').evidenceSha256, evidenceSha256(reviewed));
      assert.equal(parseAuditRecord('x', { audit_status: 'refused' }).evidenceSha256, null);
      assert.equal(parseAuditRecord('x', { evidence_sha256: 42 }).evidenceSha256, null);
    });

    it('allows it after refused and invalid, not after superseded, a counted vote or a recorded decision', () => {
      assert.deepEqual(
        ['refused', 'invalid', 'superseded', 'awaiting-quorum', 'recorded', 'unknown'].map((status) => [status, allowsDecidingAgain(status)]),
        [
          ['refused', true],
          ['invalid', true],
          ['superseded', false],
          ['awaiting-quorum', false],
          ['recorded', false],
          ['unknown', false],
        ],
      );
    });

    it('offers it while the run, read afresh, still waits, with the processor’s reason', () => {
      assert.deepEqual(afterNotApplied(turnedDown('refused', undefined, 'alice triggered this run and cannot approve it.'), reviewed), {
        kind: 'decideAgain',
        status: 'refused',
        detail: 'alice triggered this run and cannot approve it.',
        evidenceChanged: false,
        code: null,
      });
      assert.deepEqual(afterNotApplied(turnedDown('invalid', undefined, 'Stale: …'), reviewed), { kind: 'decideAgain', status: 'invalid', detail: 'Stale: …', evidenceChanged: false, code: null });
    });

    it('says the evidence changed when the run now differs from what the decision was made on', () => {
      const changed = parseJobRun('doc-2', { ...doc, records_dropped: 150 });
      const next = afterNotApplied(turnedDown('refused', evidenceSha256(reviewed), "The run's checks, metrics or artifacts changed…"), changed);
      assert.deepEqual(next, { kind: 'decideAgain', status: 'refused', detail: "The run's checks, metrics or artifacts changed…", evidenceChanged: true, code: null });
      // An unsigned claim without evidence says nothing about it.
      assert.deepEqual(afterNotApplied(turnedDown('invalid', null), changed), { kind: 'decideAgain', status: 'invalid', detail: 'why', evidenceChanged: false, code: null });
    });

    it('offers nothing when the run no longer waits, is gone, or the decision was superseded or counted', () => {
      const decided = parseJobRun('doc-3', { ...doc, approval_status: 'REJECTED', approved_by: 'bob' });
      const succeeded = parseJobRun('doc-4', { ...doc, status: 'SUCCESS' });
      assert.deepEqual(afterNotApplied(turnedDown('refused'), decided), { kind: 'final' });
      assert.deepEqual(afterNotApplied(turnedDown('refused'), succeeded), { kind: 'final' });
      assert.deepEqual(afterNotApplied(turnedDown('refused'), null), { kind: 'final' });
      assert.deepEqual(afterNotApplied(turnedDown('superseded'), reviewed), { kind: 'final' });
      assert.deepEqual(afterNotApplied(turnedDown('awaiting-quorum'), reviewed), { kind: 'final' });
    });
  });

  describe('signature v2 verdicts', () => {
    const expired = parseAuditRecord('invalid-abc', {
      decision_id: 'd-1',
      job_run_id: 'run-1',
      decision: 'APPROVED',
      audit_status: 'invalid',
      audit_code: 'identity-proof-expired',
      audit_detail: 'Identity proof expired: decide again. It was signed 16 minutes before the processor could check it.',
    });

    it('reads the audit code', () => {
      assert.equal(expired.code, 'identity-proof-expired');
      assert.equal(parseAuditRecord('x', { audit_code: 7 }).code, null);
    });

    it('tells the reviewer to decide again when the identity proof expired', () => {
      const state = followUpState(published, expired, PUBLISHED_AT + 1000);
      assert.deepEqual(state, { kind: 'not-applied', status: 'invalid', detail: expired.detail, code: 'identity-proof-expired' });
      const notice = followUpNotice(published, state, utcClock);
      assert.equal(notice?.short, 'your approval could not be verified in time: decide again');
      assert.match(notice?.long ?? '', /published at 14:05\) reached the approval processor after its identity proof had expired.*decide again\.$/);
      assert.equal(notice?.warning, true);
    });

    it('opens the form again after an expired proof, with the code for the controller', () => {
      const run = parseJobRun('run-1', { job_run_id: 'run-1', job_name: 'load_orders', status: 'PENDING_APPROVAL' });
      const next = afterNotApplied(expired, run);
      assert.equal(next.kind, 'decideAgain');
      assert.equal(next.kind === 'decideAgain' ? next.code : undefined, 'identity-proof-expired');
    });

    it('knows a refusal for the signature, after which the secret is read again', () => {
      assert.equal(isRefusedForSignature('signature'), true);
      assert.equal(isRefusedForSignature('identity-proof-expired'), false);
      assert.equal(isRefusedForSignature(null), false);
      assert.equal(isIdentityProofExpired('identity-proof-expired'), true);
    });
  });
});
