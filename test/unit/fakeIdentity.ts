// Signature v2 in unit tests of pure logic: identity proofs of the right shape whose access
// key names the ARN (hex), and a fake STS that answers with that ARN, as moto does per
// access key. Signatures are not checked here; test/unit/identityProofAdapters.test.ts shows
// the real signer and the real sender against an HTTP server.
import { draftDecision, decisionSha256, signDecision, type DecisionInput, type DecisionMessageV2 } from '../../src/core/decisionMessage';
import { DECISION_SHA256_HEADER, GET_CALLER_IDENTITY_BODY, readStsAnswer, type IdentityProof, type StsAnswer } from '../../src/core/identityProof';

export const FAKE_STS_URL = 'https://sts.us-east-1.amazonaws.com/';

function amzDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace(/\.000Z$/, 'Z');
}

/** A proof that `signedBy` signed for `hash` at `atMs` (its access key is the ARN in hex). */
export function fakeProof(hash: string, signedBy: string, atMs: number, url = FAKE_STS_URL): IdentityProof {
  const date = amzDate(atMs);
  const key = Buffer.from(signedBy, 'utf8').toString('hex');
  return {
    method: 'POST',
    url,
    headers: {
      host: new URL(url).host,
      'x-amz-date': date,
      [DECISION_SHA256_HEADER]: hash,
      authorization: `AWS4-HMAC-SHA256 Credential=${key}/${date.slice(0, 8)}/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date;${DECISION_SHA256_HEADER}, Signature=${'0'.repeat(64)}`,
    },
    body: GET_CALLER_IDENTITY_BODY,
  };
}

/** What a fake STS answers for a fake proof: the ARN its access key names. */
export function fakeStsAnswer(proof: IdentityProof): StsAnswer {
  const key = /Credential=([0-9a-f]+)\//.exec(proof.headers.authorization ?? '')?.[1];
  if (!key) return readStsAnswer(403, '<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>no key</Message></Error></ErrorResponse>');
  const arn = Buffer.from(key, 'hex').toString('utf8');
  return readStsAnswer(200, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>${arn}</Arn><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`);
}

/** A v2 decision with a fake proof signed by `signedBy` (default: the identity it names). */
export function signV2(input: DecisionInput, secret: string, options: { signedBy?: string; proofAtMs?: number } = {}): DecisionMessageV2 {
  const draft = draftDecision(input);
  const at = options.proofAtMs ?? (typeof input.timestamp === 'number' ? input.timestamp : input.timestamp instanceof Date ? input.timestamp.getTime() : Date.now());
  return signDecision(draft, fakeProof(decisionSha256(draft), options.signedBy ?? input.identityArn, at), secret);
}
