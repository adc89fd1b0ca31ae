// The Lambda shell's pure parts: reading SNS and SQS events, and the configuration from
// environment variables.
import assert from 'node:assert/strict';
import { UnsupportedEventError, readDecisionEvent, unwrapSqsBody } from '../../src/processor/eventRecords';
import { ProcessorConfigError, readProcessorConfig } from '../../src/processor/processorConfig';

const DECISION = JSON.stringify({ event_type: 'approval_decision', job_run_id: 'r1', reason: 'mentions "Type" in passing' });

function envelope(message: string): string {
  return JSON.stringify({ Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: message, MessageAttributes: { decision: { Type: 'String', Value: 'APPROVED' } } });
}

describe('processor events', () => {
  it('reads the message of each record of an SNS event', () => {
    const event = readDecisionEvent({ Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'm-1', Message: DECISION, Timestamp: '2024-01-15T11:00:05.123Z' } }] });
    assert.equal(event.kind, 'sns');
    assert.deepEqual(event.records, [{ id: 'm-1', body: DECISION, shape: 'sns-event', sentAtMs: Date.parse('2024-01-15T11:00:05.123Z') }]);
  });

  it('knows when an SQS message was sent: the SNS envelope\'s Timestamp, else SentTimestamp', () => {
    const event = readDecisionEvent({
      Records: [
        { eventSource: 'aws:sqs', messageId: 'a', body: DECISION, attributes: { SentTimestamp: '1705316405000' } },
        { eventSource: 'aws:sqs', messageId: 'b', body: JSON.stringify({ Type: 'Notification', Message: DECISION, Timestamp: '2024-01-15T11:00:00.000Z' }), attributes: { SentTimestamp: '1705316405000' } },
        { eventSource: 'aws:sqs', messageId: 'c', body: DECISION, attributes: { SentTimestamp: 'soon' } },
      ],
    });
    assert.deepEqual(event.records.map((r) => r.sentAtMs), [1705316405000, Date.parse('2024-01-15T11:00:00Z'), null]);
  });

  it('reads SQS bodies: a raw decision as is, an SNS envelope unwrapped', () => {
    const event = readDecisionEvent({
      Records: [
        { eventSource: 'aws:sqs', messageId: 'a', body: DECISION, eventSourceARN: 'arn:aws:sqs:us-east-1:1:q' },
        { eventSource: 'aws:sqs', messageId: 'b', body: envelope(DECISION), eventSourceARN: 'arn:aws:sqs:us-east-1:1:q' },
      ],
    });
    assert.equal(event.kind, 'sqs');
    assert.equal(event.fifo, false);
    assert.deepEqual(
      event.records.map((r) => [r.id, r.body, r.shape]),
      [
        ['a', DECISION, 'sqs-raw'],
        ['b', DECISION, 'sqs-sns-envelope'],
      ],
    );
  });

  it('knows a FIFO queue by its ARN', () => {
    assert.equal(readDecisionEvent({ Records: [{ eventSource: 'aws:sqs', messageId: 'a', body: '', eventSourceARN: 'arn:aws:sqs:us-east-1:1:q.fifo' }] }).fifo, true);
  });

  it('leaves a body alone that only looks like an envelope', () => {
    for (const body of ['{"Type":"Notification","Message":{"not":"text"}}', '{"Type":"SubscriptionConfirmation","Message":"x"}', '"Type" but not JSON', '[]']) {
      assert.deepEqual(unwrapSqsBody(body), { body, enveloped: false, sentAtMs: null });
    }
  });

  it('turns records without a body into empty bodies, which the processor audits as invalid', () => {
    const event = readDecisionEvent({ Records: [{ eventSource: 'aws:sqs', messageId: 'a' }, { eventSource: 'aws:sqs', messageId: 'b', body: 42 }] });
    assert.deepEqual(event.records.map((r) => r.body), ['', '']);
  });

  it('refuses events that are neither SNS nor SQS', () => {
    for (const event of [null, {}, { Records: [] }, { Records: [{ eventSource: 'aws:s3' }] }, 'text']) {
      assert.throws(() => readDecisionEvent(event), UnsupportedEventError);
    }
  });
});

