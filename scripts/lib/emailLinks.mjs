// The alert emails on the local stack (issue 13), for the demo and the tests:
//   approvalsEnvironment(env)        the notifier's / approval API's configuration for the stack
//   loadApprovalsBundles()           dist/notifier.js and dist/approvalApi.js (built when missing)
//   runNotifierOnce(env)             drain the stack's `notifier` queue (job_events) through the notifier once;
//                                    resolves the emails moto's SES received meanwhile (moto's recorder), decoded
//   publishJobEvent(env, doc)        publish a job document to the stack's job_events topic
//   linksOf(email)                   the Approve / Reject links of an alert
//   startApprovalApiServer(env, o)   the approval API on 127.0.0.1 as a background child; stopApprovalApiServer()
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { REPO_ROOT, ensureStackDir, stackConfig } from './stack/config.mjs';
import { readStackEnv } from './stack/index.mjs';
import { StackError, isAlive, readPid, removeFile, startService, stopPids } from './stack/proc.mjs';
import { runProcessorLoop } from './processorRunner.mjs';

const SERVER_SCRIPT = join(REPO_ROOT, 'scripts', 'approval-api-server.mjs');
const READY_MARK = '"msg":"approval API ready"';

/** The email functions' environment variables on the local stack (see src/approvals/approvalsConfig.ts). */
export function approvalsEnvironment(env, extra = {}) {
  return {
    PUBLIC_BASE_URL: env.email.approvalApiUrl,
    MAIL_FROM: env.email.mailFrom,
    // The approval policy the stack put into SSM: per job, who is notified and what a link may do.
    ...(env.ssm.policyParameter ? { POLICY_PARAMETER: env.ssm.policyParameter } : {}),
    OPENSEARCH_ENDPOINT: env.opensearchUrl,
    OPENSEARCH_INDEX: env.indices?.events ?? 'job-events',
    APPROVALS_INDEX: env.indices?.approvals ?? 'job-approvals',
    SIGNING_SECRET_PARAMETER: env.ssm.signingSecretParameter,
    TOPIC_ARN: env.topicArn,
    DWH_AWS_ENDPOINT_URL: env.awsEndpointUrl,
    AWS_REGION: env.region,
    ...extra,
  };
}

