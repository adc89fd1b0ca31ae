// Principals (who a verified ARN is as a person), eligibility and the tally that both the
// processor's judgement and the details page's progress use, with hostile inputs.
import assert from 'node:assert/strict';
import { parseApprovalPolicy, policyForJob, type ApprovalPolicy } from '../../src/core/approvalPolicy';
import { approvalVotesQuery, decisionProgress, splitByEligibility, eligibility, tallyApprovals, voteRecordOfAuditRecord, waitingForIdentity, type RunContext, type VoteRecord } from '../../src/core/approvalProgress';
import { parseAuditRecord } from '../../src/core/auditRecord';
import { principalOf, triggeredBySamePerson } from '../../src/core/principal';

const ACCOUNT = '123456789012';
const IAM_ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const IAM_ALICE_PATH = `arn:aws:iam::${ACCOUNT}:user/team/data/Alice`;
const IAM_BOB = `arn:aws:iam::${ACCOUNT}:user/bob`;
const SSO_JANE_READ = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_DataReviewer_0123abcd/jane@corp.com`;
const SSO_JANE_ADMIN = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_DataAdmin_fedc9876/jane@corp.com`;
const ROLE_SESSION_1 = `arn:aws:sts::${ACCOUNT}:assumed-role/Reviewer/alice`;
const ROLE_SESSION_2 = `arn:aws:sts::${ACCOUNT}:assumed-role/Reviewer/not-alice-honest`;
const OTHER_ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/Auditor/alice`;
const FEDERATED_1 = `arn:aws:sts::${ACCOUNT}:federated-user/carol`;
const FEDERATED_2 = `arn:aws:sts::${ACCOUNT}:federated-user/carol2`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const MOTO = `arn:aws:sts::${ACCOUNT}:user/moto`;
const PERSONAL = { personalRoles: [`arn:aws:iam::${ACCOUNT}:role/Reviewer`] };
const NONE = { personalRoles: [] };

const RUN: RunContext = { jobName: 'load_orders', jobRunId: 'run-1', triggeredBy: null, evidenceSha256: 'e'.repeat(64) };
let sequence = 0;
function vote(identityArn: string | null, overrides: Partial<VoteRecord> = {}): VoteRecord {
  sequence += 1;
  return {
    decisionId: `d-${sequence}`,
    jobRunId: RUN.jobRunId,
    decision: 'APPROVED',
    auditStatus: 'awaiting-quorum',
    evidenceSha256: RUN.evidenceSha256,
    identityArn,
    reason: `reason ${sequence}`,
    timestamp: `2024-01-15T11:00:${String(sequence % 60).padStart(2, '0')}Z`,
    receivedAt: `2024-01-15T11:00:${String(sequence % 60).padStart(2, '0')}Z`,
    ...overrides,
  };
}
const quorumOf = (n: number, extra: Record<string, unknown> = {}): ApprovalPolicy => parseApprovalPolicy({ default: { quorum: n, ...extra } });

describe('principals', () => {
  it('counts an IAM user as the user, whatever its path or case', () => {
    assert.equal(principalOf(IAM_ALICE, NONE)?.personKey, principalOf(IAM_ALICE_PATH, NONE)?.personKey);
    assert.equal(principalOf(IAM_ALICE, NONE)?.kind, 'iam-user');
    assert.notEqual(principalOf(IAM_ALICE, NONE)?.personKey, principalOf(IAM_BOB, NONE)?.personKey);
  });

  it('counts an SSO user once across permission sets (roles)', () => {
    const read = principalOf(SSO_JANE_READ, NONE);
    assert.equal(read?.kind, 'sso-user');
    assert.equal(read?.personKey, principalOf(SSO_JANE_ADMIN, NONE)?.personKey);
    assert.equal(read?.personName, 'jane@corp.com');
  });

  it('counts a plain role once whatever session name is chosen, and a personal role per session', () => {
    assert.equal(principalOf(ROLE_SESSION_1, NONE)?.personKey, principalOf(ROLE_SESSION_2, NONE)?.personKey);
    assert.equal(principalOf(ROLE_SESSION_1, NONE)?.named, false);
    assert.notEqual(principalOf(ROLE_SESSION_1, NONE)?.personKey, principalOf(OTHER_ROLE, NONE)?.personKey);
    assert.notEqual(principalOf(ROLE_SESSION_1, PERSONAL)?.personKey, principalOf(ROLE_SESSION_2, PERSONAL)?.personKey);
    // The personal role's session "alice" is the IAM user alice: one person, not two.
    assert.equal(principalOf(ROLE_SESSION_1, PERSONAL)?.personKey, principalOf(IAM_ALICE, PERSONAL)?.personKey);
    assert.equal(principalOf(ROLE_SESSION_1, { personalRoles: [`arn:aws:iam::${ACCOUNT}:role/Rev*`] })?.named, true, 'patterns are globs');
    assert.equal(principalOf(ROLE_SESSION_1, { personalRoles: [`arn:aws:iam::999999999999:role/Reviewer`] })?.named, false, 'another account’s role is not this one');
  });

  it('counts federated users once per account, since their names are chosen freely', () => {
    assert.equal(principalOf(FEDERATED_1, NONE)?.personKey, principalOf(FEDERATED_2, NONE)?.personKey);
  });

  it('gives moto’s default identity no kind a policy can name, and refuses what is not an ARN', () => {
    assert.equal(principalOf(MOTO, NONE)?.kind, null);
    for (const hostile of ['', 'alice', 'arn:aws:sts::1:assumed-role/OnlyRole', `${IAM_ALICE}\u0000`, 42, null, undefined, {}, 'arn:aws:s3:::bucket/key']) {
      assert.equal(principalOf(hostile, NONE), null, JSON.stringify(hostile));
    }
  });

  it('knows the trigger by ARN or by name, and not by a similar name', () => {
    const alice = principalOf(IAM_ALICE, NONE)!;
    assert.equal(triggeredBySamePerson(IAM_ALICE_PATH, alice, NONE), true);
    assert.equal(triggeredBySamePerson(' ALICE ', alice, NONE), true);
    assert.equal(triggeredBySamePerson(ROLE_SESSION_1, alice, NONE), true, 'a role session named like the user');
    assert.equal(triggeredBySamePerson('alice2', alice, NONE), false);
    assert.equal(triggeredBySamePerson('', alice, NONE), false);
    assert.equal(triggeredBySamePerson(null, alice, NONE), false);
    const roleSession = principalOf(ROLE_SESSION_2, NONE)!;
    assert.equal(triggeredBySamePerson(ROLE_SESSION_1, roleSession, NONE), true, 'the same plain role, another session name');
    assert.equal(triggeredBySamePerson('arn:aws:sts::1:garbage', roleSession, NONE), false);
  });
});

describe('eligibility', () => {
  const policy = policyForJob(
    parseApprovalPolicy({
      default: { approvers: [`arn:aws:iam::${ACCOUNT}:user/*`], rejecters: ['*'], identityKinds: ['iam-user', 'sso-user', 'assumed-role'] },
      jobs: { 'load_*': { approvers: [`arn:aws:iam::${ACCOUNT}:user/alice`], rejecters: [`arn:aws:iam::${ACCOUNT}:user/*`] } },
    }),
    'load_orders',
  );

  it('lets a listed approver approve and names the entry for one who is not', () => {
    assert.equal(eligibility(policy, RUN, IAM_ALICE, 'APPROVED').allowed, true);
    const bob = eligibility(policy, RUN, IAM_BOB, 'APPROVED');
    assert.equal(bob.allowed, false);
    assert.ok(!bob.allowed && bob.why === 'not-listed');
    assert.match(!bob.allowed ? bob.detail : '', /^bob \("arn:aws:iam::123456789012:user\/bob"\) is not an approver of jobs matching "load_\*"\.$/);
    assert.equal(eligibility(policy, RUN, IAM_BOB, 'REJECTED').allowed, true, 'rejecters are their own list');
    assert.equal(eligibility(policy, RUN, SSO_JANE_READ, 'REJECTED').allowed, false);
  });

  it('refuses root and moto’s default identity by kind, and an unreadable ARN', () => {
    const any = policyForJob(parseApprovalPolicy({}), 'x');
    const root = eligibility(any, RUN, ROOT, 'REJECTED');
    assert.ok(!root.allowed && root.why === 'identity-kind' && /root identity/.test(root.detail));
    const moto = eligibility(any, RUN, MOTO, 'APPROVED');
    assert.ok(!moto.allowed && moto.why === 'identity-kind');
    const garbage = eligibility(any, RUN, '<img src=x onerror=alert(1)>', 'APPROVED');
    assert.ok(!garbage.allowed && garbage.why === 'unknown-identity' && garbage.detail.includes('"<img src=x onerror=alert(1)>"'));
    assert.equal(eligibility(any, RUN, null, 'APPROVED').allowed, false);
    assert.equal(eligibility(policyForJob(parseApprovalPolicy({ default: { identityKinds: ['root'] } }), 'x'), RUN, ROOT, 'APPROVED').allowed, true);
  });

  it('refuses an approval from the person who triggered the run, not a rejection', () => {
    const any = policyForJob(parseApprovalPolicy({}), 'x');
    const run = { ...RUN, triggeredBy: IAM_ALICE_PATH };
    const self = eligibility(any, run, IAM_ALICE, 'APPROVED');
    assert.ok(!self.allowed && self.why === 'self-approval' && /^alice triggered this run/.test(self.detail));
    assert.equal(eligibility(any, run, IAM_ALICE, 'REJECTED').allowed, true);
    assert.equal(eligibility(policyForJob(parseApprovalPolicy({ default: { forbidSelfApproval: false } }), 'x'), run, IAM_ALICE, 'APPROVED').allowed, true);
  });

  it('matches approver patterns ignoring case but not beyond the pattern', () => {
    const strict = policyForJob(parseApprovalPolicy({ default: { approvers: [`ARN:AWS:IAM::${ACCOUNT}:USER/ALICE`] } }), 'x');
    assert.equal(eligibility(strict, RUN, IAM_ALICE, 'APPROVED').allowed, true);
    assert.equal(eligibility(strict, RUN, `${IAM_ALICE}x`, 'APPROVED').allowed, false);
    assert.equal(eligibility(strict, RUN, `arn:aws:iam::${ACCOUNT}:user/x/alice`, 'APPROVED').allowed, false);
  });
});

describe('tallyApprovals', () => {
  it('does not let one person count twice: a second decision, new session names of a plain role, two SSO permission sets', () => {
    const policy = policyForJob(quorumOf(2), 'x');
    assert.equal(tallyApprovals(policy, RUN, [vote(IAM_ALICE)], vote(IAM_ALICE_PATH)).reached, false);
    assert.equal(tallyApprovals(policy, RUN, [vote(ROLE_SESSION_1)], vote(ROLE_SESSION_2)).reached, false);
    assert.equal(tallyApprovals(policy, RUN, [vote(SSO_JANE_READ)], vote(SSO_JANE_ADMIN)).reached, false);
    assert.equal(tallyApprovals(policy, RUN, [vote(FEDERATED_1)], vote(FEDERATED_2)).reached, false);
  });

  it('is reached by two people, and lists them in decision order with names from their ARNs', () => {
    const policy = policyForJob(quorumOf(2), 'x');
    const first = vote(IAM_BOB);
    const tally = tallyApprovals(policy, RUN, [first], vote(SSO_JANE_READ));
    assert.equal(tally.reached, true);
    assert.deepEqual(tally.approvals.map((a) => a.decidedBy), ['bob', 'jane@corp.com']);
    assert.equal(tallyApprovals(policy, RUN, [vote(ROLE_SESSION_1)], vote(OTHER_ROLE)).reached, true, 'two roles are two');
    assert.equal(tallyApprovals(policyForJob(quorumOf(2, PERSONAL), 'x'), RUN, [vote(ROLE_SESSION_1)], vote(ROLE_SESSION_2)).reached, true, 'a personal role: two sessions, two people');
  });

  it('ignores votes that are not live approvals of this run and evidence, or whose caller the policy no longer lets approve', () => {
    const policy = policyForJob(parseApprovalPolicy({ default: { quorum: 2, approvers: [`arn:aws:iam::${ACCOUNT}:user/*`] } }), 'x');
    const ignored = [
      vote(IAM_BOB, { jobRunId: 'run-2' }),
      vote(IAM_BOB, { decision: 'REJECTED' }),
      vote(IAM_BOB, { auditStatus: 'invalid' }),
      vote(IAM_BOB, { auditStatus: 'refused' }),
      vote(IAM_BOB, { auditStatus: 'superseded' }),
      vote(IAM_BOB, { evidenceSha256: 'f'.repeat(64) }),
      vote(IAM_BOB, { decisionId: null }),
      vote(null),
      vote(ROLE_SESSION_1),
      vote(ROOT),
      vote('not an arn'),
    ];
    const tally = tallyApprovals(policy, RUN, ignored, vote(IAM_ALICE));
    assert.deepEqual(tally.approvals.map((a) => a.decidedBy), ['alice']);
    assert.equal(tally.reached, false);
  });

  it('leaves out audits with a code (a stale proof, a conflicting decision_id) and votes judged on another document of the run', () => {
    const policy = policyForJob(quorumOf(2), 'x');
    const run = { ...RUN, runDocumentId: 'doc-2' };
    const ignored = [vote(IAM_BOB, { auditCode: 'identity-proof-expired' }), vote(IAM_BOB, { runDocumentId: 'doc-1' })];
    assert.deepEqual(tallyApprovals(policy, run, ignored, vote(IAM_ALICE)).approvals.map((a) => a.decidedBy), ['alice']);
    assert.equal(tallyApprovals(policy, run, [vote(IAM_BOB, { runDocumentId: 'doc-2' })], vote(IAM_ALICE)).reached, true);
    assert.equal(tallyApprovals(policy, run, [vote(IAM_BOB, { runDocumentId: null })], vote(IAM_ALICE)).reached, true, 'an older audit without the field counts');
    const parsed = voteRecordOfAuditRecord(parseAuditRecord('d', { audit_code: 'decision-id-conflict', run_document_id: 'doc-1' }));
    assert.deepEqual([parsed.auditCode, parsed.runDocumentId], ['decision-id-conflict', 'doc-1']);
  });

  it('counts the current decision once when its own audit is among the records', () => {
    const policy = policyForJob(quorumOf(2), 'x');
    const current = vote(IAM_ALICE);
    assert.equal(tallyApprovals(policy, RUN, [current], current).approvals.length, 1);
  });

  it('keeps the earliest approval of a person and survives a thousand junk records', () => {
    const policy = policyForJob(quorumOf(3), 'x');
    const junk = Array.from({ length: 1000 }, (_, i) => vote(`arn:aws:sts::${ACCOUNT}:assumed-role/Flood/s${i}`, { reason: '<script>x</script>' }));
    const early = vote(IAM_ALICE, { timestamp: '2024-01-15T10:00:00Z' });
    const tally = tallyApprovals(policy, RUN, [...junk, vote(IAM_ALICE, { timestamp: '2024-01-15T12:00:00Z' }), early]);
    assert.equal(tally.approvals.length, 2, 'alice and the Flood role, once each');
    assert.equal(tally.approvals.find((a) => a.decidedBy === 'alice')?.decisionId, early.decisionId);
  });
});

describe('decisionProgress (what the details page shows)', () => {
  const policy = parseApprovalPolicy({
    default: { quorum: 1 },
    jobs: { 'load_*': { quorum: 2, approvers: [`arn:aws:iam::${ACCOUNT}:user/alice`, `arn:aws:iam::${ACCOUNT}:user/bob`] } },
  });

  it('says how many approvals there are and that you approved already; approve is closed, reject open', () => {
    const progress = decisionProgress({ policy, run: RUN, records: [vote(IAM_ALICE)], identityArn: IAM_ALICE });
    assert.equal(progress.summary, '1 of 2 approvals (alice); you approved already');
    assert.equal(progress.youApproved, true);
    assert.deepEqual(progress.approve, { allowed: false, reason: 'You approved this run already; the same person counts once.' });
    assert.deepEqual(progress.reject, { allowed: true, reason: null });
    const bob = decisionProgress({ policy, run: RUN, records: [vote(IAM_ALICE)], identityArn: IAM_BOB });
    assert.equal(bob.summary, '1 of 2 approvals (alice)');
    assert.equal(bob.approve.allowed, true);
  });

  it('tells a non-approver before anything is typed, naming the job glob', () => {
    const carol = decisionProgress({ policy, run: RUN, records: [], identityArn: `arn:aws:iam::${ACCOUNT}:user/carol` });
    assert.equal(carol.summary, '0 of 2 approvals; you are not an approver of jobs matching "load_*"');
    assert.deepEqual(carol.approve, { allowed: false, reason: 'You are not an approver of jobs matching "load_*".' });
    assert.deepEqual(carol.reject, { allowed: false, reason: 'You may not reject runs of jobs matching "load_*".' });
  });

  it('tells the trigger they cannot approve, and counts what is needed', () => {
    const run = { ...RUN, triggeredBy: 'Bob' };
    const trigger = decisionProgress({ policy, run, records: [], identityArn: IAM_BOB });
    assert.equal(trigger.summary, '0 of 2 approvals; you triggered this run and cannot approve it');
    assert.equal(trigger.approve.reason, 'You triggered this run and cannot approve it.');
    assert.equal(trigger.reject.allowed, true);
    const threeNeeded = decisionProgress({ policy: quorumOf(3), run: { ...RUN, jobName: 'other' }, records: [], identityArn: IAM_ALICE });
    assert.equal(threeNeeded.summary, '0 of 3 approvals; 3 more needed');
    const one = decisionProgress({ policy: quorumOf(1), run: { ...RUN, jobName: 'other' }, records: [], identityArn: IAM_ALICE });
    assert.equal(one.summary, 'One approval decides this run');
  });

  it('closes the form while the identity is unknown, and never throws on hostile records', () => {
    const unknown = decisionProgress({ policy, run: RUN, records: [], identityArn: null });
    assert.equal(unknown.approve.allowed, false);
    assert.equal(unknown.reject.allowed, false);
    const hostile = [{}, { identityArn: 7 }, { decision: 'APPROVED', auditStatus: 'recorded', identityArn: ['x'] }] as unknown as VoteRecord[];
    assert.doesNotThrow(() => decisionProgress({ policy, run: RUN, records: hostile, identityArn: IAM_ALICE }));
  });

  it('agrees with the processor’s tally for the same records', () => {
    const records = [vote(IAM_ALICE), vote(ROLE_SESSION_1), vote(IAM_BOB, { auditStatus: 'refused' })];
    const shown = decisionProgress({ policy, run: RUN, records, identityArn: IAM_BOB });
    const judged = tallyApprovals(policyForJob(policy, RUN.jobName), RUN, records);
    assert.deepEqual(shown.approvedBy, judged.approvals.map((a) => a.decidedBy));
  });
});

describe('waiting for me (the tree filter)', () => {
  const policy = parseApprovalPolicy({
    default: { quorum: 1 },
    jobs: { 'score_*': { quorum: 2, approvers: [`arn:aws:iam::${ACCOUNT}:user/dwh-reviewer*`] } },
  });
  const run = (jobName: string, jobRunId: string, triggeredBy: string | null = null) => ({ jobName, jobRunId, triggeredBy });

  it('keeps the runs I may approve and have not approved, by person whatever the ARN', () => {
    const reviewer = `arn:aws:iam::${ACCOUNT}:user/dwh-reviewer1`;
    const votes = [vote(`arn:aws:iam::${ACCOUNT}:user/path/dwh-reviewer1`, { jobRunId: 'score-1' }), vote(`arn:aws:iam::${ACCOUNT}:user/dwh-reviewer2`, { jobRunId: 'score-2' })];
    const mine = waitingForIdentity(policy, reviewer, votes);
    assert.equal(mine(run('score_fraud', 'score-1')), false, 'approved already');
    assert.equal(mine(run('score_fraud', 'score-2')), true, 'someone else approved: still waiting for me');
    assert.equal(mine(run('load_orders', 'load-1')), true);
    assert.equal(mine(run('load_orders', 'load-2', 'dwh-reviewer1')), false, 'I triggered it');
  });

  it('drops what I may not approve', () => {
    const observer = waitingForIdentity(policy, `arn:aws:iam::${ACCOUNT}:user/dwh-observer`, []);
    assert.equal(observer(run('score_fraud', 'score-1')), false);
    assert.equal(observer(run('load_orders', 'load-1')), true);
    assert.equal(waitingForIdentity(policy, 'not an arn', [])(run('load_orders', 'load-1')), false);
  });
});

describe('reading approvals from the audit index', () => {
  it('asks for live approvals of one run, or every open vote', () => {
    assert.deepEqual(approvalVotesQuery('run-1'), {
      size: 1000,
      query: { bool: { filter: [{ term: { decision: 'APPROVED' } }, { terms: { audit_status: ['awaiting-quorum', 'recorded'] } }, { term: { job_run_id: 'run-1' } }] } },
      sort: [{ timestamp: 'asc' }],
    });
    assert.deepEqual((approvalVotesQuery().query as { bool: { filter: unknown[] } }).bool.filter, [{ term: { decision: 'APPROVED' } }, { terms: { audit_status: ['awaiting-quorum'] } }]);
  });

  it('reads an audit document into the vote the tally counts, identity from identity_arn only', () => {
    const record = voteRecordOfAuditRecord(
      parseAuditRecord('d-1', { decision_id: 'd-1', job_run_id: 'run-1', decision: 'APPROVED', audit_status: 'awaiting-quorum', evidence_sha256: 'e', identity_arn: IAM_ALICE, decided_by: 'bob', received_at: '2024-01-15T11:00:00Z' }),
    );
    assert.equal(record.identityArn, IAM_ALICE);
    assert.equal(record.receivedAt, '2024-01-15T11:00:00Z');
    assert.equal(voteRecordOfAuditRecord(parseAuditRecord('d-2', { decided_by: 'alice' })).identityArn, null, 'decided_by never stands in for the identity');
  });
});

describe('splitByEligibility (the tree and the palette, before a reason is asked for)', () => {
  const policy = parseApprovalPolicy({ jobs: { 'score_*': { approvers: [`arn:aws:iam::${ACCOUNT}:user/dwh-reviewer*`] } } });
  const runs = [
    { jobName: 'score_fraud', jobRunId: 's-1', triggeredBy: null },
    { jobName: 'load_orders', jobRunId: 'l-1', triggeredBy: 'dwh-observer' },
    { jobName: 'load_orders', jobRunId: 'l-2', triggeredBy: null },
  ];

  it('keeps what the identity may decide and says why not for the rest', () => {
    const { allowed, refused } = splitByEligibility(policy, runs, `arn:aws:iam::${ACCOUNT}:user/dwh-observer`, 'APPROVED');
    assert.deepEqual(allowed.map((run) => run.jobRunId), ['l-2']);
    assert.deepEqual(refused.map((r) => [r.run.jobRunId, r.reason]), [
      ['s-1', 'You are not an approver of jobs matching "score_*".'],
      ['l-1', 'You triggered this run and cannot approve it.'],
    ]);
    const rejecting = splitByEligibility(policy, runs, `arn:aws:iam::${ACCOUNT}:user/dwh-observer`, 'REJECTED');
    assert.deepEqual(rejecting.allowed.map((run) => run.jobRunId), ['l-1', 'l-2'], 'the trigger may reject');
  });
});
