// Reads what SNS delivered to the stack's SQS queues, for tests that check a published
// decision arrived exactly once (and only where the subscription filter lets it).
import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { StackEnv } from './localStack';

export interface Delivered {
  /** The SNS envelope's Message (our decision JSON), parsed. */
  message: Record<string, unknown>;
  /** The SNS message attributes as delivered in the envelope. */
  attributes: Record<string, { Type?: string; Value?: string }>;
  /** The SQS message body, parsed: the SNS envelope (Type, TopicArn, Message, ...). */
  body: Record<string, unknown>;
}

export function sqsClient(env: StackEnv): SQSClient {
  return new SQSClient({
    region: env.region,
    endpoint: env.awsEndpointUrl,
    credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/** Empties a queue by receiving (PurgeQueue is limited to once a minute). */
export async function purge(client: SQSClient, queueUrl: string): Promise<void> {
  for (;;) {
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!Messages?.length) return;
    await deleteAll(client, queueUrl, Messages);
  }
}

const SENTINEL_KEY = 'dwh_test_sentinel';

/**
 * Everything delivered to a queue up to now, deleted: sends a sentinel message to the queue
 * itself and receives until the sentinel comes back. The local stack's SNS delivers to its
 * queues within the Publish call, so whatever the code under test published before this call is in the queue ahead of the sentinel: "exactly once" and "nothing was published" are
 * decided on that positive signal, not on a quiet period. Fails after `timeoutMs` without it.
 */
export async function receiveUpToNow(client: SQSClient, queueUrl: string, timeoutMs = 30_000): Promise<Delivered[]> {
  const sentinel = randomUUID();
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ [SENTINEL_KEY]: sentinel }) }));
  const delivered: Delivered[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    let seen = false;
    for (const message of Messages ?? []) {
      const parsed = parseEnvelope(message);
      if (parsed.message[SENTINEL_KEY] === sentinel) seen = true;
      else if (parsed.message[SENTINEL_KEY] === undefined) delivered.push(parsed);
    }
    if (Messages?.length) await deleteAll(client, queueUrl, Messages);
    if (seen) return delivered;
    if (Date.now() > deadline) throw new Error(`the sentinel sent to ${queueUrl} did not come back within ${timeoutMs} ms; received ${JSON.stringify(delivered.map((d) => d.message))}`);
  }
}

function parseEnvelope(message: Message): Delivered {
  const body = JSON.parse(message.Body ?? '{}') as { Type?: string; Message?: string; MessageAttributes?: Delivered['attributes'] };
  if (body.Type === 'Notification' && typeof body.Message === 'string') {
    return { message: JSON.parse(body.Message) as Record<string, unknown>, attributes: body.MessageAttributes ?? {}, body };
  }
  const attributes: Delivered['attributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) attributes[name] = { Type: value.DataType, Value: value.StringValue };
  return { message: body, attributes, body };
}

async function deleteAll(client: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  await Promise.all(messages.map((m) => client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }))));
}
