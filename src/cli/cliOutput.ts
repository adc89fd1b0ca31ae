// What the CLI prints, as lines (for a person) or JSON-ready objects (for scripts). Every
// value from a job document, the audit index or AWS goes through untrustedText's `terminal`
// kind, so no escape sequence or bidi override in job data reaches the terminal; colours
// are ours and only added when the caller says the output is a terminal.
import type { AuditRecord } from '../core/auditRecord';
import { formatCheck, primaryFailingCheck } from '../core/checkFormat';
import { formatAge, formatTimeLeft } from '../core/durations';
import { expiryOf, urgencyOf } from '../core/expiry';
import type { JobRun, Urgency } from '../core/model';
import { formatUtc, type RunDetailsModel } from '../core/runDetailsModel';
import { terminal, terminalText } from '../core/untrustedText';

export interface Paint {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
export const COLOURS: Paint = { red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
const same = (text: string): string => text;
export const NO_COLOURS: Paint = { red: same, yellow: same, green: same, dim: same, bold: same };

/** A run as `pending --json` prints it: the seed's field names. */
export interface PendingRunJson {
  job_name: string;
  job_run_id: string;
  timestamp: string | null;
  expires_at: string | null;
  urgency: Urgency;
  quality_status: string | null;
  failing_check: string | null;
  quality_checks: Array<{ name: string; status: string | null; value: unknown; threshold: unknown }>;
}

export function pendingRunJson(run: JobRun, nowMs: number, ttlHours: number): PendingRunJson {
  const expiry = expiryOf(run, ttlHours);
  const check = primaryFailingCheck(run);
  return {
    job_name: run.jobName,
    job_run_id: run.jobRunId,
    timestamp: run.timestamp,
    expires_at: expiry === null ? null : new Date(expiry).toISOString(),
    urgency: urgencyOf(expiry, nowMs),
    quality_status: run.qualityStatus,
    failing_check: check ? formatCheck(check) : null,
    quality_checks: run.qualityChecks.map((c) => ({ name: c.name, status: c.status, value: c.value, threshold: c.threshold })),
  };
}

function byUrgency(paint: Paint, urgency: Urgency, text: string): string {
  if (urgency === 'overdue' || urgency === 'urgent') return paint.red(text);
  if (urgency === 'expiring') return paint.yellow(text);
  return text;
}

/** A safe cell cut or padded to `width` columns (code points; wide characters are rare in run ids). */
function pad(text: string, width: number): string {
  const points = [...text];
  if (points.length > width) return `${points.slice(0, width - 1).join('')}…`;
  return text + ' '.repeat(width - points.length);
}

/** The pending runs as a table, soonest to expire first, with a closing count. */
export function pendingLines(runs: readonly JobRun[], nowMs: number, ttlHours: number, paint: Paint): string[] {
  if (runs.length === 0) return ['No runs are waiting for approval.'];
  const rows = runs.map((run) => {
    const expiry = expiryOf(run, ttlHours);
    const check = primaryFailingCheck(run);
    return {
      run: terminal`${run.jobRunId}`,
      job: terminal`${run.jobName}`,
      check: terminal`${check ? formatCheck(check) : (run.qualityStatus ?? 'no checks')}`,
      age: formatAge(run.timestampMs, nowMs, 1),
      left: formatTimeLeft(expiry, nowMs),
      urgency: urgencyOf(expiry, nowMs),
    };
  });
  const width = (pick: (row: (typeof rows)[number]) => string, header: string, max: number) =>
    Math.min(max, Math.max(header.length, ...rows.map((row) => [...pick(row)].length)));
  const wRun = width((r) => r.run, 'RUN', 60);
  const wJob = width((r) => r.job, 'JOB', 40);
  const wCheck = width((r) => r.check, 'CHECK', 48);
  const wAge = width((r) => r.age, 'AGE', 12);
  const header = paint.dim(`${pad('RUN', wRun)}  ${pad('JOB', wJob)}  ${pad('CHECK', wCheck)}  ${pad('AGE', wAge)}  LEFT`);
  const lines = rows.map((r) => `${pad(r.run, wRun)}  ${pad(r.job, wJob)}  ${pad(r.check, wCheck)}  ${pad(r.age, wAge)}  ${byUrgency(paint, r.urgency, r.left)}`);
  const urgent = rows.filter((r) => r.urgency === 'urgent' || r.urgency === 'overdue').length;
  const count = `${runs.length} pending${urgent > 0 ? ` · ${urgent} urgent or overdue` : ''}`;
  return [header, ...lines, paint.bold(count)];
}

/** One run, as the details page shows it, in lines. */
export function runDetailsLines(model: RunDetailsModel, paint: Paint): string[] {
  const lines: string[] = [];
  lines.push(paint.bold(terminal`${model.jobName} · ${model.jobRunId}`));
  lines.push(terminal`Status     ${model.statusText}`);
  lines.push(terminal`Quality    ${model.qualityText}`);
  lines.push(`Ran        ${model.ranAtText} (${model.ageText})`);
  if (model.isPending) lines.push(`Expires    ${model.expiryText} (${byUrgency(paint, model.urgency, model.timeLeftText)})`);
  if (model.approval) {
    const a = model.approval;
    lines.push(terminal`Decision   ${a.status} by ${a.approvedBy} at ${a.timeText}: ${a.reason}`);
  }
  if (model.errorText) lines.push(terminal`Error      ${model.errorText}`);
  lines.push('', paint.bold(`Checks (${model.failedCount} failed)`));
  if (model.checks.length === 0) lines.push('  none in the document');
  for (const check of model.checks) {
    const status = terminal`${check.statusText}`;
    const shown = check.severity === 'fail' ? paint.red(status) : check.severity === 'warn' ? paint.yellow(status) : status;
    lines.push(`  ${shown}  ${terminal`${check.text}`}`);
  }
  lines.push('', paint.bold('Metrics'));
  for (const metric of model.metrics) lines.push(terminal`  ${metric.label}: ${metric.text}`);
  if (model.phases.some((phase) => phase.seconds !== null)) {
    lines.push(terminal`  Phases: ${model.phases.map((p) => `${p.label} ${p.text}`).join(', ')}`);
  }
  lines.push('', paint.bold(terminal`Artifacts (${model.artifactsAvailableText})`));
  for (const artifact of model.artifacts) lines.push(terminal`  ${artifact.name}: ${artifact.path ?? 'no path'} (${artifact.recordsText})`);
  if (model.history.state === 'loaded') {
    for (const chart of model.history.value.charts) lines.push(terminal`  ${chart.sentence}`);
  }
  if (model.missing.length > 0) lines.push('', terminal`Missing: ${model.missing.join(', ')}`);
  return lines;
}

/** A run's details for `show --json`: the model the details page renders, as plain data. */
export function runDetailsJson(model: RunDetailsModel): Record<string, unknown> {
  return {
    job_name: model.jobName,
    job_run_id: model.jobRunId,
    pending: model.isPending,
    status: model.statusText,
    quality: model.qualityText,
    timestamp: model.timestampMs === null ? null : new Date(model.timestampMs).toISOString(),
    expires_at: model.expiryMs === null ? null : new Date(model.expiryMs).toISOString(),
    urgency: model.urgency,
    approval: model.approval,
    checks: model.checks.map((c) => ({ name: c.name, status: c.statusText, text: c.text, value: c.valueText, threshold: c.thresholdText })),
    metrics: Object.fromEntries(model.metrics.map((m) => [m.key, m.missing ? null : m.text])),
    artifacts: model.artifacts.map((a) => ({ name: a.name, path: a.path, records: a.recordsText })),
    missing: model.missing,
  };
}

export function historyJson(runs: readonly JobRun[], decisions: readonly AuditRecord[]): Record<string, unknown> {
  return {
    runs: runs.map((run) => ({
      job_run_id: run.jobRunId,
      timestamp: run.timestamp,
      status: run.status,
      quality_status: run.qualityStatus,
      approval_status: run.approval?.status ?? null,
      approved_by: run.approval?.approvedBy ?? null,
      approval_reason: run.approval?.reason ?? null,
    })),
    decisions: decisions.map((d) => ({
      decision_id: d.decisionId,
      job_run_id: d.jobRunId,
      decision: d.decision,
      decided_by: d.decidedBy,
      reason: d.reason,
      timestamp: d.timestamp,
      audit_status: d.auditStatus,
    })),
  };
}

export function historyLines(jobName: string, runs: readonly JobRun[], decisions: readonly AuditRecord[], paint: Paint): string[] {
  const lines = [paint.bold(terminal`Recent runs of ${jobName}`)];
  if (runs.length === 0) lines.push('  none');
  for (const run of runs) {
    const outcome = run.approval ? terminal`${run.approval.status} by ${run.approval.approvedBy ?? 'someone'}` : terminal`${run.status ?? 'no status'}`;
    const check = primaryFailingCheck(run);
    lines.push(`  ${formatUtc(run.timestampMs) ?? 'unknown time'}  ${terminal`${run.jobRunId}`}  ${outcome}${check ? `  ${terminal`${formatCheck(check)}`}` : ''}`);
  }
  lines.push('', paint.bold('Decisions'));
  if (decisions.length === 0) lines.push('  none');
  for (const d of decisions) {
    const status = d.auditStatus === 'recorded' ? '' : terminal` (${d.auditStatus}${d.detail ? `: ${d.detail}` : ''})`;
    lines.push(`  ${terminalText(d.timestamp ?? 'unknown time')}  ${terminal`${d.decision} ${d.jobRunId} by ${d.decidedBy}: ${d.reason}`}${status}`);
  }
  return lines;
}
