// The local stack is shared: another engineer's tests may reseed it while a benchmark runs.
// Each benchmark checks that the index still holds what its seed put there, before and after
// measuring, so no figure silently measures someone else's data. A benchmark that finds the
// stack changed exits with EXIT_STACK_CHANGED; scripts/bench.mjs then reseeds and retries.
import { pendingSummaryQuery, readPendingSummary } from '../../src/core/pendingQuery';
import type { SeedManifest, StackEnv } from '../../test/support/localStack';

export const EXIT_STACK_CHANGED = 75;

export class StackChangedError extends Error {
  override readonly name = 'StackChangedError';
}

export async function assertSeedIntact(env: StackEnv, manifest: SeedManifest, when: string, index = 'job-events'): Promise<void> {
  const count = (await (await fetch(`${env.opensearchUrl}/${index}/_count`)).json()) as { count?: number };
  const response: unknown = await (
    await fetch(`${env.opensearchUrl}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pendingSummaryQuery()) })
  ).json();
  const summary = readPendingSummary(response);
  const documents = manifest.documentCount;
  if (summary.runs !== manifest.pendingCount || (typeof documents === 'number' && count.count !== documents)) {
    throw new StackChangedError(
      `the local stack changed ${when}: ${index} holds ${count.count} documents and ${summary.runs} pending runs, ` +
        `the benchmark's seed put ${String(documents)} and ${manifest.pendingCount} there (another run reseeded it?)`,
    );
  }
}

/**
 * For a benchmark's top-level catch: a failure while the stack no longer holds the seed is
 * reported as the stack having changed (exit EXIT_STACK_CHANGED), not as a wrong answer.
 */
export async function exitCodeFor(error: unknown, recheck: (() => Promise<void>) | undefined): Promise<{ code: number; message: string }> {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (error instanceof StackChangedError) return { code: EXIT_STACK_CHANGED, message: error.message };
  if (recheck) {
    try {
      await recheck();
    } catch (changed) {
      if (changed instanceof StackChangedError) return { code: EXIT_STACK_CHANGED, message: `${changed.message}\n(while: ${message})` };
    }
  }
  return { code: 1, message };
}
