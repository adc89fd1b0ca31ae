// Runs the bundled approval processor (dist/processor.js) against the local stack's
// `processor` SQS queue, the way Lambda's SQS event source would: long-poll, hand the
// batch to the handler as an SQS event, delete what it did not report as failed.
//   runProcessorLoop(o)          the poll loop, in this process (the CLI and the bench use it)
//   runExpirySweeps(o)           the expiry sweep every N seconds, as the EventBridge rule invokes it
//   startProcessorRunner(env, o) the runner as a background child: .stack/processor.pid, .stack/processor.log
//   stopProcessorRunner()        stop that child (SIGTERM, then SIGKILL)
//   processorRunnerStatus()      { running, pid, logFile, bundleSha256 }
//   processorEnvironment(env)    the handler's configuration for the local stack
//   buildProcessorBundle()       build dist/processor.js from the current sources; its SHA-256
//   loadProcessorHandler()       require dist/processor.js, built from the current sources first
// A runner always runs the bundle of the current sources: each load builds it, and
// startProcessorRunner restarts a running runner whose bundle is not the one just built.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { REPO_ROOT, ensureStackDir, stackConfig } from './stack/config.mjs';
import { readStackEnv } from './stack/index.mjs';
import { StackError, isAlive, readPid, removeFile, sleep, startService, stopPids } from './stack/proc.mjs';

const RUNNER_SCRIPT = join(REPO_ROOT, 'scripts', 'processor-runner.mjs');
const BUNDLE = join(REPO_ROOT, 'dist', 'processor.js');
const READY_MARK = '"msg":"runner ready"';
const requireCjs = createRequire(import.meta.url);

export function runnerFiles(cfg = stackConfig()) {
  return {
    pidFile: join(cfg.stackDir, 'processor.pid'),
    logFile: join(cfg.stackDir, 'processor.log'),
    /** The SHA-256 of the bundle the background runner loaded, written when it is ready. */
    bundleFile: join(cfg.stackDir, 'processor.bundle-sha256'),
  };
}

/**
 * The processor's environment variables for the local stack (see src/processor/processorConfig.ts).
 * Values already in `base` win, so a caller can set POLICY, FRESHNESS_MINUTES and the like.
 */
export function processorEnvironment(env, base = process.env) {
  const defaults = {
    OPENSEARCH_ENDPOINT: env.opensearchUrl,
    OPENSEARCH_INDEX: env.indices?.events ?? 'job-events',
    APPROVALS_INDEX: env.indices?.approvals ?? 'job-approvals',
    SIGNING_SECRET_PARAMETER: env.ssm.signingSecretParameter,
    // The policy the stack put into SSM, the one the extension shows.
    ...(env.ssm.policyParameter ? { POLICY_PARAMETER: env.ssm.policyParameter } : {}),
    DWH_AWS_ENDPOINT_URL: env.awsEndpointUrl,
    AWS_REGION: env.region,
    ...(env.outcomesTopicArn ? { OUTCOMES_TOPIC_ARN: env.outcomesTopicArn } : {}),
    // Decisions by email link come from the local approval API's role only (issue 13).
    ...(env.email?.approvalApiRoleArn ? { EMAIL_APPROVER_ROLE_ARNS: env.email.approvalApiRoleArn } : {}),
    // moto accepts any credentials; the local node ignores SigV4 but gets it anyway, as in AWS.
    AWS_ACCESS_KEY_ID: env.credentials?.accessKeyId ?? 'testing',
    AWS_SECRET_ACCESS_KEY: env.credentials?.secretAccessKey ?? 'testing',
  };
  const out = { ...defaults };
  for (const key of Object.keys(defaults)) {
    if (typeof base[key] === 'string' && base[key].trim() !== '') out[key] = base[key];
  }
  for (const key of ['POLICY', 'POLICY_PARAMETER', 'FRESHNESS_MINUTES', 'PROCESSOR_CONCURRENCY', 'OPENSEARCH_AUTH', 'OPENSEARCH_TIMEOUT_MS', 'ACCEPT_SIGNATURE_V1', 'SECRET_ROTATION_GRACE_MINUTES', 'APPROVAL_TTL_HOURS']) {
    if (typeof base[key] === 'string' && base[key].trim() !== '') out[key] = base[key];
  }
  return out;
}

/** Builds dist/processor.js from the current sources (esbuild.js's processor target); resolves its SHA-256. */
export function buildProcessorBundle() {
  const esbuild = requireCjs('esbuild');
  const target = requireCjs(join(REPO_ROOT, 'esbuild.js')).targets.find((t) => t.outfile === 'dist/processor.js');
  if (!target) throw new StackError('esbuild.js has no target for dist/processor.js');
  try {
    esbuild.buildSync({ ...target, absWorkingDir: REPO_ROOT });
  } catch (error) {
    throw new StackError(`could not build dist/processor.js: ${error.message}`);
  }
  return bundleSha256();
}

