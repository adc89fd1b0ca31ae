// The approval processor's configuration, read from environment variables (a Lambda
// function's configuration, or the local runner's environment). Nothing secret is read
// here: the signing secret is named by an SSM parameter and fetched at cold start.
//
//   OPENSEARCH_ENDPOINT            URL or host name (no scheme = https); else read from
//   OPENSEARCH_ENDPOINT_PARAMETER  this SSM parameter (default /dwh/opensearch/endpoint)
//   OPENSEARCH_SERVICE             es | aoss (SigV4 service name; default es)
//   OPENSEARCH_AUTH                sigv4 | none (none: plain HTTP, for a local node; default sigv4)
//   OPENSEARCH_INDEX               default job-events
//   APPROVALS_INDEX                default job-approvals
//   OPENSEARCH_TIMEOUT_MS          per request; default 10000
//   SIGNING_SECRET_PARAMETER       SSM SecureString (default /dwh/approvals/signing-secret)
//   AWS_REGION                     set by Lambda; AWS_DEFAULT_REGION is accepted too
//   DWH_AWS_ENDPOINT_URL           SSM endpoint, for a local emulator only
//   FRESHNESS_MINUTES              accepted clock distance of a decision; default 15
//   POLICY                         approval policy JSON (see core/approvalPolicy.ts), else
//   POLICY_PARAMETER               the SSM parameter holding it (default /dwh/approvals/policy,
//                                  as the extension reads); a parameter that does not exist =
//                                  the default policy (quorum 1, anyone, no self-approval)
//   PROCESSOR_CONCURRENCY          records of a batch processed at once; default 10
//   OUTCOMES_TOPIC_ARN             SNS topic for approval_outcome messages; unset = none published
//   ACCEPT_SIGNATURE_V1            true | false: accept v1 decisions (identity not proven); default false
//   SECRET_ROTATION_GRACE_MINUTES  how long after a rotation the previous signing secret (the
//                                  parameter's previous version, ssm:GetParameterHistory) is
//                                  still accepted; default 60, 0 = not at all
//   APPROVAL_TTL_HOURS             the expiry sweep: hours a run without expires_at waits; default 72
//   EMAIL_APPROVER_ROLE_ARNS       the approval API's role ARN(s), comma-separated: decisions made
//                                  through an email link are taken only from them (none = no
//                                  email decision is accepted), and they decide nothing else;
//                                  the per-job rules (notify, emailDecisions) are in the policy
// Identity proofs (signature v2) are sent to the STS endpoint of AWS_REGION, or to
// DWH_AWS_ENDPOINT_URL when it is set (a local emulator), and must have been signed for it.

import { DEFAULT_CONNECTION_SETTINGS, type OpenSearchService } from '../core/connectionSettings';
import { DEFAULT_TTL_HOURS } from '../core/expiry';

/** What every Lambda of this repository reads to reach OpenSearch, SSM and the policy. */
export interface LambdaConnectionConfig {
  opensearchEndpoint: string | null;
  opensearchEndpointParameter: string;
  opensearchService: OpenSearchService;
  opensearchAuth: 'sigv4' | 'none';
  eventsIndex: string;
  approvalsIndex: string;
  signingSecretParameter: string;
  region: string | null;
  awsEndpointUrl: string | null;
  policyJson: string | null;
  policyParameter: string;
}

/** Reads the connection part of a Lambda's environment; `fail` throws the caller's error naming the variable. */
export function readLambdaConnection(env: Environment, fail: (message: string) => never): LambdaConnectionConfig {
  const service = envText(env, 'OPENSEARCH_SERVICE') ?? DEFAULT_CONNECTION_SETTINGS.opensearchService;
  if (service !== 'es' && service !== 'aoss') fail(`OPENSEARCH_SERVICE must be es or aoss; got ${JSON.stringify(service)}.`);
  const auth = envText(env, 'OPENSEARCH_AUTH') ?? 'sigv4';
  if (auth !== 'sigv4' && auth !== 'none') fail(`OPENSEARCH_AUTH must be sigv4 or none; got ${JSON.stringify(auth)}.`);
  return {
    opensearchEndpoint: envText(env, 'OPENSEARCH_ENDPOINT'),
    opensearchEndpointParameter: envText(env, 'OPENSEARCH_ENDPOINT_PARAMETER') ?? DEFAULT_CONNECTION_SETTINGS.opensearchEndpointParameter,
    opensearchService: service,
    opensearchAuth: auth,
    eventsIndex: envText(env, 'OPENSEARCH_INDEX') ?? DEFAULT_CONNECTION_SETTINGS.opensearchIndex,
    approvalsIndex: envText(env, 'APPROVALS_INDEX') ?? DEFAULT_CONNECTION_SETTINGS.approvalsIndex,
    signingSecretParameter: envText(env, 'SIGNING_SECRET_PARAMETER') ?? DEFAULT_CONNECTION_SETTINGS.signingSecretParameter,
    region: envText(env, 'AWS_REGION') ?? envText(env, 'AWS_DEFAULT_REGION'),
    awsEndpointUrl: envText(env, 'DWH_AWS_ENDPOINT_URL'),
    policyJson: envText(env, 'POLICY'),
    policyParameter: envText(env, 'POLICY_PARAMETER') ?? DEFAULT_CONNECTION_SETTINGS.policyParameter,
  };
}

