// The alert email sent when a run stops at the quality gate (docs/CONTRACTS.md §11): subject, a
// text part and an HTML part with the job, run, timestamp, status, quality, the failed and
// passed checks with value and threshold, the metrics, the artifacts and the Approve /
// Reject links. Pure: the notifier (src/approvals) sends what this returns.
//
// Job data is hostile in both parts: in the text part every value is made visible and kept
// on its own line (visibleText: a value cannot start a line of its own and pass for one of
// ours); in the HTML part every value is escaped (htmlText). In both, URLs inside job data are
// defanged ("https[:]//…") so that a mail client's autolinker cannot make them clickable
// beside our links. The subject is one line (no header injection). Links carry only the token.

import type { SigningSecret } from './decisionMessage';
import { createLinkToken, decisionIdOfLink, linkExpiry, newLinkNonce } from './emailLinkToken';
import { checkSeverity, formatNumber, readCheck, sortChecksForDisplay } from './checkFormat';
import { html, htmlText, SafeHtml } from './htmlText';
import type { JobRun, QualityCheck } from './model';
import { formatSeconds } from './durations';
import { dropRate, formatBytes, formatUtc } from './runDetailsModel';
import { visibleText } from './untrustedText';

export interface AlertLinks {
  approveUrl: string;
  rejectUrl: string;
  /** When the links stop working (ms since the epoch). */
  expiresAtMs: number;
}

export interface AlertEmail {
  subject: string;
  text: string;
  html: string;
}

const RULE = '━'.repeat(66);
const MAX_SUBJECT_VALUE_CHARS = 80;
const MAX_VALUE_CHARS = 300;
const MAX_PATH_CHARS = 600;
/** More than this many checks or artifacts are counted, not listed. */
const MAX_LISTED = 50;

