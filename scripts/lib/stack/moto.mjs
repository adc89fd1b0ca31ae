// moto in server mode (SNS, SQS, SSM, STS, IAM on one endpoint) and the AWS resources the
// project expects there: the job_approvals topic, the processor's outcomes topic, their SQS
// subscribers and the SSM parameters.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { ACCOUNT_ID, CREDENTIALS, EMAIL, JOB_EVENTS_TOPIC_NAME, LOCAL_APPROVAL_POLICY, MOTO_REQUIREMENT, OUTCOMES_TOPIC_NAME, QUEUES, REGION, SSM_PARAMETERS, TOPIC_NAME } from './config.mjs';
import { ensureStackUsers } from './iam.mjs';
import {
  StackError,
  findPidsByCmdline,
  findPython,
  isPortOpen,
  readPid,
  run,
  startService,
} from './proc.mjs';

function motoVenvDir(cacheDir) {
  return join(cacheDir, 'moto-venv');
}

/** Does the venv hold the moto version MOTO_REQUIREMENT pins (not merely some moto)? */
function hasPinnedMoto(venv) {
  const version = /==([\w.]+)$/.exec(MOTO_REQUIREMENT)?.[1];
  const lib = join(venv, 'lib');
  if (!version || !existsSync(lib)) return false;
  return readdirSync(lib).some((python) => existsSync(join(lib, python, 'site-packages', `moto-${version}.dist-info`)));
}

/** python3 -m venv + pip install the pinned moto[server] into the cache, once (again when the pin changes). */
async function ensureMotoVenv(cacheDir, log) {
  const venv = motoVenvDir(cacheDir);
  const server = join(venv, 'bin', 'moto_server');
  if (existsSync(server) && hasPinnedMoto(venv)) return server;
  const py = findPython();
  log(`creating ${venv} and installing ${MOTO_REQUIREMENT} (once)...`);
  if (!existsSync(join(venv, 'bin', 'python'))) await run(py, ['-m', 'venv', venv]);
  await run(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', MOTO_REQUIREMENT]);
  if (!existsSync(server)) throw new StackError(`pip installed moto but ${server} is missing`);
  return server;
}

/** Does moto answer at baseUrl? Returns 'ours' | 'foreign' | 'down'. */
export async function probeMoto(baseUrl, port) {
  try {
    const res = await fetch(`${baseUrl}/moto-api/`, { signal: AbortSignal.timeout(3_000) });
    const text = await res.text();
    if (res.status === 200 && /moto/i.test(text)) return 'ours';
  } catch {
    /* fall through */
  }
  return (await isPortOpen(port)) ? 'foreign' : 'down';
}

export async function startMoto(cfg, log) {
  const server = await ensureMotoVenv(cfg.cacheDir, log);
  const { pid } = await startService(
    {
      name: 'moto_server',
      cmd: server,
      args: ['-H', '127.0.0.1', '-p', String(cfg.motoPort)],
      cwd: cfg.stackDir,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      pidFile: cfg.files.motoPid,
      logFile: cfg.files.motoLog,
      becomes: 'answer',
      timeoutMs: 60_000,
      intervalMs: 250,
      isReady: async () => (await probeMoto(cfg.awsEndpointUrl, cfg.motoPort)) === 'ours',
    },
    log,
  );
  return { pid };
}

/** Pids to stop for moto: the pid file, plus a moto_server on our port that we did not record. */
export function motoPids(cfg) {
  const pids = [readPid(cfg.files.motoPid), ...findPidsByCmdline(['moto_server', String(cfg.motoPort)])];
  return pids.filter((p) => p != null);
}

// ---------------------------------------------------------------- AWS resources

export function awsClients(endpoint) {
  // A fresh object per client: the SDK annotates the credentials object it is given.
  const common = { endpoint, region: REGION, credentials: { ...CREDENTIALS } };
  return { sns: new SNSClient(common), sqs: new SQSClient(common), ssm: new SSMClient(common) };
}

function queuePolicy(queueArn, topicArns) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowJobApprovalsTopic',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArns } },
      },
    ],
  });
}

