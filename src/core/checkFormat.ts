// Reading and showing quality checks: a check's value against its threshold in one line
// ("drop_rate 12.0% > 10.0%"), and which checks failed, worst first.
//
// Units. Jobs write rates as fractions (0.12), as percent text ("12.0%") or as percent
// points (12), and a check may mix them ("value": 0.12, "threshold": "10%"). To compare,
// both sides are brought to one unit by these rules, in order:
//  1. Both sides percent text ("12%", "10.0%"): compared as written.
//  2. One side percent text, the other a bare number x:
//     - |x| > 1 cannot be a fraction of a rate, so x is percent points (12 vs "10%" → 12%).
//     - otherwise x is read either as a fraction (x·100 %) or as points (x %), whichever is
//       nearer in magnitude (on a log scale) to the percent side, because thresholds are set
//       near the values they guard: 0.12 vs "10%" → 12%; 0.5 vs "0.8%" → 0.5%. An exact tie
//       or a zero side reads x as a fraction, the usual way jobs compute rates.
//  3. Both bare numbers, the check named *_pct / *_percent / *_percentage: percent points.
//  4. Both bare numbers with |x| ≤ 1, the check named *_rate / *_ratio: fractions, shown as
//     percent (0.12 vs 0.1 → 12.0% > 10.0%).
//  5. Anything else: plain numbers, compared and shown as they are.
// Percent text keeps its own spelling ("12%" stays "12%") unless it has more than two decimals;
// converted numbers get one decimal, or two when they have them ("12.0%", "1.44%"), and two
// significant digits below 0.1% ("0.012%").

import type { CheckValue, JobRun, QualityCheck } from './model';

export interface ParsedCheckValue {
  /** The number written, in its own unit (12 for "12%", 0.12 for 0.12); null if none. */
  numeric: number | null;
  /** True when the value was written as percent text ("12%"). */
  isPercent: boolean;
  /** What to show for the value as written. */
  text: string;
}

/** A check's two sides brought to one unit, with the sign between them. */
export interface CheckReading {
  value: number | null;
  threshold: number | null;
  /** True when `value` and `threshold` are percent points. */
  isPercent: boolean;
  valueText: string;
  thresholdText: string;
  /** How the value compares with the threshold; null when either is not a number. */
  sign: '>' | '<' | '=' | null;
}

export type CheckSeverity = 'fail' | 'warn' | 'pass' | 'unknown';

/** Shown for a missing value or threshold. */
const NO_VALUE_TEXT = 'no value';

const FAIL_STATUSES = new Set(['FAIL', 'FAILED', 'RED', 'ERROR', 'CRITICAL']);
const WARN_STATUSES = new Set(['WARN', 'WARNING', 'YELLOW']);
const PASS_STATUSES = new Set(['PASS', 'PASSED', 'OK', 'GREEN', 'SUCCESS']);

const PERCENT_TEXT = /^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?)\s*%$/;
const GROUPED = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const PLAIN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const POINTS_NAME = /_(pct|percent|percentage)$/i;
const FRACTION_NAME = /_(rate|ratio)$/i;

const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

/** Reads "12.0%", "12%", 0.12, "0.12", "1,000" or "n/a" without judging the unit. */
export function parseCheckValue(value: CheckValue | undefined): ParsedCheckValue {
  if (value === null || value === undefined) {
    return { numeric: null, isPercent: false, text: NO_VALUE_TEXT };
  }
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { numeric: value, isPercent: false, text: formatNumber(value) }
      : { numeric: null, isPercent: false, text: String(value) };
  }
  const text = String(value).trim();
  const percent = PERCENT_TEXT.exec(text);
  if (percent?.[1] !== undefined && /\d/.test(percent[1])) {
    const numeric = Number(percent[1].replace(/,/g, ''));
    // Kept as written ("12%", "12.0%") unless it has more decimals than the page shows.
    return { numeric, isPercent: true, text: /\.\d{3}/.test(percent[1]) ? formatPercent(numeric) : text };
  }
  if (GROUPED.test(text) || PLAIN.test(text)) {
    const n = Number(text.replace(/,/g, ''));
    if (Number.isFinite(n)) {
      return { numeric: n, isPercent: false, text };
    }
  }
  return { numeric: null, isPercent: false, text: text === '' ? NO_VALUE_TEXT : text };
}

