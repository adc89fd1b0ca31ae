// Publishes the processor's effective outcomes (approval_outcome) on the outcomes topic,
// with the `decision` attribute that downstream subscription filter policies read, and the
// expiry sweep's announcements (approval_expiring) with an `event_type` attribute. The
// processor's batches publish their outcomes with PublishBatch (10 a request, SNS's limit;
// IAM authorizes it as sns:Publish), each entry's failure its own.
import { PublishBatchCommand, PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { outcomePublishParameters, type ApprovalOutcome } from '../core/approvalOutcome';
import { announcementPublishParameters, type ExpiringAnnouncement } from '../core/expirySweep';
import { DwhError } from '../core/failureClassification';
import { settleEach, type Settled } from '../core/lockstepBatcher';
import type { AwsContext } from './awsContext';

/** SNS takes at most 10 entries in one PublishBatch. */
const PUBLISH_BATCH_MAX = 10;

export class SnsOutcomePublisher {
  private readonly client: SNSClient;

  constructor(
    private readonly aws: AwsContext,
    readonly topicArn: string,
  ) {
    this.client = new SNSClient({ ...aws.clientConfig(), maxAttempts: 5 });
  }

  async publish(outcome: ApprovalOutcome): Promise<void> {
    await this.publishOne(outcomePublishParameters(outcome, this.topicArn));
  }

  /** Publishes several outcomes, 10 a request; one result per outcome, in order. */
  async publishBatch(outcomes: readonly ApprovalOutcome[]): Promise<Array<Settled<void>>> {
    if (outcomes.length <= 1) return settleEach(outcomes, (outcome) => this.publish(outcome));
    const chunks: ApprovalOutcome[][] = [];
    for (let start = 0; start < outcomes.length; start += PUBLISH_BATCH_MAX) chunks.push(outcomes.slice(start, start + PUBLISH_BATCH_MAX));
    const settled = await Promise.all(chunks.map((chunk) => this.publishChunk(chunk)));
    return settled.flat();
  }

  private async publishChunk(outcomes: readonly ApprovalOutcome[]): Promise<Array<Settled<void>>> {
    let answer;
    try {
      answer = await this.client.send(
        new PublishBatchCommand({
          TopicArn: this.topicArn,
          PublishBatchRequestEntries: outcomes.map((outcome, index) => ({ Id: String(index), ...outcomePublishParameters(outcome, this.topicArn) })),
        }),
      );
    } catch (error) {
      const failure = DwhError.from(error, { profile: this.aws.target.profile, topicArn: this.topicArn, action: 'sns:Publish' });
      return outcomes.map(() => ({ ok: false, error: failure }));
    }
    const published = new Set((answer.Successful ?? []).map((entry) => entry.Id));
    const failed = new Map((answer.Failed ?? []).map((entry) => [entry.Id, entry]));
    return outcomes.map((_, index): Settled<void> => {
      if (published.has(String(index))) return { ok: true, value: undefined };
      const entry = failed.get(String(index));
      const reason = entry ? `${entry.Code ?? 'error'}: ${entry.Message ?? ''}` : 'not in the answer';
      return { ok: false, error: DwhError.from(new Error(`sns:Publish of outcome ${outcomes[index]?.outcome_id ?? ''} on ${this.topicArn} failed (${reason}).`)) };
    });
  }

  async publishAnnouncement(announcement: ExpiringAnnouncement): Promise<void> {
    await this.publishOne(announcementPublishParameters(announcement, this.topicArn));
  }

  private async publishOne(parameters: Omit<PublishCommandInput, 'TopicArn'>): Promise<void> {
    try {
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, ...parameters }));
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, topicArn: this.topicArn, action: 'sns:Publish' });
    }
  }

  dispose(): void {
    this.client.destroy();
  }
}
