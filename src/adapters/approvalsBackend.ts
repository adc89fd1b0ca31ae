// Everything the extension talks to for one profile and region, wired together: the
// credentials, SSM configuration, the OpenSearch repository, the SNS publisher and STS.
// Built afresh when the connection settings change; nothing here knows about VS Code.
import { parseApprovalPolicy, type ApprovalPolicy } from '../core/approvalPolicy';
import type { ConnectionSettings } from '../core/connectionSettings';
import type { DecisionPorts } from '../core/decisionWorkflow';
import type { PendingSource } from '../core/pendingRunsStore';
import { AwsContext } from './awsContext';
import { CallerIdentityReader } from './callerIdentity';
import { IdentityProver } from './identityProver';
import { OpenSearchRunRepository } from './openSearchRunRepository';
import { SnsDecisionPublisher } from './snsDecisionPublisher';
import { SsmParameters } from './ssmParameters';
import { DwhError } from '../core/failureClassification';

// The profile picker's reader (the SDK's shared-config loader) loads with the rest of the
// adapters' bundle, not with activation (src/extension/backendModule.ts).
export { readAwsProfiles } from './awsProfiles';

export class ApprovalsBackend {
  readonly aws: AwsContext;
  readonly parameters: SsmParameters;
  readonly callerIdentity: CallerIdentityReader;
  readonly publisher: SnsDecisionPublisher;
  readonly prover: IdentityProver;
  private repositoryPromise: Promise<OpenSearchRunRepository> | undefined;

  constructor(
    readonly settings: ConnectionSettings,
    private readonly ttlHours: () => number,
  ) {
    this.aws = new AwsContext({ profile: settings.profile, region: settings.region, endpointUrl: settings.awsEndpointUrl });
    this.parameters = new SsmParameters(this.aws, settings);
    this.callerIdentity = new CallerIdentityReader(this.aws);
    this.publisher = new SnsDecisionPublisher(this.aws);
    this.prover = new IdentityProver(this.aws);
  }

  /** The OpenSearch repository, once its endpoint (SSM or setting) and region are known. */
  repository(): Promise<OpenSearchRunRepository> {
    if (!this.repositoryPromise) {
      this.repositoryPromise = (async () => {
        const [endpoint, region] = await Promise.all([this.parameters.opensearchEndpoint(), this.region()]);
        return OpenSearchRunRepository.create(this.aws, endpoint, region, this.settings, this.ttlHours);
      })();
      this.repositoryPromise.catch(() => (this.repositoryPromise = undefined));
    }
    return this.repositoryPromise;
  }

  /** The approval policy from SSM (a missing parameter = the default); throws ApprovalPolicyError for a malformed one. */
  async approvalPolicy(): Promise<ApprovalPolicy> {
    return parseApprovalPolicy(await this.parameters.approvalPolicyText());
  }

  pendingSource(): PendingSource {
    return {
      summary: async () => (await this.repository()).summary(),
      overview: async (request) => (await this.repository()).overview(request),
      page: async (request) => (await this.repository()).page(request),
      listAll: async (request) => (await this.repository()).listAll(request),
      auditsFor: async (decisionIds) => (await this.repository()).auditsFor(decisionIds),
    };
  }

  decisionPorts(): DecisionPorts {
    return {
      freshRun: async (jobRunId) => (await (await this.repository()).getRun(jobRunId))?.run ?? null,
      identity: () => this.callerIdentity.identity(),
      signingSecret: () => this.parameters.signingSecret(),
      proveIdentity: (decisionSha256) => this.prover.prove(decisionSha256),
      topicArn: () => this.parameters.topicArn(),
      publish: (topicArn, message) => this.publisher.publish(topicArn, message),
      now: () => new Date(),
    };
  }

  async dispose(): Promise<void> {
    this.parameters.dispose();
    this.callerIdentity.dispose();
    this.publisher.dispose();
    const repository = await this.repositoryPromise?.catch(() => undefined);
    await repository?.close();
  }

  private async region(): Promise<string> {
    try {
      return await this.aws.region();
    } catch (error) {
      throw DwhError.from(error, { profile: this.settings.profile, action: 'resolve region' });
    }
  }
}
