// Reading the decision bodies out of the events a Lambda function receives: an SNS event
// (Records[].Sns.Message), or an SQS event (Records[].body) whose body is the decision
// itself (raw message delivery) or the SNS envelope {Type: "Notification", Message, ...}.

export type EventKind = 'sqs' | 'sns';

export interface DecisionRecord {
  /** SQS messageId (what batchItemFailures names), or the SNS MessageId. */
  id: string;
  /** The decision message text, unwrapped from any SNS envelope. */
  body: string;
  /** Where the body came from, for the log. */
  shape: 'sns-event' | 'sqs-raw' | 'sqs-sns-envelope';
  /**
   * When the message was sent, ms since the epoch: the SNS Timestamp (of the event, or of
   * the envelope in an SQS body), else the SQS SentTimestamp; null when the event says
   * neither. Freshness is judged on it, not on when a backed-up queue is drained.
   */
  sentAtMs: number | null;
}

export interface DecisionEvent {
  kind: EventKind;
  /** The SQS queue is FIFO: records must be handled in order. */
  fifo: boolean;
  records: DecisionRecord[];
}

export class UnsupportedEventError extends Error {
  override readonly name = 'UnsupportedEventError';
}

/** Reads an SNS or SQS event; throws UnsupportedEventError for anything else. */
export function readDecisionEvent(event: unknown): DecisionEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records) || records.length === 0) {
    throw new UnsupportedEventError('The event has no Records: expected an SNS or SQS event.');
  }
  const first = records[0] as Record<string, unknown>;
  if (isSnsRecord(first)) {
    return { kind: 'sns', fifo: false, records: records.map((record, index) => snsRecord(record, index)) };
  }
  if (isSqsRecord(first)) {
    const arn = typeof first.eventSourceARN === 'string' ? first.eventSourceARN : '';
    return { kind: 'sqs', fifo: arn.endsWith('.fifo'), records: records.map((record, index) => sqsRecord(record, index)) };
  }
  throw new UnsupportedEventError('The event is neither an SNS nor an SQS event.');
}

/** The decision text inside an SQS body: the body itself, or the Message of an SNS envelope (and its Timestamp). */
export function unwrapSqsBody(body: string): { body: string; enveloped: boolean; sentAtMs: number | null } {
  // Cheap test first: a decision has no "Type" field, an envelope always starts with it in practice.
  if (!body.includes('"Type"')) return { body, enveloped: false, sentAtMs: null };
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const envelope = parsed as Record<string, unknown>;
      if (envelope.Type === 'Notification' && typeof envelope.Message === 'string') {
        return { body: envelope.Message, enveloped: true, sentAtMs: isoMs(envelope.Timestamp) };
      }
    }
  } catch {
    // Not JSON: the processor audits it as invalid.
  }
  return { body, enveloped: false, sentAtMs: null };
}

function isoMs(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

function epochMs(value: unknown): number | null {
  const ms = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

function isSnsRecord(record: Record<string, unknown>): boolean {
  return record.EventSource === 'aws:sns' || (typeof record.Sns === 'object' && record.Sns !== null);
}

function isSqsRecord(record: Record<string, unknown>): boolean {
  return record.eventSource === 'aws:sqs' || (typeof record.messageId === 'string' && 'body' in record);
}

function snsRecord(raw: unknown, index: number): DecisionRecord {
  const sns = ((raw as { Sns?: unknown } | null)?.Sns ?? {}) as Record<string, unknown>;
  return {
    id: typeof sns.MessageId === 'string' ? sns.MessageId : `record-${index}`,
    body: typeof sns.Message === 'string' ? sns.Message : '',
    shape: 'sns-event',
    sentAtMs: isoMs(sns.Timestamp),
  };
}

function sqsRecord(raw: unknown, index: number): DecisionRecord {
  const record = (raw ?? {}) as Record<string, unknown>;
  const unwrapped = unwrapSqsBody(typeof record.body === 'string' ? record.body : '');
  const attributes = (typeof record.attributes === 'object' && record.attributes !== null ? record.attributes : {}) as Record<string, unknown>;
  return {
    id: typeof record.messageId === 'string' ? record.messageId : `record-${index}`,
    body: unwrapped.body,
    shape: unwrapped.enveloped ? 'sqs-sns-envelope' : 'sqs-raw',
    // The SNS publication time when there is an envelope; SentTimestamp is when SNS handed it to SQS.
    sentAtMs: unwrapped.sentAtMs ?? epochMs(attributes.SentTimestamp),
  };
}
