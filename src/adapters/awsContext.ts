// One AWS identity for every adapter: the chosen profile's credentials through the SDK's
// own provider chain (SSO, assume-role, credential_process; AWS_CONFIG_FILE honoured),
// the region, and the emulator endpoint when one is configured.
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface AwsTarget {
  profile: string | undefined;
  region: string | undefined;
  endpointUrl: string | undefined;
}

export interface AwsClientConfig {
  profile?: string;
  region?: string;
  endpoint?: string;
  credentials: AwsCredentialIdentityProvider;
  maxAttempts: number;
}

export class AwsContext {
  readonly credentials: AwsCredentialIdentityProvider;
  private resolvedRegion: Promise<string> | undefined;

  constructor(readonly target: AwsTarget) {
    // The chain is memoised by the SDK: one credential fetch until they near expiry.
    const chain = fromNodeProviderChain({
      ...(target.profile ? { profile: target.profile } : {}),
      ...(target.region ? { clientConfig: { region: target.region } } : {}),
    });
    const profile = target.profile;
    this.credentials = async (options) => {
      try {
        return await chain(options);
      } catch (error) {
        // The chain reports only "Could not load credentials from any providers". For a named
        // profile, ask the profile's own provider why (expired SSO session, failing
        // credential_process, unknown profile), so the user is told what to fix.
        if (profile && /from any providers/.test(error instanceof Error ? error.message : '')) {
          await fromIni({ profile })();
        }
        throw error;
      }
    };
  }

  clientConfig(): AwsClientConfig {
    return {
      ...(this.target.profile ? { profile: this.target.profile } : {}),
      ...(this.target.region ? { region: this.target.region } : {}),
      ...(this.target.endpointUrl ? { endpoint: this.target.endpointUrl } : {}),
      credentials: this.credentials,
      maxAttempts: 3,
    };
  }

  /** The configured region, else the profile's, else AWS_REGION; throws when there is none. */
  region(): Promise<string> {
    this.resolvedRegion ??= (async () => {
      if (this.target.region) return this.target.region;
      const probe = new STSClient(this.clientConfig());
      try {
        return await probe.config.region();
      } finally {
        probe.destroy();
      }
    })();
    return this.resolvedRegion;
  }

  getCredentials(): Promise<AwsCredentialIdentity> {
    return this.credentials();
  }
}