/** require() of the bundles, built with `node esbuild.js` first when one is missing. */
export function loadApprovalsBundles() {
  const bundles = { notifier: join(REPO_ROOT, 'dist', 'notifier.js'), approvalApi: join(REPO_ROOT, 'dist', 'approvalApi.js') };
  if (!Object.values(bundles).every((file) => existsSync(file))) {
    const built = spawnSync(process.execPath, [join(REPO_ROOT, 'esbuild.js')], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new StackError('could not build the email bundles (node esbuild.js failed)');
  }
  const load = createRequire(import.meta.url);
  return { notifier: load(bundles.notifier), approvalApi: load(bundles.approvalApi) };
}

/** Publishes a job document to job_events, as the pipeline does. */
export async function publishJobEvent(env, document) {
  const sns = new SNSClient({ region: env.region, endpoint: env.awsEndpointUrl, credentials: { ...(env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' }) } });
  try {
    return await sns.send(new PublishCommand({ TopicArn: env.jobEventsTopicArn, Message: JSON.stringify(document), MessageAttributes: { status: { DataType: 'String', StringValue: String(document.status ?? '') } } }));
  } finally {
    sns.destroy();
  }
}

/**
 * Feeds what waits on the stack's `notifier` queue to the notifier (in this process, with the
 * stack's dummy keys) until the queue is empty, and reads back what moto's SES received
 * meanwhile. options: handler (default: a new one from dist/notifier.js), extraEnv.
 * Resolves the loop's stats, the handler's log lines and the emails sent.
 */
export async function runNotifierOnce(env, options = {}) {
  process.env.AWS_ACCESS_KEY_ID ??= env.credentials?.accessKeyId ?? 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= env.credentials?.secretAccessKey ?? 'testing';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const logs = [];
  const handler = options.handler ?? loadApprovalsBundles().notifier.createNotifierHandler({ config: approvalsEnvironment(env, options.extraEnv), log: (line) => logs.push(line) });
  try {
    const { result: stats, emails } = await recordingSesEmails(env, () =>
      runProcessorLoop({ env, handler, queueUrl: env.queueUrls.notifier, once: true, waitTimeSeconds: 1 }),
    );
    return { stats, logs, emails };
  } finally {
    if (!options.handler) await handler.close();
  }
}

/**
 * Runs `work` with moto's request recorder on (POST /moto-api/recorder/…) and returns, besides
 * its result, every email moto's SES received meanwhile, decoded from the SendEmail requests
 * as moto recorded them: { id, source, destinations, subject, to, text, html, raw }. (moto's
 * model dump, /moto-api/data.json, would list them too, but fails as a whole once moto holds
 * a Lambda function it cannot reach Docker for, as the infra test's stacks do.) One recording
 * at a time per moto: the recorder is moto-wide.
 */
export async function recordingSesEmails(env, work) {
  const motoApi = (path, method = 'POST') => fetch(`${env.awsEndpointUrl}/moto-api/recorder/${path}`, { method, signal: AbortSignal.timeout(10_000) });
  await motoApi('reset-recording');
  await motoApi('start-recording');
  let result;
  try {
    result = await work();
  } finally {
    await motoApi('stop-recording');
  }
  const recording = await (await motoApi('download-recording', 'GET')).text();
  await motoApi('reset-recording');
  const emails = [];
  for (const line of recording.split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line);
    if (entry.method !== 'POST' || !new URL(entry.url).pathname.endsWith('/v2/email/outbound-emails')) continue;
    const body = JSON.parse(entry.body_encoded ? Buffer.from(entry.body, 'base64').toString('utf8') : entry.body);
    const raw = Buffer.from(body.Content?.Raw?.Data ?? '', 'base64').toString('utf8');
    const destinations = [...new Set(body.Destination?.ToAddresses ?? [])];
    emails.push({ id: String(emails.length + 1), source: body.FromEmailAddress ?? '', destinations, ...readMime(raw) });
  }
  return { result, emails };
}

/** The Approve / Reject links of an alert's text part. */
export function linksOf(email) {
  const approve = /\[APPROVE\] (\S+)/.exec(email.text)?.[1] ?? null;
  const reject = /\[REJECT\] +(\S+)/.exec(email.text)?.[1] ?? null;
  return { approve, reject };
}

// ------------------------------------------------------------------ a small MIME reader
// Enough for what nodemailer composes (multipart/alternative, quoted-printable or base64 UTF-8 parts).

function splitHead(text) {
  const at = text.search(/\r?\n\r?\n/);
  const head = at < 0 ? text : text.slice(0, at);
  const body = at < 0 ? '' : text.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body, encoding) {
  const e = (encoding ?? '').toLowerCase();
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (e === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function decodeWords(value) {
  return (value ?? '').replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, kind, text) =>
    kind.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeBody(text.replace(/_/g, ' '), 'quoted-printable'));
}

export function readMime(raw) {
  const { headers, body } = splitHead(raw);
  const out = { subject: decodeWords(headers.subject), to: headers.to ?? '', text: '', html: '', raw };
  const parts = [];
  const walk = (partHeaders, partBody) => {
    const type = partHeaders['content-type'] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (/^multipart\//i.test(type) && boundary) {
      for (const chunk of partBody.split(`--${boundary}`).slice(1)) {
        if (chunk.startsWith('--')) break;
        const inner = splitHead(chunk.replace(/^\r?\n/, ''));
        walk(inner.headers, inner.body);
      }
      return;
    }
    parts.push({ type: type.split(';')[0].trim().toLowerCase(), text: decodeBody(partBody, partHeaders['content-transfer-encoding']) });
  };
  walk(headers, body);
  out.text = parts.find((p) => p.type === 'text/plain')?.text ?? '';
  out.html = parts.find((p) => p.type === 'text/html')?.text ?? '';
  return out;
}

// ------------------------------------------------------------------ the local approval API server

function approvalApiFiles(cfg = stackConfig()) {
  return { pidFile: join(cfg.stackDir, 'approval-api.pid'), logFile: join(cfg.stackDir, 'approval-api.log') };
}

/**
 * Starts scripts/approval-api-server.mjs (the approval API on 127.0.0.1, with a session of the
 * stack's approval-API role) and waits until it answers. options: restart, readyTimeoutMs.
 * Resolves { pid, url, alreadyRunning }.
 */
export async function startApprovalApiServer(env = readStackEnv(), options = {}) {
  const cfg = stackConfig();
  ensureStackDir(cfg);
  const { pidFile, logFile } = approvalApiFiles(cfg);
  const running = readPid(pidFile);
  if (running && isAlive(running) && isOurServer(running)) {
    if (!options.restart) return { pid: running, url: env.email.approvalApiUrl, alreadyRunning: true };
    await stopApprovalApiServer();
  }
  loadApprovalsBundles();
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const { pid } = await startService({
    name: 'the approval API server',
    cmd: process.execPath,
    args: [SERVER_SCRIPT],
    cwd: REPO_ROOT,
    env: { ...process.env, DWH_STACK_DIR: cfg.stackDir, ...(options.extraEnv ?? {}) },
    pidFile,
    logFile,
    becomes: 'become ready',
    timeoutMs: options.readyTimeoutMs ?? 60_000,
    intervalMs: 200,
    isReady: () => readFileSync(logFile).subarray(offset).toString('utf8').includes(READY_MARK),
    stopIfLate: true,
  });
  return { pid, url: env.email.approvalApiUrl, alreadyRunning: false };
}

export async function stopApprovalApiServer() {
  const { pidFile } = approvalApiFiles();
  const pid = readPid(pidFile);
  if (pid && isAlive(pid) && isOurServer(pid)) await stopPids([pid], { timeoutMs: 10_000 });
  removeFile(pidFile);
  return { pid };
}

function isOurServer(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('approval-api-server.mjs');
  } catch {
    return true;
  }
}

/**
 * For the demo: the newest pending run goes to job_events, the notifier sends its alerts, and
 * the newest alert (with its links) is returned. Resolves null when nothing is pending.
 */
export async function sendNewestAlert(env = readStackEnv()) {
  const res = await fetch(`${env.opensearchUrl}/${env.indices?.events ?? 'job-events'}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: 1,
      sort: [{ timestamp: 'desc' }],
      query: { bool: { filter: [{ term: { status: 'PENDING_APPROVAL' } }], must_not: [{ exists: { field: 'approval_status' } }] } },
    }),
  });
  const hit = (await res.json()).hits?.hits?.[0];
  if (!hit) return null;
  await publishJobEvent(env, hit._source);
  const { emails: sent } = await runNotifierOnce(env);
  const newest = sent.at(-1);
  return newest ? { runId: hit._source.job_run_id, recipients: sent.flatMap((e) => e.destinations), email: newest, links: linksOf(newest) } : null;
}
