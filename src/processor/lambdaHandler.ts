// The approval processor as an AWS Lambda function (bundled to dist/processor.js; handler
// `processor.handler`), subscribed to job_approvals directly (SNS event) or through an SQS
// queue (SQS event with ReportBatchItemFailures). Configuration: see processorConfig.ts.
//
// Per record: invalid decisions are audited and acknowledged, and so are permanent failures
// (OpenSearch refusing a document for good); a record that failed for a passing reason
// (OpenSearch, SSM or STS unreachable, throttling, too many version conflicts) is reported in
// batchItemFailures (SQS), so that only it is delivered again; for SNS the invocation
// fails, and Lambda's retries of asynchronous invocations deliver it again. Records of a
// batch are processed PROCESSOR_CONCURRENCY at once, so their STS round trips overlap, and
// their OpenSearch reads and writes go out together, one request per step for the batch
// (DecisionProcessor.processBatch); records naming the same run are taken in the order sent.
// A scheduled event (EventBridge rate rule, input {"action": "expiry-sweep"}) runs the
// expiry sweep instead (core/expirySweep.ts): one log line per run it expired or announced.
import type { DecisionOutcome, DecisionProcessor } from '../core/decisionProcessor';
import { isExpirySweepEvent, type SweepReport } from '../core/expirySweep';
import { readDecisionEvent, type DecisionRecord } from './eventRecords';
import { errorLogText, readProcessorConfig, type Environment, type ProcessorConfig } from './processorConfig';
import { createProcessorRuntime, type ProcessorRuntime } from './processorRuntime';

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface LambdaContextLike {
  getRemainingTimeInMillis?: () => number;
}

export type LogLine = Record<string, string | number | boolean | null>;
export type Logger = (line: LogLine) => void;

export type DecisionHandler = (event: unknown, context?: LambdaContextLike) => Promise<SqsBatchResponse | undefined>;

export interface HandlerOptions {
  /** The configuration, or the environment to read it from; default process.env at first use. */
  config?: ProcessorConfig | Environment;
  /** One line per decision; defaults to JSON lines on stdout. Never given the secret. */
  log?: Logger;
  /** The processor's clock; default Date.now (tests move it to show what time changes). */
  now?: () => number;
}

/** Records are not started when less than this is left of the invocation: they are retried instead. */
const TIME_RESERVE_MS = 3_000;

const jsonLog: Logger = (line) => console.log(JSON.stringify(line));

/**
 * A handler with its own cold-start state: the runtime (secret, clients, policy) is built at
 * the first invocation and kept; a failed start is not kept, so the next invocation tries again.
 */
export function createLambdaHandler(options: HandlerOptions = {}): DecisionHandler & { ready(): Promise<void>; close(): Promise<void> } {
  const log = options.log ?? jsonLog;
  let runtime: Promise<ProcessorRuntime> | undefined;
  const start = (): Promise<ProcessorRuntime> => {
    runtime ??= (async () => {
      const given = options.config;
      const config = isConfig(given) ? given : readProcessorConfig(given ?? process.env);
      const started = await createProcessorRuntime(config, options.now ? { now: options.now } : {});
      log({
        level: 'info',
        msg: 'processor started',
        opensearch: started.opensearchEndpoint,
        sts: started.stsEndpoint,
        events_index: config.eventsIndex,
        approvals_index: config.approvalsIndex,
        freshness_minutes: config.freshnessMinutes,
        accept_signature_v1: config.acceptSignatureV1,
        secret_rotation_grace_minutes: config.secretRotationGraceMinutes,
        outcomes_topic: config.outcomesTopicArn,
        policy: JSON.stringify(started.policy),
      });
      if (!config.outcomesTopicArn) log({ level: 'warn', msg: 'OUTCOMES_TOPIC_ARN is not set: effective outcomes are not published' });
      return started;
    })();
    runtime.catch(() => {
      runtime = undefined;
    });
    return runtime;
  };

  const handle = async (event: unknown, context?: LambdaContextLike): Promise<SqsBatchResponse | undefined> => {
    if (isExpirySweepEvent(event)) {
      const started = Date.now();
      const report = await (await start()).expirySweep.sweep();
      for (const line of sweepLines(report)) log(line);
      log({ level: 'info', msg: 'expiry sweep', candidates: report.candidates, ms: Date.now() - started });
      return undefined;
    }
    const decisionEvent = readDecisionEvent(event);
    let ready: ProcessorRuntime;
    try {
      ready = await start();
    } catch (error) {
      log({ level: 'error', msg: 'processor could not start', error: errorLogText(error) });
      if (decisionEvent.kind === 'sqs') return { batchItemFailures: decisionEvent.records.map((r) => ({ itemIdentifier: r.id })) };
      throw error;
    }
    const failed = await processRecords(decisionEvent.records, ready.processor, {
      concurrency: decisionEvent.fifo ? 1 : ready.config.concurrency,
      stopAtFirstFailure: decisionEvent.fifo,
      log,
      remainingMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis?.() ?? Infinity : () => Infinity,
    });
    if (decisionEvent.kind === 'sqs') return { batchItemFailures: failed.map((id) => ({ itemIdentifier: id })) };
    if (failed.length > 0) throw new Error(`${failed.length} of ${decisionEvent.records.length} decision(s) could not be processed; the invocation will be retried.`);
    return undefined;
  };

  return Object.assign(handle, {
    /** Does the cold start now (secret, endpoint, policy); rejects when it fails. */
    ready: async (): Promise<void> => {
      await start();
    },
    close: async (): Promise<void> => {
      const current = runtime;
      runtime = undefined;
      if (current) await (await current.catch(() => null))?.close();
    },
  });
}

