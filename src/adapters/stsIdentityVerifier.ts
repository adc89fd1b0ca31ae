// The processor's side of signature v2: sends an identity proof to ITS OWN STS endpoint (the
// region's, or the configured local emulator), never to a host named in the message, with
// the proof's method, headers and body exactly as signed, and reads STS's XML answer.
// The SDK's Node HTTP handler sends just these headers (no user agent or extras are added).
//
// Local emulators (moto) do not check SigV4 signatures: they answer for the access key named
// in the Authorization header. That the request reaches STS byte for byte as signed is shown
// by a unit test (test/unit/identityProofAdapters.test.ts), not by the local stack.
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { normalizeEndpointUrl, readStsAnswer, stsEndpointForRegion, type IdentityProof, type StsAnswer } from '../core/identityProof';

export interface StsVerifierOptions {
  region: string;
  /** A local emulator's endpoint; else the region's STS endpoint. */
  endpointUrl?: string | null;
  /** Per request; default 5 s. */
  timeoutMs?: number;
}

export class StsIdentityVerifier {
  /** The one endpoint proofs are sent to; proofs must be signed for it. */
  readonly endpoint: string;
  private readonly handler: NodeHttpHandler;
  private readonly timeoutMs: number;

  constructor(options: StsVerifierOptions) {
    const endpoint = normalizeEndpointUrl(options.endpointUrl ? options.endpointUrl : stsEndpointForRegion(options.region));
    if (endpoint === null) throw new Error(`Not an STS endpoint URL: ${JSON.stringify(options.endpointUrl)}.`);
    this.endpoint = endpoint;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.handler = new NodeHttpHandler({ connectionTimeout: this.timeoutMs, requestTimeout: this.timeoutMs });
  }

  /** Sends the proof; throws only when STS could not be reached (the message is retried). */
  async verify(proof: IdentityProof): Promise<StsAnswer> {
    const url = new URL(this.endpoint);
    const request = new HttpRequest({
      method: proof.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: '/',
      headers: { ...proof.headers },
      body: proof.body,
    });
    const { response } = await this.handler.handle(request, { requestTimeout: this.timeoutMs });
    const text = await readBody(response.body);
    return readStsAnswer(response.statusCode, text);
  }

  destroy(): void {
    this.handler.destroy();
  }
}

async function readBody(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > 64 * 1024) break; // a GetCallerIdentity answer is a few hundred bytes
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
