// Sanity test of the local stack (npm run stack:up first):
//   npx mocha --import=tsx test/integration/stack.test.ts
// Checks the real OpenSearch node, the indices' mappings, the SSM parameters and the SNS → SQS
// fan-out with the downstream filter policy on the `decision` message attribute.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, PurgeQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { receiveUpToNow } from '../support/queues';

interface StackEnv {
  opensearchUrl: string;
  awsEndpointUrl: string;
  region: string;
  topicArn: string;
  topicName: string;
  outcomesTopicArn?: string;
  queueUrls: { downstream: string; tap: string; processor: string; outcomesTap?: string };
  ssm: { endpointParameter: string; topicArnParameter: string; signingSecretParameter: string };
  indices: { events: string; approvals: string };
}

interface SnsEnvelope {
  Type: string;
  TopicArn: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

const stackDir = process.env.DWH_STACK_DIR ?? join(process.cwd(), '.stack');

function readEnv(): StackEnv {
  try {
    return JSON.parse(readFileSync(join(stackDir, 'env.json'), 'utf8')) as StackEnv;
  } catch (err) {
    throw new Error(`cannot read ${stackDir}/env.json — is the stack up? (npm run stack:up): ${String(err)}`, { cause: err });
  }
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as unknown };
}

type MappingProps = Record<string, { type?: string; properties?: MappingProps }>;

async function mappingOf(env: StackEnv, index: string): Promise<MappingProps> {
  const { status, body } = await getJson(`${env.opensearchUrl}/${index}/_mapping`);
  assert.equal(status, 200, `index ${index} should exist`);
  const byIndex = body as Record<string, { mappings: { properties: MappingProps } }>;
  const entry = byIndex[index];
  assert.ok(entry, `mapping response names ${index}`);
  return entry.mappings.properties;
}

