// The approval API's pages: plain server-rendered HTML, no script, one constant stylesheet
// allowed by its hash, and a CSP that allows nothing else (no script, no image, no frame,
// forms only to ourselves, never framed). Job data is escaped (htmlText via `html`).

import { createHash } from 'node:crypto';
import { formatCheck, sortChecksForDisplay } from './checkFormat';
import { MAX_REASON_CHARS } from './decisionReason';
import type { CheckHistory } from './historyStats';
import { html, htmlLongText, SafeHtml } from './htmlText';
import { LINK_DECISION, MAX_TOKEN_CHARS, type LinkAction } from './emailLinkToken';
import { DECISION_WORDS, type JobRun } from './model';
import { formatUtc } from './runDetailsModel';

const STYLE = `
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:15px;line-height:1.45;color:#1f2328;background:#f6f8fa;margin:0}
main{max-width:720px;margin:24px auto;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:20px 24px}
h1{font-size:20px;margin:0 0 12px}h2{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse}th{text-align:left;padding:2px 16px 2px 0;font-weight:600;vertical-align:top}td{padding:2px 0;vertical-align:top;overflow-wrap:anywhere}
.fail{color:#c62828}.pass{color:#2e7d32}.mono{font-family:ui-monospace,monospace}
.notice{padding:10px 12px;border-radius:4px;margin:12px 0;background:#fff8c5;border:1px solid #d4a72c}
.ok{background:#dafbe1;border-color:#4ac26b}.bad{background:#ffebe9;border-color:#ff8182}
textarea{width:100%;box-sizing:border-box;min-height:90px;font:inherit;padding:6px}
button{font:inherit;font-weight:600;padding:8px 20px;border-radius:4px;border:1px solid #1f2328;cursor:pointer;color:#fff}
.approve{background:#2e7d32;border-color:#2e7d32}.reject{background:#c62828;border-color:#c62828}
.muted{color:#57606a;font-size:13px}ul{padding-left:20px;margin:4px 0}li,p,.mono{overflow-wrap:anywhere}
`;
const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** The Content-Security-Policy of every page: only our one stylesheet; forms post to us only. */
export const APPROVAL_PAGE_CSP =
  `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'none'; script-src 'none'; ` +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers every page is sent with (the handler adds Set-Cookie when there is one). */
export const APPROVAL_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': APPROVAL_PAGE_CSP,
  // The token is in the URL: no other site may learn it from a Referer, no cache may keep it.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

export type PageTone = 'info' | 'ok' | 'bad';

/** A whole page around `body`. */
function renderPage(title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${title} · DWH Approvals</title><style>${new SafeHtml(STYLE)}</style></head>
<body><main>
${body}
</main></body></html>
`.markup;
}

/** A page that only says something: expired, used, not valid, decided meanwhile, recorded. */
export function messagePage(title: string, tone: PageTone, paragraphs: Array<string | SafeHtml>): string {
  const toneClass = tone === 'ok' ? 'notice ok' : tone === 'bad' ? 'notice bad' : 'notice';
  return renderPage(title, html`<h1>${title}</h1><div class="${toneClass}">${paragraphs.map((p) => html`<p>${p}</p>`)}</div>`);
}

export interface ConfirmationPageInput {
  run: JobRun;
  action: LinkAction;
  recipient: string;
  histories: readonly CheckHistory[] | null;
  token: string;
  csrf: string;
  evidence: string;
  /** What the reviewer typed, kept when the page is shown again. */
  reason?: string;
  /** Shown above the form: why the page is shown again. */
  notice?: string;
  linkExpiresAtMs: number;
}

/** The confirmation page: what the run is, who will be recorded, a required reason, one button. */
export function confirmationPage(input: ConfirmationPageInput): string {
  const { run, action } = input;
  const words = DECISION_WORDS[LINK_DECISION[action]];
  const checks = sortChecksForDisplay(run.qualityChecks).slice(0, 50);
  const checkItems = checks.map((check) => {
    const failing = /^(FAIL|FAILED|RED|ERROR|CRITICAL|WARN|WARNING|YELLOW)$/i.test(check.status ?? '');
    return html`<li class="${failing ? 'fail' : 'pass'}"><span class="mono">${formatCheck(check)}</span> (${check.status ?? 'no status'})</li>`;
  });
  const history =
    input.histories === null
      ? html`<p class="muted">The job's recent runs could not be read.</p>`
      : input.histories.length === 0
        ? html`<p class="muted">No earlier runs to compare with.</p>`
        : html`<ul>${input.histories.map((hist) => html`<li>${hist.sentence}</li>`)}</ul>`;
  const body = html`<h1>${words.title} job run</h1>
${input.notice ? html`<div class="notice bad"><p>${input.notice}</p></div>` : html``}
<table>
<tr><th>Job</th><td>${run.jobName}</td></tr>
<tr><th>Run ID</th><td class="mono">${run.jobRunId}</td></tr>
<tr><th>Run at</th><td>${formatUtc(run.timestampMs) ?? 'unknown'}</td></tr>
<tr><th>Status</th><td>${run.status ?? 'missing'}</td></tr>
<tr><th>Quality</th><td>${run.qualityStatus ?? 'missing'}</td></tr>
</table>
<h2>Checks</h2>
${checkItems.length === 0 ? html`<p class="muted">The run lists no checks.</p>` : html`<ul>${checkItems}</ul>`}
<h2>Compared with the job's recent runs</h2>
${history}
<form method="post" action="decide">
<input type="hidden" name="token" value="${htmlLongText(input.token, MAX_TOKEN_CHARS)}">
<input type="hidden" name="csrf" value="${input.csrf}">
<input type="hidden" name="evidence" value="${input.evidence}">
<h2><label for="reason">Reason (required)</label></h2>
<textarea id="reason" name="reason" required maxlength="${MAX_REASON_CHARS}">${htmlLongText(input.reason ?? '', MAX_REASON_CHARS)}</textarea>
<p>You will be recorded as <strong id="recorded-as">${input.recipient}</strong> (deciding through this email link).</p>
<p><button type="submit" class="${words.verb}">Confirm ${words.noun}</button></p>
<p class="muted">This link works once and expires at ${formatUtc(input.linkExpiresAtMs) ?? ''}. To change nothing, close this page.</p>
</form>`;
  return renderPage(`${words.title} ${run.jobRunId}`, body);
}
