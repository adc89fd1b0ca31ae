// Where requests go and whose credentials sign them: the settings the adapters need, as
// plain data, plus the endpoint normalisation of docs/CONTRACTS.md §1.

export type OpenSearchService = 'es' | 'aoss';

export interface ConnectionSettings {
  /** AWS profile name; undefined uses the SDK's default chain. */
  profile: string | undefined;
  /** Region; undefined uses the profile's region. */
  region: string | undefined;
  /** Endpoint for SNS, SSM and STS (local emulators only). */
  awsEndpointUrl: string | undefined;
  opensearchEndpoint: string | undefined;
  opensearchEndpointParameter: string;
  opensearchIndex: string;
  approvalsIndex: string;
  opensearchService: OpenSearchService;
  topicArn: string | undefined;
  topicArnParameter: string;
  signingSecretParameter: string;
  /** SSM parameter holding the approval policy JSON (core/approvalPolicy.ts); missing = the default policy. */
  policyParameter: string;
}

export const DEFAULT_CONNECTION_SETTINGS: ConnectionSettings = {
  profile: undefined,
  region: undefined,
  awsEndpointUrl: undefined,
  opensearchEndpoint: undefined,
  opensearchEndpointParameter: '/dwh/opensearch/endpoint',
  opensearchIndex: 'job-events',
  approvalsIndex: 'job-approvals',
  opensearchService: 'es',
  topicArn: undefined,
  topicArnParameter: '/dwh/sns/job-approvals-arn',
  signingSecretParameter: '/dwh/approvals/signing-secret',
  policyParameter: '/dwh/approvals/policy',
};

/**
 * The connection settings from the `dwhApprovals` section's user (global) values and its
 * defaults, each a value tree as VS Code's `inspect` of the section gives them
 * ({ aws: { profile: … }, opensearch: { … } }). Only these two scopes: a workspace cannot
 * redirect requests or choose credentials. A value that is not a non-empty string is unset.
 */
export function connectionSettingsFrom(user: unknown, defaults: unknown): ConnectionSettings {
  const d = DEFAULT_CONNECTION_SETTINGS;
  const value = (key: string): unknown => valueAt(user, key) ?? valueAt(defaults, key);
  const text = (key: string): string | undefined => {
    const found = value(key);
    return typeof found === 'string' && found.trim() !== '' ? found.trim() : undefined;
  };
  return {
    profile: text('aws.profile'),
    region: text('aws.region'),
    awsEndpointUrl: text('aws.endpointUrl'),
    opensearchEndpoint: text('opensearch.endpoint'),
    opensearchEndpointParameter: text('opensearch.endpointParameter') ?? d.opensearchEndpointParameter,
    opensearchIndex: text('opensearch.index') ?? d.opensearchIndex,
    approvalsIndex: text('opensearch.approvalsIndex') ?? d.approvalsIndex,
    opensearchService: value('opensearch.service') === 'aoss' ? 'aoss' : 'es',
    topicArn: text('sns.topicArn'),
    topicArnParameter: text('sns.topicArnParameter') ?? d.topicArnParameter,
    signingSecretParameter: text('signing.secretParameter') ?? d.signingSecretParameter,
    policyParameter: text('policy.parameter') ?? d.policyParameter,
  };
}

/** The value at a dotted key ("aws.profile") of a value tree; undefined when a step is missing. */
function valueAt(tree: unknown, key: string): unknown {
  let current = tree;
  for (const part of key.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * The SSM parameter holds "a host name, or a URL; no scheme means https". Returns a URL
 * string without a trailing slash, or throws for something that is neither.
 */
export function normalizeOpenSearchEndpoint(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') throw new Error('The OpenSearch endpoint is empty.');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`The OpenSearch endpoint "${trimmed}" is not a host name or URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`The OpenSearch endpoint "${trimmed}" must use https or http.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}
