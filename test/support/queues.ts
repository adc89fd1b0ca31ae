// Reads what SNS delivered to the stack's SQS queues, for tests that check a published
// decision arrived exactly once (and only where the subscription filter lets it).
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { StackEnv } from './localStack';

export interface Delivered {
  /** The SNS envelope's Message (our decision JSON), parsed. */
  message: Record<string, unknown>;
  /** The SNS message attributes as delivered in the envelope. */
  attributes: Record<string, { Type?: string; Value?: string }>;
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

/** Receives until `quietSeconds` pass with nothing new; returns every message, deleted. */
export async function receiveAll(client: SQSClient, queueUrl: string, quietSeconds = 2): Promise<Delivered[]> {
  const delivered: Delivered[] = [];
  for (;;) {
    const { Messages } = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: quietSeconds, MessageAttributeNames: ['All'] }),
    );
    if (!Messages?.length) return delivered;
    for (const message of Messages) delivered.push(parseEnvelope(message));
    await deleteAll(client, queueUrl, Messages);
  }
}

function parseEnvelope(message: Message): Delivered {
  const body = JSON.parse(message.Body ?? '{}') as { Type?: string; Message?: string; MessageAttributes?: Delivered['attributes'] };
  if (body.Type === 'Notification' && typeof body.Message === 'string') {
    return { message: JSON.parse(body.Message) as Record<string, unknown>, attributes: body.MessageAttributes ?? {} };
  }
  const attributes: Delivered['attributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) attributes[name] = { Type: value.DataType, Value: value.StringValue };
  return { message: body, attributes };
}

async function deleteAll(client: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  await Promise.all(messages.map((m) => client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }))));
}
