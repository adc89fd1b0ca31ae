// The local stack is shared: another engineer's tests may reseed it while a benchmark runs.
// Each benchmark checks that the index still holds what its seed put there, before and after
// measuring, so no figure silently measures someone else's data. A benchmark that finds the
// stack changed exits with EXIT_STACK_CHANGED; bench/run.mjs then reseeds and retries.
import { pendingSummaryQuery, readPendingSummary } from '../../src/core/pendingQuery';
import type { SeedManifest, StackEnv } from '../../test/support/localStack';

export const EXIT_STACK_CHANGED = 75;

export class StackChangedError extends Error {
  override readonly name = 'StackChangedError';
}

/**
 * Exact figures only: the document count, and the pending documents (hits.total with
 * track_total_hits), which are the seed's pending runs plus the second document of its one
 * run with two. Not the summary's run count: that is a cardinality aggregation, which is
 * approximate (10,001 for 10,000 seeded runs has been seen).
 */
export async function assertSeedIntact(env: StackEnv, manifest: SeedManifest, when: string, index = 'job-events'): Promise<void> {
  const count = (await (await fetch(`${env.opensearchUrl}/${index}/_count`)).json()) as { count?: number };
  const response: unknown = await (
    await fetch(`${env.opensearchUrl}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pendingSummaryQuery()) })
  ).json();
  const pendingDocuments = readPendingSummary(response).documents;
  const duplicates = Array.isArray(manifest.duplicateRunIds) ? manifest.duplicateRunIds.length : 0;
  const expectedPendingDocuments = manifest.pendingCount + duplicates;
  const documents = manifest.documentCount;
  if (pendingDocuments !== expectedPendingDocuments || (typeof documents === 'number' && count.count !== documents)) {
    throw new StackChangedError(
      `the local stack changed ${when}: ${index} holds ${count.count} documents, ${pendingDocuments} of them pending; ` +
        `the benchmark's seed put ${String(documents)} there, ${expectedPendingDocuments} pending (another run reseeded it?)`,
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
