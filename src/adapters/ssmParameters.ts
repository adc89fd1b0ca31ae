// Resolves the pipeline's configuration from SSM Parameter Store: the OpenSearch endpoint,
// the job_approvals topic ARN and the signing secret. Settings override the first two.
// Values are cached for the life of this object; the secret only ever lives in memory.
// The extension and the approval processor both read SSM through this class.
import { GetParameterCommand, SSMClient, paginateGetParameterHistory } from '@aws-sdk/client-ssm';
import type { ConnectionSettings } from '../core/connectionSettings';
import { normalizeOpenSearchEndpoint } from '../core/connectionSettings';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

/** A SecureString's current value and the one before it (a rotation), from its history. */
export interface SecretVersions {
  current: string;
  /** When the current version was written (ms since the epoch); null when SSM does not say. */
  currentSinceMs: number | null;
  /** The value of the version before the current one; null when there is none. */
  previous: string | null;
}

export class SsmParameters {
  private readonly client: SSMClient;
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly aws: AwsContext,
    private readonly settings: Pick<ConnectionSettings, 'opensearchEndpoint' | 'opensearchEndpointParameter' | 'topicArn' | 'topicArnParameter' | 'signingSecretParameter' | 'policyParameter'>,
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

  /**
   * The signing secret's current and previous versions (ssm:GetParameterHistory), for a
   * processor that accepts the previous secret during a rotation's grace. Not cached.
   */
  async signingSecretVersions(): Promise<SecretVersions> {
    const name = this.settings.signingSecretParameter;
    try {
      const versions: Array<{ version: number; value: string; modifiedMs: number | null }> = [];
      for await (const page of paginateGetParameterHistory({ client: this.client, pageSize: 50 }, { Name: name, WithDecryption: true })) {
        for (const entry of page.Parameters ?? []) {
          if (typeof entry.Value === 'string' && entry.Value.trim() !== '') {
            versions.push({ version: entry.Version ?? 0, value: entry.Value.trim(), modifiedMs: entry.LastModifiedDate ? entry.LastModifiedDate.getTime() : null });
          }
        }
      }
      versions.sort((a, b) => a.version - b.version);
      const current = versions[versions.length - 1];
      if (!current) throw Object.assign(new Error(`SSM parameter ${name} is empty.`), { name: 'ParameterNotFound' });
      return { current: current.value, currentSinceMs: current.modifiedMs, previous: versions[versions.length - 2]?.value ?? null };
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, parameterName: name, action: 'ssm:GetParameterHistory' });
    }
  }

  /** Any parameter's value (cached); `decrypt` for a SecureString. */
  value(name: string, decrypt: boolean): Promise<string> {
    return this.parameter(name, decrypt);
  }

  /** Forget cached values, e.g. after a failure that may have been a rotated parameter. */
  clear(): void {
    this.cache.clear();
  }

  /** Forget the signing secret only: the processor refused a decision for its signature (a rotation). */
  forgetSigningSecret(): void {
    this.cache.delete(this.settings.signingSecretParameter);
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
      throw DwhError.from(error, { profile: this.aws.target.profile, parameterName: name, action: 'ssm:GetParameter' });
    }
  }
}
