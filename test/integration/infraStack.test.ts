// The CloudFormation template (infra/) created as a stack in the local moto, and checked by
// what moto builds: topics, queues and the redrive, the function with the packaged bundle,
// its event source mapping, the roles and policies, the SSM parameters. Then the deployed
// shape is used: the extension's own adapters and the processor's handler (configured from
// the function's environment as moto returns it) run through recording proxies in front of
// moto and OpenSearch, and every call they made is checked against the policy meant for it.
// What moto skips (the subscription, the queue policy, the alarms) is read from the template
// in test/unit/infraTemplate.test.ts; the subscription is created here as the template declares it.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  waitUntilStackCreateComplete,
} from '@aws-sdk/client-cloudformation';
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ApprovalsBackend } from '../../src/adapters/approvalsBackend';
import { parseApprovalPolicy } from '../../src/core/approvalPolicy';
import { DEFAULT_CONNECTION_SETTINGS } from '../../src/core/connectionSettings';
import { publishDecision } from '../../src/core/decisionWorkflow';
import { parseJobRun } from '../../src/core/jobRunParser';
import { createLambdaHandler } from '../../src/processor/lambdaHandler';
import { readProcessorConfig } from '../../src/processor/processorConfig';
import { startFaultyProxy, type FaultyProxy, type ProxiedRequest } from '../support/faultyProxy';
import { isAllowed, wildcardGrants, type IamRequest, type PolicyDocument } from '../support/iamPolicy';
import { localStack, type StackEnv } from '../support/localStack';

const root = path.resolve(__dirname, '..', '..');
const TEMPLATE_FILE = path.join(root, 'infra', 'dwh-approvals.template.json');
const PACKAGE_MODULE = '../../scripts/package-processor.mjs';
const ACCOUNT = '123456789012';
const DOMAIN_ARN = `arn:aws:es:us-east-1:${ACCOUNT}:domain/job-metrics`;
const JOB = 'infra_it_orders';
/** The types moto 5.2's CloudFormation skips with a warning; the unit test reads them from the template. */
const SKIPPED_BY_MOTO = ['AWS::CloudWatch::Alarm', 'AWS::SNS::Subscription', 'AWS::SQS::QueuePolicy'];

interface Template {
  Resources: Record<string, { Type: string; Condition?: string; Properties: Record<string, unknown> }>;
}
interface PackageModule {
  zipProcessor(bundle?: string, out?: string): { path: string; bytes: number; sha256: string };
}