/** A variable's trimmed value; null when unset or blank. */
export function envText(env: Environment, name: string): string | null {
  const value = env[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** An error as every Lambda of this repository logs it: name, message and cause, at most 2000 characters. */
export function errorLogText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.name}: ${error.cause.message})` : '';
    return `${error.name}: ${error.message}${cause}`.slice(0, 2000);
  }
  return String(error).slice(0, 2000);
}

export interface ProcessorConfig extends LambdaConnectionConfig {
  opensearchTimeoutMs: number;
  freshnessMinutes: number;
  concurrency: number;
  outcomesTopicArn: string | null;
  acceptSignatureV1: boolean;
  secretRotationGraceMinutes: number;
  /** The expiry sweep's TTL for runs without expires_at; absent: 72 (docs/CONTRACTS.md §2). */
  approvalTtlHours?: number;
  emailApproverRoleArns: string[];
}

export class ProcessorConfigError extends Error {
  override readonly name = 'ProcessorConfigError';
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the configuration; throws ProcessorConfigError naming the variable that is wrong. */
export function readProcessorConfig(env: Environment): ProcessorConfig {
  return {
    ...readLambdaConnection(env, (message) => {
      throw new ProcessorConfigError(message);
    }),
    opensearchTimeoutMs: positiveNumber(env, 'OPENSEARCH_TIMEOUT_MS', 10_000, 600_000),
    freshnessMinutes: positiveNumber(env, 'FRESHNESS_MINUTES', 15, 24 * 60),
    concurrency: Math.floor(positiveNumber(env, 'PROCESSOR_CONCURRENCY', 10, 100)),
    outcomesTopicArn: envText(env, 'OUTCOMES_TOPIC_ARN'),
    acceptSignatureV1: flag(env, 'ACCEPT_SIGNATURE_V1', false),
    secretRotationGraceMinutes: nonNegativeNumber(env, 'SECRET_ROTATION_GRACE_MINUTES', 60, 7 * 24 * 60),
    approvalTtlHours: positiveNumber(env, 'APPROVAL_TTL_HOURS', DEFAULT_TTL_HOURS, 24 * 365),
    emailApproverRoleArns: roleArns(env, 'EMAIL_APPROVER_ROLE_ARNS'),
  };
}

function roleArns(env: Environment, name: string): string[] {
  const raw = envText(env, name);
  if (raw === null) return [];
  const arns = raw.split(',').map((arn) => arn.trim()).filter((arn) => arn !== '');
  const bad = arns.find((arn) => !/^arn:[^:]+:(iam::\d{12}:role\/.+|sts::\d{12}:assumed-role\/[^/]+\/[^/]+)$/.test(arn));
  if (bad !== undefined) throw new ProcessorConfigError(`${name} must list role ARNs (arn:aws:iam::ACCOUNT:role/NAME); got ${JSON.stringify(bad)}.`);
  return arns;
}

function flag(env: Environment, name: string, fallback: boolean): boolean {
  const raw = envText(env, name);
  if (raw === null) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ProcessorConfigError(`${name} must be true or false; got ${JSON.stringify(raw)}.`);
}

function nonNegativeNumber(env: Environment, name: string, fallback: number, max: number): number {
  const raw = envText(env, name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new ProcessorConfigError(`${name} must be a number from 0 to ${max}; got ${JSON.stringify(raw)}.`);
  }
  return n;
}

function positiveNumber(env: Environment, name: string, fallback: number, max: number): number {
  const raw = envText(env, name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > max) {
    throw new ProcessorConfigError(`${name} must be a number above 0 and at most ${max}; got ${JSON.stringify(raw)}.`);
  }
  return n;
}