async function listSubscriptions(sns, topicArn) {
  const subs = [];
  let NextToken;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    subs.push(...(page.Subscriptions ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return subs;
}

async function ensureSecret(ssm) {
  try {
    await ssm.send(new GetParameterCommand({ Name: SSM_PARAMETERS.signingSecretParameter, WithDecryption: true }));
    return 'kept';
  } catch (err) {
    if (err?.name !== 'ParameterNotFound') throw err;
  }
  await ssm.send(
    new PutParameterCommand({
      Name: SSM_PARAMETERS.signingSecretParameter,
      Type: 'SecureString',
      Value: randomBytes(32).toString('hex'),
      Description: 'HMAC key for signed approval decisions (local stack)',
    }),
  );
  return 'created';
}

/**
 * Create (or re-ensure) everything in moto. Idempotent: CreateTopic/CreateQueue return the existing
 * ones, subscriptions are listed before subscribing, the signing secret is kept if present, the
 * reviewers' access keys recorded in `previousUsers` (env.json's `users`) are kept while moto has them.
 */
export async function ensureAwsResources(cfg, previousUsers = {}) {
  const { sns, sqs, ssm } = awsClients(cfg.awsEndpointUrl);
  try {
    const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: TOPIC_NAME }));
    const { TopicArn: outcomesTopicArn } = await sns.send(new CreateTopicCommand({ Name: OUTCOMES_TOPIC_NAME }));
    const { TopicArn: jobEventsTopicArn } = await sns.send(new CreateTopicCommand({ Name: JOB_EVENTS_TOPIC_NAME }));
    const topics = { approvals: topicArn, outcomes: outcomesTopicArn, jobEvents: jobEventsTopicArn };
    const existing = {
      approvals: await listSubscriptions(sns, topicArn),
      outcomes: await listSubscriptions(sns, outcomesTopicArn),
      jobEvents: await listSubscriptions(sns, jobEventsTopicArn),
    };
    const queueUrls = {};
    const queueArns = {};
    for (const [key, spec] of Object.entries(QUEUES)) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: spec.name }));
      const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const queueArn = attrs.Attributes?.QueueArn;
      if (!queueArn) throw new StackError(`moto returned no QueueArn for ${spec.name}`);
      const subscribedTopic = topics[spec.topic];
      // moto does not enforce it; set anyway so the setup reads like production's.
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: queuePolicy(queueArn, [subscribedTopic]) } }));
      // A queue subscribed to the other topic (downstream used to read job_approvals) is moved.
      for (const [topic, subs] of Object.entries(existing)) {
        if (topic === spec.topic) continue;
        for (const stale of subs.filter((s) => s.Protocol === 'sqs' && s.Endpoint === queueArn)) {
          await sns.send(new UnsubscribeCommand({ SubscriptionArn: stale.SubscriptionArn }));
        }
      }
      let sub = existing[spec.topic].find((s) => s.Protocol === 'sqs' && s.Endpoint === queueArn);
      if (!sub) {
        const attributes = { RawMessageDelivery: 'false' };
        if (spec.filterPolicy) attributes.FilterPolicy = JSON.stringify(spec.filterPolicy);
        await sns.send(
          new SubscribeCommand({ TopicArn: subscribedTopic, Protocol: 'sqs', Endpoint: queueArn, Attributes: attributes, ReturnSubscriptionArn: true }),
        );
      } else {
        // Re-assert the attributes on an existing subscription (e.g. after a manual change).
        await sns.send(
          new SetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn, AttributeName: 'RawMessageDelivery', AttributeValue: 'false' }),
        );
        if (spec.filterPolicy) {
          await sns.send(
            new SetSubscriptionAttributesCommand({
              SubscriptionArn: sub.SubscriptionArn,
              AttributeName: 'FilterPolicy',
              AttributeValue: JSON.stringify(spec.filterPolicy),
            }),
          );
        }
      }
      queueUrls[key] = QueueUrl;
      queueArns[key] = queueArn;
    }
    await ssm.send(new PutParameterCommand({ Name: SSM_PARAMETERS.endpointParameter, Type: 'String', Value: cfg.opensearchUrl, Overwrite: true }));
    await ssm.send(new PutParameterCommand({ Name: SSM_PARAMETERS.topicArnParameter, Type: 'String', Value: topicArn, Overwrite: true }));
    await ssm.send(
      new PutParameterCommand({ Name: SSM_PARAMETERS.policyParameter, Type: 'String', Value: JSON.stringify(LOCAL_APPROVAL_POLICY), Overwrite: true }),
    );
    const secret = await ensureSecret(ssm);
    const users = await ensureStackUsers(cfg.awsEndpointUrl, previousUsers);
    const email = await ensureEmailResources(cfg.awsEndpointUrl);
    return { topicArn, topicName: TOPIC_NAME, outcomesTopicArn, jobEventsTopicArn, queueUrls, queueArns, secret, users, email };
  } finally {
    sns.destroy();
    sqs.destroy();
    ssm.destroy();
  }
}

/**
 * The alert emails' resources: the sender verified in SES, and the approval API's IAM role
 * (the local API server runs with a session of it). Idempotent.
 */
async function ensureEmailResources(endpoint) {
  const common = { endpoint, region: REGION, credentials: { ...CREDENTIALS } };
  const ses = new SESv2Client(common);
  const iam = new IAMClient(common);
  try {
    try {
      await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: EMAIL.mailFrom }));
    } catch (err) {
      if (err?.name !== 'AlreadyExistsException') throw err;
    }
    const roleArn = `arn:aws:iam::${ACCOUNT_ID}:role/${EMAIL.approvalApiRoleName}`;
    try {
      await iam.send(new GetRoleCommand({ RoleName: EMAIL.approvalApiRoleName }));
    } catch (err) {
      if (err?.name !== 'NoSuchEntityException' && err?.name !== 'NoSuchEntity') throw err;
      const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
      await iam.send(new CreateRoleCommand({ RoleName: EMAIL.approvalApiRoleName, AssumeRolePolicyDocument: JSON.stringify(trust) }));
    }
    return { mailFrom: EMAIL.mailFrom, recipients: [...EMAIL.recipients], approvalApiRoleArn: roleArn };
  } finally {
    ses.destroy();
    iam.destroy();
  }
}

/** POST /moto-api/reset: moto forgets every resource. */
export async function resetMoto(baseUrl) {
  const res = await fetch(`${baseUrl}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new StackError(`moto reset failed: HTTP ${res.status} ${await res.text()}`);
}
