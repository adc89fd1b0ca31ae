// How every surface says a span of time: a duration ("3h 12m"), an age ("5h ago"), the time a
// run has left ("3h 12m left"), a run's duration in seconds ("2m 30s"). One module, one set
// of units, so the tree, the panel, the CLI and the emails say the same thing the same way.

const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const UNITS: ReadonlyArray<readonly [number, string]> = [[DAY_MS, 'd'], [HOUR_MS, 'h'], [MINUTE_MS, 'm'], [SECOND_MS, 's']];

/** A non-negative span in its `count` largest units down to `smallestMs`, rounded down; a zero second unit is left out. */
function largestUnits(span: number, smallestMs: number, count: number): string {
  const parts: string[] = [];
  let rest = span;
  for (const [unitMs, suffix] of UNITS) {
    if (unitMs < smallestMs || parts.length === count) break;
    const amount = Math.floor(rest / unitMs);
    rest -= amount * unitMs;
    if (parts.length > 0 || amount > 0) parts.push(amount > 0 ? `${amount}${suffix}` : '');
  }
  return parts.filter(Boolean).join(' ');
}

/**
 * A span in its two largest units, rounded down: "2d 4h", "3h 12m", "14m", "<1m" for less
 * than a minute and "0m" for nothing. The sign is ignored; callers say "ago", "left" or "overdue by".
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const span = Math.abs(ms);
  if (span === 0) return '0m';
  return span < MINUTE_MS ? '<1m' : largestUnits(span, MINUTE_MS, 2);
}

/** Seconds as "42s", "3m 12s", "1h 4m", "2d 3h"; "<1s" below a second; the sign is kept. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const sign = seconds < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(seconds));
  if (seconds === 0) return '0s';
  return sign + (whole === 0 ? '<1s' : largestUnits(whole * SECOND_MS, SECOND_MS, 2));
}

/** Clocks disagree by a little; a timestamp this far ahead is still "just now". */
const CLOCK_SKEW_MS = 2 * MINUTE_MS;

/**
 * "3h 12m ago" (`units` 2, the details page) or "3h ago" (`units` 1, a tree row or the CLI,
 * so the row moves at most once a minute in the first hour, then hourly); "just now", "in the
 * future" (a clock is wrong), or "unknown age".
 */
export function formatAge(timestampMs: number | null, nowMs: number, units: 1 | 2 = 2): string {
  if (timestampMs === null || !Number.isFinite(timestampMs)) return 'unknown age';
  const age = nowMs - timestampMs;
  if (age < -CLOCK_SKEW_MS) return 'in the future';
  if (age < MINUTE_MS) return 'just now';
  return `${largestUnits(age, MINUTE_MS, units)} ago`;
}

/** "3h 12m left", "overdue by 14m", or "no expiry" when it is unknown. */
export function formatTimeLeft(expiryMs: number | null, nowMs: number): string {
  if (expiryMs === null || !Number.isFinite(expiryMs)) return 'no expiry';
  const left = expiryMs - nowMs;
  return left > 0 ? `${formatDuration(left)} left` : `overdue by ${formatDuration(left)}`;
}
