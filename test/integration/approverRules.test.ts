// Approver rules and quorum of distinct people, against the real local stack: the processor's
// Lambda handler (in-process) reads the approval policy from moto's SSM, and the deciders'
// ARNs come from moto's STS GetCallerIdentity for distinct IAM users with access keys of their
// own (the stack's profiles dwh-local, dwh-local-reviewer2, dwh-local-observer), or for role
// sessions made with sts:AssumeRole (moto answers per access key, as AWS does).
// Decisions carry signature v2: an identity proof signed with the decider's own keys, which the
// processor sends to moto's STS; the identity it judges is the one STS answers.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ApprovalsBackend } from '../../src/adapters/approvalsBackend';
import { AwsContext } from '../../src/adapters/awsContext';
import { DEFAULT_APPROVAL_POLICY } from '../../src/core/approvalPolicy';
import { DEFAULT_CONNECTION_SETTINGS } from '../../src/core/connectionSettings';
import { CallerIdentityReader } from '../../src/adapters/callerIdentity';
import type { DecisionMessage } from '../../src/core/decisionMessage';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import { createLambdaHandler } from '../../src/processor/lambdaHandler';
import { localStack, type StackEnv } from '../support/localStack';
import { decisionBy, type Reviewer } from '../support/reviewers';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

/** Matches the stack's policy entry "score_*": quorum 2, approvers dwh-reviewer*. */
const SCORE_JOB = 'score_it_fraud';
/** A job the stack's policy leaves to the default; tests give their own POLICY for it. */
const ROLE_JOB = 'approver_rules_it_roles';
const ACCOUNT = '123456789012';

