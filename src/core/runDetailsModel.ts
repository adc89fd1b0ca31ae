// What the run details page shows, built from a run, its job's recent runs and past
// decisions: plain data with every text already formatted, so that the page only places
// it into the DOM (as text) and the rules stay here, testable without a browser.

import type { AuditRecord } from './auditRecord';
import { checkSeverity, failingChecks, formatCheck, formatNumber, formatPercent, readCheck, sortChecksForDisplay, type CheckSeverity } from './checkFormat';
import { truncateForDisplay, visibleText } from './untrustedText';
import { formatAge, formatSeconds, formatTimeLeft } from './durations';
import { expiryOf, urgencyOf } from './expiry';
import { checkHistory, valueInRun } from './historyStats';
import { SYSTEM_DECIDER, type JobRun, type Urgency } from './model';
import { collapseNewestPerRun, isPending } from './pendingQuery';
import { parseS3Uri } from './s3Console';
import { parseTimestampMs } from './timestamp';

/** How many of the job's recent runs the page compares with. */
export const HISTORY_SIZE = 20;
/** Past decisions on the job shown on the page. */
export const DECISIONS_SIZE = 20;
/** At most this many failing checks get a chart and a column in the history table. */
const MAX_HISTORY_CHECKS = 3;

/** A part of the page loaded separately: it can fail without taking the page down. */
export type Loaded<T> = { state: 'loaded'; value: T } | { state: 'failed'; message: string };

export interface RunDetailsInput {
  run: JobRun;
  /** The job's recent runs (any status, newest first, may include `run` itself). */
  history: Loaded<readonly JobRun[]>;
  /** Recent decisions on the job from the audit index, newest first. */
  decisions: Loaded<readonly AuditRecord[]>;
  ttlHours: number;
  nowMs: number;
}

export interface CheckRow {
  name: string;
  /** As written, upper-cased; "no status" when missing. */
  statusText: string;
  severity: CheckSeverity;
  /** "drop_rate 12.0% > 10.0%". */
  text: string;
  /** The same without the name: "12.0% > 10.0%". */
  readingText: string;
  valueText: string;
  thresholdText: string;
  sign: '>' | '<' | '=' | null;
}

export interface MetricRow {
  key: 'records_read' | 'records_written' | 'records_dropped' | 'bytes_written' | 'duration_seconds';
  label: string;
  /** "1,200 (12.0% of records read)"; "missing" when the document has no value. */
  text: string;
  missing: boolean;
}

export interface PhaseBar {
  key: 'extract' | 'transform' | 'load';
  label: string;
  seconds: number | null;
  text: string;
  /** Share of the phases' total, 0..1; 0 when unknown. */
  share: number;
}

export interface ArtifactRow {
  name: string;
  path: string | null;
  recordsText: string;
  /** True when the path is an S3 URI the console can open. */
  isS3: boolean;
}

export interface ChartPoint {
  jobRunId: string;
  timeText: string;
  value: number | null;
  valueText: string;
  isToday: boolean;
  /** The check failed (or warned) in that run. */
  failed: boolean;
}

export interface CheckChart {
  checkName: string;
  /** Today's threshold in the chart's unit; null when it has none. */
  threshold: number | null;
  thresholdText: string;
  /** Oldest → newest; today's run last. */
  points: ChartPoint[];
  /** "12.0% is the highest of the last 20 runs; median 2.1%." */
  sentence: string;
}

export interface HistoryRow {
  jobRunId: string;
  /** The run id without its job's name in front ("20261121-9143bc82"), for a narrow column. */
  runLabel: string;
  timeText: string;
  /** "21 Nov 01:34" (UTC; the year added when it is not the shown run's). */
  shortTimeText: string;
  status: string;
  quality: string;
  /** One per HistoryModel.checkNames: that check's value in this run. */
  values: string[];
  /** One per value: the check failed or warned in that run. */
  valuesFailing: boolean[];
  decision: string;
  /** Status and decision in one word: APPROVED / REJECTED, PENDING (waiting), else the status. */
  outcome: string;
  outcomeKind: 'approved' | 'rejected' | 'pending' | 'success' | 'failed' | 'other';
  /** For a decided run, who decided and why, shortened: "by alice: Known bad batch". */
  outcomeDetail: string | null;
  isCurrent: boolean;
}

