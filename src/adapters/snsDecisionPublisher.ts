// Publishes a signed decision to the job_approvals topic with publishParameters (the `decision`
// message attribute that subscription filter policies read, and for FIFO topics the run as
// message group and the decision_id as deduplication id). The SDK retries throttling and 5xx with backoff;
// every retry resends the same message, so the same decision_id.
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { publishParameters, type DecisionMessage } from '../core/decisionMessage';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

export class SnsDecisionPublisher {
  private readonly client: SNSClient;

  constructor(private readonly aws: AwsContext) {
    this.client = new SNSClient({ ...aws.clientConfig(), maxAttempts: 5 });
  }

  async publish(topicArn: string, message: DecisionMessage): Promise<{ messageId: string }> {
    try {
      const result = await this.client.send(new PublishCommand({ TopicArn: topicArn, ...publishParameters(message, topicArn) }));
      return { messageId: result.MessageId ?? '' };
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, topicArn, action: 'sns:Publish' });
    }
  }

  dispose(): void {
    this.client.destroy();
  }
}
