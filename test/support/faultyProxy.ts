// An HTTP proxy in front of the real local OpenSearch that drops chosen requests (the
// connection is reset before OpenSearch sees them), so that integration tests can make
// OpenSearch fail for one run, or fail half way through a decision, without stubbing it;
// or holds chosen requests until the test releases them, to see what waits for them; or
// changes the answer OpenSearch gave to a chosen request (one item of a _bulk answered as a
// failure, say), after OpenSearch really did what was asked.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  path: string;
  body: string;
  /** The request's headers as received (lower-case names). */
  headers: http.IncomingHttpHeaders;
}

export interface FaultyProxy {
  url: string;
  /** Requests dropped so far. */
  dropped: number;
  /** Drop every request for which `when` holds, until clear(). */
  dropWhen(when: (request: ProxiedRequest) => boolean): void;
  /** Hold every request for which `when` holds (unanswered, not yet sent on) until released; until clear(). */
  holdWhen(when: (request: ProxiedRequest) => boolean): void;
  /** Pass the answer to every request for which `when` holds through `rewrite` (its body as text); until clear(). */
  rewriteWhen(when: (request: ProxiedRequest) => boolean, rewrite: (answer: string) => string): void;
  /** Requests held now. */
  readonly held: readonly ProxiedRequest[];
  /** Requests held so far, released or not. */
  heldTotal: number;
  /** Sends the held requests on to OpenSearch. */
  release(): void;
  /** Requests sent on to OpenSearch so far, in order. */
  readonly forwarded: readonly ProxiedRequest[];
  /** Stops dropping and holding; releases what is held. */
  clear(): void;
  close(): Promise<void>;
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const upstream = new URL(target);
  let rule: ((request: ProxiedRequest) => boolean) | null = null;
  let holdRule: ((request: ProxiedRequest) => boolean) | null = null;
  let rewriteRule: { when: (request: ProxiedRequest) => boolean; rewrite: (answer: string) => string } | null = null;
  const held: Array<{ request: ProxiedRequest; send: () => void }> = [];
  const forwarded: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = { method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8'), headers: req.headers };
      if (rule?.(request)) {
        proxy.dropped += 1;
        req.socket.destroy();
        return;
      }
      const send = () => {
        forwarded.push(request);
        const forward = http.request(
          { hostname: upstream.hostname, port: upstream.port, method: request.method, path: request.path, headers: { ...req.headers, host: upstream.host } },
          (answer) => {
            const rewrite = rewriteRule?.when(request) ? rewriteRule.rewrite : null;
            if (rewrite === null) {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
              return;
            }
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('end', () => {
              const text = Buffer.from(rewrite(Buffer.concat(parts).toString('utf8')), 'utf8');
              const headers = { ...answer.headers, 'content-length': String(text.length) };
              delete headers['content-encoding'];
              res.writeHead(answer.statusCode ?? 502, headers);
              res.end(text);
            });
          },
        );
        forward.on('error', () => res.destroy());
        forward.end(body);
      };
      if (holdRule?.(request)) {
        proxy.heldTotal += 1;
        held.push({ request, send });
        return;
      }
      send();
    });
  });
  const release = () => {
    for (const entry of held.splice(0)) entry.send();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: FaultyProxy = {
    url: `http://127.0.0.1:${port}`,
    dropped: 0,
    dropWhen(when) {
      rule = when;
    },
    holdWhen(when) {
      holdRule = when;
    },
    rewriteWhen(when, rewrite) {
      rewriteRule = { when, rewrite };
    },
    get held() {
      return held.map((entry) => entry.request);
    },
    heldTotal: 0,
    release,
    forwarded,
    clear() {
      rule = null;
      holdRule = null;
      rewriteRule = null;
      release();
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
