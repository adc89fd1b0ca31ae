// What a processor instance needs once per cold start: the signing secret (from SSM, kept
// in memory only), the OpenSearch endpoint and the policy, the OpenSearch client and the
// DecisionProcessor built over them.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import { parseApprovalPolicy, type ApprovalPolicy } from '../core/approvalPolicy';
import { normalizeOpenSearchEndpoint } from '../core/connectionSettings';
import { DecisionProcessor } from '../core/decisionProcessor';
import { DwhError } from '../core/failureClassification';
import { OpenSearchDecisionStore } from './openSearchDecisionStore';
import type { ProcessorConfig } from './processorConfig';

/** A rotated secret is looked up again at most this often, however many bad signatures arrive. */
const SECRET_RECHECK_MS = 60_000;

export interface ProcessorRuntime {
  readonly processor: DecisionProcessor;
  readonly config: ProcessorConfig;
  readonly opensearchEndpoint: string;
  readonly policy: ApprovalPolicy;
  close(): Promise<void>;
}

export async function createProcessorRuntime(config: ProcessorConfig): Promise<ProcessorRuntime> {
  const credentials = fromNodeProviderChain();
  const ssm = new SSMClient({
    ...(config.region ? { region: config.region } : {}),
    ...(config.awsEndpointUrl ? { endpoint: config.awsEndpointUrl } : {}),
    credentials,
    maxAttempts: 3,
  });
  const parameter = async (name: string, decrypt: boolean): Promise<string> => {
    try {
      const value = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: decrypt }))).Parameter?.Value;
      if (value == null || value.trim() === '') {
        throw Object.assign(new Error(`SSM parameter ${name} is empty.`), { name: 'ParameterNotFound' });
      }
      return value.trim();
    } catch (error) {
      throw DwhError.from(error, { parameterName: name, action: 'ssm:GetParameter', ...(config.region ? { region: config.region } : {}) });
    }
  };

  // The policy parameter may not exist: then the default policy applies, as in the extension.
  // Any other failure (access denied, throttling) stops the cold start: never a guessed policy.
  const optionalParameter = async (name: string): Promise<string> => {
    try {
      return await parameter(name, false);
    } catch (error) {
      if (error instanceof DwhError && error.failure.kind === 'parameter-missing') return '';
      throw error;
    }
  };

  try {
    const [secret, rawEndpoint, policyText] = await Promise.all([
      parameter(config.signingSecretParameter, true),
      config.opensearchEndpoint ?? parameter(config.opensearchEndpointParameter, false),
      config.policyJson ?? optionalParameter(config.policyParameter),
    ]);
    const policy = parseApprovalPolicy(policyText);
    const endpoint = normalizeOpenSearchEndpoint(rawEndpoint);
    const region = config.region ?? (await ssm.config.region());
    const client = new Client({
      ...(config.opensearchAuth === 'sigv4' ? AwsSigv4Signer({ region, service: config.opensearchService, getCredentials: () => credentials() }) : {}),
      node: endpoint,
      requestTimeout: config.opensearchTimeoutMs,
      maxRetries: 1,
    });
    const store = new OpenSearchDecisionStore(client, endpoint, { events: config.eventsIndex, approvals: config.approvalsIndex });

    let current = secret;
    let checkedAt = Date.now();
    const refreshSecret = async (): Promise<string | null> => {
      if (Date.now() - checkedAt < SECRET_RECHECK_MS) return null;
      checkedAt = Date.now();
      const latest = await parameter(config.signingSecretParameter, true);
      if (latest === current) return null;
      current = latest;
      return latest;
    };

    const processor = new DecisionProcessor(
      store.processorPorts(),
      { secret, refreshSecret, policy, freshnessMs: config.freshnessMinutes * 60_000 },
    );
    return {
      processor,
      config,
      opensearchEndpoint: endpoint,
      policy,
      close: async () => {
        ssm.destroy();
        await client.close();
      },
    };
  } catch (error) {
    ssm.destroy();
    throw error;
  }
}