/** The SHA-256 of dist/processor.js as it is now (null when missing). */
export function bundleSha256() {
  return existsSync(BUNDLE) ? createHash('sha256').update(readFileSync(BUNDLE)).digest('hex') : null;
}

/**
 * dist/processor.js, built from the current sources first (a bundle left from older sources
 * is never run). The result's bundleSha256 names the bundle loaded.
 */
export function loadProcessorHandler() {
  const sha256 = buildProcessorBundle();
  delete requireCjs.cache[requireCjs.resolve(BUNDLE)]; // a second load in this process gets the new build
  return { ...requireCjs(BUNDLE), bundleSha256: sha256 };
}

function lambdaAttributes(message) {
  const out = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    out[name] = { dataType: value.DataType, stringValue: value.StringValue, binaryValue: value.BinaryValue, stringListValues: [], binaryListValues: [] };
  }
  return out;
}

/** An SQS message as a record of a Lambda SQS event. */
export function toSqsEventRecord(message, { queueArn, region }) {
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes: message.Attributes ?? {},
    messageAttributes: lambdaAttributes(message),
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function queueArnOf(env, queueUrl) {
  const known = Object.entries(env.queueUrls ?? {}).find(([, url]) => url === queueUrl)?.[0];
  if (known && env.queueArns?.[known]) return env.queueArns[known];
  const name = queueUrl.split('/').pop();
  return `arn:aws:sqs:${env.region}:${env.accountId ?? '123456789012'}:${name}`;
}

/**
 * Polls the queue and feeds the handler until `signal` aborts, or (once) until a receive
 * comes back empty. Resolves { batches, received, deleted, failed, seconds }.
 * options: env (stack env), handler (a Lambda handler), queueUrl (default: the processor
 * queue), once, waitTimeSeconds (5), maxMessages (10), pollers (1), retryDelaySeconds (5),
 * signal, onBatch({ size, failed, ms }).
 */
export async function runProcessorLoop(options) {
  const {
    env,
    handler,
    queueUrl = env.queueUrls.processor,
    once = false,
    waitTimeSeconds = 5,
    maxMessages = 10,
    pollers = 1,
    retryDelaySeconds = 5,
    signal,
    onBatch = () => {},
  } = options;
  const sqs = new SQSClient({
    region: env.region,
    endpoint: env.awsEndpointUrl,
    credentials: { accessKeyId: env.credentials?.accessKeyId ?? 'testing', secretAccessKey: env.credentials?.secretAccessKey ?? 'testing' },
  });
  const queueArn = queueArnOf(env, queueUrl);
  const stats = { batches: 0, received: 0, deleted: 0, failed: 0, seconds: 0 };
  const started = Date.now();

  const poll = async () => {
    while (!signal?.aborted) {
      let messages;
      try {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: maxMessages,
            WaitTimeSeconds: waitTimeSeconds,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
          signal ? { abortSignal: signal } : {},
        );
        messages = res.Messages ?? [];
      } catch (error) {
        if (signal?.aborted) return;
        console.log(JSON.stringify({ level: 'error', msg: 'receive failed; retrying', error: String(error?.message ?? error) }));
        await sleep(1000);
        continue;
      }
      if (messages.length === 0) {
        if (once) return;
        continue;
      }
      const t0 = Date.now();
      const event = { Records: messages.map((m) => toSqsEventRecord(m, { queueArn, region: env.region })) };
      let failedIds;
      try {
        const response = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
        failedIds = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (error) {
        console.log(JSON.stringify({ level: 'error', msg: 'handler failed; the batch will be retried', error: String(error?.message ?? error) }));
        failedIds = new Set(messages.map((m) => m.MessageId));
      }
      const done = messages.filter((m) => !failedIds.has(m.MessageId));
      const failed = messages.filter((m) => failedIds.has(m.MessageId));
      if (done.length > 0) {
        const res = await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
        );
        if (res.Failed?.length) console.log(JSON.stringify({ level: 'warn', msg: 'some deletes failed; those messages will be delivered again', count: res.Failed.length }));
      }
      if (failed.length > 0) {
        // Back on the queue after a short delay instead of the queue's whole visibility timeout.
        await sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queueUrl,
              Entries: failed.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: retryDelaySeconds })),
            }),
          )
          .catch(() => {});
      }
      stats.batches += 1;
      stats.received += messages.length;
      stats.deleted += done.length;
      stats.failed += failed.length;
      onBatch({ size: messages.length, failed: failed.length, ms: Date.now() - t0 });
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.max(1, pollers) }, () => poll()));
  } finally {
    sqs.destroy();
  }
  stats.seconds = (Date.now() - started) / 1000;
  return stats;
}

/** The event the template's schedule rule sends (its constant input). */
export const EXPIRY_SWEEP_EVENT = Object.freeze({ action: 'expiry-sweep' });

/**
 * Invokes `handler` with the expiry sweep's event every `everySeconds` (the first one at once)
 * until `signal` aborts; a sweep still running when the next is due is not overlapped.
 * Resolves the number of sweeps run.
 */
