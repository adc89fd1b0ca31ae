// What a processor instance needs once per cold start, built from the same adapters as the
// extension (src/adapters: one SSM code path, one OpenSearch client construction): the
// signing secrets (current and previous, from SSM, kept in memory only), the OpenSearch
// endpoint and the policy, the STS verifier of identity proofs, the outcomes publisher, and
// the DecisionProcessor built over them, and the expiry sweep over the same store.
import { AwsContext } from '../adapters/awsContext';
import { OpenSearchRunRepository, createOpenSearchClient } from '../adapters/openSearchRunRepository';
import { SnsOutcomePublisher } from '../adapters/snsOutcomePublisher';
import { SsmParameters } from '../adapters/ssmParameters';
import { StsIdentityVerifier } from '../adapters/stsIdentityVerifier';
import { parseApprovalPolicy, type ApprovalPolicy } from '../core/approvalPolicy';
import { DecisionProcessor, type SigningSecrets } from '../core/decisionProcessor';
import { DEFAULT_TTL_HOURS } from '../core/expiry';
import { ExpirySweep } from '../core/expirySweep';
import { OpenSearchDecisionStore } from './openSearchDecisionStore';
import type { ProcessorConfig } from './processorConfig';

/** A rotated secret is looked up again at most this often, however many bad signatures arrive. */
const SECRET_RECHECK_MS = 60_000;

export interface ProcessorRuntime {
  readonly processor: DecisionProcessor;
  readonly config: ProcessorConfig;
  readonly opensearchEndpoint: string;
  readonly stsEndpoint: string;
  readonly policy: ApprovalPolicy;
  /** The scheduled sweep of runs past expiry (and of runs entering their last hour). */
  readonly expirySweep: ExpirySweep;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The processor's clock (tests); default Date.now. */
  now?: () => number;
}

export async function createProcessorRuntime(config: ProcessorConfig, options: RuntimeOptions = {}): Promise<ProcessorRuntime> {
  const now = options.now ?? Date.now;
  const aws = new AwsContext({ profile: undefined, region: config.region ?? undefined, endpointUrl: config.awsEndpointUrl ?? undefined });
  const parameters = new SsmParameters(aws, {
    opensearchEndpoint: config.opensearchEndpoint ?? undefined,
    opensearchEndpointParameter: config.opensearchEndpointParameter,
    topicArn: undefined,
    topicArnParameter: '',
    signingSecretParameter: config.signingSecretParameter,
    policyParameter: config.policyParameter,
  });
  const graceMs = config.secretRotationGraceMinutes * 60_000;
  const readSecrets = async (): Promise<SigningSecrets> => {
    const versions = await parameters.signingSecretVersions();
    const acceptedUntil = versions.previous !== null && versions.currentSinceMs !== null && graceMs > 0 ? versions.currentSinceMs + graceMs : null;
    return { current: versions.current, previous: versions.previous, previousAcceptedUntilMs: acceptedUntil };
  };
  let verifier: StsIdentityVerifier | undefined;
  let outcomes: SnsOutcomePublisher | undefined;

  try {
    const [secrets, endpoint, policyText, region] = await Promise.all([
      readSecrets(),
      parameters.opensearchEndpoint(),
      // A policy parameter that does not exist is the default policy, as in the extension; any
      // other failure (access denied, throttling) stops the cold start: never a guessed policy.
      config.policyJson ?? parameters.approvalPolicyText(),
      aws.region(),
    ]);
    const policy = parseApprovalPolicy(policyText);
    const client = createOpenSearchClient(aws, {
      endpoint,
      region,
      service: config.opensearchService,
      auth: config.opensearchAuth,
      requestTimeoutMs: config.opensearchTimeoutMs,
    });
    const store = new OpenSearchDecisionStore(client, endpoint, { events: config.eventsIndex, approvals: config.approvalsIndex });
    verifier = new StsIdentityVerifier({ region, endpointUrl: config.awsEndpointUrl });
    const sts = verifier;
    outcomes = config.outcomesTopicArn ? new SnsOutcomePublisher(aws, config.outcomesTopicArn) : undefined;
    const publisher = outcomes;

    let current = secrets;
    let checkedAt = now();
    const refreshSecrets = async (): Promise<SigningSecrets | null> => {
      if (now() - checkedAt < SECRET_RECHECK_MS) return null;
      checkedAt = now();
      const latest = await readSecrets();
      if (latest.current === current.current && latest.previous === current.previous && latest.previousAcceptedUntilMs === current.previousAcceptedUntilMs) return null;
      current = latest;
      return latest;
    };

    const processor = new DecisionProcessor(
      {
        ...store.processorPorts(now),
        verifyIdentityProof: (proof) => sts.verify(proof),
        ...(publisher ? { publishOutcome: (outcome) => publisher.publish(outcome) } : {}),
        // A batch's records send their reads and writes together (processBatch), outcomes with PublishBatch.
        batch: { ...store.batchPorts(), ...(publisher ? { publishOutcomes: (outcomes) => publisher.publishBatch(outcomes) } : {}) },
      },
      {
        secrets,
        refreshSecrets,
        policy,
        freshnessMs: config.freshnessMinutes * 60_000,
        acceptSignatureV1: config.acceptSignatureV1,
        allowedProofUrls: [sts.endpoint],
        emailApproverRoleArns: config.emailApproverRoleArns,
      },
    );
    const ttlHours = config.approvalTtlHours ?? DEFAULT_TTL_HOURS;
    const runs = new OpenSearchRunRepository(client, endpoint, { events: config.eventsIndex, approvals: config.approvalsIndex }, () => ttlHours);
    const expirySweep = new ExpirySweep(
      {
        listPending: () => runs.listPending(),
        getRunWithVersion: (id) => store.getRunWithVersion(id),
        getRunDocument: (id) => store.getRunDocument(id),
        listUnpublishedExpiries: (before) => store.listUnpublishedExpiries(before),
        createAudit: (id, doc, options) => store.createAudit(id, doc, options),
        getAudit: (id) => store.getAudit(id),
        updateAudit: (id, fields) => store.updateAudit(id, fields),
        updateRunIfVersion: (id, version, fields) => store.updateRunIfVersion(id, version, fields),
        ...(publisher ? { publishOutcome: (outcome) => publisher.publish(outcome), publishAnnouncement: (announcement) => publisher.publishAnnouncement(announcement) } : {}),
        now,
      },
      { policy, ttlHours, concurrency: config.concurrency },
    );
    return {
      processor,
      expirySweep,
      config,
      opensearchEndpoint: endpoint,
      stsEndpoint: sts.endpoint,
      policy,
      close: async () => {
        parameters.dispose();
        sts.destroy();
        publisher?.dispose();
        await client.close();
      },
    };
  } catch (error) {
    parameters.dispose();
    verifier?.destroy();
    outcomes?.dispose();
    throw error;
  }
}