describe('local stack', function () {
  this.timeout(60_000);
  const env = readEnv();
  const aws = { endpoint: env.awsEndpointUrl, region: env.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const sns = new SNSClient(aws);
  const sqs = new SQSClient(aws);
  const ssm = new SSMClient(aws);

  after(() => {
    sns.destroy();
    sqs.destroy();
    ssm.destroy();
  });

  describe('OpenSearch', () => {
    it('is a healthy single node', async () => {
      const { status, body } = await getJson(`${env.opensearchUrl}/_cluster/health?wait_for_status=yellow&timeout=10s`);
      assert.equal(status, 200);
      const health = body as { status: string; number_of_nodes: number; timed_out: boolean };
      assert.equal(health.timed_out, false);
      assert.ok(['green', 'yellow'].includes(health.status), `cluster status ${health.status}`);
      assert.equal(health.number_of_nodes, 1);
      const root = (await getJson(env.opensearchUrl)).body as { version: { distribution: string; number: string } };
      assert.equal(root.version.distribution, 'opensearch');
      assert.match(root.version.number, /^2\./);
    });

    it('has job-events with the seed mapping and nested quality_checks', async () => {
      const props = await mappingOf(env, env.indices.events);
      assert.equal(props.quality_checks?.type, 'nested');
      for (const sub of ['name', 'status', 'value', 'threshold']) {
        assert.equal(props.quality_checks?.properties?.[sub]?.type, 'keyword', `quality_checks.${sub}`);
      }
      assert.equal(props.timestamp?.type, 'date');
      assert.equal(props.job_run_id?.type, 'keyword');
      assert.equal(props.status?.type, 'keyword');
      assert.equal(props.approval_status?.type, 'keyword');
      assert.equal(props.approval_reason?.type, 'text');
      assert.equal(props.records_read?.type, 'long');
      assert.equal(props.duration_seconds?.type, 'float');
      assert.equal(props.expires_at?.type, 'date');
      assert.equal(props.triggered_by?.type, 'keyword');
    });

    it('has job-approvals with the audit mapping', async () => {
      const props = await mappingOf(env, env.indices.approvals);
      assert.equal(props.original_quality_checks?.type, 'nested');
      assert.equal(props.decision?.type, 'keyword');
      assert.equal(props.reason?.type, 'text');
      assert.equal(props.decision_id?.type, 'keyword');
      assert.equal(props.identity_arn?.type, 'keyword');
      assert.equal(props.audit_status?.type, 'keyword');
      assert.equal(props.evidence_sha256?.type, 'keyword');
      assert.equal(props.received_at?.type, 'date');
    });

    it('indexes a numeric and a "12.0%" check value into the same nested field', async () => {
      // Dry check against the live mapping without writing: _validate would not parse documents,
      // so use a throwaway index with the same mapping.
      const props = await mappingOf(env, env.indices.events);
      const index = `stack-test-${randomUUID()}`;
      const put = await fetch(`${env.opensearchUrl}/${index}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: { properties: props } }),
      });
      assert.equal(put.status, 200);
      try {
        for (const value of [0.12, '12.0%']) {
          const res = await fetch(`${env.opensearchUrl}/${index}/_doc?refresh=wait_for`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ job_run_id: 'x', quality_checks: [{ name: 'drop_rate', status: 'FAIL', value, threshold: 0.1 }] }),
          });
          assert.equal(res.status, 201, `value ${JSON.stringify(value)}: ${await res.text()}`);
        }
      } finally {
        await fetch(`${env.opensearchUrl}/${index}`, { method: 'DELETE' });
      }
    });
  });

  describe('SSM parameters', () => {
    it('point at the node and the topic', async () => {
      const endpoint = await ssm.send(new GetParameterCommand({ Name: env.ssm.endpointParameter }));
      assert.equal(endpoint.Parameter?.Value, env.opensearchUrl);
      const topic = await ssm.send(new GetParameterCommand({ Name: env.ssm.topicArnParameter }));
      assert.equal(topic.Parameter?.Value, env.topicArn);
    });

    it('hold the signing secret as a SecureString that decrypts', async () => {
      const res = await ssm.send(new GetParameterCommand({ Name: env.ssm.signingSecretParameter, WithDecryption: true }));
      assert.equal(res.Parameter?.Type, 'SecureString');
      assert.match(res.Parameter?.Value ?? '', /^[0-9a-f]{64}$/);
    });
  });

  describe('SNS job_approvals → SQS', () => {
    async function drain(queueUrl: string): Promise<void> {
      try {
        await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      } catch {
        // PurgeQueue can be refused (AWS allows one per 60 s); fall back to receiving and deleting.
      }
      for (;;) {
        const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
        const messages = res.Messages ?? [];
        if (messages.length === 0) return;
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
    }

    /**
     * Every message carrying our marker that is in the queue by now, however many (other
     * traffic is ignored): SNS delivers within Publish, and a sentinel sent to the queue after
     * it comes back behind them (see receiveUpToNow), so a duplicate is counted too.
     */
    async function receiveMarked(queueUrl: string, marker: string): Promise<SnsEnvelope[]> {
      const delivered = await receiveUpToNow(sqs, queueUrl);
      return delivered.filter((d) => d.message.marker === marker).map((d) => d.body as unknown as SnsEnvelope);
    }

    async function publish(decision: 'APPROVED' | 'REJECTED', marker: string): Promise<void> {
      const res = await sns.send(
        new PublishCommand({
          TopicArn: env.topicArn,
          Message: JSON.stringify({ event_type: 'approval_decision', decision, marker, job_run_id: `stack-test-${marker}` }),
          MessageAttributes: { decision: { DataType: 'String', StringValue: decision } },
        }),
      );
      assert.ok(res.MessageId, 'publish returns a MessageId');
    }

    before(async () => {
      await drain(env.queueUrls.tap);
      await drain(env.queueUrls.downstream);
    });

    it('delivers REJECTED to tap but not to downstream', async () => {
      const marker = randomUUID();
      await publish('REJECTED', marker);
      const tap = await receiveMarked(env.queueUrls.tap, marker);
      assert.equal(tap.length, 1, 'tap receives the REJECTED decision, once');
      const envelope = tap[0];
      assert.ok(envelope);
      assert.equal(envelope.Type, 'Notification', 'standard SNS envelope (RawMessageDelivery=false)');
      assert.equal(envelope.TopicArn, env.topicArn);
      assert.equal(envelope.MessageAttributes?.decision?.Value, 'REJECTED');
      const downstream = await receiveMarked(env.queueUrls.downstream, marker);
      assert.equal(downstream.length, 0, 'the downstream filter policy drops REJECTED');
    });

    it('delivers APPROVED to tap, and not to downstream: a decision is a vote, not an outcome', async () => {
      const marker = randomUUID();
      await publish('APPROVED', marker);
      const tap = await receiveMarked(env.queueUrls.tap, marker);
      assert.equal(tap.length, 1, 'tap receives the APPROVED decision');
      const downstream = await receiveMarked(env.queueUrls.downstream, marker);
      assert.equal(downstream.length, 0, 'downstream subscribes to the outcomes topic, not to job_approvals');
    });

    it('delivers an APPROVED outcome on the outcomes topic to downstream, a REJECTED one only to the outcomes tap', async () => {
      assert.ok(env.outcomesTopicArn && env.queueUrls.outcomesTap, 'the stack has an outcomes topic and its tap queue');
      const [approved, rejected] = [randomUUID(), randomUUID()];
      for (const [decision, marker] of [['APPROVED', approved], ['REJECTED', rejected]] as const) {
        await sns.send(
          new PublishCommand({
            TopicArn: env.outcomesTopicArn,
            Message: JSON.stringify({ event_type: 'approval_outcome', decision, marker }),
            MessageAttributes: { decision: { DataType: 'String', StringValue: decision } },
          }),
        );
      }
      // One read of each queue up to now, judged for both outcomes: a second read would find
      // the queue already drained and could not see a REJECTED outcome that got through.
      const [downstream, outcomesTap] = await Promise.all([
        receiveUpToNow(sqs, env.queueUrls.downstream),
        receiveUpToNow(sqs, String(env.queueUrls.outcomesTap)),
      ]);
      const marked = (delivered: typeof downstream, marker: string): SnsEnvelope[] =>
        delivered.filter((d) => d.message.marker === marker).map((d) => d.body as unknown as SnsEnvelope);
      const approvedDownstream = marked(downstream, approved);
      assert.equal(approvedDownstream.length, 1, 'downstream receives the APPROVED outcome, once');
      assert.equal(approvedDownstream[0]?.TopicArn, env.outcomesTopicArn);
      assert.equal(approvedDownstream[0]?.MessageAttributes?.decision?.Value, 'APPROVED');
      assert.equal(marked(downstream, rejected).length, 0, 'the downstream filter policy drops REJECTED');
      assert.equal(marked(outcomesTap, rejected).length, 1, 'the outcomes tap receives the REJECTED outcome, once');
      assert.equal(marked(outcomesTap, approved).length, 1, 'the outcomes tap receives the APPROVED outcome, once');
    });
  });
});