export async function runExpirySweeps({ handler, everySeconds = 60, signal }) {
  let sweeps = 0;
  while (!signal?.aborted) {
    const started = Date.now();
    try {
      await handler({ ...EXPIRY_SWEEP_EVENT });
    } catch (error) {
      console.log(JSON.stringify({ level: 'error', msg: 'expiry sweep failed; the next one tries again', error: String(error?.message ?? error) }));
    }
    sweeps += 1;
    const wait = Math.max(0, everySeconds * 1000 - (Date.now() - started));
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
  return sweeps;
}

/** { running, pid, logFile, pidFile, bundleSha256 } of the background runner (bundleSha256: what it loaded, if known). */
export function processorRunnerStatus(cfg = stackConfig()) {
  const files = runnerFiles(cfg);
  const pid = readPid(files.pidFile);
  const running = Boolean(pid && isAlive(pid) && isOurRunner(pid));
  let loaded = null;
  try {
    loaded = running ? readFileSync(files.bundleFile, 'utf8').trim() || null : null;
  } catch {
    // Started before runners recorded their bundle: unknown, so treated as stale.
  }
  return { running, pid, ...files, bundleSha256: loaded };
}

function isOurRunner(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('processor-runner.mjs');
  } catch {
    return true; // no /proc: trust the pid file
  }
}

/**
 * Starts scripts/processor-runner.mjs in the background against the stack `env` (default:
 * .stack/env.json) and waits until it has read its configuration and is polling.
 * options: policy (object or JSON text), freshnessMinutes, pollers, sweepSeconds (default 0: no expiry sweep), extraEnv,
 * restart (stop a running one first; otherwise a running one is kept, unless it runs a bundle
 * of other sources than the current ones), readyTimeoutMs (60000).
 * Resolves { pid, logFile, pidFile, alreadyRunning, restartedStale }.
 */
export async function startProcessorRunner(env, options = {}) {
  const cfg = stackConfig();
  ensureStackDir(cfg);
  const stackEnv = env ?? readStackEnv();
  const { pidFile, logFile, bundleFile } = runnerFiles(cfg);
  // Build now, not only in the child where nobody sees it fail; the hash says which sources.
  const current = buildProcessorBundle();
  const status = processorRunnerStatus(cfg);
  const stale = status.running && status.bundleSha256 !== current;
  if (status.running) {
    if (!options.restart && !stale) return { pid: status.pid, logFile, pidFile, alreadyRunning: true, restartedStale: false };
    await stopProcessorRunner();
  }
  removeFile(bundleFile);
  const childEnv = { ...process.env, ...processorEnvironment(stackEnv), ...(options.extraEnv ?? {}) };
  if (options.policy !== undefined) childEnv.POLICY = typeof options.policy === 'string' ? options.policy : JSON.stringify(options.policy);
  if (options.freshnessMinutes !== undefined) childEnv.FRESHNESS_MINUTES = String(options.freshnessMinutes);
  childEnv.DWH_STACK_DIR = cfg.stackDir;
  const args = [RUNNER_SCRIPT];
  if (options.pollers) args.push('--pollers', String(options.pollers));
  // No expiry sweep unless asked for: the seeded overdue runs of the suites that start a runner
  // are runs they decide. (scripts/processor-runner.mjs itself, as the demo runs it, sweeps every minute.)
  args.push('--sweep-seconds', String(options.sweepSeconds ?? 0));
  const logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
  const { pid, ready } = await startService({
    name: 'the processor runner',
    cmd: process.execPath,
    args,
    cwd: REPO_ROOT,
    env: childEnv,
    pidFile,
    logFile,
    becomes: 'become ready',
    timeoutMs: options.readyTimeoutMs ?? 60_000,
    intervalMs: 200,
    isReady: () => readyLine(logSince(logFile, logOffset)),
    stopIfLate: true,
  });
  writeFileSync(bundleFile, `${ready.bundle_sha256 ?? ''}\n`);
  return { pid, logFile, pidFile, alreadyRunning: false, restartedStale: stale };
}

/** Stops the background runner if it runs. Resolves { stopped, pid }. */
export async function stopProcessorRunner() {
  const cfg = stackConfig();
  const { pidFile, bundleFile } = runnerFiles(cfg);
  const pid = readPid(pidFile);
  removeFile(bundleFile);
  if (!pid || !isAlive(pid) || !isOurRunner(pid)) {
    removeFile(pidFile);
    return { stopped: false, pid };
  }
  await stopPids([pid], { timeoutMs: 15_000 });
  removeFile(pidFile);
  return { stopped: true, pid };
}

/** The runner's "runner ready" log line, parsed, once it is in `text`. */
function readyLine(text) {
  const line = text.split('\n').find((l) => l.includes(READY_MARK));
  if (!line) return null;
  try {
    return JSON.parse(line);
  } catch {
    return {};
  }
}

function logSince(file, offset) {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}
