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
