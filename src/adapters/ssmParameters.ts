// Resolves the pipeline's configuration from SSM Parameter Store: the OpenSearch endpoint,
// the job_approvals topic ARN and the signing secret. Settings override the first two.
// Values are cached for the life of this object; the secret only ever lives in memory.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { ConnectionSettings } from '../core/connectionSettings';
import { normalizeOpenSearchEndpoint } from '../core/connectionSettings';
import type { AwsContext } from './awsContext';
import { toDwhError } from './awsErrors';
import { DwhError } from '../core/failureClassification';

export class SsmParameters {
  private readonly client: SSMClient;
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly aws: AwsContext,
    private readonly settings: ConnectionSettings,
  ) {
    this.client = new SSMClient(aws.clientConfig());
  }

  async opensearchEndpoint(): Promise<string> {
    const raw = this.settings.opensearchEndpoint || (await this.parameter(this.settings.opensearchEndpointParameter, false));
    return normalizeOpenSearchEndpoint(raw);
  }

  async topicArn(): Promise<string> {
    return this.settings.topicArn || (await this.parameter(this.settings.topicArnParameter, false));
  }

  /** The decision signing secret (SecureString). Never log or persist the result. */
  signingSecret(): Promise<string> {
    return this.parameter(this.settings.signingSecretParameter, true);
  }

  /**
   * The approval policy's JSON text (core/approvalPolicy.ts), or '' when the parameter does
   * not exist: then the default policy applies, as in the processor. Other failures throw.
   */
  async approvalPolicyText(): Promise<string> {
    try {
      return await this.parameter(this.settings.policyParameter, false);
    } catch (error) {
      if (error instanceof DwhError && error.failure.kind === 'parameter-missing') return '';
      throw error;
    }
  }

  /** Forget cached values, e.g. after a failure that may have been a rotated parameter. */
  clear(): void {
    this.cache.clear();
  }

  dispose(): void {
    this.client.destroy();
  }

  private parameter(name: string, decrypt: boolean): Promise<string> {
    let pending = this.cache.get(name);
    if (!pending) {
      pending = this.fetch(name, decrypt);
      this.cache.set(name, pending);
      // A failed lookup is not cached: the next call asks again.
      pending.catch(() => this.cache.delete(name));
    }
    return pending;
  }

  private async fetch(name: string, decrypt: boolean): Promise<string> {
    try {
      const result = await this.client.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt }));
      const value = result.Parameter?.Value;
      if (value == null || value.trim() === '') {
        throw Object.assign(new Error(`SSM parameter ${name} is empty.`), { name: 'ParameterNotFound' });
      }
      return value.trim();
    } catch (error) {
      throw toDwhError(error, { profile: this.aws.target.profile, parameterName: name, action: 'ssm:GetParameter' });
    }
  }
}
