import assert from 'node:assert/strict';
import {
  ApprovalPolicyError,
  DEFAULT_APPROVAL_POLICY,
  MAX_QUORUM,
  globMatches,
  jobKeyFor,
  parseApprovalPolicy,
  patternsFor,
  policyForJob,
  type JobPolicy,
} from '../../src/core/approvalPolicy';

/** The two rules the first version of the policy had (the others have their own tests). */
function rules(policy: JobPolicy): { quorum: number; forbidSelfApproval: boolean } {
  return { quorum: policy.quorum, forbidSelfApproval: policy.forbidSelfApproval };
}

describe('approvalPolicy', () => {
  describe('parseApprovalPolicy', () => {
    it('reads the documented shape and merges job entries with the default', () => {
      const policy = parseApprovalPolicy('{ "default": {"quorum":1, "forbidSelfApproval":true}, "jobs": { "load_orders": {"quorum":2} } }');
      assert.deepEqual(rules(policy.default), { quorum: 1, forbidSelfApproval: true });
      assert.deepEqual(rules(policyForJob(policy, 'load_orders')), { quorum: 2, forbidSelfApproval: true });
      assert.deepEqual(rules(policyForJob(policy, 'transform_images')), { quorum: 1, forbidSelfApproval: true });
    });

    it('lets a job turn the self-approval rule off while the default keeps it', () => {
      const policy = parseApprovalPolicy({ default: { quorum: 3 }, jobs: { adhoc: { forbidSelfApproval: false } } });
      assert.deepEqual(rules(policyForJob(policy, 'adhoc')), { quorum: 3, forbidSelfApproval: false });
      assert.deepEqual(rules(policyForJob(policy, 'other')), { quorum: 3, forbidSelfApproval: true });
    });

    it('uses quorum 1 with self-approval forbidden when nothing is configured', () => {
      assert.deepEqual(parseApprovalPolicy(''), DEFAULT_APPROVAL_POLICY);
      assert.deepEqual(rules(parseApprovalPolicy('{}').default), { quorum: 1, forbidSelfApproval: true });
      assert.deepEqual(rules(policyForJob(parseApprovalPolicy({ jobs: null }), 'x')), { quorum: 1, forbidSelfApproval: true });
    });

    it('does not read job names that are Object.prototype members as configured jobs', () => {
      const policy = parseApprovalPolicy({ default: { quorum: 2 } });
      assert.deepEqual(rules(policyForJob(policy, 'constructor')), { quorum: 2, forbidSelfApproval: true });
      assert.deepEqual(rules(policyForJob(policy, '__proto__')), { quorum: 2, forbidSelfApproval: true });
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['text that is not JSON', '{quorum: 2', /not JSON/],
      ['a list', '[1]', /must be a JSON object/],
      ['an unknown top-level field', { defaults: {} }, /unknown field\(s\): "defaults"/],
      ['an unknown job field', { jobs: { a: { quorom: 2 } } }, /jobs\.a.*unknown field\(s\): "quorom"/],
      ['a zero quorum', { default: { quorum: 0 } }, /default\.quorum/],
      ['a fractional quorum', { jobs: { a: { quorum: 1.5 } } }, /jobs\.a\.quorum/],
      ['a quorum given as text', { jobs: { a: { quorum: '2' } } }, /jobs\.a\.quorum/],
      ['an absurd quorum', { default: { quorum: MAX_QUORUM + 1 } }, /from 1 to/],
      ['forbidSelfApproval as text', { default: { forbidSelfApproval: 'yes' } }, /forbidSelfApproval/],
      ['jobs as a list', { jobs: [] }, /"jobs"/],
      ['a job entry that is a number', { jobs: { a: 2 } }, /"jobs\.a"/],
      ['approvers as one string', { default: { approvers: 'arn:aws:iam::1:user/a' } }, /default\.approvers/],
      ['an approver that is not an ARN', { jobs: { a: { approvers: ['alice'] } } }, /jobs\.a\.approvers\[0\].*"alice"/],
      ['an approver pattern with a newline', { default: { approvers: ['arn:aws:iam::1:user/a\n'] } }, /approvers\[0\]/],
      ['an empty approver pattern', { default: { rejecters: ['  '] } }, /rejecters\[0\]/],
      ['a personal role with a path or a user ARN', { default: { personalRoles: ['arn:aws:iam::1:user/alice'] } }, /personalRoles\[0\]/],
      ['an unknown identity kind', { default: { identityKinds: ['iam-user', 'sts-user'] } }, /identityKinds.*"sts-user"/],
      ['identity kinds as text', { default: { identityKinds: 'iam-user' } }, /identityKinds/],
      ['a list of 201 approvers', { default: { approvers: Array.from({ length: 201 }, (_, i) => `arn:aws:iam::1:user/u${i}`) } }, /at most 200/],
      ['an empty job name', { jobs: { ' ': {} } }, /empty or overlong job name/],
    ];
    for (const [what, input, message] of bad) {
      it(`refuses ${what}`, () => {
        assert.throws(() => parseApprovalPolicy(input), (error: unknown) => error instanceof ApprovalPolicyError && message.test(error.message));
      });
    }
  });

  describe('job globs', () => {
    const policy = parseApprovalPolicy({
      jobs: { 'load_*': { quorum: 2 }, 'load_orders': { quorum: 3 }, '*_orders': { quorum: 4 }, 'load_or*': { quorum: 5 }, '*': { quorum: 6 } },
    });

    it('lets an exact name win over every glob', () => {
      assert.equal(jobKeyFor(policy, 'load_orders'), 'load_orders');
      assert.equal(policyForJob(policy, 'load_orders').quorum, 3);
    });

    it('lets the glob with the most literal characters win, then the one with fewer stars', () => {
      assert.equal(jobKeyFor(policy, 'load_orders_eu'), 'load_or*');
      assert.equal(jobKeyFor(policy, 'load_items'), 'load_*');
      assert.equal(jobKeyFor(policy, 'sync_orders'), '*_orders');
      assert.equal(jobKeyFor(policy, 'other'), '*');
      const tie = parseApprovalPolicy({ jobs: { 'a*c': { quorum: 2 }, 'ab*': { quorum: 3 } } });
      assert.equal(jobKeyFor(tie, 'abc'), 'a*c', 'same literal length and stars: alphabetically first');
    });

    it('says which entry applied, and falls back to the default', () => {
      assert.equal(policyForJob(policy, 'load_items').matchedBy, 'load_*');
      assert.equal(policyForJob(parseApprovalPolicy({ jobs: { 'load_*': {} } }), 'transform').matchedBy, null);
    });

    it('matches globs in linear time on hostile names', () => {
      const hostile = parseApprovalPolicy({ jobs: { ['*a'.repeat(40) + 'b']: { quorum: 2 } } });
      assert.equal(jobKeyFor(hostile, 'a'.repeat(50_000)), null);
      assert.equal(globMatches('a*b*c', 'axxbyyc'), true);
      assert.equal(globMatches('a*b*c', 'axxcyyb'), false);
      assert.equal(globMatches('ab*ba', 'aba'), false, 'prefix and suffix may not overlap');
      assert.equal(globMatches('*', ''), true);
      assert.equal(globMatches('LOAD_*', 'load_x', false), false, 'job names are compared as written');
    });
  });

  describe('approvers and rejecters', () => {
    it('defaults to anyone, and rejecters follow the approvers of the same entry', () => {
      const policy = parseApprovalPolicy({
        default: { approvers: ['arn:aws:iam::1:user/*'], rejecters: ['*'] },
        jobs: { strict: { approvers: ['arn:aws:iam::1:user/lead'] }, loose: { quorum: 2 } },
      });
      assert.deepEqual(patternsFor(DEFAULT_APPROVAL_POLICY.default, 'APPROVED'), ['*']);
      assert.deepEqual(patternsFor(policyForJob(policy, 'strict'), 'REJECTED'), ['arn:aws:iam::1:user/lead']);
      assert.deepEqual(patternsFor(policyForJob(policy, 'loose'), 'REJECTED'), ['*']);
      assert.deepEqual(patternsFor(policyForJob(policy, 'loose'), 'APPROVED'), ['arn:aws:iam::1:user/*']);
    });

    it('never counts root by default', () => {
      assert.ok(!DEFAULT_APPROVAL_POLICY.default.identityKinds.includes('root'));
      assert.ok(!DEFAULT_APPROVAL_POLICY.default.identityKinds.includes('federated-user'));
    });
  });
});