describe('infra template as a stack in the local moto', function () {
  this.timeout(300_000);
  let env: StackEnv;
  let profile: string;
  let template: Template;
  let zip: { path: string; sha256: string };
  let stackName: string;
  let names: { endpoint: string; topicArn: string; outcomesArn: string; policy: string; secret: string };
  let outputs: Record<string, string>;
  let builtTypes: Map<string, string[]>;
  let awsProxy: FaultyProxy;
  let osProxy: FaultyProxy;
  let awsCalls: ProxiedRequest[] = [];
  let osCalls: ProxiedRequest[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  const savedEnv: Record<string, string | undefined> = {};

  const aws = () => ({ region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  let cfn: CloudFormationClient;
  let iam: IAMClient;
  let lambda: LambdaClient;
  let sns: SNSClient;
  let sqs: SQSClient;
  let ssm: SSMClient;
  const keyId = () => (outputs.ApprovalsKeyArn ?? '').split('/').pop() ?? '';
  const parameterArn = (name: string) => `arn:aws:ssm:${env.region}:${ACCOUNT}:parameter${name}`;

  const policyDocument = async (arn: string): Promise<PolicyDocument> => {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
    return JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? '{}')) as PolicyDocument;
  };
  const reviewerPolicy = () => policyDocument(outputs.ReviewerPolicyArn ?? '');
  const processorPolicies = async (): Promise<PolicyDocument[]> => {
    const roleName = (outputs.ProcessorRoleArn ?? '').split('/').pop();
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
    return Promise.all(attached.map((p) => policyDocument(p.PolicyArn ?? '')));
  };
  const functionConfiguration = async () =>
    lambda.send(new GetFunctionCommand({ FunctionName: outputs.ProcessorFunctionName }));
  const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
  const queueAttributes = async (name: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['All'] }))).Attributes ?? {};

  /** A fresh pending run of our own job, written straight to OpenSearch (not through the proxy). */
  const createRun = async () => {
    const runId = `${JOB}-${Date.now()}-${randomUUID().slice(0, 8)}`;
    const source = {
      timestamp: new Date(Date.now() - 10 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: JOB,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }],
      records_read: 1000,
      records_written: 880,
      records_dropped: 120,
    };
    const res = await fetch(`${env.opensearchUrl}/job-events/_doc/${encodeURIComponent(runId)}?refresh=true`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(source),
    });
    assert.ok(res.status === 201 || res.status === 200, `run ${runId} indexed (HTTP ${res.status})`);
    return parseJobRun(runId, source);
  };

  /** The extension's adapters, configured like a reviewer's VS Code for this stack, through the moto proxy. */
  const reviewerBackend = () => {
    const backend = new ApprovalsBackend(
      {
        ...DEFAULT_CONNECTION_SETTINGS,
        profile,
        region: env.region,
        awsEndpointUrl: awsProxy.url,
        opensearchEndpointParameter: names.endpoint,
        topicArnParameter: names.topicArn,
        signingSecretParameter: names.secret,
      },
      () => 72,
    );
    cleanups.push(() => backend.dispose());
    return backend;
  };

  /** What IAM would be asked for each recorded call; a call this does not know fails the test. */
  const iamRequestsOf = (calls: { aws: ProxiedRequest[]; opensearch: ProxiedRequest[] }): IamRequest[] => {
    const requests: IamRequest[] = [];
    const via = (service: string) => ({ 'kms:ViaService': `${service}.${env.region}.amazonaws.com` });
    for (const call of calls.opensearch) {
      const method = call.method.toUpperCase();
      const action = `es:ESHttp${method.charAt(0)}${method.slice(1).toLowerCase()}`;
      requests.push({ action, resource: `${DOMAIN_ARN}${new URL(call.path, 'http://x').pathname}` });
    }
    for (const call of calls.aws) {
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(call.headers.authorization ?? ''))?.[1];
      const target = String(call.headers['x-amz-target'] ?? '');
      const form = new URLSearchParams(target ? '' : call.body);
      const json = target ? (JSON.parse(call.body || '{}') as Record<string, unknown>) : {};
      const operation = target ? target.split('.').pop() : form.get('Action');
      const param = (name: string): string => {
        const value = target ? json[name] : form.get(name);
        return typeof value === 'string' ? value : '';
      };
      const call_ = `${service}:${operation}`;
      if (call_ === 'ssm:GetParameter') {
        requests.push({ action: 'ssm:GetParameter', resource: parameterArn(param('Name')) });
        if (json.WithDecryption === true && param('Name') === names.secret) {
          requests.push({ action: 'kms:Decrypt', resource: outputs.ApprovalsKeyArn ?? '', context: via('ssm') });
        }
      } else if (call_ === 'ssm:GetParameterHistory') {
        // The processor reads the secret's previous version during a rotation grace.
        requests.push({ action: 'ssm:GetParameterHistory', resource: parameterArn(param('Name')) });
        if (json.WithDecryption === true && param('Name') === names.secret) {
          requests.push({ action: 'kms:Decrypt', resource: outputs.ApprovalsKeyArn ?? '', context: via('ssm') });
        }
      } else if (call_ === 'sns:Publish' || call_ === 'sns:PublishBatch') {
        // PublishBatch is authorized as sns:Publish on the topic.
        requests.push({ action: 'sns:Publish', resource: param('TopicArn') });
        // The topic is encrypted with the stack's key: SNS asks KMS with the publisher's rights.
        requests.push({ action: 'kms:GenerateDataKey', resource: outputs.ApprovalsKeyArn ?? '', context: via('sns') });
        requests.push({ action: 'kms:Decrypt', resource: outputs.ApprovalsKeyArn ?? '', context: via('sns') });
      } else if (call_ === 'sts:GetCallerIdentity') {
        requests.push({ action: 'sts:GetCallerIdentity', resource: '*' });
      } else {
        assert.fail(`a call this test cannot map to IAM yet: ${call_} (${call.method} ${call.path}); add it here and to the template's policies`);
      }
    }
    return requests;
  };
  const denied = (documents: PolicyDocument[], requests: IamRequest[]) =>
    requests.filter((request) => !isAllowed(documents, request)).map((r) => `${r.action} ${r.resource}`);

  const receiveFrom = async (url: string, wanted: (m: Message) => boolean): Promise<Message[]> => {
    const got: Message[] = [];
    const deadline = Date.now() + 30_000;
    while (!got.some(wanted)) {
      assert.ok(Date.now() < deadline, `nothing matching arrived in ${url} within 30 s; got ${got.length} other message(s)`);
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
      got.push(...(Messages ?? []));
    }
    return got;
  };

  /** Every message visible in the queue now (no waiting: SNS delivered before Publish returned). */
  const drain = async (url: string): Promise<Message[]> => {
    const got: Message[] = [];
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!Messages?.length) return got;
      got.push(...Messages);
    }
  };

  before(async () => {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) savedEnv[key] = process.env[key];
    const local = await localStack();
    env = local.env;
    profile = local.profile;
    // The processor's handler takes the SDK's default chain, as in Lambda: the environment.
    process.env.AWS_ACCESS_KEY_ID = env.credentials?.accessKeyId ?? 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = env.credentials?.secretAccessKey ?? 'testing';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    cfn = new CloudFormationClient(aws());
    iam = new IAMClient(aws());
    lambda = new LambdaClient(aws());
    sns = new SNSClient(aws());
    sqs = new SQSClient(aws());
    ssm = new SSMClient(aws());
    awsProxy = await startFaultyProxy(env.awsEndpointUrl);
    osProxy = await startFaultyProxy(env.opensearchUrl);
    awsProxy.dropWhen((request) => (awsCalls.push(request), false));
    osProxy.dropWhen((request) => (osCalls.push(request), false));

    // npm run package:processor, on the bundle the checks built (built here when missing).
    const bundle = path.join(root, 'dist', 'processor.js');
    if (!fs.existsSync(bundle)) assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' }).status, 0, 'bundled');
    const packaging = (await import(PACKAGE_MODULE)) as PackageModule;
    zip = packaging.zipProcessor(bundle, path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-infra-')), 'processor.zip'));

    // What `aws cloudformation package` does: upload the zip, point Code at it.
    template = JSON.parse(fs.readFileSync(TEMPLATE_FILE, 'utf8')) as Template;
    const s3 = new S3Client({ ...aws(), forcePathStyle: true });
    const bucket = `dwh-infra-it-${randomUUID().slice(0, 8)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'processor.zip', Body: fs.readFileSync(zip.path) }));
    s3.destroy();
    const packaged = structuredClone(template);
    const fn = packaged.Resources.ProcessorFunction;
    assert.ok(fn);
    fn.Properties.Code = { S3Bucket: bucket, S3Key: 'processor.zip' };

    stackName = `dwh-infra-it-${randomUUID().slice(0, 8)}`;
    names = {
      endpoint: `/${stackName}/opensearch/endpoint`,
      topicArn: `/${stackName}/sns/job-approvals-arn`,
      outcomesArn: `/${stackName}/sns/approval-outcomes-arn`,
      policy: `/${stackName}/approvals/policy`,
      secret: `/${stackName}/approvals/signing-secret`,
    };
    const parameters: Record<string, string> = {
      OpenSearchDomainArn: DOMAIN_ARN,
      OpenSearchEndpoint: osProxy.url,
      OpenSearchEndpointParameterName: names.endpoint,
      JobApprovalsTopicArnParameterName: names.topicArn,
      OutcomesTopicArnParameterName: names.outcomesArn,
      PolicyParameterName: names.policy,
      SigningSecretParameterName: names.secret,
      JobApprovalsTopicName: `${stackName}-job-approvals`,
      OutcomesTopicName: `${stackName}-outcomes`,
      ProcessorReservedConcurrency: '3',
      FreshnessMinutes: '20',
      AlarmEmail: 'data-platform-oncall@example.com',
    };
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify(packaged),
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      }),
    );
    cleanups.push(() => cfn.send(new DeleteStackCommand({ StackName: stackName })));
    try {
      await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { StackName: stackName });
    } catch (error) {
      const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }))).StackEvents ?? [];
      const reasons = events.filter((e) => e.ResourceStatusReason).map((e) => `${e.LogicalResourceId} ${e.ResourceStatus}: ${e.ResourceStatusReason}`);
      assert.fail(`the stack was not created: ${String(error)}\n${reasons.join('\n')}`);
    }
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    builtTypes = new Map();
    for (const r of (await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? []) {
      if (!r.LogicalResourceId || !r.ResourceType) continue;
      assert.equal(r.ResourceStatus, 'CREATE_COMPLETE', r.LogicalResourceId);
      builtTypes.set(r.ResourceType, [...(builtTypes.get(r.ResourceType) ?? []), r.LogicalResourceId]);
    }

    // README "Deploy": the signing secret, a SecureString under the stack's key.
    await ssm.send(new PutParameterCommand({ Name: names.secret, Type: 'SecureString', KeyId: outputs.ApprovalsKeyArn, Value: randomBytes(32).toString('hex') }));
    cleanups.push(() => ssm.send(new DeleteParameterCommand({ Name: names.secret })));

    // moto skips AWS::SNS::Subscription: subscribe the stack's queue exactly as the template declares it.
    const declared = template.Resources.ProcessorSubscription?.Properties ?? {};
    const queueArn = (await queueAttributes(`${stackName}-processor`)).QueueArn;
    await sns.send(
      new SubscribeCommand({
        TopicArn: outputs.JobApprovalsTopicArn,
        Protocol: String(declared.Protocol),
        Endpoint: queueArn,
        Attributes: {
          RawMessageDelivery: String(declared.RawMessageDelivery),
          FilterPolicyScope: String(declared.FilterPolicyScope),
          FilterPolicy: JSON.stringify(declared.FilterPolicy),
        },
      }),
    );
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await Promise.all([awsProxy?.close(), osProxy?.close()]);
    for (const client of [cfn, iam, lambda, sns, sqs, ssm]) client?.destroy();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  beforeEach(() => {
    awsCalls = [];
    osCalls = [];
  });

  it('moto builds every resource it implements; it skips only the types the template checks read', () => {
    const expected: Record<string, number> = {
      'AWS::KMS::Key': 1,
      'AWS::KMS::Alias': 1,
      'AWS::SNS::Topic': 3,
      'AWS::SQS::Queue': 2,
      'AWS::Logs::LogGroup': 1,
      'AWS::IAM::Role': 1,
      'AWS::IAM::ManagedPolicy': 2,
      'AWS::Lambda::Function': 1,
      'AWS::Lambda::EventSourceMapping': 1,
      // The expiry sweep's schedule and its permission to invoke the function.
      'AWS::Events::Rule': 1,
      'AWS::Lambda::Permission': 1,
      'AWS::SSM::Parameter': 4,
    };
    assert.deepEqual(Object.fromEntries([...builtTypes].map(([type, ids]) => [type, ids.length]).sort()), Object.fromEntries(Object.entries(expected).sort()));
    // The alert emails' resources (Condition EmailLinks) are not created by these stacks.
    const created = Object.values(template.Resources).filter((r) => (r as { Condition?: string }).Condition !== 'EmailLinks');
    const skipped = [...new Set(created.map((r) => r.Type).filter((type) => !builtTypes.has(type)))].sort();
    assert.deepEqual(skipped, SKIPPED_BY_MOTO, 'a type moto now builds should be checked here instead of by reading the template');
  });

  it('topics: job_approvals, outcomes and alarms, each encrypted with the stack key', async () => {
    for (const key of ['JobApprovalsTopicArn', 'OutcomesTopicArn', 'AlarmsTopicArn']) {
      const attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: outputs[key] }))).Attributes ?? {};
      assert.equal(attributes.TopicArn, outputs[key], key);
      assert.equal(attributes.KmsMasterKeyId, keyId(), `${key} is encrypted with the stack key`);
    }
    assert.equal(outputs.JobApprovalsTopicArn, `arn:aws:sns:${env.region}:${ACCOUNT}:${stackName}-job-approvals`);
  });

  it('queues: the processor queue redrives to the dead-letter queue after 5 receives, both encrypted', async () => {
    const queue = await queueAttributes(`${stackName}-processor`);
    const dlq = await queueAttributes(`${stackName}-processor-dlq`);
    assert.deepEqual(JSON.parse(queue.RedrivePolicy ?? '{}'), { deadLetterTargetArn: dlq.QueueArn, maxReceiveCount: 5 });
    assert.equal(queue.KmsMasterKeyId, keyId());
    assert.equal(dlq.KmsMasterKeyId, keyId());
    assert.ok(Number(dlq.MessageRetentionPeriod) > Number(queue.MessageRetentionPeriod), 'a dead letter outlives its age in the queue');
    const timeout = (await functionConfiguration()).Configuration?.Timeout ?? Infinity;
    assert.ok(Number(queue.VisibilityTimeout) >= 6 * timeout, `visibility ${queue.VisibilityTimeout} s covers 6 function timeouts of ${timeout} s`);
  });

  it('function: the packaged bundle, its handler, reserved concurrency, and an environment the processor reads as given', async () => {
    const got = await functionConfiguration();
    const config = got.Configuration;
    assert.equal(config?.CodeSha256, zip.sha256, 'the code is the zip package:processor wrote');
    assert.equal(config?.Handler, 'processor.handler');
    assert.equal(config?.Runtime, 'nodejs22.x');
    assert.equal(config?.Role, outputs.ProcessorRoleArn);
    assert.equal(got.Concurrency?.ReservedConcurrentExecutions, 3);
    const variables = Object.fromEntries(Object.entries(config?.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]));
    const read = readProcessorConfig(variables);
    assert.equal(read.opensearchEndpointParameter, names.endpoint);
    assert.equal(read.signingSecretParameter, names.secret);
    assert.equal(read.policyParameter, names.policy);
    assert.equal(read.eventsIndex, 'job-events');
    assert.equal(read.approvalsIndex, 'job-approvals');
    assert.equal(read.freshnessMinutes, 20);
    assert.equal(read.opensearchService, 'es');
    assert.equal(read.opensearchEndpoint, null, 'the endpoint comes from SSM, one place for the extension and the processor');
    // Read by the processor on the branches adding the outcomes topic, v2-only and rotation.
    assert.equal(variables.OUTCOMES_TOPIC_ARN, outputs.OutcomesTopicArn);
    assert.equal(variables.ACCEPT_SIGNATURE_V1, 'false');
    assert.equal(variables.SECRET_ROTATION_GRACE_MINUTES, '60');
  });

  it('event source: the processor queue, batches with ReportBatchItemFailures, as many at once as reserved', async () => {
    const mappings = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: outputs.ProcessorFunctionName }))).EventSourceMappings ?? [];
    assert.equal(mappings.length, 1);
    const mapping = mappings[0];
    assert.equal(mapping?.EventSourceArn, (await queueAttributes(`${stackName}-processor`)).QueueArn);
    assert.deepEqual(mapping?.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(mapping?.BatchSize, 10);
    assert.equal(mapping?.State, 'Enabled');
    assert.equal(mapping?.ScalingConfig?.MaximumConcurrency, 3, 'the poller invokes no more than the reserved concurrency');
  });

  it('roles and policies: Lambda alone assumes the processor role; no policy grants every action or any resource it could name', async () => {
    const roleName = (outputs.ProcessorRoleArn ?? '').split('/').pop();
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    const trust = JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? '{}')) as PolicyDocument;
    assert.deepEqual(
      (Array.isArray(trust.Statement) ? trust.Statement : [trust.Statement]).map((s) => [s.Effect, s.Principal, s.Action]),
      [['Allow', { Service: 'lambda.amazonaws.com' }, 'sts:AssumeRole']],
    );
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [], [], 'no inline policies: all of it is ProcessorPolicy');
    const processor = await processorPolicies();
    assert.equal(processor.length, 1, 'ProcessorPolicy is attached to the role');
    assert.deepEqual(wildcardGrants(processor[0] as PolicyDocument), []);
    // sts:GetCallerIdentity has no resource to name: `*` is the only form IAM accepts.
    assert.deepEqual(wildcardGrants(await reviewerPolicy()), [{ sid: 'LearnOwnIdentity', actions: ['sts:GetCallerIdentity'], resources: ['*'] }]);
  });

  it('roles and policies: a reviewer can search but not write the indices; the processor touches no other index', async () => {
    const reviewer = [await reviewerPolicy()];
    const processor = await processorPolicies();
    const es = (method: string, pathname: string): IamRequest => ({ action: `es:ESHttp${method}`, resource: `${DOMAIN_ARN}${pathname}` });
    assert.ok(isAllowed(reviewer, es('Post', '/job-events/_search')));
    for (const write of [es('Post', '/job-events/_update/run-1'), es('Put', '/job-events/_doc/run-1'), es('Put', '/job-approvals/_create/d-1'), es('Post', '/job-approvals/_create/d-1'), es('Post', '/job-events/_bulk'), es('Delete', '/job-events')]) {
      assert.equal(isAllowed(reviewer, write), false, `a reviewer must not ${write.action} ${write.resource}`);
    }
    for (const elsewhere of [es('Get', '/other-index/_doc/1'), es('Post', '/_bulk'), es('Put', '/_bulk'), es('Put', '/other-index/_bulk'), es('Post', '/_mget'), es('Post', '/_msearch'), es('Put', '/job-events/_doc/run-1/_bulk'), es('Delete', '/job-events/_doc/run-1'), es('Put', '/job-events/_doc/run-1'), es('Post', '/_all/_search')]) {
      assert.equal(isAllowed(processor, elsewhere), false, `the processor must not ${elsewhere.action} ${elsewhere.resource}`);
    }
    assert.equal(isAllowed(reviewer, { action: 'ssm:GetParameter', resource: parameterArn('/dwh/some-other-secret') }), false);
    assert.equal(isAllowed(reviewer, { action: 'sns:Publish', resource: outputs.OutcomesTopicArn ?? '' }), false, 'only the processor publishes outcomes');
    assert.equal(isAllowed(reviewer, { action: 'kms:Decrypt', resource: outputs.ApprovalsKeyArn ?? '' }), false, 'the key decrypts only through SSM or SNS');
  });

  it('SSM parameters: the topic ARNs, the endpoint and a policy the processor accepts', async () => {
    const value = async (name: string) => (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    assert.equal(await value(names.topicArn), outputs.JobApprovalsTopicArn);
    assert.equal(await value(names.outcomesArn), outputs.OutcomesTopicArn);
    assert.equal(await value(names.endpoint), osProxy.url);
    const { quorum, forbidSelfApproval } = parseApprovalPolicy(await value(names.policy)).default;
    assert.deepEqual({ quorum, forbidSelfApproval }, { quorum: 1, forbidSelfApproval: true });
  });

  it('the reviewer policy allows every call the extension makes to list, read and decide', async () => {
    const run = await createRun();
    const backend = reviewerBackend();
    const source = backend.pendingSource();
    await source.summary();
    const { overview, scope } = await source.overview({ sinceMs: null, nowMs: Date.now(), ttlHours: 72 });
    assert.ok(overview.groups.some((group) => group.jobName === JOB), 'the job of the run is a group');
    const page = await source.page({ scope, selection: { jobKey: JOB }, sortBy: 'expiry', ttlHours: 72, byJob: false, size: 500 });
    assert.ok(page.runs.some((r) => r.jobRunId === run.jobRunId), 'the new run is in the page of its group');
    const pending = await source.listAll({ scope, selection: {}, ttlHours: 72 });
    assert.ok(pending.some((r) => r.jobRunId === run.jobRunId), 'the new run is listed');
    assert.ok(await source.auditsFor?.([randomUUID()]), 'the backend follows published decisions');
    const repository = await backend.repository();
    await repository.jobHistory(JOB);
    await repository.recentDecisions(10);
    const outcome = await publishDecision(backend.decisionPorts(), { shownRun: run, decision: 'REJECTED', reason: 'Drop rate is a real regression.' });
    assert.equal(outcome.kind, 'published');

    const requests = iamRequestsOf({ aws: awsCalls, opensearch: osCalls });
    const made = new Set(requests.map((r) => `${r.action} ${r.resource}`));
    for (const needed of [
      `ssm:GetParameter ${parameterArn(names.endpoint)}`,
      `ssm:GetParameter ${parameterArn(names.topicArn)}`,
      `ssm:GetParameter ${parameterArn(names.secret)}`,
      `kms:Decrypt ${outputs.ApprovalsKeyArn}`,
      `es:ESHttpPost ${DOMAIN_ARN}/job-events/_search`,
      `es:ESHttpPost ${DOMAIN_ARN}/job-approvals/_search`,
      `sns:Publish ${outputs.JobApprovalsTopicArn}`,
      'sts:GetCallerIdentity *',
    ]) {
      assert.ok(made.has(needed), `the extension made ${needed} (made: ${[...made].join(', ')})`);
    }
    assert.deepEqual(denied([await reviewerPolicy()], requests), []);
  });

  it('a decision the extension publishes reaches the processor queue raw; messages without a decision attribute do not', async () => {
    const run = await createRun();
    const outcome = await publishDecision(reviewerBackend().decisionPorts(), { shownRun: run, decision: 'APPROVED', reason: 'Known upstream batch.' });
    assert.ok(outcome.kind === 'published');
    const stray = randomUUID();
    await sns.send(new PublishCommand({ TopicArn: outputs.JobApprovalsTopicArn, Message: JSON.stringify({ stray, note: 'no attribute' }) }));
    await sns.send(
      new PublishCommand({
        TopicArn: outputs.JobApprovalsTopicArn,
        Message: JSON.stringify({ stray, note: 'other value' }),
        MessageAttributes: { decision: { DataType: 'String', StringValue: 'MAYBE' } },
      }),
    );
    const url = await queueUrl(`${stackName}-processor`);
    const got = await receiveFrom(url, (m) => (m.Body ?? '').includes(outcome.message.decision_id));
    const ours = got.find((m) => (m.Body ?? '').includes(outcome.message.decision_id));
    assert.deepEqual(JSON.parse(ours?.Body ?? '{}'), outcome.message, 'raw delivery: the body is the decision, not an SNS envelope');
    assert.equal(ours?.MessageAttributes?.decision?.StringValue, 'APPROVED');
    // SNS delivered the stray messages before the decision (they were published first): had the
    // filter let them through, they are in `got` or still visible in the queue now.
    got.push(...(await drain(url)));
    assert.equal(got.filter((m) => (m.Body ?? '').includes(stray)).length, 0, 'the filter policy kept out messages that are not decisions');
  });

  it('the processor, configured as the stack configures the function, records a batch of decisions; its policy allows every call it made', async () => {
    // Two decisions in one batch: the batched reads and writes (_msearch, _mget, _bulk, PublishBatch) are made too.
    const runs = [await createRun(), await createRun()];
    const decisionIds: string[] = [];
    for (const shownRun of runs) {
      const published = await publishDecision(reviewerBackend().decisionPorts(), { shownRun, decision: 'APPROVED', reason: 'Known upstream batch.' });
      assert.ok(published.kind === 'published');
      decisionIds.push(published.message.decision_id);
    }
    const url = await queueUrl(`${stackName}-processor`);
    const queueArn = (await queueAttributes(`${stackName}-processor`)).QueueArn;
    const messages = await receiveFrom(url, (m) => (m.Body ?? '').includes(decisionIds[0] ?? '-'));
    if (!messages.some((m) => (m.Body ?? '').includes(decisionIds[1] ?? '-'))) messages.push(...(await receiveFrom(url, (m) => (m.Body ?? '').includes(decisionIds[1] ?? '-'))));
    const delivered = decisionIds.map((id) => messages.find((m) => (m.Body ?? '').includes(id)));

    const variables = Object.fromEntries(Object.entries((await functionConfiguration()).Configuration?.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]));
    // Only what Lambda itself would add: the region, and the emulator's endpoint for SSM.
    const handler = createLambdaHandler({ config: { ...variables, AWS_REGION: env.region, DWH_AWS_ENDPOINT_URL: awsProxy.url }, log: () => undefined });
    cleanups.push(() => handler.close());
    awsCalls = [];
    osCalls = [];
    const response = await handler({
      Records: delivered.map((message) => {
        assert.ok(message?.MessageId && message.Body);
        return { messageId: message.MessageId, receiptHandle: message.ReceiptHandle, body: message.Body, attributes: message.Attributes ?? {}, messageAttributes: {}, eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: env.region };
      }),
    });
    assert.deepEqual(response, { batchItemFailures: [] });
    for (const run of runs) {
      const doc = (await (await fetch(`${env.opensearchUrl}/job-events/_doc/${encodeURIComponent(run.jobRunId)}`)).json()) as { _source: Record<string, unknown> };
      assert.equal(doc._source.approval_status, 'APPROVED', 'the run records the approval');
    }

    const made = iamRequestsOf({ aws: awsCalls, opensearch: osCalls });
    const actions = new Set(made.map((r) => r.action));
    for (const needed of ['ssm:GetParameter', 'kms:Decrypt', 'es:ESHttpPost', 'sts:GetCallerIdentity']) assert.ok(actions.has(needed), `the processor made ${needed}`);
    const paths = new Set(osCalls.map((call) => `${call.method} ${new URL(call.path, 'http://x').pathname}`));
    for (const batched of ['POST /job-events/_msearch', 'POST /job-events/_mget', 'POST /job-approvals/_bulk', 'POST /job-events/_bulk']) assert.ok(paths.has(batched), `the processor made ${batched}`);
    // The GetCallerIdentity call is the reviewer's identity proof, forwarded as it was signed:
    // it carries the reviewer's credentials, so it asks nothing of the processor's role.
    const requests = made.filter((r) => r.action !== 'sts:GetCallerIdentity');
    assert.deepEqual(denied(await processorPolicies(), requests), []);
    // What Lambda's SQS poller does with the function's role, for the event source mapping.
    const poller: IamRequest[] = [
      ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'].map((action) => ({ action, resource: queueArn ?? '' })),
      { action: 'kms:Decrypt', resource: outputs.ApprovalsKeyArn ?? '', context: { 'kms:ViaService': `sqs.${env.region}.amazonaws.com` } },
    ];
    assert.deepEqual(denied(await processorPolicies(), poller), []);
  });
});

describe('infra template as a stack in the local moto: an existing topic, OpenSearch Serverless, a VPC, parameters kept', function () {
  this.timeout(120_000);
  const EXISTING_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:dwh-prod-job-approvals`;
  const COLLECTION_ARN = `arn:aws:aoss:us-east-1:${ACCOUNT}:collection/k3x9q2w8e7r6`;
  const SUBNETS = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'];
  let env: StackEnv;
  let cfn: CloudFormationClient;
  let iam: IAMClient;
  let lambda: LambdaClient;
  let stackName: string;
  let outputs: Record<string, string>;
  let built: Set<string>;

  const document = async (arn: string): Promise<PolicyDocument> => {
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }));
    return JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? '{}')) as PolicyDocument;
  };

  before(async () => {
    env = (await localStack()).env;
    const aws = { region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    cfn = new CloudFormationClient(aws);
    iam = new IAMClient(aws);
    lambda = new LambdaClient(aws);
    const template = JSON.parse(fs.readFileSync(TEMPLATE_FILE, 'utf8')) as Template;
    const fn = template.Resources.ProcessorFunction;
    assert.ok(fn);
    // The code is not what this stack is about (the stack above runs the packaged bundle).
    fn.Properties.Code = { ZipFile: 'exports.handler = async () => undefined;' };
    stackName = `dwh-infra-it-${randomUUID().slice(0, 8)}`;
    const parameters: Record<string, string> = {
      OpenSearchService: 'aoss',
      OpenSearchDomainArn: COLLECTION_ARN,
      ExistingJobApprovalsTopicArn: EXISTING_TOPIC,
      ManageSsmParameters: 'false',
      SubnetIds: SUBNETS.join(','),
      SecurityGroupIds: 'sg-0123456789abcdef0',
      OutcomesTopicName: `${stackName}-outcomes`,
    };
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      }),
    );
    await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { StackName: stackName });
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
    built = new Set(((await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? []).map((r) => r.LogicalResourceId ?? ''));
  });

  after(async () => {
    await cfn?.send(new DeleteStackCommand({ StackName: stackName })).catch(() => undefined);
    for (const client of [cfn, iam, lambda]) client?.destroy();
  });

  it('subscribes to the existing topic instead of creating one, and leaves the SSM parameters alone', () => {
    assert.equal(outputs.JobApprovalsTopicArn, EXISTING_TOPIC);
    for (const id of ['JobApprovalsTopic', 'EndpointParameter', 'JobApprovalsTopicArnParameter', 'OutcomesTopicArnParameter', 'PolicyParameter']) {
      assert.equal(built.has(id), false, `${id} is not created`);
    }
    assert.ok(built.has('OutcomesTopic') && built.has('ProcessorFunction'));
  });

  it('reviewers publish to the existing topic; both policies reach the collection, not an OpenSearch Service domain', async () => {
    const reviewer = [await document(outputs.ReviewerPolicyArn ?? '')];
    assert.ok(isAllowed(reviewer, { action: 'sns:Publish', resource: EXISTING_TOPIC }));
    assert.ok(isAllowed(reviewer, { action: 'aoss:APIAccessAll', resource: COLLECTION_ARN }));
    assert.equal(isAllowed(reviewer, { action: 'es:ESHttpPost', resource: `${COLLECTION_ARN}/job-events/_search` }), false);
    const roleName = (outputs.ProcessorRoleArn ?? '').split('/').pop();
    const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
    const processor = await Promise.all(attached.filter((p) => !(p.PolicyArn ?? '').includes(':aws:policy/')).map((p) => document(p.PolicyArn ?? '')));
    assert.ok(isAllowed(processor, { action: 'aoss:APIAccessAll', resource: COLLECTION_ARN }));
  });

  it('runs the function in the given subnets', async () => {
    // The role's ManagedPolicyArns (AWSLambdaVPCAccessExecutionRole) moto ignores: the unit test reads it.
    const config = (await lambda.send(new GetFunctionCommand({ FunctionName: outputs.ProcessorFunctionName }))).Configuration;
    assert.deepEqual(config?.VpcConfig?.SubnetIds, SUBNETS);
    assert.deepEqual(config?.VpcConfig?.SecurityGroupIds, ['sg-0123456789abcdef0']);
  });
});
