// When a pending run stops waiting for a decision and how urgent it is (core/durations says
// how long ago it ran and how long it has left).

import { HOUR_MS, MINUTE_MS } from './durations';
import type { JobRun, Urgency } from './model';
import { parseTimestampMs } from './timestamp';

/** docs/CONTRACTS.md §2: a run without `expires_at` expires this long after its timestamp (a setting). */
export const DEFAULT_TTL_HOURS = 72;
export const URGENT_MS = 15 * MINUTE_MS;
const EXPIRING_MS = HOUR_MS;

/**
 * Expiry in ms since the epoch: `expires_at` when the document has a valid one, else
 * timestamp + ttlHours; null when neither is known. A ttl that is not a non-negative number
 * (a broken setting) falls back to the default rather than making every run overdue.
 */
export function expiryOf(run: Pick<JobRun, 'expiresAt' | 'timestampMs'>, ttlHours: number = DEFAULT_TTL_HOURS): number | null {
  const explicit = parseTimestampMs(run.expiresAt);
  if (explicit !== null) {
    return explicit;
  }
  if (run.timestampMs === null || !Number.isFinite(run.timestampMs)) {
    return null;
  }
  const ttl = Number.isFinite(ttlHours) && ttlHours >= 0 ? ttlHours : DEFAULT_TTL_HOURS;
  return run.timestampMs + ttl * HOUR_MS;
}

/**
 * overdue when the expiry has been reached (no time left); urgent when less than 15 minutes
 * are left; expiring when less than an hour; else normal. An unknown expiry is normal:
 * there is nothing to warn about that the views do not already say.
 */
export function urgencyOf(expiryMs: number | null, nowMs: number): Urgency {
  if (expiryMs === null) {
    return 'normal';
  }
  const left = expiryMs - nowMs;
  if (left <= 0) return 'overdue';
  if (left < URGENT_MS) return 'urgent';
  if (left < EXPIRING_MS) return 'expiring';
  return 'normal';
}

/**
 * Sort order "expiring soonest first": runs with no known expiry go last; equal expiries
 * are ordered by job_run_id, then document id, by UTF-16 code units so that the order does
 * not depend on the locale.
 */
export function compareByExpiry(a: JobRun, b: JobRun, ttlHours: number = DEFAULT_TTL_HOURS): number {
  const ea = expiryOf(a, ttlHours);
  const eb = expiryOf(b, ttlHours);
  if (ea !== eb) {
    if (ea === null) return 1;
    if (eb === null) return -1;
    return ea - eb;
  }
  return compareText(a.jobRunId, b.jobRunId) || compareText(a.documentId, b.documentId);
}

/**
 * `runs` sorted as compareByExpiry orders them, with each run's expiry worked out once
 * (comparing parses expires_at twice per comparison: most of sorting 10,000 runs).
 */
export function sortByExpiry(runs: readonly JobRun[], ttlHours: number = DEFAULT_TTL_HOURS): JobRun[] {
  return runs
    .map((run) => ({ run, expiry: expiryOf(run, ttlHours) }))
    .sort((a, b) => {
      if (a.expiry !== b.expiry) {
        if (a.expiry === null) return 1;
        if (b.expiry === null) return -1;
        return a.expiry - b.expiry;
      }
      return compareText(a.run.jobRunId, b.run.jobRunId) || compareText(a.run.documentId, b.run.documentId);
    })
    .map((entry) => entry.run);
}

/** By UTF-16 code units, so that an order does not depend on the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
