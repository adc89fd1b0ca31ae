// Retrying calls that failed for a passing reason (throttling, a timeout) with exponential
// backoff and full jitter, so that many clients retrying at once spread out instead of
// hitting the service together again.

export interface RetryOptions {
  /** Tries in all, the first included; at least 1. */
  attempts: number;
  /** Whether a failure is worth another try (e.g. classifyFailure(e).retryable). */
  isRetryable: (error: unknown) => boolean;
  /** Waits `ms`; tests pass a fake. Defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  baseMs?: number;
  maxMs?: number;
  /** A number in [0, 1); defaults to Math.random. */
  random?: () => number;
  /** Told before each wait, e.g. to log it. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const DEFAULT_BASE_MS = 200;
const DEFAULT_MAX_MS = 5000;

/**
 * The waits before tries 2…attempts: for retry i (from 0) a whole number of ms drawn
 * uniformly from [0, min(maxMs, baseMs·2^i)) — "full jitter".
 */
export function retryDelays(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number[] {
  const count = Math.max(0, Math.floor(attempts) - 1);
  const delays: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const ceiling = Math.max(0, Math.min(maxMs, baseMs * 2 ** i));
    const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
    delays.push(Math.floor(r * ceiling));
  }
  return delays;
}

/**
 * Calls `fn` (given the 1-based try number) until it succeeds, a failure is not retryable,
 * or the tries run out; then rethrows the last failure unchanged.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = Math.max(1, Math.floor(options.attempts));
  const sleep = options.sleep ?? defaultSleep;
  const delays = retryDelays(attempts, options.baseMs ?? DEFAULT_BASE_MS, options.maxMs ?? DEFAULT_MAX_MS, options.random);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      const delay = delays[attempt - 1];
      if (delay === undefined || !options.isRetryable(error)) {
        throw error;
      }
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
