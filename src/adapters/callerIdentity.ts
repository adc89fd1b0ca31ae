// Who the configured credentials belong to, from STS GetCallerIdentity; cached per context.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { decidedByFromArn } from '../core/callerIdentity';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

export interface CallerIdentity {
  arn: string;
  account: string;
  /** The `decided_by` value recorded in decisions. */
  decidedBy: string;
}

export class CallerIdentityReader {
  private readonly client: STSClient;
  private cached: Promise<CallerIdentity> | undefined;

  constructor(private readonly aws: AwsContext) {
    this.client = new STSClient(aws.clientConfig());
  }

  identity(): Promise<CallerIdentity> {
    if (!this.cached) {
      this.cached = this.fetch();
      this.cached.catch(() => (this.cached = undefined));
    }
    return this.cached;
  }

  dispose(): void {
    this.client.destroy();
  }

  private async fetch(): Promise<CallerIdentity> {
    try {
      const result = await this.client.send(new GetCallerIdentityCommand({}));
      const arn = result.Arn ?? '';
      return { arn, account: result.Account ?? '', decidedBy: decidedByFromArn(arn) };
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, action: 'sts:GetCallerIdentity' });
    }
  }
}
