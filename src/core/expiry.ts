// When a pending run stops waiting for a decision, how urgent it is, and how the views say
// how long ago it ran and how long it has left.

import type { JobRun, Urgency } from './model';
import { parseTimestampMs } from './timestamp';

/** docs/CONTRACTS.md §2: a run without `expires_at` expires this long after its timestamp (a setting). */
export const DEFAULT_TTL_HOURS = 72;
export const URGENT_MS = 15 * 60_000;
export const EXPIRING_MS = 60 * 60_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

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
  return run.timestampMs + ttl * HOUR;
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
 * A span in its two largest units, rounded down: "2d 4h", "3h 12m", "14m", "<1m" for less
 * than a minute and "0m" for nothing. A zero second unit is left out ("2d", "3h"). The sign
 * is ignored; callers say "ago", "left" or "overdue by".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) {
    return '?';
  }
  const span = Math.abs(ms);
  if (span === 0) return '0m';
  if (span < MINUTE) return '<1m';
  const days = Math.floor(span / DAY);
  const hours = Math.floor((span % DAY) / HOUR);
  const minutes = Math.floor((span % HOUR) / MINUTE);
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return `${minutes}m`;
}

/** Clocks disagree by a little; a timestamp this far ahead is still "just now". */
const CLOCK_SKEW_MS = 2 * MINUTE;

/** "3h 12m ago", "just now", "in the future" (a clock is wrong), or "unknown age". */
export function formatAge(timestampMs: number | null, nowMs: number): string {
  if (timestampMs === null || !Number.isFinite(timestampMs)) {
    return 'unknown age';
  }
  const age = nowMs - timestampMs;
  if (age < -CLOCK_SKEW_MS) return 'in the future';
  if (age < MINUTE) return 'just now';
  return `${formatDuration(age)} ago`;
}

/** "3h 12m left", "overdue by 14m", or "no expiry" when it is unknown. */
export function formatTimeLeft(expiryMs: number | null, nowMs: number): string {
  if (expiryMs === null || !Number.isFinite(expiryMs)) {
    return 'no expiry';
  }
  const left = expiryMs - nowMs;
  return left > 0 ? `${formatDuration(left)} left` : `overdue by ${formatDuration(left)}`;
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

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
