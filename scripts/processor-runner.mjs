#!/usr/bin/env node
// The approval processor for the local stack: long-polls the stack's `processor` queue and
// hands each batch to the Lambda handler bundled in dist/processor.js (built from the current
// sources first; the ready line names its SHA-256), deleting what it did not report as failed. One JSON line per decision on stdout;
// the signing secret is read from SSM by the handler and never printed.
//   node scripts/processor-runner.mjs            run until SIGINT/SIGTERM
//   node scripts/processor-runner.mjs --once     drain the queue and exit (exit 3 if some failed)
//   options: --pollers N (1) --wait-seconds S (5) --queue-url URL --policy JSON --freshness-minutes M
//            --sweep-seconds S (60): the expiry sweep every S seconds, as the schedule rule does; 0 = off
// The environment overrides the stack's defaults (POLICY, FRESHNESS_MINUTES, OPENSEARCH_ENDPOINT, ...).
import { parseArgs } from 'node:util';
import { loadProcessorHandler, processorEnvironment, runExpirySweeps, runProcessorLoop } from './lib/processorRunner.mjs';
import { readStackEnv } from './lib/stack/index.mjs';

function log(line) {
  console.log(JSON.stringify(line));
}

function positiveInt(value, name, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      once: { type: 'boolean', default: false },
      pollers: { type: 'string' },
      'wait-seconds': { type: 'string' },
      'queue-url': { type: 'string' },
      policy: { type: 'string' },
      'freshness-minutes': { type: 'string' },
      'sweep-seconds': { type: 'string' },
    },
    strict: true,
  });
  const env = readStackEnv();
  if (values.policy !== undefined) process.env.POLICY = values.policy;
  if (values['freshness-minutes'] !== undefined) process.env.FRESHNESS_MINUTES = values['freshness-minutes'];
  const config = processorEnvironment(env);
  // Keep the log to JSON lines: the SDK's notice about future Node versions is not about decisions.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The SDK's credential chain (SSM, SigV4) reads these from the environment.
  process.env.AWS_ACCESS_KEY_ID = config.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = config.AWS_SECRET_ACCESS_KEY;
  process.env.AWS_REGION = config.AWS_REGION;

  const { createLambdaHandler, bundleSha256 } = loadProcessorHandler();
  const handler = createLambdaHandler({ config });
  const queueUrl = values['queue-url'] ?? env.queueUrls.processor;
  const controller = new globalThis.AbortController();
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log({ level: 'info', msg: 'runner stopping', signal });
      controller.abort();
    });
  }

  // The cold start now (SSM, OpenSearch endpoint, policy): a broken configuration shows at
  // once, and "ready" means ready.
  await handler.ready();

  log({ level: 'info', msg: 'runner ready', pid: process.pid, queue: queueUrl, once: values.once, bundle_sha256: bundleSha256 });
  const sweepSeconds = values['sweep-seconds'] === '0' ? 0 : positiveInt(values['sweep-seconds'], 'sweep-seconds', 60);
  const sweeps = values.once || sweepSeconds === 0 ? Promise.resolve(0) : runExpirySweeps({ handler, everySeconds: sweepSeconds, signal: controller.signal });
  const stats = await runProcessorLoop({
    env,
    handler,
    queueUrl,
    once: values.once,
    waitTimeSeconds: positiveInt(values['wait-seconds'], 'wait-seconds', values.once ? 1 : 5),
    pollers: positiveInt(values.pollers, 'pollers', 1),
    signal: controller.signal,
  });
  const sweepCount = await sweeps;
  await handler.close();
  log({ level: 'info', msg: 'runner stopped', ...stats, sweeps: sweepCount });
  if (values.once && stats.failed > 0) process.exitCode = 3;
}

main().catch((error) => {
  log({ level: 'error', msg: 'runner failed', error: String(error?.message ?? error) });
  process.exitCode = 1;
});
