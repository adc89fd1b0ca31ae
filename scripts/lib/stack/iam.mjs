// The stack's reviewers: IAM users in moto, each with an access key of its own, so that
// moto's STS GetCallerIdentity answers with a distinct IAM user ARN per AWS profile (as AWS
// does), and the approval policy's "distinct people" can be shown and tested for real.
// The project depends on no IAM client; moto's IAM speaks the Query protocol, which a
// SigV4-signed form POST (the SDK's own signer) reaches like any AWS SDK would.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { CREDENTIALS, REGION, STACK_USERS } from './config.mjs';
import { StackError } from './proc.mjs';

/** SHA-256 (and HMAC-SHA256 with a secret) for the signer, from node:crypto. */
class NodeSha256 {
  constructor(secret) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret));
  }
  update(data) {
    this.hash.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

const signer = new SignatureV4({ service: 'iam', region: REGION, credentials: { ...CREDENTIALS }, sha256: NodeSha256 });

/** One IAM Query action; returns the XML text, or throws a StackError with moto's answer. */
async function iamCall(endpoint, action, params = {}) {
  const url = new URL(endpoint);
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port) || undefined,
    path: '/',
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
  });
  const res = await fetch(`${url.origin}/`, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, text };
}

function tag(xml, name) {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);
}

async function ensureUser(endpoint, userName) {
  const got = await iamCall(endpoint, 'GetUser', { UserName: userName });
  if (got.status === 200) return tag(got.text, 'Arn')[0];
  if (!/NoSuchEntity/.test(got.text)) throw new StackError(`moto IAM GetUser ${userName} failed: HTTP ${got.status} ${got.text.slice(0, 300)}`);
  const created = await iamCall(endpoint, 'CreateUser', { UserName: userName });
  if (created.status !== 200) throw new StackError(`moto IAM CreateUser ${userName} failed: HTTP ${created.status} ${created.text.slice(0, 300)}`);
  return tag(created.text, 'Arn')[0];
}

/**
 * The stack's users with an access key each (idempotent). A key recorded in the previous
 * env.json that moto still lists is kept (a running editor keeps working); otherwise the
 * user's keys are replaced by a new one (moto never shows a secret again).
 * @param {string} endpoint moto's URL
 * @param {Record<string, {accessKeyId: string, secretAccessKey: string}>} previous by user name
 * @returns {Promise<Record<string, {userName: string, profile: string, arn: string, accessKeyId: string, secretAccessKey: string}>>}
 */
export async function ensureStackUsers(endpoint, previous = {}) {
  const users = {};
  for (const { userName, profile } of STACK_USERS) {
    const arn = await ensureUser(endpoint, userName);
    const listed = await iamCall(endpoint, 'ListAccessKeys', { UserName: userName });
    if (listed.status !== 200) throw new StackError(`moto IAM ListAccessKeys ${userName} failed: HTTP ${listed.status}`);
    const keyIds = tag(listed.text, 'AccessKeyId');
    const known = previous[userName];
    if (known && keyIds.includes(known.accessKeyId)) {
      users[userName] = { userName, profile, arn, accessKeyId: known.accessKeyId, secretAccessKey: known.secretAccessKey };
      continue;
    }
    for (const keyId of keyIds) await iamCall(endpoint, 'DeleteAccessKey', { UserName: userName, AccessKeyId: keyId });
    const created = await iamCall(endpoint, 'CreateAccessKey', { UserName: userName });
    const [accessKeyId] = tag(created.text, 'AccessKeyId');
    const [secretAccessKey] = tag(created.text, 'SecretAccessKey');
    if (created.status !== 200 || !accessKeyId || !secretAccessKey) throw new StackError(`moto IAM CreateAccessKey ${userName} failed: HTTP ${created.status}`);
    users[userName] = { userName, profile, arn, accessKeyId, secretAccessKey };
  }
  return users;
}
