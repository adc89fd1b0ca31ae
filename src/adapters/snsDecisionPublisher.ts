// Publishes a signed decision to the job_approvals topic: the `decision` message attribute
// that subscription filter policies read, and for FIFO topics the run as message group and
// the decision_id as deduplication id. The SDK retries throttling and 5xx with backoff;
// every retry resends the same message, so the same decision_id.
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { isFifoTopic } from '../core/connectionSettings';
import type { DecisionMessage } from '../core/decisionMessage';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

export class SnsDecisionPublisher {
  private readonly client: SNSClient;

  constructor(private readonly aws: AwsContext) {
    this.client = new SNSClient({ ...aws.clientConfig(), maxAttempts: 5 });
  }

  async publish(topicArn: string, message: DecisionMessage): Promise<{ messageId: string }> {
    const fifo = isFifoTopic(topicArn);
    try {
      const result = await this.client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(message),
          MessageAttributes: { decision: { DataType: 'String', StringValue: message.decision } },
          ...(fifo ? { MessageGroupId: message.job_run_id, MessageDeduplicationId: message.decision_id } : {}),
        }),
      );
      return { messageId: result.MessageId ?? '' };
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, topicArn, action: 'sns:Publish' });
    }
  }

  dispose(): void {
    this.client.destroy();
  }
}
