#!/usr/bin/env node
// The approval API on 127.0.0.1 for the local stack: a small HTTP server that turns each
// request into the event an API Gateway HTTP API (payload 2.0) or a Function URL would give
// the Lambda (dist/approvalApi.js), and its answer back into the HTTP response. It runs with
// a session of the stack's approval-API role (AssumeRole in moto), as the function would run
// with its execution role: that session proves the decisions it publishes.
//   node scripts/approval-api-server.mjs     (port: DWH_APPROVAL_API_PORT, else moto's + 100)
// Usually started by startApprovalApiServer() (scripts/lib/emailLinks.mjs), which the demo and the tests use.
import http from 'node:http';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { approvalsEnvironment, loadApprovalsBundles } from './lib/emailLinks.mjs';
import { readStackEnv } from './lib/stack/index.mjs';

const MAX_BODY_BYTES = 64 * 1024;

function log(line) {
  console.log(JSON.stringify(line));
}

async function roleSession(env) {
  const sts = new STSClient({ region: env.region, endpoint: env.awsEndpointUrl, credentials: { ...(env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' }) } });
  try {
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: env.email.approvalApiRoleArn, RoleSessionName: 'approvalApi', DurationSeconds: 43_200 }));
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
    return c;
  } finally {
    sts.destroy();
  }
}

/** The HTTP API 2.0 event of a request. */
function toEvent(request, url, body) {
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value ?? '');
  const cookies = (headers.cookie ?? '').split(';').map((c) => c.trim()).filter(Boolean);
  delete headers.cookie;
  return {
    version: '2.0',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    body: body.toString('base64'),
    isBase64Encoded: true,
    requestContext: { http: { method: request.method ?? 'GET', path: url.pathname, sourceIp: request.socket.remoteAddress ?? '' } },
  };
}

async function main() {
  const env = readStackEnv();
  const session = await roleSession(env);
  process.env.AWS_ACCESS_KEY_ID = session.AccessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = session.SecretAccessKey;
  if (session.SessionToken) process.env.AWS_SESSION_TOKEN = session.SessionToken;
  process.env.AWS_REGION = env.region;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const handler = loadApprovalsBundles().approvalApi.createApprovalApiHandler({ config: approvalsEnvironment(env) });
  const port = env.email.approvalApiPort;

  const server = http.createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
      handler(toEvent(request, url, Buffer.concat(chunks)))
        .then((result) => {
          const headers = { ...result.headers };
          if (result.cookies?.length) headers['set-cookie'] = result.cookies;
          response.writeHead(result.statusCode, headers);
          response.end(result.body);
        })
        .catch((error) => {
          log({ level: 'error', msg: 'handler failed', error: String(error?.message ?? error) });
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end('internal error');
        });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  log({ level: 'info', msg: 'approval API ready', url: env.email.approvalApiUrl, role: env.email.approvalApiRoleArn });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      server.close();
      void handler.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error) => {
  console.error(error?.stack ?? error);
  process.exit(1);
});