export interface HistoryModel {
  /** Distinct runs compared, this one included. */
  runCount: number;
  checkNames: string[];
  charts: CheckChart[];
  /** Newest first. */
  rows: HistoryRow[];
}

export interface DecisionRow {
  decisionId: string;
  timeText: string;
  decision: string;
  decidedBy: string;
  jobRunId: string;
  reason: string;
  /** recorded, superseded, invalid…: shown when it is not "recorded". */
  auditStatus: string;
  detail: string | null;
  isThisRun: boolean;
  /** Present when the decision came through an alert email's link. */
  byEmailLink?: true;
}

export interface ApprovalView {
  status: string;
  approvedBy: string;
  reason: string;
  timeText: string;
  /** Present when the run was decided through an alert email's link (its recorded audit says so). */
  byEmailLink?: true;
}

export interface RunDetailsModel {
  jobName: string;
  jobRunId: string;
  documentId: string;
  /** PENDING_APPROVAL and not decided: the decision form is offered. */
  isPending: boolean;
  statusText: string;
  qualityText: string;
  /** GREEN / YELLOW / RED or null, for styling. */
  quality: 'GREEN' | 'YELLOW' | 'RED' | null;
  eventType: string | null;
  failureType: string | null;
  triggeredBy: string | null;
  errorText: string | null;
  /** "2024-01-15 10:30:00 UTC", or "unknown". */
  ranAtText: string;
  timestampMs: number | null;
  /** When the run stops waiting; null when unknown. */
  expiryMs: number | null;
  expiryText: string;
  /** Where the expiry comes from: the document's expires_at or timestamp + the TTL setting. */
  expirySource: 'expires_at' | 'ttl' | null;
  /** Formatted at build time; the page recomputes them as the clock moves. */
  ageText: string;
  timeLeftText: string;
  urgency: Urgency;
  approval: ApprovalView | null;
  /** Nobody decided in time: the expiry sweep recorded the policy's action (decided by "system"). */
  expired: boolean;
  /** Failed first, then warnings, unknown, passed. */
  checks: CheckRow[];
  failedCount: number;
  metrics: MetricRow[];
  phases: PhaseBar[];
  phasesTotalText: string;
  artifactsAvailableText: string;
  artifacts: ArtifactRow[];
  history: Loaded<HistoryModel>;
  decisions: Loaded<DecisionRow[]>;
  /** Fields the document lacks, by their names ("quality_checks"). */
  missing: string[];
  /** The parser's notes on malformed fields. */
  problems: string[];
}

const TITLE_JOB_CHARS = 60;

export function buildRunDetails(input: RunDetailsInput): RunDetailsModel {
  const { run, nowMs, ttlHours } = input;
  const expiryMs = expiryOf(run, ttlHours);
  const pending = isPending(run);
  const checks = sortChecksForDisplay(run.qualityChecks).map(checkRow);
  const quality = run.qualityStatus === 'GREEN' || run.qualityStatus === 'YELLOW' || run.qualityStatus === 'RED' ? run.qualityStatus : null;
  return {
    jobName: run.jobName,
    jobRunId: run.jobRunId,
    documentId: run.documentId,
    isPending: pending,
    // A decided run keeps status PENDING_APPROVAL (docs/CONTRACTS.md §2); its decision is what it is now.
    statusText: run.approval ? `${run.approval.status} (was ${run.status ?? 'missing'})` : run.status ?? 'missing',
    qualityText: run.qualityStatus ?? 'missing',
    quality,
    eventType: run.eventType,
    failureType: run.failureType,
    triggeredBy: run.triggeredBy,
    errorText: errorText(run),
    ranAtText: formatUtc(run.timestampMs) ?? 'unknown',
    timestampMs: run.timestampMs,
    expiryMs,
    expiryText: formatUtc(expiryMs) ?? 'unknown',
    expirySource: parseTimestampMs(run.expiresAt) !== null ? 'expires_at' : expiryMs !== null ? 'ttl' : null,
    ageText: formatAge(run.timestampMs, nowMs),
    timeLeftText: pending ? formatTimeLeft(expiryMs, nowMs) : run.approval ? 'decided' : 'not waiting',
    urgency: pending ? urgencyOf(expiryMs, nowMs) : 'normal',
    expired: run.approval !== null && run.approval.approvedBy === SYSTEM_DECIDER,
    approval: run.approval
      ? {
          status: run.approval.status,
          approvedBy: run.approval.approvedBy ?? 'unknown',
          reason: run.approval.reason ?? '',
          timeText: formatUtcText(run.approval.timestamp),
          ...(decidedByEmailLink(run, input.decisions) ? { byEmailLink: true as const } : {}),
        }
      : null,
    checks,
    failedCount: checks.filter((c) => c.severity === 'fail' || c.severity === 'warn').length,
    metrics: metricRows(run),
    ...phaseBars(run),
    artifactsAvailableText: run.artifactsAvailable === null ? 'not stated' : run.artifactsAvailable ? 'yes' : 'no',
    artifacts: run.artifacts.map((a) => ({
      name: a.name,
      path: a.path,
      recordsText: a.records === null ? 'unknown' : formatNumber(a.records),
      isS3: a.path !== null && parseS3Uri(a.path) !== null,
    })),
    history: input.history.state === 'loaded' ? { state: 'loaded', value: historyModel(run, input.history.value) } : input.history,
    decisions: input.decisions.state === 'loaded' ? { state: 'loaded', value: input.decisions.value.map((d) => decisionRow(d, run.jobRunId)) } : input.decisions,
    missing: missingFields(run),
    problems: [...run.problems],
  };
}