/** Brings the value and threshold of `check` to one unit (rules at the top of this file). */
export function readCheck(check: QualityCheck): CheckReading {
  const v = parseCheckValue(check.value);
  const t = parseCheckValue(check.threshold);
  let value = v.numeric;
  let threshold = t.numeric;
  let isPercent = v.isPercent || t.isPercent;
  let valueText = v.text;
  let thresholdText = t.text;

  if (v.isPercent && !t.isPercent && threshold !== null) {
    threshold = toPercentPoints(threshold, value);
    thresholdText = formatPercent(threshold);
  } else if (t.isPercent && !v.isPercent && value !== null) {
    value = toPercentPoints(value, threshold);
    valueText = formatPercent(value);
  } else if (!v.isPercent && !t.isPercent) {
    const bare = [value, threshold].filter((n): n is number => n !== null);
    if (bare.length > 0 && POINTS_NAME.test(check.name)) {
      isPercent = true;
    } else if (bare.length > 0 && FRACTION_NAME.test(check.name) && bare.every((n) => Math.abs(n) <= 1)) {
      isPercent = true;
      value = value === null ? null : scale100(value);
      threshold = threshold === null ? null : scale100(threshold);
    }
    if (isPercent) {
      valueText = value === null ? v.text : formatPercent(value);
      thresholdText = threshold === null ? t.text : formatPercent(threshold);
    }
  }
  return { value, threshold, isPercent, valueText, thresholdText, sign: signOf(value, threshold) };
}

/**
 * Rule 2 for one bare number `x` beside a percent `reference` (points): x as percent points.
 * With no usable reference a small x is taken as a fraction.
 */
export function toPercentPoints(x: number, reference: number | null): number {
  if (Math.abs(x) > 1) {
    return x;
  }
  const asFraction = scale100(x);
  if (x === 0 || reference === null || reference === 0) {
    return asFraction;
  }
  const distance = (n: number): number => Math.abs(Math.log10(Math.abs(n)) - Math.log10(Math.abs(reference)));
  return distance(x) < distance(asFraction) ? x : asFraction;
}

/** "drop_rate 12.0% > 10.0%"; "row_count 1,000 (threshold n/a)"; "drop_rate: no value". */
export function formatCheck(check: QualityCheck): string {
  const reading = readCheck(check);
  const hasValue = check.value !== null;
  const hasThreshold = check.threshold !== null;
  if (!hasValue && !hasThreshold) {
    return `${check.name}: ${NO_VALUE_TEXT}`;
  }
  if (!hasThreshold) {
    return `${check.name} ${reading.valueText}`;
  }
  if (reading.sign !== null) {
    return `${check.name} ${reading.valueText} ${reading.sign} ${reading.thresholdText}`;
  }
  return `${check.name} ${reading.valueText} (threshold ${reading.thresholdText})`;
}

/** fail: FAIL/FAILED/RED/ERROR/CRITICAL; warn: WARN/WARNING/YELLOW; pass: PASS/OK/GREEN… */
export function checkSeverity(status: string | null): CheckSeverity {
  const word = status?.trim().toUpperCase() ?? '';
  if (FAIL_STATUSES.has(word)) return 'fail';
  if (WARN_STATUSES.has(word)) return 'warn';
  if (PASS_STATUSES.has(word)) return 'pass';
  return 'unknown';
}

const SEVERITY_ORDER: Record<CheckSeverity, number> = { fail: 0, warn: 1, unknown: 2, pass: 3 };

/** The failed and warning checks of `run`: failed first, then warnings, each in document order. */
export function failingChecks(run: JobRun): QualityCheck[] {
  return sortChecksForDisplay(run.qualityChecks).filter((check) => {
    const severity = checkSeverity(check.status);
    return severity === 'fail' || severity === 'warn';
  });
}

/** The check a one-line summary names: the first failed one, else the first warning. */
export function primaryFailingCheck(run: JobRun): QualityCheck | null {
  return failingChecks(run)[0] ?? null;
}

/** Every check, failed first, then warnings, unknown statuses, passed; stable within each. */
export function sortChecksForDisplay(checks: readonly QualityCheck[]): QualityCheck[] {
  return checks
    .map((check, index) => ({ check, index, rank: SEVERITY_ORDER[checkSeverity(check.status)] }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.check);
}

/**
 * Percent points with one decimal, or two when the value has them: "12.0%", "1.44%" (for
 * 1.4443). Below 0.1% two decimals would read as zero, so a small value keeps two
 * significant digits instead: "0.012%", "0.0042%".
 */
export function formatPercent(points: number): string {
  if (!Number.isFinite(points)) return `${points}%`;
  const magnitude = Math.abs(points);
  const rounded = magnitude !== 0 && magnitude < 0.1 ? Number(points.toPrecision(2)) : Number(points.toFixed(2));
  let decimals = 1;
  while (decimals < 20 && Number(rounded.toFixed(decimals)) !== rounded) {
    decimals += 1;
  }
  return `${rounded.toFixed(decimals)}%`;
}

/** A plain number with thousands separators: 100000 → "100,000". */
export function formatNumber(n: number): string {
  // Grouping with six decimals would print 1e-7 as "0".
  return n !== 0 && Math.abs(n) < 1e-6 ? String(n) : numberFormat.format(n);
}

function scale100(x: number): number {
  // 0.12 * 100 is 12.000000000000002 in binary floating point.
  return Number((x * 100).toPrecision(12));
}

function signOf(value: number | null, threshold: number | null): CheckReading['sign'] {
  if (value === null || threshold === null) {
    return null;
  }
  if (value > threshold) return '>';
  if (value < threshold) return '<';
  return '=';
}
