// SNS Publish parameters besides TopicArn, as every message this repository publishes has them
// (docs/CONTRACTS.md §3): the body as canonical JSON, one String attribute that subscription
// filters read, and on a FIFO topic the run as the message group and the message's id as the
// deduplication id.
import { canonicalJson } from './canonicalJson';

export interface SnsPublishParameters<Attribute extends string, Value extends string> {
  Message: string;
  MessageAttributes: Record<Attribute, { DataType: 'String'; StringValue: Value }>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export function snsPublishParameters<Attribute extends string, Value extends string>(
  body: { job_run_id: string },
  attribute: { name: Attribute; value: Value },
  fifo: { topicArn: string; deduplicationId: string },
): SnsPublishParameters<Attribute, Value> {
  const params = {
    Message: canonicalJson(body),
    MessageAttributes: { [attribute.name]: { DataType: 'String', StringValue: attribute.value } } as SnsPublishParameters<Attribute, Value>['MessageAttributes'],
  };
  return fifo.topicArn.endsWith('.fifo') ? { ...params, MessageGroupId: body.job_run_id, MessageDeduplicationId: fifo.deduplicationId } : params;
}