/** Breaks every URL scheme and `www.` in job data so that no autolinker turns it into a link. */
export function defangUrls(text: string): string {
  return text.replace(/:\/\//g, '[:]//').replace(/\bwww\./gi, (match) => `${match.slice(0, 3)}[.]`);
}

/** A value of job data for the text part: visible, one line, bounded, defanged. */
function t(value: unknown, max = MAX_VALUE_CHARS): string {
  return defangUrls(visibleText(value ?? '(missing)', max));
}

/** The same for the HTML part, escaped. */
function h(value: unknown, max = MAX_VALUE_CHARS): SafeHtml {
  return new SafeHtml(htmlText(defangUrls(visibleText(value ?? '(missing)', max)), max + 20));
}

interface CheckLine {
  name: string;
  value: string;
  threshold: string;
}

function checkLine(check: QualityCheck): CheckLine {
  const reading = readCheck(check);
  return { name: check.name, value: reading.valueText, threshold: check.threshold === null ? 'none' : reading.thresholdText };
}

function metricLines(run: JobRun): Array<[string, string]> {
  const m = run.metrics;
  const count = (n: number | null): string => (n === null ? 'missing' : formatNumber(n));
  const rate = dropRate(m.recordsDropped, m.recordsRead);
  return [
    ['Records Read', count(m.recordsRead)],
    ['Records Written', count(m.recordsWritten)],
    ['Records Dropped', m.recordsDropped === null ? 'missing' : rate === null ? count(m.recordsDropped) : `${count(m.recordsDropped)} (${rate})`],
    ['Bytes Written', m.bytesWritten === null ? 'missing' : formatBytes(m.bytesWritten)],
    ['Duration', m.durationSeconds === null ? 'missing' : formatSeconds(m.durationSeconds)],
  ];
}

/** Renders the alert for one recipient's links. */
export function renderAlertEmail(run: JobRun, links: AlertLinks): AlertEmail {
  const checks = sortChecksForDisplay(run.qualityChecks);
  const failed = checks.filter((c) => ['fail', 'warn'].includes(checkSeverity(c.status))).slice(0, MAX_LISTED).map(checkLine);
  const passed = checks.filter((c) => !['fail', 'warn'].includes(checkSeverity(c.status))).slice(0, MAX_LISTED).map(checkLine);
  const artifacts = run.artifacts.slice(0, MAX_LISTED);
  const when = formatUtc(run.timestampMs) ?? '(missing or not a time)';
  const expires = formatUtc(links.expiresAtMs) ?? '';

  const subject =
    `[PENDING APPROVAL] ${t(run.jobName, MAX_SUBJECT_VALUE_CHARS)} job ${t(run.jobRunId, MAX_SUBJECT_VALUE_CHARS)}` +
    ` - Quality ${t(run.qualityStatus ?? 'unknown', 20)}`;

  const text: string[] = [
    RULE,
    '',
    'JOB REQUIRES APPROVAL',
    '',
    `Job Name:     ${t(run.jobName)}`,
    `Job Run ID:   ${t(run.jobRunId)}`,
    `Timestamp:    ${when}`,
    `Status:       ${t(run.status ?? 'missing')}`,
    `Quality:      ${t(run.qualityStatus ?? 'missing')}`,
    '',
    RULE,
    '',
    'FAILED QUALITY CHECKS',
    '',
    ...(failed.length === 0 ? ['  (none listed)', ''] : failed.flatMap((c) => [`  ✗ ${t(c.name)}`, `    Value:     ${t(c.value)}`, `    Threshold: ${t(c.threshold)}`, ''])),
    ...(passed.length === 0 ? [] : ['PASSED QUALITY CHECKS', '', ...passed.flatMap((c) => [`  ✓ ${t(c.name)}`, `    Value:     ${t(c.value)}`, `    Threshold: ${t(c.threshold)}`, ''])]),
    RULE,
    '',
    'METRICS SUMMARY',
    '',
    ...metricLines(run).map(([name, value]) => `  ${`${name}:`.padEnd(17)}${value}`),
    '',
    RULE,
    '',
    'ARTIFACTS',
    '',
    ...(artifacts.length === 0
      ? ['  (none)', '']
      : artifacts.flatMap((a) => [`  ${t(a.name)}:`, `    Path: ${t(a.path ?? '(missing)', MAX_PATH_CHARS)}`, `    Records: ${a.records === null ? 'missing' : formatNumber(a.records)}`, ''])),
    ...(run.artifacts.length > artifacts.length ? [`  … and ${run.artifacts.length - artifacts.length} more`, ''] : []),
    RULE,
    '',
    'ACTIONS (each link opens a confirmation page; nothing is decided until you confirm there)',
    '',
    `  [APPROVE] ${links.approveUrl}`,
    '',
    `  [REJECT]  ${links.rejectUrl}`,
    '',
    RULE,
    '',
    `These links expire at ${expires} and work once.`,
    '',
    'If you did not expect this email, please ignore it.',
    '',
  ];

  const checkRows = (rows: CheckLine[], mark: string, colour: string): SafeHtml[] =>
    rows.map((c) => html`<tr><td style="color:${colour};padding:2px 8px 2px 0">${mark}</td><td style="padding:2px 12px 2px 0;font-family:monospace;word-break:break-all">${h(c.name)}</td><td style="padding:2px 12px 2px 0">${h(c.value)}</td><td style="padding:2px 0">${h(c.threshold)}</td></tr>`);
  const section = (title: string, body: SafeHtml): SafeHtml =>
    html`<h2 style="font-size:15px;margin:20px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px">${title}</h2>${body}`;
  const field = (name: string, value: SafeHtml): SafeHtml => html`<tr><th style="text-align:left;padding:2px 16px 2px 0;font-weight:600">${name}</th><td style="padding:2px 0">${value}</td></tr>`;
  const button = (label: string, url: string, colour: string): SafeHtml =>
    html`<a href="${new SafeHtml(htmlText(url, 4096))}" style="display:inline-block;margin:0 12px 8px 0;padding:10px 22px;background:${colour};color:#fff;text-decoration:none;border-radius:4px;font-weight:600">${label}</a>`;

  const body = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${subject}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328;max-width:680px;margin:0 auto;padding:16px">
<h1 style="font-size:18px;margin:0 0 12px">Job requires approval</h1>
<table role="presentation" style="border-collapse:collapse">
${field('Job Name', h(run.jobName))}
${field('Job Run ID', h(run.jobRunId))}
${field('Timestamp', h(when))}
${field('Status', h(run.status ?? 'missing'))}
${field('Quality', h(run.qualityStatus ?? 'missing'))}
</table>
${section('Failed quality checks', failed.length === 0 ? html`<p>(none listed)</p>` : html`<table role="presentation" style="border-collapse:collapse"><tr><th></th><th style="text-align:left">Check</th><th style="text-align:left">Value</th><th style="text-align:left">Threshold</th></tr>${checkRows(failed, '✗', '#c62828')}</table>`)}
${passed.length === 0 ? html`` : section('Passed quality checks', html`<table role="presentation" style="border-collapse:collapse">${checkRows(passed, '✓', '#2e7d32')}</table>`)}
${section('Metrics summary', html`<table role="presentation" style="border-collapse:collapse">${metricLines(run).map(([name, value]) => field(name, h(value)))}</table>`)}
${section('Artifacts', artifacts.length === 0 ? html`<p>(none)</p>` : html`<table role="presentation" style="border-collapse:collapse">${artifacts.map((a) => html`<tr><td style="padding:2px 12px 2px 0;font-weight:600">${h(a.name)}</td><td style="padding:2px 12px 2px 0;font-family:monospace;word-break:break-all">${h(a.path ?? '(missing)', MAX_PATH_CHARS)}</td><td style="padding:2px 0">${a.records === null ? 'missing' : formatNumber(a.records)} records</td></tr>`)}</table>${run.artifacts.length > artifacts.length ? html`<p>… and ${run.artifacts.length - artifacts.length} more</p>` : html``}`)}
${section('Actions', html`<p>Each link opens a confirmation page; nothing is decided until you give a reason and confirm there.</p>${button('Approve…', links.approveUrl, '#2e7d32')}${button('Reject…', links.rejectUrl, '#c62828')}`)}
<p style="color:#57606a;font-size:12px;margin-top:24px">These links expire at ${expires} and work once. If you did not expect this email, please ignore it.</p>
</body></html>
`;
  return { subject, text: text.join('\n'), html: body.markup };
}

export interface PreparedAlert {
  to: string;
  email: AlertEmail;
  /** The decision_id a decision through this email will carry. */
  decisionId: string;
}

export interface AlertOptions {
  /** Where the approval API answers; links are `${publicBaseUrl}/decide?token=…`. */
  publicBaseUrl: string;
  linkTtlHours: number;
  nowMs: number;
  /** The signing secret (its derived token key signs the links). */
  secret: SigningSecret;
  /** The run's own expiry (expiryOf); the links never outlive it. */
  runExpiryMs: number | null;
  newNonce?: () => string;
}

/** One alert per recipient, each with its own pair of links (one nonce per email). */
export function prepareAlerts(run: JobRun, recipients: readonly string[], options: AlertOptions): PreparedAlert[] {
  const expiresAt = linkExpiry(options.nowMs, options.runExpiryMs, options.linkTtlHours);
  const link = (token: string): string => `${options.publicBaseUrl}/decide?token=${encodeURIComponent(token)}`;
  return [...new Set(recipients)].map((to) => {
    const nonce = (options.newNonce ?? newLinkNonce)();
    const claims = { runId: run.jobRunId, recipient: to, expiresAt, nonce };
    const approveUrl = link(createLinkToken({ ...claims, action: 'APPROVE' }, options.secret));
    const rejectUrl = link(createLinkToken({ ...claims, action: 'REJECT' }, options.secret));
    return { to, email: renderAlertEmail(run, { approveUrl, rejectUrl, expiresAtMs: expiresAt * 1000 }), decisionId: decisionIdOfLink(claims) };
  });
}
