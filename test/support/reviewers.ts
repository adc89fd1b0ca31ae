// Reviewers with identities of their own on the local stack: IAM users created in moto with
// their own access keys (moto's STS GetCallerIdentity answers per access key), and v2
// decisions signed with those keys, as each reviewer's extension would sign them.
// moto does not check SigV4 signatures; see test/unit/identityProofAdapters.test.ts.
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { signIdentityProof } from '../../src/adapters/identityProver';
import { buildDecisionMessage, type DecisionInput, type DecisionMessageV2 } from '../../src/core/decisionMessage';

export interface Reviewer {
  name: string;
  /** The ARN STS returns for the reviewer's keys. */
  arn: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface AwsTarget {
  region: string;
  awsEndpointUrl: string;
}

/** Calls the IAM query API of the local endpoint (moto), SigV4-signed by the SDK's signer. */
async function iam(target: AwsTarget, params: Record<string, string>): Promise<string> {
  const url = new URL(target.awsEndpointUrl);
  const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const signer = new SignatureV4({ credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, region: target.region, service: 'iam', sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign(request);
  const res = await fetch(`${url.protocol}//${url.host}/`, { method: 'POST', headers: signed.headers, body });
  const text = await res.text();
  if (!res.ok && !/EntityAlreadyExists/.test(text)) throw new Error(`IAM ${params.Action} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text;
}

function xml(text: string, tag: string): string[] {
  return [...text.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
}

/** An IAM user with fresh access keys (older keys of the user are deleted), and the ARN STS answers for them. */
export async function createReviewer(target: AwsTarget, name: string): Promise<Reviewer> {
  await iam(target, { Action: 'CreateUser', UserName: name });
  for (const key of xml(await iam(target, { Action: 'ListAccessKeys', UserName: name }), 'AccessKeyId')) {
    await iam(target, { Action: 'DeleteAccessKey', UserName: name, AccessKeyId: key });
  }
  const created = await iam(target, { Action: 'CreateAccessKey', UserName: name });
  const credentials = { accessKeyId: xml(created, 'AccessKeyId')[0] ?? '', secretAccessKey: xml(created, 'SecretAccessKey')[0] ?? '' };
  const sts = new STSClient({ region: target.region, endpoint: target.awsEndpointUrl, credentials });
  try {
    const arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? '';
    return { name, arn, credentials };
  } finally {
    sts.destroy();
  }
}

/** The reviewer's v2 decision (identity_arn = their ARN unless `claimArn` says otherwise: a spoof). */
export function decisionBy(
  reviewer: Reviewer,
  target: AwsTarget,
  input: Omit<DecisionInput, 'identityArn'> & { claimArn?: string },
  secret: string,
  options: { proofSignedAt?: Date } = {},
): Promise<DecisionMessageV2> {
  const { claimArn, ...rest } = input;
  return buildDecisionMessage({ ...rest, identityArn: claimArn ?? reviewer.arn }, secret, (hash) =>
    signIdentityProof(hash, {
      credentials: reviewer.credentials,
      region: target.region,
      endpointUrl: target.awsEndpointUrl,
      ...(options.proofSignedAt ? { signingDate: options.proofSignedAt } : {}),
    }),
  );
}
