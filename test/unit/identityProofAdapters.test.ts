// Signature v2's two adapters against a local HTTP server standing in for STS: the proof the
// extension signs (the SDK's SigV4 signer) arrives byte for byte as signed when the processor
// sends it, to the processor's own endpoint and nowhere else. moto, the local stack's STS,
// does not check SigV4 signatures (it answers for the access key named in Authorization), so
// this is where "the request STS receives is the signed one" is shown: the test re-signs
// what arrived and gets the same signature.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@smithy/core/protocols';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { signIdentityProof } from '../../src/adapters/identityProver';
import { StsIdentityVerifier } from '../../src/adapters/stsIdentityVerifier';
import { DECISION_SHA256_HEADER, GET_CALLER_IDENTITY_BODY, identityProofShapeProblem, signedHeadersOf } from '../../src/core/identityProof';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' };
const HASH = 'c0ffee'.repeat(10) + 'c0ff';
const ANSWER =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  '<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>' +
  '</GetCallerIdentityResult></GetCallerIdentityResponse>';

interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

describe('identity proof adapters (signer and STS sender)', () => {
  let server: Server;
  let endpoint: string;
  const received: Received[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(ANSWER);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (received.length = 0));

  it('signs a proof of the wire form: the decision hash, the session token and host among the signed headers', async () => {
    const proof = await signIdentityProof(HASH, { credentials: CREDENTIALS, region: 'us-east-1' });
    assert.equal(identityProofShapeProblem(proof), null);
    assert.equal(proof.url, 'https://sts.us-east-1.amazonaws.com/');
    assert.equal(proof.headers.host, 'sts.us-east-1.amazonaws.com');
    assert.equal(proof.body, GET_CALLER_IDENTITY_BODY);
    const signed = signedHeadersOf(proof.headers.authorization ?? '') ?? [];
    for (const name of ['host', 'x-amz-date', 'x-amz-security-token', DECISION_SHA256_HEADER]) assert.ok(signed.includes(name), `${name} is signed`);
    assert.match(proof.headers.authorization ?? '', /Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/sts\/aws4_request/);
  });

  it('sends the proof byte for byte as signed, and what arrives verifies as signed', async () => {
    const signingDate = new Date();
    const proof = await signIdentityProof(HASH, { credentials: CREDENTIALS, region: 'us-east-1', endpointUrl: endpoint, signingDate });
    const verifier = new StsIdentityVerifier({ region: 'us-east-1', endpointUrl: endpoint });
    try {
      const answer = await verifier.verify(proof);
      assert.deepEqual(answer, { kind: 'verified', arn: 'arn:aws:iam::123456789012:user/alice', account: '123456789012' });
    } finally {
      verifier.destroy();
    }
    assert.equal(received.length, 1);
    const got = received[0];
    assert.ok(got);
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/');
    assert.equal(got.body.toString('utf8'), proof.body, 'the body, byte for byte');
    const headers = new Map<string, string>();
    for (let i = 0; i < got.rawHeaders.length; i += 2) headers.set((got.rawHeaders[i] ?? '').toLowerCase(), got.rawHeaders[i + 1] ?? '');
    for (const [name, value] of Object.entries(proof.headers)) assert.equal(headers.get(name), value, `header ${name} arrives as signed`);
    const extra = [...headers.keys()].filter((name) => !(name in proof.headers));
    assert.ok(extra.every((name) => ['content-length', 'connection', 'transfer-encoding'].includes(name)), `only transport headers are added: ${extra.join(', ')}`);

    // Re-sign what arrived, as STS would check it: the same signature.
    const signedNames = signedHeadersOf(proof.headers.authorization ?? '') ?? [];
    const arrived = new HttpRequest({
      method: got.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: got.url,
      headers: Object.fromEntries(signedNames.map((name) => [name, headers.get(name) ?? ''])),
      body: got.body.toString('utf8'),
    });
    const signer = new SignatureV4({ credentials: CREDENTIALS, region: 'us-east-1', service: 'sts', sha256: Hash.bind(null, 'sha256') });
    const resigned = await signer.sign(arrived, { signingDate });
    assert.equal(resigned.headers.authorization, headers.get('authorization'));
  });

  it('sends to its own endpoint, never to the URL the proof names', async () => {
    const proof = await signIdentityProof(HASH, { credentials: CREDENTIALS, region: 'us-east-1', endpointUrl: endpoint });
    const verifier = new StsIdentityVerifier({ region: 'us-east-1', endpointUrl: endpoint });
    try {
      const answer = await verifier.verify({ ...proof, url: 'http://127.0.0.1:1/' });
      assert.equal(answer.kind, 'verified');
    } finally {
      verifier.destroy();
    }
    assert.equal(received.length, 1, 'the request reached the configured endpoint');
    assert.equal(new StsIdentityVerifier({ region: 'eu-west-1' }).endpoint, 'https://sts.eu-west-1.amazonaws.com/');
    assert.equal(new StsIdentityVerifier({ region: 'cn-north-1' }).endpoint, 'https://sts.cn-north-1.amazonaws.com.cn/');
  });
});