/** The panel's title: "Run <id> · <job>", the job name shortened; a label (untrustedText). */
export function panelTitle(jobRunId: string, jobName: string | undefined): string {
  const id = visibleText(jobRunId, 80);
  return jobName ? `Run ${id} · ${visibleText(jobName, TITLE_JOB_CHARS)}` : `Run ${id}`;
}

function checkRow(check: JobRun['qualityChecks'][number]): CheckRow {
  const reading = readCheck(check);
  const text = formatCheck(check);
  return {
    name: check.name,
    statusText: check.status ?? 'no status',
    severity: checkSeverity(check.status),
    text,
    readingText: text.startsWith(check.name) ? text.slice(check.name.length).replace(/^:?\s*/, '') : text,
    valueText: reading.valueText,
    thresholdText: reading.thresholdText,
    sign: reading.sign,
  };
}

function errorText(run: JobRun): string | null {
  if (run.errorType === null && run.errorMessage === null) return null;
  if (run.errorType !== null && run.errorMessage !== null) return `${run.errorType}: ${run.errorMessage}`;
  return run.errorType ?? run.errorMessage;
}

function metricRows(run: JobRun): MetricRow[] {
  const m = run.metrics;
  const count = (n: number | null): string => (n === null ? 'missing' : formatNumber(n));
  const rate = dropRate(m.recordsDropped, m.recordsRead);
  return [
    { key: 'records_read', label: 'Records read', text: count(m.recordsRead), missing: m.recordsRead === null },
    { key: 'records_written', label: 'Records written', text: count(m.recordsWritten), missing: m.recordsWritten === null },
    {
      key: 'records_dropped',
      label: 'Records dropped',
      text: m.recordsDropped === null ? 'missing' : rate === null ? count(m.recordsDropped) : `${count(m.recordsDropped)} (${rate} of records read)`,
      missing: m.recordsDropped === null,
    },
    { key: 'bytes_written', label: 'Bytes written', text: m.bytesWritten === null ? 'missing' : formatBytes(m.bytesWritten), missing: m.bytesWritten === null },
    { key: 'duration_seconds', label: 'Duration', text: m.durationSeconds === null ? 'missing' : formatSeconds(m.durationSeconds), missing: m.durationSeconds === null },
  ];
}

/**
 * dropped / read as a percentage, written like the checks' percentages (formatPercent):
 * "12.0%", "1.44%", and two significant digits below 0.1% ("0.0042%"), so that the metric
 * and a drop_rate check computed from it read alike; null when it cannot be computed.
 */
export function dropRate(dropped: number | null, read: number | null): string | null {
  if (dropped === null || read === null || read <= 0 || dropped < 0) return null;
  return formatPercent((dropped / read) * 100);
}

