// How today's failing checks compare with the same job's earlier runs, so the reviewer can
// see at a glance whether today's value is unusual ("12.0% is the highest of the last 20
// runs; median 2.1%").
//
// Only runs up to the one shown count as earlier: a reviewer looking at an older run must not
// see the job's later runs ranked as its past. The series is chronological: oldest first, the
// run shown last.
//
// Earlier values are brought to today's unit with the rules of checkFormat.ts, each in the
// context of its own threshold (or today's, when it has none), so a history mixing 0.021,
// "2.1%" and 2.1 reads as one series. A value in a unit that cannot be matched (percent
// beside today's plain number) is left out rather than guessed.

import { failingChecks, formatNumber, formatPercent, readCheck, toPercentPoints } from './checkFormat';
import type { JobRun, QualityCheck } from './model';
import { collapseNewestPerRun } from './pendingQuery';

export interface HistoryPoint {
  jobRunId: string;
  timestampMs: number | null;
  /** In the unit of today's value; null when the run has no comparable value. */
  value: number | null;
  status: string | null;
  isToday: boolean;
}

export interface CheckHistory {
  checkName: string;
  /** True when values are percent points. */
  isPercent: boolean;
  today: number | null;
  /** Earlier runs oldest → newest, then today's run. */
  series: HistoryPoint[];
  /** Earlier runs that have a comparable value. */
  comparedRuns: number;
  /** Median of those earlier values. */
  median: number | null;
  sentence: string;
}

/** One CheckHistory per failing check of `today` (failed first, then warnings). */
export function checkHistories(today: JobRun, history: readonly JobRun[]): CheckHistory[] {
  return failingChecks(today).map((check) => checkHistory(today, check, history));
}

/** How `check` of `today` compares with the same-named check in the earlier `history` runs. */
export function checkHistory(today: JobRun, check: QualityCheck, history: readonly JobRun[]): CheckHistory {
  const reading = readCheck(check);
  const { earlier } = splitAround(today, history);
  const pointOf = (run: JobRun): HistoryPoint => ({
    jobRunId: run.jobRunId,
    timestampMs: run.timestampMs,
    value: valueInRun(run, check),
    status: run.qualityChecks.find((c) => c.name === check.name)?.status ?? null,
    isToday: false,
  });
  const series = earlier.map(pointOf);
  const others = series.map((point) => point.value).filter((v): v is number => v !== null);
  series.push({ jobRunId: today.jobRunId, timestampMs: today.timestampMs, value: reading.value, status: check.status, isToday: true });

  const format = (n: number): string => (reading.isPercent ? formatPercent(n) : formatNumber(n));
  const median = medianOf(others);
  return {
    checkName: check.name,
    isPercent: reading.isPercent,
    today: reading.value,
    series,
    comparedRuns: others.length,
    median,
    sentence: sentenceFor(check.name, reading.value, others, earlier.length, today.jobName, format),
  };
}

/**
 * The other runs of `history` (one per run id, `today`'s own left out), split at today's
 * time and each part sorted oldest → newest. A run at the same time as today's counts as
 * earlier. When today's time is unknown every run is earlier, as nothing says otherwise; when
 * it is known, a run without a time is left out, as it cannot be placed before or after.
 */
function splitAround(today: Pick<JobRun, 'jobRunId' | 'timestampMs'>, history: readonly JobRun[]): { earlier: JobRun[]; later: JobRun[] } {
  const others = collapseNewestPerRun(history.filter((run) => run.jobRunId !== today.jobRunId)).sort(chronologically);
  const at = today.timestampMs;
  if (at === null) return { earlier: others, later: [] };
  return {
    earlier: others.filter((run) => run.timestampMs !== null && run.timestampMs <= at),
    later: others.filter((run) => run.timestampMs !== null && run.timestampMs > at),
  };
}

function chronologically(a: JobRun, b: JobRun): number {
  const byTime = (a.timestampMs ?? Number.NEGATIVE_INFINITY) - (b.timestampMs ?? Number.NEGATIVE_INFINITY);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return a.jobRunId < b.jobRunId ? -1 : a.jobRunId > b.jobRunId ? 1 : 0;
}

/**
 * The value of the check named like `todayCheck` in another run, in the unit of today's
 * value; null when that run lacks the check, its value, or a comparable unit.
 */
export function valueInRun(run: JobRun, todayCheck: QualityCheck): number | null {
  const past = run.qualityChecks.find((c) => c.name === todayCheck.name);
  if (past === undefined) return null;
  const reading = readCheck(todayCheck);
  return valueInUnitOf(past, todayCheck, reading.isPercent, reading.value);
}

function valueInUnitOf(past: QualityCheck, todayCheck: QualityCheck, todayIsPercent: boolean, todayValue: number | null): number | null {
  const reading = readCheck({ ...past, threshold: past.threshold ?? todayCheck.threshold });
  if (reading.value === null) {
    return null;
  }
  if (todayIsPercent) {
    return reading.isPercent ? reading.value : toPercentPoints(reading.value, todayValue);
  }
  return reading.isPercent ? null : reading.value;
}

function sentenceFor(
  name: string,
  value: number | null,
  others: readonly number[],
  earlierRuns: number,
  jobName: string,
  format: (n: number) => string,
): string {
  if (value === null) {
    return `${name} has no value in this run to compare with earlier runs.`;
  }
  if (earlierRuns === 0) {
    return `No earlier runs of ${jobName} to compare ${name} with.`;
  }
  if (others.length === 0) {
    return `None of the ${earlierRuns} earlier ${plural(earlierRuns, 'run')} has a value of ${name} to compare with.`;
  }
  const v = format(value);
  const total = others.length + 1;
  const lastRuns = `the last ${total} runs`;
  const greater = others.filter((o) => o > value).length;
  const less = others.filter((o) => o < value).length;
  const equal = others.length - greater - less;
  const median = `; median ${format(medianOf(others) ?? value)}.`;

  if (greater === 0 && less === 0) {
    return `${v} is the same as in each of the previous ${others.length} ${plural(others.length, 'run')}.`;
  }
  if (greater === 0) {
    return `${v} ${equal === 0 ? 'is the highest' : 'equals the highest'} of ${lastRuns}${median}`;
  }
  if (less === 0) {
    return `${v} ${equal === 0 ? 'is the lowest' : 'equals the lowest'} of ${lastRuns}${median}`;
  }
  // Ranks say little among a handful of runs; "2nd highest of 3" is just "in the middle".
  if (total >= 5 && greater < 3) {
    return `${v} is the ${ordinal(greater + 1)} highest of ${lastRuns}${median}`;
  }
  if (total >= 5 && less < 3) {
    return `${v} is the ${ordinal(less + 1)} lowest of ${lastRuns}${median}`;
  }
  const low = format(Math.min(...others));
  const high = format(Math.max(...others));
  return `${v} is within the usual range of ${lastRuns} (${low} to ${high})${median}`;
}

/** The median of `values`; null when there are none. */
export function medianOf(values: readonly number[]): number | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? upper) + upper) / 2;
}

function ordinal(n: number): string {
  return n === 1 ? '1st' : n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
