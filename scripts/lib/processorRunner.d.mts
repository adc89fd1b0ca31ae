// Types of processorRunner.mjs, for the TypeScript tests and benches that import it.
import type { StackEnv } from './localProfile.mjs';

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export type LambdaHandler = (event: unknown, context?: { getRemainingTimeInMillis?: () => number }) => Promise<SqsBatchResponse | undefined>;

export interface LoopStats {
  batches: number;
  received: number;
  deleted: number;
  failed: number;
  seconds: number;
}

export interface LoopOptions {
  env: StackEnv;
  handler: LambdaHandler;
  queueUrl?: string;
  once?: boolean;
  waitTimeSeconds?: number;
  maxMessages?: number;
  pollers?: number;
  retryDelaySeconds?: number;
  signal?: AbortSignal;
  onBatch?: (batch: { size: number; failed: number; ms: number }) => void;
}

export interface StartOptions {
  /** The approval policy (object or JSON text), e.g. { jobs: { load_orders: { quorum: 2 } } }. */
  policy?: unknown;
  freshnessMinutes?: number;
  pollers?: number;
  /** The expiry sweep every this many seconds; default 0: no sweep (the demo's runner sweeps every minute). */
  sweepSeconds?: number;
  extraEnv?: Record<string, string>;
  /** Stop a running runner first (otherwise it is kept and reported as alreadyRunning, unless it runs an older bundle). */
  restart?: boolean;
  readyTimeoutMs?: number;
}

export interface RunnerProcess {
  pid: number | null;
  logFile: string;
  pidFile: string;
  alreadyRunning: boolean;
  /** A runner of an older bundle (other sources) was running and was replaced. */
  restartedStale: boolean;
}

export function runnerFiles(): { pidFile: string; logFile: string; bundleFile: string };
export function processorEnvironment(env: StackEnv, base?: Record<string, string | undefined>): Record<string, string>;
/** Builds dist/processor.js from the current sources; its SHA-256. */
export function buildProcessorBundle(): string;
export function bundleSha256(): string | null;
export function loadProcessorHandler(): {
  /** SHA-256 of the bundle loaded, built from the current sources just before. */
  bundleSha256: string;
  handler: LambdaHandler;
  createLambdaHandler: (options?: { config?: Record<string, string | undefined>; log?: (line: Record<string, unknown>) => void }) => LambdaHandler & {
    ready: () => Promise<void>;
    close: () => Promise<void>;
  };
};
export function toSqsEventRecord(message: unknown, where: { queueArn: string; region: string }): Record<string, unknown>;
export function runProcessorLoop(options: LoopOptions): Promise<LoopStats>;
/** The event the template's schedule rule sends. */
export const EXPIRY_SWEEP_EVENT: Readonly<{ action: 'expiry-sweep' }>;
/** Invokes the handler with the sweep event every `everySeconds` until `signal` aborts; resolves the sweeps run. */
export function runExpirySweeps(options: { handler: (event: unknown) => Promise<unknown>; everySeconds?: number; signal?: AbortSignal }): Promise<number>;
export function processorRunnerStatus(): { running: boolean; pid: number | null; pidFile: string; logFile: string; bundleFile: string; bundleSha256: string | null };
export function startProcessorRunner(env?: StackEnv, options?: StartOptions): Promise<RunnerProcess>;
export function stopProcessorRunner(): Promise<{ stopped: boolean; pid: number | null }>;
