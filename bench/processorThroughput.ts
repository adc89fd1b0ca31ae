// Approval processor throughput on the local stack, in two modes, each with N fresh pending
// runs and N signed approvals (signature v2: each with an identity proof the processor sends
// to STS, so one STS round trip per decision; the records of a batch are processed
// PROCESSOR_CONCURRENCY at once, so those round trips overlap instead of queueing one
// behind another) (as SNS delivers them: in the envelope) through the bundled
// handler (dist/processor.js), checking that every decision was recorded exactly once:
//   sqs      queued on the stack's `processor` SQS queue, drained by the runner's poll loop
//            (what `scripts/processor-runner.mjs` does);
//   handler  the same messages handed to the handler as SQS events of 10 records, `pollers`
//            invocations at once (what Lambda's SQS event source does): the processor's own
//            rate, without the emulator's queue.
//   handler-without-outcomes  the handler mode without OUTCOMES_TOPIC_ARN: no outcome publish,
//            so the rate of the processor, OpenSearch and STS without moto's SNS emulation.
// moto's ReceiveMessage scans the whole queue on every call, so with 1,000 messages queued
// the sqs mode measures moto more than the processor; both numbers are printed. With each
// rate, the CPU seconds that moto, OpenSearch and this process (the processor) used meanwhile
// (from /proc, when the stack's processes are this machine's): where the time went.
//   npx tsx bench/processorThroughput.ts [--mode both|all|sqs|handler|handler-without-outcomes] [--decisions 1000] [--pollers 4] [--via-sns] [--keep]
// --via-sns publishes through the topic instead of SendMessageBatch (the other subscribed
// queues get copies); --keep leaves the benchmark's runs and audit documents in the indices.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, PurgeQueueCommand, ReceiveMessageCommand, SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { publishParameters, type DecisionMessage } from '../src/core/decisionMessage';
import { createReviewer, decisionBy, type Reviewer } from '../test/support/reviewers';
import { evidenceSha256 } from '../src/core/evidence';
import { parseJobRun } from '../src/core/jobRunParser';
import { stats } from './lib/stats';
import type * as RunnerModule from '../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };
import type { StackEnv } from '../scripts/lib/localProfile.mjs' with { 'resolution-mode': 'import' };

const JOB = 'bench_processor_throughput';

interface StackModule {
  ensureStack(options?: { log?: (message: string) => void }): Promise<StackEnv>;
  readSigningSecret(env?: StackEnv): Promise<string | null>;
}