/** The Lambda entry point: configuration from the function's environment. */
export const handler: DecisionHandler = createLambdaHandler();

interface ProcessOptions {
  concurrency: number;
  /** FIFO: after a failure, the records behind it in the batch are failed too, to keep the order. */
  stopAtFirstFailure: boolean;
  log: Logger;
  remainingMs: () => number;
}

/** Processes the records as one batch; returns the ids of those to deliver again, in batch order. */
async function processRecords(records: readonly DecisionRecord[], processor: DecisionProcessor, options: ProcessOptions): Promise<string[]> {
  const results = await processor.processBatch(
    records.map((record) => ({ body: record.body, context: { sentAtMs: record.sentAtMs } })),
    {
      concurrency: options.concurrency,
      stopAtFirstFailure: options.stopAtFirstFailure,
      canStart: () => options.remainingMs() >= TIME_RESERVE_MS,
      onResult: (index, result) => {
        const record = records[index] as DecisionRecord;
        if (result.ok) options.log(outcomeLine(record, result.outcome, result.ms));
        else if (result.started) {
          options.log({ level: 'error', msg: 'decision failed; it will be retried', message_id: record.id, error: errorLogText(result.error), ms: result.ms });
        }
      },
    },
  );
  return records.filter((_, index) => results[index]?.ok !== true).map((record) => record.id);
}

function outcomeLine(record: DecisionRecord, outcome: DecisionOutcome, ms: number): LogLine {
  return {
    level: outcome.status === 'invalid' ? 'warn' : 'info',
    msg: 'decision',
    message_id: record.id,
    shape: record.shape,
    decision_id: outcome.decisionId,
    audit_id: outcome.auditId,
    job_run_id: outcome.jobRunId,
    decision: outcome.decision,
    decided_by: outcome.decidedBy,
    audit_status: outcome.status,
    audit_code: outcome.code,
    detail: outcome.detail,
    replay: outcome.replay,
    resumed: outcome.resumed,
    run_updated: outcome.runUpdated,
    outcome_published: outcome.outcomePublished,
    ms,
  };
}

function sweepLines(report: SweepReport): LogLine[] {
  return report.results
    .filter((result) => result.kind !== 'skipped')
    .map((result) => ({
      level: 'info',
      msg: result.kind === 'announced' ? 'run expiring' : 'run expired',
      job_run_id: result.jobRunId,
      result: result.kind,
      ...(result.kind === 'expired' ? { approval_status: result.status, audit_id: result.auditId, outcome_published: result.outcomePublished } : {}),
      ...(result.kind === 'superseded' ? { audit_id: result.auditId, detail: result.detail } : {}),
      ...(result.kind === 'announced' ? { announcement_id: result.announcementId } : {}),
    }));
}

function isConfig(value: ProcessorConfig | Environment | undefined): value is ProcessorConfig {
  return typeof value === 'object' && value !== null && 'signingSecretParameter' in value && 'freshnessMinutes' in value;
}
