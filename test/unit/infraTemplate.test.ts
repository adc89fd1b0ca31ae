// The CloudFormation template (infra/), read as a document: what moto's CloudFormation skips
// (AWS::SNS::Subscription, AWS::SQS::QueuePolicy, AWS::CloudWatch::Alarm) or does not keep
// (the function's architecture) is checked here; what moto builds is checked against moto in
// test/integration/infraStack.test.ts. Both are listed in the README's "Deploy" section.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildDecisionMessageV1, publishParameters } from '../../src/core/decisionMessage';
import { isExpirySweepEvent } from '../../src/core/expirySweep';
import type { Decision } from '../../src/core/model';

const root = path.resolve(__dirname, '..', '..');
const templateFile = path.join(root, 'infra', 'dwh-approvals.template.json');

interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties: Record<string, unknown>;
}
interface Template {
  Parameters: Record<string, { Default?: unknown }>;
  Resources: Record<string, Resource>;
}

const template = JSON.parse(readFileSync(templateFile, 'utf8')) as Template;
const resource = (id: string): Resource => {
  const found = template.Resources[id];
  assert.ok(found, `the template has a resource ${id}`);
  return found;
};
const ofType = (type: string): Array<[string, Resource]> => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
/** The job_approvals topic, created or imported: the expression every consumer of it must use. */
const JOB_APPROVALS_TOPIC = { 'Fn::If': ['CreateJobApprovalsTopic', { Ref: 'JobApprovalsTopic' }, { Ref: 'ExistingJobApprovalsTopicArn' }] };
const DECISIONS: readonly Decision[] = ['APPROVED', 'REJECTED'];