async function os(env: StackEnv, method: string, path: string, body?: string | object, ndjson = false): Promise<Record<string, unknown>> {
  const res = await fetch(`${env.opensearchUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`OpenSearch ${method} ${path}: HTTP ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  if (json.errors === true) throw new Error(`OpenSearch ${method} ${path}: bulk errors ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

async function inBatches<T>(items: readonly T[], size: number, concurrency: number, send: (batch: T[]) => Promise<void>): Promise<void> {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        if (batch) await send(batch);
      }
    }),
  );
}

async function count(env: StackEnv, index: string, query: object): Promise<number> {
  await os(env, 'POST', `/${index}/_refresh`);
  return Number((await os(env, 'POST', `/${index}/_count`, { query })).count);
}

interface Setup {
  env: StackEnv;
  /** The stack's directory (DWH_STACK_DIR or .stack): its pid files. */
  stackDir: string;
  runner: typeof RunnerModule;
  secret: string;
  /** Signs every decision with an identity proof of its own (signature v2): one STS round trip each in the processor. */
  reviewer: Reviewer;
  sqs: SQSClient;
  sns: SNSClient;
}

interface Batch {
  stamp: string;
  runs: Array<Record<string, unknown> & { job_run_id: string }>;
  messages: DecisionMessage[];
}

type Mode = 'sqs' | 'handler' | 'handler-without-outcomes';

/** CPU seconds used while a mode ran; null where it could not be read. */
interface CpuSeconds {
  moto: number | null;
  opensearch: number | null;
  processor: number;
}

/** Reads the CPU time of moto, OpenSearch (by the stack's pid files) and this process. */
function cpuMeter(stackDir: string): () => CpuSeconds {
  const ticksOf = (pidFile: string): number | null => {
    try {
      const pid = readFileSync(join(stackDir, pidFile), 'utf8').trim();
      const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
    } catch {
      return null;
    }
  };
  const start = { moto: ticksOf('moto.pid'), opensearch: ticksOf('opensearch-java.pid'), processor: process.cpuUsage() };
  return () => {
    const since = (before: number | null, now: number | null) => (before === null || now === null ? null : round1(now - before));
    const own = process.cpuUsage(start.processor);
    return {
      moto: since(start.moto, ticksOf('moto.pid')),
      opensearch: since(start.opensearch, ticksOf('opensearch-java.pid')),
      processor: round1((own.user + own.system) / 1e6),
    };
  };
}

interface Result {
  mode: Mode;
  decisions: number;
  seconds: number;
  decisionsPerSecond: number;
  audits: number;
  recorded: number;
  approved: number;
  failed: number;
  batchP50Ms: number;
  batchP95Ms: number;
  /** CPU used meanwhile; `processor` includes this benchmark's own work in the process. */
  cpuSeconds: CpuSeconds;
}

/** N pending runs in job-events and N signed approvals of them. */
async function prepare({ env, secret, reviewer }: Setup, total: number, tag: string): Promise<Batch> {
  const stamp = `${tag}-${Date.now()}`;
  const runs = Array.from({ length: total }, (_, i) => {
    const runId = `${JOB}-${stamp}-${String(i).padStart(5, '0')}`;
    return {
      timestamp: new Date(Date.now() - 60 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: JOB,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: `${10 + (i % 50) / 10}%`, threshold: '10.0%' }],
      records_read: 100_000 + i,
      records_written: 88_000,
      records_dropped: 12_000 + i,
    };
  });
  await inBatches(runs, 500, 2, async (batch) => {
    await os(env, 'POST', '/job-events/_bulk', batch.map((r) => `${JSON.stringify({ index: { _id: r.job_run_id } })}\n${JSON.stringify(r)}\n`).join(''), true);
  });
  await os(env, 'POST', '/job-events/_refresh');
  const messages = await Promise.all(
    runs.map((run) =>
      decisionBy(
        reviewer,
        env,
        {
          jobName: JOB,
          jobRunId: run.job_run_id,
          decision: 'APPROVED',
          reason: 'Benchmark approval.',
          evidenceSha256: evidenceSha256(parseJobRun(run.job_run_id, run)),
        },
        secret,
      ),
    ),
  );
  return { stamp, runs, messages };
}

function envelope(message: DecisionMessage, topicArn: string): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: publishParameters(message, topicArn).Message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    MessageAttributes: { decision: { Type: 'String', Value: message.decision } },
  });
}

async function verify(env: StackEnv, batch: Batch): Promise<{ audits: number; recorded: number; approved: number }> {
  const ofBatch = { prefix: { job_run_id: `${JOB}-${batch.stamp}-` } };
  return {
    audits: await count(env, 'job-approvals', { bool: { filter: [ofBatch] } }),
    recorded: await count(env, 'job-approvals', { bool: { filter: [ofBatch, { term: { audit_status: 'recorded' } }] } }),
    approved: await count(env, 'job-events', { bool: { filter: [ofBatch, { term: { approval_status: 'APPROVED' } }] } }),
  };
}

async function cleanUp(env: StackEnv, batch: Batch): Promise<void> {
  const deleteAll = (index: string, ids: string[]) =>
    inBatches(ids, 1000, 1, async (some) => {
      await os(env, 'POST', `/${index}/_bulk`, some.map((id) => `${JSON.stringify({ delete: { _id: id } })}\n`).join(''), true);
    });
  await deleteAll('job-events', batch.runs.map((r) => r.job_run_id));
  await deleteAll('job-approvals', batch.messages.map((m) => m.decision_id));
  await os(env, 'POST', '/job-events,job-approvals/_refresh');
}

/** Closes the handler and reads back what the run left in the indices: the mode's result. */
async function finish(
  env: StackEnv,
  batch: Batch,
  handler: { close(): Promise<void> },
  run: { mode: Mode; decisions: number; seconds: number; failed: number; batchMs: number[]; cpuSeconds: CpuSeconds },
): Promise<{ result: Result; batch: Batch }> {
  await handler.close();
  const batchTimes = stats(run.batchMs);
  const counts = await verify(env, batch);
  return {
    batch,
    result: {
      mode: run.mode,
      decisions: run.decisions,
      seconds: run.seconds,
      decisionsPerSecond: round1(run.decisions / run.seconds),
      ...counts,
      failed: run.failed,
      batchP50Ms: batchTimes.median,
      batchP95Ms: batchTimes.p95,
      cpuSeconds: run.cpuSeconds,
    },
  };
}

async function handlerOf(setup: Setup, onError: () => void, withOutcomes = true) {
  const { createLambdaHandler } = setup.runner.loadProcessorHandler();
  const config = setup.runner.processorEnvironment(setup.env, {});
  if (!withOutcomes) delete config.OUTCOMES_TOPIC_ARN;
  const handler = createLambdaHandler({
    config,
    log: (line) => {
      if (line.level === 'error') onError();
    },
  });
  await handler.ready();
  return handler;
}

/** Through the real queue: enqueue everything, then drain with the runner's loop. */
async function sqsMode(setup: Setup, total: number, pollers: number, viaSns: boolean): Promise<{ result: Result; batch: Batch }> {
  const { env, sqs, sns, runner } = setup;
  const queueUrl = env.queueUrls.processor;
  const batch = await prepare(setup, total, 'sqs');
  const tQueue = Date.now();
  await inBatches(batch.messages, 10, 8, async (chunk) => {
    if (viaSns) {
      await sns.send(
        new PublishBatchCommand({ TopicArn: env.topicArn, PublishBatchRequestEntries: chunk.map((m, i) => ({ Id: String(i), ...publishParameters(m, env.topicArn) })) }),
      );
    } else {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, i) => ({ Id: String(i), MessageBody: envelope(m, env.topicArn) })) }));
    }
  });
  console.log(`[bench] sqs: queued ${total} decisions in ${((Date.now() - tQueue) / 1000).toFixed(1)} s (${viaSns ? 'SNS PublishBatch' : 'SQS SendMessageBatch'})`);
  let errors = 0;
  const handler = await handlerOf(setup, () => (errors += 1));
  const batchMs: number[] = [];
  const cpu = cpuMeter(setup.stackDir);
  const loop = await runner.runProcessorLoop({ env, handler, queueUrl, once: true, waitTimeSeconds: 2, pollers, onBatch: (b) => batchMs.push(b.ms) });
  const cpuSeconds = cpu();
  return finish(env, batch, handler, { mode: 'sqs', decisions: loop.deleted, seconds: loop.seconds, failed: loop.failed + errors, batchMs, cpuSeconds });
}

/** The handler fed SQS events of 10 records, `pollers` at once, as Lambda's event source does. */
async function handlerMode(setup: Setup, total: number, pollers: number, withOutcomes: boolean): Promise<{ result: Result; batch: Batch }> {
  const { env, runner } = setup;
  const batch = await prepare(setup, total, 'handler');
  let errors = 0;
  const handler = await handlerOf(setup, () => (errors += 1), withOutcomes);
  const events = [];
  for (let i = 0; i < batch.messages.length; i += 10) {
    const chunk = batch.messages.slice(i, i + 10);
    events.push({
      Records: chunk.map((m) =>
        runner.toSqsEventRecord(
          { MessageId: randomUUID(), ReceiptHandle: randomUUID(), Body: envelope(m, env.topicArn), Attributes: { ApproximateReceiveCount: '1' } },
          { queueArn: `arn:aws:sqs:${env.region}:123456789012:job-approvals-processor`, region: env.region },
        ),
      ),
    });
  }
  const batchMs: number[] = [];
  let failed = 0;
  const cpu = cpuMeter(setup.stackDir);
  const t0 = Date.now();
  await inBatches(events, 1, pollers, async ([event]) => {
    const t = Date.now();
    const response = await handler(event);
    failed += response?.batchItemFailures.length ?? 0;
    batchMs.push(Date.now() - t);
  });
  const seconds = (Date.now() - t0) / 1000;
  const cpuSeconds = cpu();
  const mode = withOutcomes ? 'handler' : 'handler-without-outcomes';
  return finish(env, batch, handler, { mode, decisions: total - failed, seconds, failed: failed + errors, batchMs, cpuSeconds });
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'both' },
      decisions: { type: 'string', default: '1000' },
      pollers: { type: 'string', default: '4' },
      'via-sns': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const total = Number(values.decisions);
  const pollers = Number(values.pollers);
  if (!Number.isInteger(total) || total <= 0 || !Number.isInteger(pollers) || pollers <= 0) throw new Error('--decisions and --pollers must be positive whole numbers');
  const modes: Mode[] | undefined = (
    { both: ['handler', 'sqs'], all: ['handler', 'handler-without-outcomes', 'sqs'], sqs: ['sqs'], handler: ['handler'], 'handler-without-outcomes': ['handler-without-outcomes'] } as Record<string, Mode[]>
  )[values.mode];
  if (!modes) throw new Error('--mode is both, all, sqs, handler or handler-without-outcomes');

  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // Plain ESM without declarations: typed here by StackModule.
  const stackModulePath = '../scripts/lib/stack/index.mjs';
  const loaded: unknown = await import(stackModulePath);
  const stack = loaded as StackModule;
  const runner: typeof RunnerModule = await import('../scripts/lib/processorRunner.mjs');
  const env = await stack.ensureStack();
  const secret = await stack.readSigningSecret(env);
  if (!secret) throw new Error('the stack has no signing secret');
  const credentials = env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' };
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  const clientConfig = { region: env.region, endpoint: env.awsEndpointUrl, credentials };
  const reviewer = await createReviewer(env, 'bench-reviewer');
  const stackDir = process.env.DWH_STACK_DIR?.trim() ? process.env.DWH_STACK_DIR.trim() : join(process.cwd(), '.stack');
  const setup: Setup = { env, stackDir, runner, secret, reviewer, sqs: new SQSClient(clientConfig), sns: new SNSClient(clientConfig) };
  const sharedQueue = runner.processorRunnerStatus().running;

  const results: Result[] = [];
  const batches: Batch[] = [];
  try {
    for (const mode of modes.filter((m) => m !== 'sqs')) {
      const { result, batch } = await handlerMode(setup, total, pollers, mode === 'handler');
      results.push(result);
      batches.push(batch);
    }
    if (modes.includes('sqs')) {
      if (sharedQueue) {
        console.log('[bench] note: a background processor runner is running and takes part of the queue; the sqs rate is the two together.');
      } else {
        // Left-over messages would be counted as ours.
        for (;;) {
          const { Messages } = await setup.sqs.send(new ReceiveMessageCommand({ QueueUrl: env.queueUrls.processor, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
          if (!Messages?.length) break;
          await setup.sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl: env.queueUrls.processor, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
          );
        }
      }
      const { result, batch } = await sqsMode(setup, total, pollers, values['via-sns']);
      results.push(result);
      batches.push(batch);
    }
  } finally {
    if (!values.keep) for (const batch of batches) await cleanUp(env, batch);
    // Each approval published an approval_outcome: empty the queues on the outcomes topic.
    for (const queueUrl of [env.queueUrls.downstream, env.queueUrls.outcomesTap]) {
      if (queueUrl) await setup.sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    }
    setup.sqs.destroy();
    setup.sns.destroy();
  }

  for (const r of results) {
    const cpu = (name: string, value: number | null) => `${name} ${value === null ? '?' : value.toFixed(1)} s`;
    console.log(
      `[bench] ${r.mode}: ${r.decisions} v2 decisions (an STS round trip${r.mode === 'handler-without-outcomes' ? '' : ' and an outcome publish'} each) in ${r.seconds.toFixed(2)} s = ${r.decisionsPerSecond} decisions/s ` +
        `(${pollers} at once; batch of 10 p50 ${r.batchP50Ms} ms, p95 ${r.batchP95Ms} ms; audits ${r.audits}, recorded ${r.recorded}, runs approved ${r.approved}, failed ${r.failed}); ` +
        `CPU meanwhile: ${cpu('moto', r.cpuSeconds.moto)}, ${cpu('OpenSearch', r.cpuSeconds.opensearch)}, ${cpu('processor', r.cpuSeconds.processor)}`,
    );
  }
  console.log(JSON.stringify({ bench: 'processorThroughput', total, pollers, results }));
  const wrong = results.filter((r) => r.audits !== total || r.recorded !== total || r.approved !== total || (r.failed > 0 && !(r.mode === 'sqs' && sharedQueue)));
  if (wrong.length > 0) {
    console.error(`[bench] FAILED: not every decision was recorded exactly once (${wrong.map((r) => r.mode).join(', ')})`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error('[bench] error:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