describe('processor configuration', () => {
  it('has the documented defaults (docs/CONTRACTS.md §1, §2, §7)', () => {
    const config = readProcessorConfig({ AWS_REGION: 'eu-west-1' });
    assert.equal(config.opensearchEndpoint, null);
    assert.equal(config.opensearchEndpointParameter, '/dwh/opensearch/endpoint');
    assert.equal(config.signingSecretParameter, '/dwh/approvals/signing-secret');
    assert.equal(config.eventsIndex, 'job-events');
    assert.equal(config.approvalsIndex, 'job-approvals');
    assert.equal(config.opensearchService, 'es');
    assert.equal(config.opensearchAuth, 'sigv4');
    assert.equal(config.freshnessMinutes, 15);
    assert.equal(config.region, 'eu-west-1');
    assert.equal(config.awsEndpointUrl, null);
    assert.equal(config.policyJson, null);
    assert.equal(config.policyParameter, '/dwh/approvals/policy');
    assert.equal(config.concurrency, 10);
    assert.equal(config.outcomesTopicArn, null);
    assert.equal(config.acceptSignatureV1, false, 'v1 is refused unless configured');
    assert.equal(config.secretRotationGraceMinutes, 60);
  });

  it('reads the signature v2, rotation and outcome settings', () => {
    const config = readProcessorConfig({ OUTCOMES_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:outcomes', ACCEPT_SIGNATURE_V1: 'true', SECRET_ROTATION_GRACE_MINUTES: '0' });
    assert.equal(config.outcomesTopicArn, 'arn:aws:sns:us-east-1:1:outcomes');
    assert.equal(config.acceptSignatureV1, true);
    assert.equal(config.secretRotationGraceMinutes, 0);
    assert.throws(() => readProcessorConfig({ ACCEPT_SIGNATURE_V1: 'maybe' }), /ACCEPT_SIGNATURE_V1 must be true or false/);
    assert.throws(() => readProcessorConfig({ SECRET_ROTATION_GRACE_MINUTES: '-1' }), /SECRET_ROTATION_GRACE_MINUTES must be a number from 0/);
  });

  it('reads every variable', () => {
    const config = readProcessorConfig({
      OPENSEARCH_ENDPOINT: ' search-dwh.example ',
      OPENSEARCH_SERVICE: 'aoss',
      OPENSEARCH_AUTH: 'none',
      SIGNING_SECRET_PARAMETER: '/x/secret',
      AWS_DEFAULT_REGION: 'us-west-2',
      DWH_AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      FRESHNESS_MINUTES: '30',
      POLICY: '{"default":{"quorum":2}}',
      POLICY_PARAMETER: '/x/policy',
      PROCESSOR_CONCURRENCY: '4',
    });
    assert.equal(config.opensearchEndpoint, 'search-dwh.example');
    assert.equal(config.opensearchService, 'aoss');
    assert.equal(config.opensearchAuth, 'none');
    assert.equal(config.signingSecretParameter, '/x/secret');
    assert.equal(config.region, 'us-west-2');
    assert.equal(config.awsEndpointUrl, 'http://127.0.0.1:5000');
    assert.equal(config.freshnessMinutes, 30);
    assert.equal(config.policyJson, '{"default":{"quorum":2}}');
    assert.equal(config.policyParameter, '/x/policy');
    assert.equal(config.concurrency, 4);
  });

  it('names the variable that is wrong', () => {
    assert.throws(() => readProcessorConfig({ FRESHNESS_MINUTES: 'soon' }), (e: unknown) => e instanceof ProcessorConfigError && /FRESHNESS_MINUTES/.test(e.message));
    assert.throws(() => readProcessorConfig({ FRESHNESS_MINUTES: '0' }), ProcessorConfigError);
    assert.throws(() => readProcessorConfig({ OPENSEARCH_SERVICE: 'elasticsearch' }), /OPENSEARCH_SERVICE/);
    assert.throws(() => readProcessorConfig({ OPENSEARCH_AUTH: 'basic' }), /OPENSEARCH_AUTH/);
    assert.throws(() => readProcessorConfig({ PROCESSOR_CONCURRENCY: '1000' }), /PROCESSOR_CONCURRENCY/);
  });
});
