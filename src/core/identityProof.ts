// Signature v2's identity proof (docs/CONTRACTS.md §5): an STS GetCallerIdentity request SigV4-signed with
// the reviewer's own credentials, carried in the decision as `identity_proof`, and bound to
// the decision by the signed header x-dwh-decision-sha256. The processor sends it to STS
// itself and takes the identity from STS's answer. This is the scheme of HashiCorp Vault's
// AWS IAM login and of aws-iam-authenticator.
//
// Here, pure and with no AWS SDK: the proof's shape, the checks made before it is sent (it
// was signed for an allow-listed STS endpoint, the decision hash is among the SIGNED
// headers, it is not too old to be accepted by STS), the STS endpoint of a region, and the
// reading of STS's XML answer. Signing (src/adapters/identityProver.ts) and sending
// (src/adapters/stsIdentityVerifier.ts) are adapters.

/** The signed header that binds a proof to one decision: hex SHA-256 of the decision. */
export const DECISION_SHA256_HEADER = 'x-dwh-decision-sha256';
/** The only request a proof may make. */
export const GET_CALLER_IDENTITY_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
export const GET_CALLER_IDENTITY_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';
/** STS accepts a signed request for about 15 minutes after its x-amz-date. */
const PROOF_MAX_AGE_MS = 15 * 60_000;
/** A proof dated further ahead of the processor's clock than this is refused. */
const PROOF_MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface IdentityProof {
  method: 'POST';
  /** Where the request was signed for; the processor checks it, then sends to its own endpoint. */
  url: string;
  /** Lower-case header name → value, exactly the signed headers. */
  headers: Record<string, string>;
  body: string;
}

/** What STS said about a proof. */
export type StsAnswer =
  | { kind: 'verified'; arn: string; account: string }
  /** STS no longer accepts it (signature or session token expired): the reviewer decides again. */
  | { kind: 'expired'; detail: string }
  /** STS refused it for another reason (bad signature, unknown key, access denied). */
  | { kind: 'rejected'; detail: string }
  /** STS could not answer now (5xx, throttling): try the message again later. */
  | { kind: 'unavailable'; detail: string };

/** A reason to refuse a proof before (or after) sending it. */
export interface ProofRefusal {
  /** `expired`: the reviewer should decide again; `invalid`: the proof is not acceptable. */
  kind: 'expired' | 'invalid';
  detail: string;
}

const REQUIRED_SIGNED = ['authorization', 'host', 'x-amz-date', DECISION_SHA256_HEADER];
const MAX_HEADERS = 16;
const MAX_HEADER_CHARS = 4096;
const HEADER_NAME = /^[a-z0-9-]+$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The first thing wrong with the shape of an `identity_proof` value; null when nothing is. */
export function identityProofShapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'identity_proof is not an object.';
  const proof = value as Record<string, unknown>;
  const unexpected = Object.keys(proof).filter((key) => !['method', 'url', 'headers', 'body'].includes(key));
  if (unexpected.length > 0) return `identity_proof has unexpected field(s): ${unexpected.slice(0, 5).join(', ')}.`;
  if (proof.method !== 'POST') return 'identity_proof.method is not POST.';
  if (typeof proof.url !== 'string' || !/^https?:\/\/[^/?#\s]+\/?$/.test(proof.url)) return 'identity_proof.url is not an http(s) URL of a host.';
  if (proof.body !== GET_CALLER_IDENTITY_BODY) return `identity_proof.body is not ${GET_CALLER_IDENTITY_BODY}.`;
  const headers = proof.headers;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) return 'identity_proof.headers is not an object.';
  const entries = Object.entries(headers as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) return `identity_proof.headers has more than ${MAX_HEADERS} headers.`;
  for (const [name, headerValue] of entries) {
    if (!HEADER_NAME.test(name)) return 'identity_proof.headers has a header name that is not lower-case.';
    if (typeof headerValue !== 'string' || headerValue.length > MAX_HEADER_CHARS || /[\r\n]/.test(headerValue)) {
      return `identity_proof.headers.${name} is not a one-line text.`;
    }
  }
  const h = headers as Record<string, string>;
  for (const name of REQUIRED_SIGNED) {
    if (h[name] === undefined) return `identity_proof.headers has no ${name}.`;
  }
  if (!SHA256_HEX.test(h[DECISION_SHA256_HEADER] ?? '')) return `identity_proof.headers.${DECISION_SHA256_HEADER} is not a lower-case hex SHA-256.`;
  const signed = signedHeadersOf(h.authorization ?? '');
  if (signed === null) return 'identity_proof.headers.authorization is not an AWS4-HMAC-SHA256 authorization.';
  for (const name of REQUIRED_SIGNED.filter((n) => n !== 'authorization')) {
    if (!signed.includes(name)) return `identity_proof does not sign ${name}.`;
  }
  // Exactly the signed headers (and authorization): nothing unsigned rides along.
  const extra = Object.keys(h).filter((name) => name !== 'authorization' && !signed.includes(name));
  if (extra.length > 0) return `identity_proof.headers has unsigned header(s): ${extra.slice(0, 5).join(', ')}.`;
  const missing = signed.filter((name) => h[name] === undefined);
  if (missing.length > 0) return `identity_proof.headers lacks signed header(s): ${missing.slice(0, 5).join(', ')}.`;
  if (amzDateMs(h['x-amz-date'] ?? '') === null) return 'identity_proof.headers.x-amz-date is not a SigV4 date (YYYYMMDDTHHMMSSZ).';
  return null;
}

