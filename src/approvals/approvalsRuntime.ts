// What the notifier and the approval API need once per cold start, from the same adapters
// as the extension and the processor: SSM (endpoint, topic, signing secrets: in memory
// only), the OpenSearch client, the approval policy.
import { AwsContext } from '../adapters/awsContext';
import { createOpenSearchClient, OpenSearchRunRepository } from '../adapters/openSearchRunRepository';
import { SsmParameters } from '../adapters/ssmParameters';
import { DEFAULT_TTL_HOURS } from '../core/expiry';
import { parseApprovalPolicy, type ApprovalPolicy } from '../core/approvalPolicy';
import type { ApprovalsConfig } from './approvalsConfig';

export interface ApprovalsRuntime {
  readonly config: ApprovalsConfig;
  readonly aws: AwsContext;
  readonly parameters: SsmParameters;
  readonly repository: OpenSearchRunRepository;
  /** The approval policy: per job, who gets the alert (notify) and what a link may do (emailDecisions). */
  readonly policy: ApprovalPolicy;
  readonly region: string;
  /** The current signing secret first, then the previous version (links outlive a rotation). */
  signingSecrets(): Promise<string[]>;
  close(): Promise<void>;
}

export async function createApprovalsRuntime(config: ApprovalsConfig): Promise<ApprovalsRuntime> {
  const aws = new AwsContext({ profile: undefined, region: config.region ?? undefined, endpointUrl: config.awsEndpointUrl ?? undefined });
  const parameters = new SsmParameters(aws, {
    opensearchEndpoint: config.opensearchEndpoint ?? undefined,
    opensearchEndpointParameter: config.opensearchEndpointParameter,
    topicArn: config.topicArn ?? undefined,
    topicArnParameter: config.topicArnParameter,
    signingSecretParameter: config.signingSecretParameter,
    policyParameter: config.policyParameter,
  });
  try {
    const [endpoint, region, policyText] = await Promise.all([
      parameters.opensearchEndpoint(),
      aws.region(),
      // As the processor: a missing parameter is the default policy, any other failure stops the start.
      config.policyJson ?? parameters.approvalPolicyText(),
    ]);
    const client = createOpenSearchClient(aws, { endpoint, region, service: config.opensearchService, auth: config.opensearchAuth, requestTimeoutMs: 10_000 });
    const repository = new OpenSearchRunRepository(client, endpoint, { events: config.eventsIndex, approvals: config.approvalsIndex }, () => DEFAULT_TTL_HOURS);
    let secrets: Promise<string[]> | undefined;
    return {
      config,
      aws,
      parameters,
      repository,
      policy: parseApprovalPolicy(policyText),
      region,
      signingSecrets: () => {
        secrets ??= parameters.signingSecretVersions().then((v) => (v.previous === null ? [v.current] : [v.current, v.previous]));
        secrets.catch(() => (secrets = undefined));
        return secrets;
      },
      close: async () => {
        parameters.dispose();
        await client.close();
      },
    };
  } catch (error) {
    parameters.dispose();
    throw error;
  }
}