describe('approver rules and a quorum of distinct people, with identities from STS', function () {
  this.timeout(120_000);
  let env: StackEnv;
  let secret: string;
  let runner: typeof ProcessorRunnerModule;
  const handlers: Array<{ close(): Promise<void> }> = [];
  const saved: Record<string, string | undefined> = {};
  const arns: Record<'reviewer1' | 'reviewer2' | 'observer', string> = { reviewer1: '', reviewer2: '', observer: '' };

  const os = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${env.opensearchUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const runSource = async (runId: string): Promise<Record<string, unknown>> => (await os('GET', `/job-events/_doc/${encodeURIComponent(runId)}`)).json._source as Record<string, unknown>;
  const audit = async (id: string): Promise<Record<string, unknown>> => {
    const { status, json } = await os('GET', `/job-approvals/_doc/${encodeURIComponent(id)}`);
    assert.equal(status, 200, `audit ${id} exists`);
    return json._source as Record<string, unknown>;
  };

  const createRun = async (jobName: string, overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const runId = `${jobName}-${Date.now()}-${randomUUID().slice(0, 8)}`;
    const source: Record<string, unknown> = {
      timestamp: new Date(Date.now() - 20 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: jobName,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: 0.14, threshold: 0.1 }],
      records_read: 50_000,
      records_written: 43_000,
      records_dropped: 7_000,
      ...overrides,
    };
    const { status } = await os('PUT', `/job-events/_doc/${encodeURIComponent(runId)}?refresh=true`, source);
    assert.ok(status === 200 || status === 201, `run ${runId} indexed`);
    return source;
  };

  /** Who holds which keys: the stack's users and the role sessions the tests assume, by ARN. */
  const deciders = new Map<string, Reviewer>();
  const sign = (run: Record<string, unknown>, identityArn: string, decision: 'APPROVED' | 'REJECTED' = 'APPROVED'): Promise<DecisionMessage> => {
    const decider = deciders.get(identityArn);
    assert.ok(decider, `keys for ${identityArn}`);
    return decisionBy(
      decider,
      env,
      {
        jobName: String(run.job_name),
        jobRunId: String(run.job_run_id),
        decision,
        reason: `Checked by ${identityArn.split('/').pop() ?? ''}: a known upstream hiccup.`,
        evidenceSha256: evidenceSha256(parseJobRun(String(run.job_run_id), run)),
        timestamp: Date.now(),
      },
      secret,
    );
  };

  /** The processor as Lambda runs it, with the stack's configuration (POLICY_PARAMETER included) and `extra`. */
  const processor = (extra: Record<string, string> = {}) => {
    const handler = createLambdaHandler({ config: { ...runner.processorEnvironment(env, {}), ...extra }, log: () => undefined });
    handlers.push(handler);
    return async (message: DecisionMessage): Promise<void> => {
      const response = await handler({
        Records: [
          {
            messageId: randomUUID(),
            receiptHandle: 'in-process',
            body: JSON.stringify(message),
            attributes: { ApproximateReceiveCount: '1' },
            messageAttributes: {},
            eventSource: 'aws:sqs',
            eventSourceARN: `arn:aws:sqs:${env.region}:${ACCOUNT}:job-approvals-processor`,
            awsRegion: env.region,
          },
        ],
      });
      assert.deepEqual(response, { batchItemFailures: [] });
    };
  };

  /** The caller ARN of a profile, read as the extension reads it (the product's adapter). */
  const identityOf = async (profile: string): Promise<string> => {
    const reader = new CallerIdentityReader(new AwsContext({ profile, region: env.region, endpointUrl: env.awsEndpointUrl }));
    try {
      const arn = (await reader.identity()).arn;
      const user = Object.values(env.users ?? {}).find((u) => u.profile === profile);
      assert.ok(user, `the stack has a user for ${profile}`);
      deciders.set(arn, { name: user.userName, arn, credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey } });
      return arn;
    } finally {
      reader.dispose();
    }
  };

  /** A session of `roleName` assumed by the first reviewer, and the ARN STS gives it. */
  const sessionArn = async (roleName: string, sessionName: string): Promise<string> => {
    const reviewer = Object.values(env.users ?? {}).find((user) => user.profile === 'dwh-local');
    assert.ok(reviewer, 'the stack has the dwh-local reviewer');
    const base = { region: env.region, endpoint: env.awsEndpointUrl };
    const sts = new STSClient({ ...base, credentials: { accessKeyId: reviewer.accessKeyId, secretAccessKey: reviewer.secretAccessKey } });
    try {
      const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, RoleSessionName: sessionName }));
      const c = assumed.Credentials;
      assert.ok(c?.AccessKeyId && c.SecretAccessKey, 'moto issued session credentials');
      const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) };
      const session = new STSClient({ ...base, credentials });
      try {
        const arn = (await session.send(new GetCallerIdentityCommand({}))).Arn ?? '';
        deciders.set(arn, { name: sessionName, arn, credentials });
        return arn;
      } finally {
        session.destroy();
      }
    } finally {
      sts.destroy();
    }
  };

  before(async () => {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']) saved[key] = process.env[key];
    const local = await localStack();
    env = local.env;
    // The processor's own credentials (the environment, as in Lambda): the stack's dummy keys.
    process.env.AWS_ACCESS_KEY_ID = env.credentials?.accessKeyId ?? 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = env.credentials?.secretAccessKey ?? 'testing';
    const read = await local.stack.readSigningSecret(env);
    assert.ok(read, 'the stack holds a signing secret');
    secret = read;
    runner = await import('../../scripts/lib/processorRunner.mjs');
    arns.reviewer1 = await identityOf('dwh-local');
    arns.reviewer2 = await identityOf('dwh-local-reviewer2');
    arns.observer = await identityOf('dwh-local-observer');
  });

  after(async () => {
    await Promise.all(handlers.map((h) => h.close()));
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('gets a distinct IAM user ARN from STS for each profile', () => {
    assert.deepEqual(arns, {
      reviewer1: `arn:aws:iam::${ACCOUNT}:user/dwh-reviewer1`,
      reviewer2: `arn:aws:iam::${ACCOUNT}:user/dwh-reviewer2`,
      observer: `arn:aws:iam::${ACCOUNT}:user/dwh-observer`,
    });
  });

  it('does not meet a quorum of 2 with one person approving twice; a second person does (the stack’s SSM policy)', async () => {
    const decide = processor();
    const run = await createRun(SCORE_JOB);
    const runId = String(run.job_run_id);
    const first = await sign(run, arns.reviewer1);
    const again = await sign(run, arns.reviewer1);
    await decide(first);
    await decide(again);
    assert.equal((await runSource(runId)).approval_status ?? null, null, 'one person twice is not two approvals');
    assert.equal((await audit(first.decision_id)).audit_status, 'awaiting-quorum');
    const second = await audit(again.decision_id);
    assert.equal(second.audit_status, 'awaiting-quorum');
    assert.match(String(second.audit_detail), /^dwh-reviewer1 has already approved this run; the same person counts once\. Awaiting quorum: 1 of 2 distinct approvals \(dwh-reviewer1\)\.$/);

    const other = await sign(run, arns.reviewer2);
    await decide(other);
    const decided = await runSource(runId);
    assert.equal(decided.approval_status, 'APPROVED');
    assert.equal(decided.approved_by, 'dwh-reviewer1, dwh-reviewer2');
    assert.deepEqual(decided.approval_decision_ids, [first.decision_id, other.decision_id]);
    assert.match(String((await audit(other.decision_id)).audit_detail), /Quorum reached: 2 of 2 distinct approvals \(dwh-reviewer1, dwh-reviewer2\)/);
  });

  it('refuses a non-approver with a clear audit detail, and does not count them', async () => {
    const decide = processor();
    const run = await createRun(SCORE_JOB);
    const runId = String(run.job_run_id);
    const outsider = await sign(run, arns.observer);
    await decide(outsider);
    const refused = await audit(outsider.decision_id);
    assert.equal(refused.audit_status, 'refused');
    assert.equal(refused.audit_detail, `dwh-observer ("arn:aws:iam::${ACCOUNT}:user/dwh-observer") is not an approver of jobs matching "score_*".`);
    assert.equal((await runSource(runId)).approval_status ?? null, null);
    // The observer's refused vote is no approval: one reviewer still leaves the run waiting.
    const reviewer = await sign(run, arns.reviewer1);
    await decide(reviewer);
    assert.equal((await audit(reviewer.decision_id)).audit_status, 'awaiting-quorum');
    // Nor may the observer reject it: the rejecters of score_* are its approvers.
    const rejection = await sign(run, arns.observer, 'REJECTED');
    await decide(rejection);
    assert.equal((await audit(rejection.decision_id)).audit_status, 'refused');
    assert.equal((await runSource(runId)).approval_status ?? null, null);
  });

  it('counts a plain role once however its sessions are named, and a personal role per session', async () => {
    const one = await sessionArn('DataReviewer', 'alice');
    const two = await sessionArn('DataReviewer', 'someone-else');
    assert.equal(one, `arn:aws:sts::${ACCOUNT}:assumed-role/DataReviewer/alice`);
    assert.equal(two, `arn:aws:sts::${ACCOUNT}:assumed-role/DataReviewer/someone-else`);
    const plain = JSON.stringify({ jobs: { [ROLE_JOB]: { quorum: 2 } } });
    const decide = processor({ POLICY: plain });
    const run = await createRun(ROLE_JOB);
    const a = await sign(run, one);
    const b = await sign(run, two);
    await decide(a);
    await decide(b);
    assert.equal((await runSource(String(run.job_run_id))).approval_status ?? null, null, 'two session names of one role are one approval');
    assert.match(String((await audit(b.decision_id)).audit_detail), /role DataReviewer has already approved this run/);

    const personal = JSON.stringify({ jobs: { [ROLE_JOB]: { quorum: 2, personalRoles: [`arn:aws:iam::${ACCOUNT}:role/DataReviewer`] } } });
    const decidePersonal = processor({ POLICY: personal });
    const run2 = await createRun(ROLE_JOB);
    await decidePersonal(await sign(run2, one));
    await decidePersonal(await sign(run2, two));
    const decided = await runSource(String(run2.job_run_id));
    assert.equal(decided.approval_status, 'APPROVED', 'a role whose sessions are people: two sessions, two people');
    assert.equal(decided.approved_by, 'alice, someone-else');
  });

  it('counts an SSO user once across two permission sets', async () => {
    const viaReviewer = await sessionArn('AWSReservedSSO_DataReviewer_0a1b2c3d4e5f6789', 'jane@corp.example');
    const viaAdmin = await sessionArn('AWSReservedSSO_DataAdmin_9f8e7d6c5b4a3210', 'jane@corp.example');
    const decide = processor({ POLICY: JSON.stringify({ jobs: { [ROLE_JOB]: { quorum: 2 } } }) });
    const run = await createRun(ROLE_JOB);
    await decide(await sign(run, viaReviewer));
    const second = await sign(run, viaAdmin);
    await decide(second);
    assert.equal((await runSource(String(run.job_run_id))).approval_status ?? null, null);
    assert.match(String((await audit(second.decision_id)).audit_detail), /^jane@corp\.example has already approved this run/);
  });

  it('refuses an approval from the person who triggered the run, by their user ARN', async () => {
    const decide = processor();
    const run = await createRun(SCORE_JOB, { triggered_by: arns.reviewer2 });
    const self = await sign(run, arns.reviewer2);
    await decide(self);
    const doc = await audit(self.decision_id);
    assert.equal(doc.audit_status, 'refused');
    assert.match(String(doc.audit_detail), /^dwh-reviewer2 triggered this run/);
  });

  describe('where the policy comes from', () => {
    it('gives the extension and the processor the stack’s policy from SSM, and the default when the parameter is missing', async () => {
      const backend = (policyParameter: string) =>
        new ApprovalsBackend({ ...DEFAULT_CONNECTION_SETTINGS, profile: 'dwh-local', region: env.region, awsEndpointUrl: env.awsEndpointUrl, policyParameter }, () => 72);
      const stackPolicy = backend(DEFAULT_CONNECTION_SETTINGS.policyParameter);
      const missing = backend('/dwh/approvals/no-such-policy');
      try {
        assert.equal((await stackPolicy.approvalPolicy()).jobs['score_*']?.quorum, 2);
        assert.deepEqual(await missing.approvalPolicy(), DEFAULT_APPROVAL_POLICY);
      } finally {
        await Promise.all([stackPolicy.dispose(), missing.dispose()]);
      }
      // The processor without the policy: one approval of a score_* run decides it.
      const decide = processor({ POLICY_PARAMETER: '/dwh/approvals/no-such-policy' });
      const run = await createRun(SCORE_JOB);
      await decide(await sign(run, arns.observer));
      assert.equal((await runSource(String(run.job_run_id))).approval_status, 'APPROVED');
    });

    it('does not start the processor with a malformed policy: the message stays for a retry', async () => {
      const name = `/dwh/approvals/it-malformed-${randomUUID().slice(0, 8)}`;
      const ssm = new SSMClient({ region: env.region, endpoint: env.awsEndpointUrl, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      try {
        await ssm.send(new PutParameterCommand({ Name: name, Type: 'String', Value: JSON.stringify({ jobs: { 'score_*': { quorom: 2 } } }) }));
      } finally {
        ssm.destroy();
      }
      const handler = createLambdaHandler({ config: { ...runner.processorEnvironment(env, {}), POLICY_PARAMETER: name }, log: () => undefined });
      handlers.push(handler);
      const run = await createRun(SCORE_JOB);
      const message = await sign(run, arns.reviewer1);
      const response = await handler({
        Records: [{ messageId: 'm-1', receiptHandle: 'in-process', body: JSON.stringify(message), attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, eventSource: 'aws:sqs', eventSourceARN: `arn:aws:sqs:${env.region}:${ACCOUNT}:job-approvals-processor`, awsRegion: env.region }],
      });
      assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: 'm-1' }] });
      assert.equal((await os('GET', `/job-approvals/_doc/${message.decision_id}`)).status, 404, 'nothing was judged under a policy other than the one configured');
    });
  });
});