/** SignedHeaders of a SigV4 Authorization header value, or null when it is not one. */
export function signedHeadersOf(authorization: string): string[] | null {
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) return null;
  const match = /(?:^|[\s,])SignedHeaders=([a-z0-9;-]+)/.exec(authorization);
  return match?.[1] ? match[1].split(';') : null;
}

/** The credential scope of a SigV4 Authorization: access key, date, region, service. */
function credentialScopeOf(authorization: string): { accessKeyId: string; date: string; region: string; service: string } | null {
  const match = /(?:^|[\s,])Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(authorization);
  if (!match) return null;
  const [, accessKeyId = '', date = '', region = '', service = ''] = match;
  return { accessKeyId, date, region, service };
}

/** Milliseconds of a SigV4 x-amz-date ("20240115T110000Z"), or null. */
function amzDateMs(value: string): number | null {
  const m = AMZ_DATE.exec(value);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isFinite(ms) ? ms : null;
}

/**
 * What must hold before a proof is sent to STS: it was signed for one of `allowedUrls` (the
 * processor's own STS endpoint), for service sts, with this decision's hash, and not so long
 * ago that STS would refuse it anyway. A well-formed proof (see identityProofShapeProblem)
 * is assumed. Returns null when it may be sent.
 */
export function proofRefusal(proof: IdentityProof, check: { decisionSha256: string; allowedUrls: readonly string[]; nowMs: number }): ProofRefusal | null {
  const url = normalizeEndpointUrl(proof.url);
  const allowed = check.allowedUrls.map(normalizeEndpointUrl);
  if (url === null || !allowed.includes(url)) {
    return { kind: 'invalid', detail: `The identity proof was signed for ${JSON.stringify(proof.url.slice(0, 200))}, not for the STS endpoint this processor verifies with (${allowed.join(', ')}).` };
  }
  if ((proof.headers.host ?? '').toLowerCase() !== new URL(url).host) {
    return { kind: 'invalid', detail: 'The identity proof signs a host header other than that of its URL.' };
  }
  const scope = credentialScopeOf(proof.headers.authorization ?? '');
  if (scope === null || scope.service !== 'sts') return { kind: 'invalid', detail: 'The identity proof is not signed for the STS service.' };
  if (proof.headers[DECISION_SHA256_HEADER] !== check.decisionSha256) {
    return { kind: 'invalid', detail: 'The identity proof is bound to another decision (x-dwh-decision-sha256 differs).' };
  }
  const signedAt = amzDateMs(proof.headers['x-amz-date'] ?? '');
  if (signedAt === null) return { kind: 'invalid', detail: 'The identity proof has no valid x-amz-date.' };
  if (check.nowMs - signedAt > PROOF_MAX_AGE_MS) {
    const minutes = Math.floor((check.nowMs - signedAt) / 60_000);
    return { kind: 'expired', detail: `Identity proof expired: decide again. It was signed ${minutes} minutes before the processor could check it; STS accepts a proof for ${PROOF_MAX_AGE_MS / 60_000} minutes.` };
  }
  if (signedAt - check.nowMs > PROOF_MAX_CLOCK_SKEW_MS) {
    return { kind: 'invalid', detail: 'The identity proof is dated in the future: check the reviewer\'s clock.' };
  }
  return null;
}

/**
 * The STS endpoint of a region, in its partition: https://sts.REGION.amazonaws.com/ (and
 * .amazonaws.com.cn in China). Throws for something that is not a region name.
 */
export function stsEndpointForRegion(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`Not an AWS region: ${JSON.stringify(region.slice(0, 50))}.`);
  return `https://sts.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}/`;
}

/** "scheme://host[:port]/" of an endpoint URL, lower case; null when it is not one. */
export function normalizeEndpointUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username || parsed.password) return null;
    if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search || parsed.hash) return null;
    return `${parsed.protocol}//${parsed.host}/`.toLowerCase();
  } catch {
    return null;
  }
}

/** Reads STS's answer to a proof (HTTP status and XML body). */
export function readStsAnswer(status: number, body: string): StsAnswer {
  if (status >= 200 && status < 300) {
    const arn = xmlText(body, 'Arn');
    const account = xmlText(body, 'Account');
    if (arn === null || arn === '') return { kind: 'rejected', detail: 'STS answered without an Arn.' };
    return { kind: 'verified', arn, account: account ?? '' };
  }
  const code = xmlText(body, 'Code') ?? `HTTP ${status}`;
  const message = (xmlText(body, 'Message') ?? '').slice(0, 300);
  const said = `STS answered ${code}${message ? `: ${message}` : ''}`;
  if (code === 'ExpiredToken' || code === 'ExpiredTokenException' || /signature expired|request has expired|token.*expired/i.test(message)) {
    return { kind: 'expired', detail: `Identity proof expired: decide again. ${said}` };
  }
  if (status >= 500 || status === 429 || /^Throttl/.test(code) || code === 'RequestLimitExceeded') {
    return { kind: 'unavailable', detail: said };
  }
  return { kind: 'rejected', detail: `The identity proof does not verify. ${said}` };
}

/** The text of the first <tag>…</tag> in an XML text, entities decoded; null when absent. */
function xmlText(xml: string, tag: string): string | null {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!match) return null;
  return (match[1] ?? '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&')
    .trim();
}
