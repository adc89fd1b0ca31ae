// Publishes the processor's effective outcomes (approval_outcome) on the outcomes topic,
// with the `decision` attribute that downstream subscription filter policies read, and the
// expiry sweep's announcements (approval_expiring) with an `event_type` attribute.
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { outcomePublishParameters, type ApprovalOutcome } from '../core/approvalOutcome';
import { announcementPublishParameters, type ExpiringAnnouncement } from '../core/expirySweep';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

export class SnsOutcomePublisher {
  private readonly client: SNSClient;

  constructor(
    private readonly aws: AwsContext,
    readonly topicArn: string,
  ) {
    this.client = new SNSClient({ ...aws.clientConfig(), maxAttempts: 5 });
  }

  async publish(outcome: ApprovalOutcome): Promise<void> {
    try {
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, ...outcomePublishParameters(outcome, this.topicArn) }));
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, topicArn: this.topicArn, action: 'sns:Publish' });
    }
  }

  async publishAnnouncement(announcement: ExpiringAnnouncement): Promise<void> {
    try {
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, ...announcementPublishParameters(announcement, this.topicArn) }));
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, topicArn: this.topicArn, action: 'sns:Publish' });
    }
  }

  dispose(): void {
    this.client.destroy();
  }
}
