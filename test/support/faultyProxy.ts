// An HTTP proxy in front of the real local OpenSearch that drops chosen requests (the
// connection is reset before OpenSearch sees them), so that integration tests can make
// OpenSearch fail for one run, or fail half way through a decision, without stubbing it.
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
  clear(): void;
  close(): Promise<void>;
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const upstream = new URL(target);
  let rule: ((request: ProxiedRequest) => boolean) | null = null;
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
      const forward = http.request(
        { hostname: upstream.hostname, port: upstream.port, method: request.method, path: request.path, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: FaultyProxy = {
    url: `http://127.0.0.1:${port}`,
    dropped: 0,
    dropWhen(when) {
      rule = when;
    },
    clear() {
      rule = null;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
