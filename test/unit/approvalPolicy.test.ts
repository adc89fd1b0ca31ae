import assert from 'node:assert/strict';
import {
  ApprovalPolicyError,
  DEFAULT_APPROVAL_POLICY,
  MAX_QUORUM,
  approverKey,
  describeTally,
  isSelfApproval,
  parseApprovalPolicy,
  policyForJob,
  tallyQuorum,
  type Vote,
} from '../../src/core/approvalPolicy';

function vote(decisionId: string, approver: string, timestamp = '2024-01-15T11:00:00Z', decidedBy = approver): Vote {
  return { decisionId, approver, decidedBy, reason: `reason of ${decidedBy}`, timestamp };
}

describe('approvalPolicy', () => {
  describe('parseApprovalPolicy', () => {
    it('reads the documented shape and merges job entries with the default', () => {
      const policy = parseApprovalPolicy('{ "default": {"quorum":1, "forbidSelfApproval":true}, "jobs": { "load_orders": {"quorum":2} } }');
      assert.deepEqual(policy.default, { quorum: 1, forbidSelfApproval: true });
      assert.deepEqual(policyForJob(policy, 'load_orders'), { quorum: 2, forbidSelfApproval: true });
      assert.deepEqual(policyForJob(policy, 'transform_images'), { quorum: 1, forbidSelfApproval: true });
    });

    it('lets a job turn the self-approval rule off while the default keeps it', () => {
      const policy = parseApprovalPolicy({ default: { quorum: 3 }, jobs: { adhoc: { forbidSelfApproval: false } } });
      assert.deepEqual(policyForJob(policy, 'adhoc'), { quorum: 3, forbidSelfApproval: false });
      assert.deepEqual(policyForJob(policy, 'other'), { quorum: 3, forbidSelfApproval: true });
    });

    it('uses quorum 1 with self-approval forbidden when nothing is configured', () => {
      assert.deepEqual(parseApprovalPolicy(''), DEFAULT_APPROVAL_POLICY);
      assert.deepEqual(parseApprovalPolicy('{}').default, { quorum: 1, forbidSelfApproval: true });
      assert.deepEqual(policyForJob(parseApprovalPolicy({ jobs: null }), 'x'), { quorum: 1, forbidSelfApproval: true });
    });

    it('does not read job names that are Object.prototype members as configured jobs', () => {
      const policy = parseApprovalPolicy({ default: { quorum: 2 } });
      assert.deepEqual(policyForJob(policy, 'constructor'), { quorum: 2, forbidSelfApproval: true });
      assert.deepEqual(policyForJob(policy, '__proto__'), { quorum: 2, forbidSelfApproval: true });
    });

    const bad: Array<[string, unknown, RegExp]> = [
      ['text that is not JSON', '{quorum: 2', /not JSON/],
      ['a list', '[1]', /must be a JSON object/],
      ['an unknown top-level field', { defaults: {} }, /unknown field\(s\): defaults/],
      ['an unknown job field', { jobs: { a: { quorom: 2 } } }, /jobs\.a.*unknown field\(s\): quorom/],
      ['a zero quorum', { default: { quorum: 0 } }, /default\.quorum/],
      ['a fractional quorum', { jobs: { a: { quorum: 1.5 } } }, /jobs\.a\.quorum/],
      ['a quorum given as text', { jobs: { a: { quorum: '2' } } }, /jobs\.a\.quorum/],
      ['an absurd quorum', { default: { quorum: MAX_QUORUM + 1 } }, /from 1 to/],
      ['forbidSelfApproval as text', { default: { forbidSelfApproval: 'yes' } }, /forbidSelfApproval/],
      ['jobs as a list', { jobs: [] }, /"jobs"/],
      ['a job entry that is a number', { jobs: { a: 2 } }, /"jobs\.a"/],
    ];
    for (const [what, input, message] of bad) {
      it(`refuses ${what}`, () => {
        assert.throws(() => parseApprovalPolicy(input), (error: unknown) => error instanceof ApprovalPolicyError && message.test(error.message));
      });
    }
  });

  describe('approverKey', () => {
    it('is the identity ARN, lower-cased, and falls back to decided_by', () => {
      assert.equal(approverKey({ identity_arn: ' arn:aws:iam::123456789012:user/Alice ', decided_by: 'Alice' }), 'arn:aws:iam::123456789012:user/alice');
      assert.equal(approverKey({ identity_arn: '', decided_by: 'Bob@Corp.com' }), 'bob@corp.com');
      assert.equal(approverKey({ identity_arn: null, decided_by: 42 }), null);
    });
  });

  describe('isSelfApproval', () => {
    const alice = { identity_arn: 'arn:aws:sts::123456789012:assumed-role/Reviewer/alice', decided_by: 'alice' };

    it('matches the same identity ARN', () => {
      assert.equal(isSelfApproval('arn:aws:sts::123456789012:assumed-role/Reviewer/alice', alice), true);
    });

    it('matches decided_by, ignoring case and padding', () => {
      assert.equal(isSelfApproval('  ALICE ', alice), true);
    });

    it('matches the same person through another role', () => {
      assert.equal(isSelfApproval('arn:aws:sts::123456789012:assumed-role/PipelineRunner/alice', alice), true);
      assert.equal(isSelfApproval('arn:aws:iam::123456789012:user/alice', alice), true);
    });

    it('does not match someone else, a missing trigger, or an unreadable ARN', () => {
      assert.equal(isSelfApproval('arn:aws:sts::123456789012:assumed-role/PipelineRunner/scheduler', alice), false);
      assert.equal(isSelfApproval('airflow', alice), false);
      assert.equal(isSelfApproval(null, alice), false);
      assert.equal(isSelfApproval('', alice), false);
      assert.equal(isSelfApproval('arn:aws:lambda:us-east-1:123456789012:function:alice-loader', alice), false);
    });
  });

  describe('tallyQuorum', () => {
    it('counts distinct approvers and reaches the quorum with the Nth', () => {
      const one = tallyQuorum([], vote('d1', 'alice'), 2);
      assert.equal(one.reached, false);
      assert.equal(one.approvers.length, 1);
      const two = tallyQuorum([vote('d1', 'alice')], vote('d2', 'bob', '2024-01-15T11:01:00Z'), 2);
      assert.equal(two.reached, true);
      assert.deepEqual(two.approvers.map((v) => v.decidedBy), ['alice', 'bob']);
      assert.equal(describeTally(two), '2 of 2 distinct approvals (alice, bob)');
    });

    it('does not count the same approver twice, even with another decision id', () => {
      const tally = tallyQuorum([vote('d1', 'alice')], vote('d2', 'alice', '2024-01-15T11:05:00Z'), 2);
      assert.equal(tally.reached, false);
      assert.equal(tally.duplicate, true);
      assert.equal(tally.approvers.length, 1);
      assert.equal(tally.approvers[0]?.decisionId, 'd1', 'the earliest vote of an approver is the one that counts');
    });

    it('does not count the current decision twice when its own audit is among the earlier votes', () => {
      const tally = tallyQuorum([vote('d1', 'alice')], vote('d1', 'alice'), 2);
      assert.equal(tally.reached, false);
      assert.equal(tally.duplicate, false);
      assert.equal(tally.approvers.length, 1);
    });

    it('orders approvers by decision time whatever the order of the votes', () => {
      const tally = tallyQuorum(
        [vote('d3', 'carol', '2024-01-15T11:03:00Z'), vote('d1', 'alice', '2024-01-15T11:01:00Z')],
        vote('d2', 'bob', '2024-01-15T11:02:00Z'),
        3,
      );
      assert.equal(tally.reached, true);
      assert.deepEqual(tally.approvers.map((v) => v.decidedBy), ['alice', 'bob', 'carol']);
    });

    it('orders approvals made in the same second by when the processor received them', () => {
      const early = { ...vote('d-z', 'alice'), receivedAt: '2024-01-15T11:00:01.100Z' };
      const late = { ...vote('d-a', 'bob'), receivedAt: '2024-01-15T11:00:01.900Z' };
      assert.deepEqual(tallyQuorum([early], late, 2).approvers.map((v) => v.decidedBy), ['alice', 'bob']);
      assert.deepEqual(tallyQuorum([late], early, 2).approvers.map((v) => v.decidedBy), ['alice', 'bob']);
    });

    it('is reached by a single approval under quorum 1', () => {
      assert.equal(tallyQuorum([], vote('d1', 'alice'), 1).reached, true);
    });
  });
});