function phaseBars(run: JobRun): { phases: PhaseBar[]; phasesTotalText: string } {
  const m = run.metrics;
  const raw: Array<[PhaseBar['key'], string, number | null]> = [
    ['extract', 'Extract', m.extractDurationSeconds],
    ['transform', 'Transform', m.transformDurationSeconds],
    ['load', 'Load', m.loadDurationSeconds],
  ];
  const known = raw.map(([, , s]) => s).filter((s): s is number => s !== null && s >= 0);
  const total = known.reduce((a, b) => a + b, 0);
  const phases = raw.map(([key, label, seconds]) => ({
    key,
    label,
    seconds,
    text: seconds === null ? 'missing' : formatSeconds(seconds),
    share: seconds !== null && seconds >= 0 && total > 0 ? seconds / total : 0,
  }));
  return { phases, phasesTotalText: known.length === 0 ? 'no phase durations' : formatSeconds(total) };
}

/** Bytes in binary units: 1536 → "1.5 KiB"; under 1 KiB as "512 B". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const sign = bytes < 0 ? '-' : '';
  if (unit === 0) return `${sign}${formatNumber(value)} B`;
  return `${sign}${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** "2024-01-15 10:30:00 UTC"; null for an unknown time. */
export function formatUtc(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** An ISO time as formatUtc shows it; text that is not a time is shown as it is. */
function formatUtcText(text: string | null): string {
  if (text === null) return 'unknown';
  return formatUtc(parseTimestampMs(text)) ?? text;
}

function historyModel(run: JobRun, history: readonly JobRun[]): HistoryModel {
  const checks = failingChecks(run).slice(0, MAX_HISTORY_CHECKS);
  const formats = checks.map((check) => {
    const isPercent = readCheck(check).isPercent;
    return (n: number): string => (isPercent ? formatPercent(n) : formatNumber(n));
  });
  const charts: CheckChart[] = checks.map((check, i) => {
    const stats = checkHistory(run, check, history);
    const reading = readCheck(check);
    const format = formats[i] ?? formatNumber;
    return {
      checkName: check.name,
      threshold: reading.threshold,
      thresholdText: reading.threshold === null ? 'no threshold' : format(reading.threshold),
      sentence: stats.sentence,
      points: stats.series.map((point) => {
        const severity = checkSeverity(point.status);
        return {
          jobRunId: point.jobRunId,
          timeText: formatUtc(point.timestampMs) ?? 'unknown time',
          value: point.value,
          valueText: point.value === null ? 'no value' : format(point.value),
          isToday: point.isToday,
          failed: severity === 'fail' || severity === 'warn',
        };
      }),
    };
  });

  // The table lists every run loaded, later ones too (the charts compare only earlier ones).
  const runs = collapseNewestPerRun([...history.filter((h) => h.jobRunId !== run.jobRunId), run]).sort(
    (a, b) => (b.timestampMs ?? Number.NEGATIVE_INFINITY) - (a.timestampMs ?? Number.NEGATIVE_INFINITY),
  );
  const valueText = (h: JobRun, i: number): string => {
    const check = checks[i];
    const value = check === undefined ? null : h.jobRunId === run.jobRunId ? readCheck(check).value : valueInRun(h, check);
    return value === null ? 'no value' : (formats[i] ?? formatNumber)(value);
  };
  const failing = (h: JobRun, i: number): boolean => {
    const name = checks[i]?.name;
    const own = h.qualityChecks.find((c) => c.name === name);
    const severity = own === undefined ? 'unknown' : checkSeverity(own.status);
    return severity === 'fail' || severity === 'warn';
  };
  const rows: HistoryRow[] = runs.map((h) => ({
    jobRunId: h.jobRunId,
    runLabel: runLabel(h.jobRunId, run.jobName),
    timeText: formatUtc(h.timestampMs) ?? 'unknown',
    shortTimeText: formatShortUtc(h.timestampMs, run.timestampMs) ?? 'unknown',
    status: h.status ?? 'missing',
    quality: h.qualityStatus ?? 'missing',
    values: checks.map((_, i) => valueText(h, i)),
    valuesFailing: checks.map((_, i) => failing(h, i)),
    decision: h.approval ? h.approval.status : isPending(h) ? 'pending' : '—',
    ...outcomeOf(h),
    isCurrent: h.jobRunId === run.jobRunId,
  }));
  return { runCount: runs.length, checkNames: charts.map((c) => c.checkName), charts, rows };
}

/** Longest decision reason shown in a history row; the Past decisions list has it whole. */
const HISTORY_REASON_CHARS = 120;
/** A run label longer than this is cut (the whole id is in its tooltip): it never wraps. */
const RUN_LABEL_CHARS = 28;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A run id in a table of one job's runs: the job's name in front of it ("transform_images-")
 * says nothing there, so it goes; an id that does not start with it is kept (cut when long).
 */
export function runLabel(jobRunId: string, jobName: string): string {
  const rest = jobName !== '' && jobRunId.startsWith(jobName) ? jobRunId.slice(jobName.length) : '';
  const label = rest.replace(/^[-_.:/#]+/, '');
  return truncateForDisplay(label === '' || label.length === rest.length ? jobRunId : label, RUN_LABEL_CHARS);
}

/** "21 Nov 01:34" in UTC; "21 Nov 2025 01:34" when the year is not that of `referenceMs`. */
export function formatShortUtc(ms: number | null, referenceMs: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  const sameYear = referenceMs !== null && Number.isFinite(referenceMs) && new Date(referenceMs).getUTCFullYear() === year;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()] ?? '?'}${sameYear ? '' : ` ${year}`} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}`;
}

function outcomeOf(run: JobRun): Pick<HistoryRow, 'outcome' | 'outcomeKind' | 'outcomeDetail'> {
  const approval = run.approval;
  if (approval) {
    const kind = approval.status === 'APPROVED' ? 'approved' : approval.status === 'REJECTED' ? 'rejected' : 'other';
    const reason = approval.reason?.trim() ?? '';
    const by = `by ${approval.approvedBy ?? 'unknown'}`;
    return { outcome: approval.status, outcomeKind: kind, outcomeDetail: truncateForDisplay(reason ? `${by}: ${reason}` : by, HISTORY_REASON_CHARS) };
  }
  if (isPending(run)) return { outcome: 'PENDING', outcomeKind: 'pending', outcomeDetail: null };
  const status = run.status ?? 'missing';
  return { outcome: status, outcomeKind: status === 'SUCCESS' ? 'success' : status === 'FAILED' ? 'failed' : 'other', outcomeDetail: null };
}

/** Whether the run's recorded decision came through an email link, as its audit (among the job's decisions) says. */
function decidedByEmailLink(run: JobRun, decisions: Loaded<readonly AuditRecord[]>): boolean {
  if (decisions.state !== 'loaded' || run.approval === null) return false;
  return decisions.value.some((d) => d.jobRunId === run.jobRunId && d.channel === 'email' && d.auditStatus === 'recorded' && d.decision === run.approval?.status);
}

function decisionRow(record: AuditRecord, jobRunId: string): DecisionRow {
  return {
    decisionId: record.decisionId,
    timeText: formatUtcText(record.timestamp),
    decision: record.decision,
    decidedBy: record.decidedBy,
    jobRunId: record.jobRunId,
    reason: record.reason,
    auditStatus: record.auditStatus,
    detail: record.detail,
    isThisRun: record.jobRunId === jobRunId,
    ...(record.channel === 'email' ? { byEmailLink: true as const } : {}),
  };
}

function missingFields(run: JobRun): string[] {
  const missing: string[] = [];
  if (run.status === null) missing.push('status');
  if (run.qualityStatus === null) missing.push('quality_status');
  if (run.qualityChecks.length === 0) missing.push('quality_checks');
  if (run.timestampMs === null) missing.push('timestamp');
  const m = run.metrics;
  if (m.recordsRead === null) missing.push('records_read');
  if (m.recordsWritten === null) missing.push('records_written');
  if (m.recordsDropped === null) missing.push('records_dropped');
  if (m.bytesWritten === null) missing.push('bytes_written');
  if (m.durationSeconds === null) missing.push('duration_seconds');
  if (run.artifactsAvailable === true && run.artifacts.length === 0) missing.push('artifacts');
  return missing;
}
