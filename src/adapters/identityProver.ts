// Signs signature v2's identity proof (docs/CONTRACTS.md §5): an STS GetCallerIdentity POST, SigV4-signed
// by the SDK's own signer with the reviewer's credentials, the decision's hash in the signed
// header x-dwh-decision-sha256. Nothing is sent: the processor sends it to STS itself.
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import {
  DECISION_SHA256_HEADER,
  GET_CALLER_IDENTITY_BODY,
  GET_CALLER_IDENTITY_CONTENT_TYPE,
  stsEndpointForRegion,
  type IdentityProof,
} from '../core/identityProof';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

export interface ProofSigningTarget {
  /** Credentials of the person deciding. */
  credentials: AwsCredentialIdentityProvider | AwsCredentialIdentity;
  /** The region whose STS endpoint the proof is signed for (and the SigV4 scope). */
  region: string;
  /** A local emulator's endpoint instead of the region's STS (e.g. http://127.0.0.1:5000). */
  endpointUrl?: string | undefined;
  /** The signing time; defaults to now. */
  signingDate?: Date;
}

/** Signs a GetCallerIdentity request bound to `decisionSha256`; returns it as the wire form carries it. */
export async function signIdentityProof(decisionSha256: string, target: ProofSigningTarget): Promise<IdentityProof> {
  const url = new URL(target.endpointUrl ? target.endpointUrl : stsEndpointForRegion(target.region));
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: '/',
    headers: {
      host: url.host,
      'content-type': GET_CALLER_IDENTITY_CONTENT_TYPE,
      [DECISION_SHA256_HEADER]: decisionSha256,
    },
    body: GET_CALLER_IDENTITY_BODY,
  });
  const signer = new SignatureV4({ credentials: target.credentials, region: target.region, service: 'sts', sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(request, target.signingDate ? { signingDate: target.signingDate } : {});
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
  return { method: 'POST', url: `${url.protocol}//${url.host}/`, headers, body: GET_CALLER_IDENTITY_BODY };
}

/** The extension's prover: the chosen profile's credentials, the configured region and endpoint. */
export class IdentityProver {
  constructor(private readonly aws: AwsContext) {}

  async prove(decisionSha256: string): Promise<IdentityProof> {
    try {
      const region = await this.aws.region();
      return await signIdentityProof(decisionSha256, { credentials: await this.aws.getCredentials(), region, endpointUrl: this.aws.target.endpointUrl });
    } catch (error) {
      throw DwhError.from(error, { profile: this.aws.target.profile, action: 'sign the identity proof (sts:GetCallerIdentity)' });
    }
  }
}