describe('infra template (read, for what moto does not build)', () => {
  describe('the expiry sweep schedule', () => {
    it('invokes the processor on the rate parameter with the event its handler runs the sweep for, and may', () => {
      const rule = resource('ExpirySweepRule');
      assert.equal(rule.Type, 'AWS::Events::Rule');
      assert.deepEqual(rule.Properties.ScheduleExpression, { Ref: 'ExpirySweepRate' });
      assert.equal(template.Parameters.ExpirySweepRate?.Default, 'rate(1 minute)');
      const targets = rule.Properties.Targets as Array<{ Arn: unknown; Input: string }>;
      assert.equal(targets.length, 1);
      assert.deepEqual(targets[0]?.Arn, { 'Fn::GetAtt': ['ProcessorFunction', 'Arn'] });
      assert.ok(isExpirySweepEvent(JSON.parse(targets[0]?.Input ?? 'null')), 'the handler recognises the rule\'s input');
      const permission = resource('ExpirySweepPermission');
      assert.deepEqual(permission.Properties, {
        Action: 'lambda:InvokeFunction',
        FunctionName: { Ref: 'ProcessorFunction' },
        Principal: 'events.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { 'Fn::GetAtt': ['ExpirySweepRule', 'Arn'] },
      });
      const variables = (resource('ProcessorFunction').Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      assert.deepEqual(variables.APPROVAL_TTL_HOURS, { Ref: 'ApprovalTtlHours' });
    });
  });

  describe('the processor subscription (AWS::SNS::Subscription: skipped by moto)', () => {
    const subscription = resource('ProcessorSubscription');

    it('subscribes the processor queue to the job_approvals topic, created or imported', () => {
      assert.equal(subscription.Type, 'AWS::SNS::Subscription');
      assert.deepEqual(subscription.Properties.TopicArn, JOB_APPROVALS_TOPIC);
      assert.equal(subscription.Properties.Protocol, 'sqs');
      assert.deepEqual(subscription.Properties.Endpoint, { 'Fn::GetAtt': ['ProcessorQueue', 'Arn'] });
      assert.equal(subscription.Properties.RawMessageDelivery, true, 'raw delivery: the queue body is the decision itself');
    });

    it('filters on the message attribute the extension publishes, letting every decision through', () => {
      // The attribute name and values come from the product's own publisher.
      // The attribute does not depend on the signature version; v1 builds without an STS proof.
      const message = buildDecisionMessageV1(
        { jobName: 'j', jobRunId: 'r', decision: 'APPROVED', reason: 'ok', identityArn: 'arn:aws:iam::123456789012:user/alice', evidenceSha256: 'e'.repeat(64) },
        'secret',
      );
      const attributes = Object.keys(publishParameters(message, 'arn:aws:sns:us-east-1:123456789012:t').MessageAttributes);
      assert.equal(subscription.Properties.FilterPolicyScope, 'MessageAttributes');
      const filter = subscription.Properties.FilterPolicy as Record<string, unknown>;
      assert.deepEqual(Object.keys(filter), attributes, 'the filter reads the attribute the publisher sets');
      assert.deepEqual([...(filter[attributes[0] ?? ''] as string[])].sort(), [...DECISIONS].sort(), 'both decisions reach the processor');
    });

    it('is created after the queue policy that lets the topic deliver, which admits that topic only', () => {
      assert.equal(subscription.DependsOn, 'ProcessorQueuePolicy');
      const policy = resource('ProcessorQueuePolicy');
      assert.deepEqual(policy.Properties.Queues, [{ Ref: 'ProcessorQueue' }]);
      const statements = (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
      assert.equal(statements.length, 1);
      assert.deepEqual(statements[0], {
        Sid: 'JobApprovalsTopicDelivers',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': ['ProcessorQueue', 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': JOB_APPROVALS_TOPIC } },
      });
    });
  });

  describe('alarms (AWS::CloudWatch::Alarm: skipped by moto)', () => {
    const alarm = (id: string) => resource(id).Properties;

    it('dead-letter queue not empty: any visible message, within a minute', () => {
      const dlq = alarm('DeadLetterQueueNotEmptyAlarm');
      assert.equal(dlq.Namespace, 'AWS/SQS');
      assert.equal(dlq.MetricName, 'ApproximateNumberOfMessagesVisible');
      assert.deepEqual(dlq.Dimensions, [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ProcessorDeadLetterQueue', 'QueueName'] } }]);
      assert.equal(dlq.Statistic, 'Maximum');
      assert.equal(dlq.Threshold, 0);
      assert.equal(dlq.ComparisonOperator, 'GreaterThanThreshold');
      assert.equal((dlq.Period as number) * (dlq.EvaluationPeriods as number), 60);
    });

    it('processor errors: one failed invocation in five minutes', () => {
      const errors = alarm('ProcessorErrorsAlarm');
      assert.equal(errors.Namespace, 'AWS/Lambda');
      assert.equal(errors.MetricName, 'Errors');
      assert.deepEqual(errors.Dimensions, [{ Name: 'FunctionName', Value: { Ref: 'ProcessorFunction' } }]);
      assert.equal(errors.Statistic, 'Sum');
      assert.equal(errors.Threshold, 1);
      assert.equal(errors.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    });

    it('age of the oldest decision in the processor queue, above the configured seconds', () => {
      const age = alarm('OldestDecisionAgeAlarm');
      assert.equal(age.Namespace, 'AWS/SQS');
      assert.equal(age.MetricName, 'ApproximateAgeOfOldestMessage');
      assert.deepEqual(age.Dimensions, [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['ProcessorQueue', 'QueueName'] } }]);
      assert.equal(age.Statistic, 'Maximum');
      assert.deepEqual(age.Threshold, { Ref: 'OldestMessageAgeAlarmSeconds' });
      assert.equal(age.ComparisonOperator, 'GreaterThanThreshold');
      assert.ok((template.Parameters.OldestMessageAgeAlarmSeconds?.Default as number) <= 3600, 'the default alarms within the hour');
    });

    it('every alarm notifies the alarms topic, when it fires and when it clears; missing data is not an alarm', () => {
      const alarms = ofType('AWS::CloudWatch::Alarm');
      assert.equal(alarms.length, 3);
      for (const [id, { Properties }] of alarms) {
        assert.deepEqual(Properties.AlarmActions, [{ Ref: 'AlarmsTopic' }], id);
        assert.deepEqual(Properties.OKActions, [{ Ref: 'AlarmsTopic' }], id);
        assert.equal(Properties.TreatMissingData, 'notBreaching', id);
      }
      const email = resource('AlarmsEmailSubscription');
      assert.equal(email.Condition, 'HasAlarmEmail');
      assert.deepEqual(email.Properties, { TopicArn: { Ref: 'AlarmsTopic' }, Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } });
    });
  });

  describe('the function (moto keeps no architecture and does not run it)', () => {
    const fn = resource('ProcessorFunction').Properties;

    it('runs on arm64, from the zip `npm run package:processor` writes', () => {
      assert.deepEqual(fn.Architectures, ['arm64']);
      assert.equal(path.resolve(path.dirname(templateFile), fn.Code as string), path.join(root, 'dist', 'processor.zip'));
      assert.equal(fn.Handler, 'processor.handler');
    });

    it('joins the VPC only when subnets are given, with the managed policy that lets Lambda attach it there (moto ignores ManagedPolicyArns)', () => {
      assert.deepEqual(fn.VpcConfig, {
        'Fn::If': ['InVpc', { SubnetIds: { Ref: 'SubnetIds' }, SecurityGroupIds: { Ref: 'SecurityGroupIds' } }, { Ref: 'AWS::NoValue' }],
      });
      assert.deepEqual(resource('ProcessorRole').Properties.ManagedPolicyArns, {
        'Fn::If': ['InVpc', [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' }], { Ref: 'AWS::NoValue' }],
      });
    });

    it('a decision stays invisible to other consumers for six invocations of the function', () => {
      const queue = resource('ProcessorQueue').Properties;
      assert.ok((queue.VisibilityTimeout as number) >= 6 * (fn.Timeout as number), 'AWS recommends 6x the function timeout for SQS sources');
    });

    it('no policy in the template grants every action of a service or every action', () => {
      for (const [id, r] of Object.entries(template.Resources)) {
        if (r.Type === 'AWS::KMS::Key') continue; // a key policy's kms:* for the account root is how IAM policies get to grant its use
        const grants = JSON.stringify(r.Properties).match(/"Action":(\[[^\]]*\]|"[^"]*")/g) ?? [];
        for (const grant of grants) assert.doesNotMatch(grant, /"\*"|:\*"/, `${id}: ${grant}`);
      }
    });
  });
});
