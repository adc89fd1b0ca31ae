// The run details page (runs in the webview). It holds no data of its own: the host sends
// the run's model, the caller identity and the decision state, and this script places them
// into the DOM as text. It sends back what the reviewer does: decide, copy, open, refresh.
import { reasonValidationError } from '../core/decisionReason';
import { formatAge, formatTimeLeft } from '../core/durations';
import { urgencyOf } from '../core/expiry';
import { DECISION_WORDS, type Decision } from '../core/model';
import type { DecisionRow, HistoryModel, RunDetailsModel } from '../core/runDetailsModel';
import {
  canDecide,
  type DecisionStateView,
  type DetailsPageState,
  type HostMessage,
  type IdentityView,
  type PageMessage,
  type PanelError,
  type ProgressView,
} from '../shared/webviewMessages';
import { button, byId, h, replaceChildren, svg, type Child } from './dom';
import { historyChart } from './historyChart';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  setState(state: DetailsPageState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const send = (message: PageMessage): void => vscode.postMessage(message);

const CLOCK_MS = 30_000;

let details: RunDetailsModel | undefined;
let decisionState: DecisionStateView = { kind: 'idle' };
/** What the approval policy lets the current identity do; `loading` leaves the form as it is. */
let progress: ProgressView = { state: 'loading' };
/**
 * The reason is checked here, with the rule the host applies again before publishing; its
 * message shows once the reviewer has typed, not as an error on an untouched form.
 */
let touched = false;

// ---- the shell: built once; the details part is rebuilt on each `show` -----------------

const app = byId('app');
const loading = h('p', { id: 'loading', className: 'loading' }, 'Loading run details…');
const loadError = h('section', { id: 'load-error', className: 'notice error', hidden: true, attrs: { role: 'alert' } });
const detailsRoot = h('article', { id: 'details', hidden: true });
const reason = h('textarea', {
  id: 'reason',
  attrs: { rows: '4', 'aria-required': 'true', 'aria-describedby': 'reason-help reason-error', placeholder: 'Why? e.g. Drop rate elevated by a known bad batch; acceptable', maxlength: '10000' },
});
const reasonError = h('p', { id: 'reason-error', className: 'validation', attrs: { 'aria-live': 'polite' } });
const approveButton = button('Approve', () => decide('APPROVED'), { id: 'approve', className: 'approve' });
const rejectButton = button('Reject', () => decide('REJECTED'), { id: 'reject', className: 'reject secondary' });
const identityLine = h('p', { id: 'identity', className: 'identity' }, 'Finding out who you are…');
const identityFix = button('Fix', () => send({ type: 'fix', target: 'identity' }), { id: 'identity-fix', className: 'secondary', hidden: true });
// Before anything is typed: what the run still needs, and why a button is closed to you.
const progressLine = h('p', { id: 'approval-progress', className: 'progress', attrs: { 'aria-live': 'polite' } });
const policyBlock = h('p', { id: 'policy-blocked', className: 'blocked', hidden: true, attrs: { role: 'note' } });
const stateBox = h('div', { id: 'decision-state', className: 'decision-state', attrs: { role: 'status', 'aria-live': 'polite' } });
const retryButton = button('Retry', () => retry(), { id: 'retry', hidden: true });
const decisionFix = button('Fix', () => send({ type: 'fix', target: 'decision' }), { id: 'decision-fix', className: 'secondary', hidden: true });
const decisionPanel = h(
  'section',
  { id: 'decision-panel', className: 'decision', hidden: true, attrs: { 'aria-labelledby': 'decision-heading' } },
  h('h2', { id: 'decision-heading' }, 'Decision'),
  h('div', { className: 'identity-line' }, identityLine, identityFix),
  progressLine,
  policyBlock,
  h(
    'div',
    { id: 'decision-form', className: 'form' },
    h('label', { attrs: { for: 'reason' } }, 'Reason (required)'),
    h('p', { id: 'reason-help', className: 'help' }, 'Recorded with your decision and sent to the pipeline.'),
    reason,
    reasonError,
    h('div', { className: 'buttons' }, approveButton, rejectButton),
  ),
  stateBox,
  h('div', { className: 'buttons' }, retryButton, decisionFix),
);
replaceChildren(app, loadError, loading, h('div', { className: 'layout' }, detailsRoot, decisionPanel));

reason.addEventListener('input', () => {
  touched = true;
  updateForm();
  send({ type: 'reasonChanged', reason: reason.value });
});

window.addEventListener('message', (event: MessageEvent<HostMessage>) => receive(event.data));
setInterval(() => updateClock(), CLOCK_MS);
send({ type: 'ready' });

function receive(message: HostMessage): void {
  switch (message?.type) {
    case 'panel':
      // Kept by VS Code over a window reload, so that the panel comes back with this run.
      vscode.setState({ jobRunId: message.jobRunId });
      break;
    case 'loading':
      if (!details) showLoading(true);
      break;
    case 'show':
      details = message.details;
      renderDetails(message.details);
      break;
    case 'error':
      renderLoadError(message.error);
      break;
    case 'identity':
      renderIdentity(message.identity);
      break;
    case 'decisionState':
      decisionState = message.state;
      renderDecisionState(message.state);
      break;
    case 'progress':
      progress = message.progress;
      renderProgress(message.progress);
      updateForm();
      break;
    case 'draft':
      if (reason.value !== message.reason) reason.value = message.reason;
      if (message.reason !== '') touched = true;
      updateForm();
      break;
    default:
      break;
  }
}

function showLoading(on: boolean): void {
  loading.hidden = !on;
  app.setAttribute('aria-busy', on ? 'true' : 'false');
}

// ---- the run --------------------------------------------------------------------------

function renderDetails(d: RunDetailsModel): void {
  showLoading(false);
  loadError.hidden = true;
  replaceChildren(
    detailsRoot,
    header(d),
    problems(d),
    checks(d),
    metrics(d),
    artifacts(d),
    history(d.jobName, d.history.state === 'loaded' ? d.history.value : d.history.message),
    pastDecisions(d.decisions.state === 'loaded' ? d.decisions.value : d.decisions.message),
  );
  detailsRoot.hidden = false;
  decisionPanel.hidden = false;
  updateForm();
}

function header(d: RunDetailsModel): HTMLElement {
  const quality = d.quality ? d.quality.toLowerCase() : 'unknown';
  const facts: Array<[string, Child, string?]> = [
    ['Ran at', d.ranAtText, 'ran-at'],
    ['Age', d.ageText, 'age'],
    [d.isPending ? 'Expires' : d.expired ? 'Expired' : 'Would have expired', `${d.expiryText}${d.expirySource === 'ttl' ? ' (timestamp + approval TTL)' : ''}`, 'expires-at'],
  ];
  if (d.approval) {
    const via = d.approval.byEmailLink ? ' (by email link)' : '';
    facts.push([d.expired ? 'Expired without a decision' : 'Decision', `${d.approval.status} by ${d.approval.approvedBy}${via} at ${d.approval.timeText}${d.approval.reason ? `: ${d.approval.reason}` : ''}`, 'approval']);
  }
  if (d.eventType) facts.push(['Event', d.eventType]);
  if (d.failureType) facts.push(['Failure type', d.failureType]);
  if (d.triggeredBy) facts.push(['Triggered by', d.triggeredBy]);
  if (d.errorText) facts.push(['Error', d.errorText, 'error-text']);
  facts.push(['Document', d.documentId]);
  return h(
    'header',
    { id: 'run-header', className: 'run-header' },
    h('div', { className: 'title-line' }, h('h1', { id: 'job-name' }, d.jobName), button('Refresh', () => send({ type: 'refresh' }), { id: 'refresh', className: 'secondary' })),
    h(
      'p',
      { className: 'run-line' },
      'Run ',
      h('code', { id: 'run-id' }, d.jobRunId),
      ' ',
      button('Copy', () => send({ type: 'copy', text: d.jobRunId }), { id: 'copy-run-id', className: 'link', attrs: { 'aria-label': 'Copy run id' } }),
    ),
    h(
      'p',
      { className: 'badges' },
      h('span', { id: 'run-status', className: `badge status ${d.isPending ? 'pending' : 'other'}` }, `Status: ${d.statusText}`),
      h('span', { id: 'quality-status', className: `badge quality-${quality}` }, `Quality: ${d.qualityText}`),
      h('span', { id: 'time-left', className: `badge urgency-${d.urgency}` }, d.timeLeftText),
    ),
    h('dl', { className: 'facts' }, ...facts.flatMap(([label, value, id]) => [h('dt', {}, label), h('dd', id ? { id } : {}, value)])),
  );
}

function problems(d: RunDetailsModel): HTMLElement | null {
  if (d.missing.length === 0 && d.problems.length === 0) return null;
  return h(
    'section',
    { id: 'problems', className: 'notice warning', attrs: { role: 'note', 'aria-label': 'Problems with the document' } },
    h('p', {}, 'This run’s document is incomplete or malformed. What it has is shown; what it lacks is listed here.'),
    d.missing.length > 0 ? h('p', { id: 'missing-fields' }, `missing: ${d.missing.join(', ')}`) : null,
    d.problems.length > 0 ? h('ul', { id: 'problem-list' }, ...d.problems.map((p) => h('li', {}, p))) : null,
  );
}

function checks(d: RunDetailsModel): HTMLElement {
  const SEVERITY_CLASS = { fail: 'failed', warn: 'warn', pass: 'passed', unknown: 'unknown' } as const;
  const heading = d.checks.length === 0 ? 'Quality checks' : `Quality checks (${d.failedCount} failing of ${d.checks.length})`;
  return h(
    'section',
    { id: 'checks', attrs: { 'aria-labelledby': 'checks-heading' } },
    h('h2', { id: 'checks-heading' }, heading),
    d.checks.length === 0
      ? h('p', { className: 'empty' }, 'The document lists no quality checks.')
      : h(
          'ul',
          { id: 'check-list', className: 'checks' },
          ...d.checks.map((c) =>
            h(
              'li',
              { className: `check ${SEVERITY_CLASS[c.severity]}` },
              h('span', { className: 'check-status badge' }, c.statusText),
              ' ',
              h('span', { className: 'check-name' }, c.name),
              ' ',
              h('span', { className: 'check-reading' }, c.readingText),
            ),
          ),
        ),
  );
}

function metrics(d: RunDetailsModel): HTMLElement {
  const known = d.phases.filter((p) => p.seconds !== null);
  let x = 0;
  const bar =
    known.length === 0
      ? null
      : svg(
          'svg',
          { class: 'phase-bar', viewBox: '0 0 100 8', preserveAspectRatio: 'none', role: 'img', 'aria-label': d.phases.map((p) => `${p.label} ${p.text}`).join(', ') },
          ...d.phases.map((p) => {
            const rect = svg('rect', { class: `phase ${p.key}`, x: x, y: 0, width: Math.max(p.share * 100, 0), height: 8 }, svg('title', {}, `${p.label}: ${p.text}`));
            x += p.share * 100;
            return rect;
          }),
        );
  return h(
    'section',
    { id: 'metrics', attrs: { 'aria-labelledby': 'metrics-heading' } },
    h('h2', { id: 'metrics-heading' }, 'Metrics'),
    h('dl', { className: 'facts' }, ...d.metrics.flatMap((m) => [h('dt', {}, m.label), h('dd', { id: `metric-${m.key}`, className: m.missing ? 'missing' : '' }, m.text)])),
    h('h3', {}, `ETL phases (${d.phasesTotalText})`),
    bar,
    h(
      'ul',
      { className: 'phase-legend' },
      ...d.phases.map((p) => h('li', { className: `phase-item ${p.key}` }, h('span', { className: `swatch ${p.key}`, attrs: { 'aria-hidden': 'true' } }), `${p.label} ${p.text}`)),
    ),
  );
}

function artifacts(d: RunDetailsModel): HTMLElement {
  // The actions sit under the path, in its cell: a column of their own left the path too
  // little room beside the decision form.
  const body =
    d.artifacts.length === 0
      ? h('p', { className: 'empty' }, `No artifacts listed (artifacts available: ${d.artifactsAvailableText}).`)
      : h(
          'table',
          { id: 'artifact-table', className: 'grid' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Path'), h('th', { className: 'num' }, 'Records'))),
          h(
            'tbody',
            {},
            ...d.artifacts.map((a) => {
              const path = a.path;
              return h(
                'tr',
                { className: 'artifact' },
                h('td', { className: 'artifact-name' }, a.name),
                h(
                  'td',
                  { className: 'artifact-location' },
                  path === null ? h('span', { className: 'missing' }, 'no path') : h('code', { className: 'artifact-path', attrs: { title: path } }, ...pathParts(path)),
                  path === null
                    ? null
                    : h(
                        'div',
                        { className: 'actions' },
                        button('Copy path', () => send({ type: 'copy', text: path }), { className: 'link copy-path', attrs: { 'aria-label': `Copy path of ${a.name}` } }),
                        a.isS3
                          ? button('Open in S3 console', () => send({ type: 'openArtifact', path }), { className: 'link open-artifact', attrs: { 'aria-label': `Open ${a.name} in the S3 console` } })
                          : null,
                      ),
                ),
                h('td', { className: 'num' }, a.recordsText),
              );
            }),
          ),
        );
  return h('section', { id: 'artifacts', attrs: { 'aria-labelledby': 'artifacts-heading' } }, h('h2', { id: 'artifacts-heading' }, 'Artifacts'), body.tagName === 'TABLE' ? h('div', { className: 'table-scroll' }, body) : body);
}

/**
 * A path as segments that each end in "/", kept whole (CSS), with a break opportunity after
 * each: a long S3 path wraps at its slashes, never at the hyphens inside a name. Copying the
 * selected text still gives the path as it is.
 */
function pathParts(path: string): Child[] {
  const parts = path.match(/[^/]*\/+|[^/]+$/g) ?? [path];
  return parts.flatMap((part, i) => [h('span', { className: 'path-part' }, part), i < parts.length - 1 ? h('wbr') : null]);
}

function history(jobName: string, model: HistoryModel | string): HTMLElement {
  const section = h('section', { id: 'history', attrs: { 'aria-labelledby': 'history-heading' } }, h('h2', { id: 'history-heading' }, 'Recent runs of this job'));
  if (typeof model === 'string') {
    section.appendChild(h('p', { className: 'notice error' }, `The recent runs of ${jobName} could not be loaded: ${model}`));
    return section;
  }
  model.charts.forEach((chart, index) => {
    section.appendChild(
      h(
        'figure',
        { className: 'chart' },
        h('figcaption', {}, h('span', { className: 'chart-name' }, chart.checkName), ` · threshold ${chart.thresholdText}`),
        historyChart(chart),
        h('p', { id: index === 0 ? 'history-sentence' : undefined, className: 'history-sentence' }, chart.sentence),
      ),
    );
  });
  if (model.rows.length === 0) {
    section.appendChild(h('p', { className: 'empty' }, 'No runs of this job were found.'));
    return section;
  }
  // Four kinds of column, so that it fits beside the decision form: the time short (the full
  // one in its tooltip), the run id without the job's name, the values, and one Outcome for
  // status and decision, with who decided and why wrapping under it.
  const table = h(
    'table',
    { id: 'history-table', className: 'grid' },
    h('caption', { className: 'visually-hidden' }, `The last ${model.runCount} runs of ${jobName}, newest first`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { className: 'when' }, 'When (UTC)'),
        h('th', {}, 'Run'),
        ...model.checkNames.map((n) => h('th', { className: 'num check-column', attrs: { title: n } }, ...breakAfterUnderscores(n))),
        h('th', {}, 'Outcome'),
      ),
    ),
    h(
      'tbody',
      {},
      ...model.rows.map((r) =>
        h(
          'tr',
          { className: r.isCurrent ? 'current' : '' },
          h('td', { className: 'when', attrs: { title: r.timeText } }, r.shortTimeText),
          h('td', { className: 'run' }, h('code', { attrs: { title: r.jobRunId } }, r.runLabel), r.isCurrent ? h('span', { className: 'this-run' }, ' (this run)') : null),
          ...r.values.map((v, i) => {
            const failing = r.valuesFailing[i] === true;
            return h('td', { className: `num${failing ? ' failing' : ''}`, attrs: failing ? { title: `${model.checkNames[i] ?? 'check'} failed in this run` } : {} }, v);
          }),
          h(
            'td',
            { className: 'outcome' },
            h('span', { className: `outcome-word ${r.outcomeKind}`, attrs: r.status !== r.outcome ? { title: `status ${r.status}, quality ${r.quality}` } : { title: `quality ${r.quality}` } }, r.outcome),
            r.outcomeDetail ? h('span', { className: 'outcome-detail' }, r.outcomeDetail) : null,
          ),
        ),
      ),
    ),
  );
  section.appendChild(h('div', { className: 'table-scroll' }, table));
  return section;
}

/** A check name such as "row_count_delta" may wrap after its underscores in a narrow header. */
function breakAfterUnderscores(name: string): Child[] {
  const parts = name.split(/(?<=_)/);
  return parts.flatMap((part, i) => [part, i < parts.length - 1 ? h('wbr') : null]);
}

function pastDecisions(rows: DecisionRow[] | string): HTMLElement {
  const section = h(
    'section',
    { id: 'past-decisions', attrs: { 'aria-labelledby': 'past-decisions-heading' } },
    h('h2', { id: 'past-decisions-heading' }, 'Past decisions on this job'),
  );
  if (typeof rows === 'string') {
    section.appendChild(h('p', { className: 'notice error' }, `Past decisions could not be loaded: ${rows}`));
  } else if (rows.length === 0) {
    section.appendChild(h('p', { className: 'empty' }, 'No decisions on this job are recorded yet.'));
  } else {
    section.appendChild(
      h(
        'ul',
        { className: 'decision-list' },
        ...rows.map((r) =>
          h(
            'li',
            { className: `past-decision ${r.decision === 'APPROVED' ? 'approved' : r.decision === 'REJECTED' ? 'rejected' : 'other'}` },
            h(
              'p',
              { className: 'decision-line' },
              h('strong', {}, r.decision),
              ` by ${r.decidedBy}${r.byEmailLink ? ' (by email link)' : ''} · ${r.timeText} · run `,
              h('code', {}, r.jobRunId),
              r.isThisRun ? ' (this run)' : null,
              r.auditStatus !== 'recorded' ? h('span', { className: 'badge audit' }, r.auditStatus) : null,
            ),
            r.reason ? h('blockquote', { className: 'reason' }, r.reason) : h('p', { className: 'missing' }, 'no reason recorded'),
            r.detail ? h('p', { className: 'detail' }, r.detail) : null,
          ),
        ),
      ),
    );
  }
  return section;
}

function renderLoadError(error: PanelError): void {
  showLoading(false);
  replaceChildren(
    loadError,
    h('h2', {}, error.title),
    h('p', { id: 'load-error-message' }, error.message),
    h(
      'div',
      { className: 'buttons' },
      error.fixLabel ? button(error.fixLabel, () => send({ type: 'fix', target: 'load' }), { id: 'load-fix' }) : null,
      button('Try again', () => send({ type: 'refresh' }), { id: 'load-retry', className: 'secondary' }),
    ),
  );
  loadError.hidden = false;
}

/** Age and time left move on between messages. */
function updateClock(): void {
  if (!details) return;
  const now = Date.now();
  const age = document.getElementById('age');
  if (age) age.textContent = formatAge(details.timestampMs, now);
  const left = document.getElementById('time-left');
  if (left && details.isPending) {
    left.textContent = formatTimeLeft(details.expiryMs, now);
    left.className = `badge urgency-${urgencyOf(details.expiryMs, now)}`;
  }
}

// ---- the decision ---------------------------------------------------------------------

function renderIdentity(identity: IdentityView): void {
  identityFix.hidden = true;
  identityLine.classList.remove('error');
  switch (identity.state) {
    case 'loading':
      replaceChildren(identityLine, 'Finding out who you are…');
      break;
    case 'known':
      replaceChildren(identityLine, 'Recorded as ', h('strong', { id: 'decided-by' }, identity.decidedBy), ' (', h('code', { id: 'identity-arn' }, identity.arn), ')');
      break;
    case 'failed':
      identityLine.classList.add('error');
      replaceChildren(identityLine, `Cannot tell who you are, so a decision cannot be signed yet: ${identity.message}`);
      if (identity.fixLabel) {
        identityFix.textContent = identity.fixLabel;
        identityFix.hidden = false;
      }
      break;
  }
}

function renderDecisionState(state: DecisionStateView): void {
  retryButton.hidden = state.kind !== 'failed';
  decisionFix.hidden = true;
  stateBox.className = `decision-state state-${state.kind}`;
  const lines: Child[] = [];
  switch (state.kind) {
    case 'idle':
      break;
    case 'closed':
      lines.push(h('p', {}, `This run is not waiting for a decision (status ${state.status}).`));
      if (state.approval) lines.push(decidedLine(state.approval.status, state.approval.approvedBy, state.approval.timeText, state.approval.reason));
      break;
    case 'confirming':
      lines.push(h('p', {}, `Confirm the ${DECISION_WORDS[state.decision].noun} in the dialog…`));
      break;
    case 'publishing':
      lines.push(h('p', {}, `${DECISION_WORDS[state.decision].ing}: publishing the decision…`));
      break;
    case 'published':
      lines.push(h('p', {}, h('strong', {}, `Published: ${state.decision}.`), ids(state.decisionId, state.messageId)));
      if (state.audit) lines.push(auditLine(state.audit.status, state.audit.detail));
      if (state.waiting) lines.push(h('p', {}, 'Waiting for the approval processor to record it…'));
      else if (!state.audit) lines.push(h('p', {}, 'The approval processor has not recorded it after 2 minutes. It may be delayed; refresh later, or check the processor’s log.'));
      break;
    case 'notApplied':
      lines.push(...notAppliedLines(state));
      break;
    case 'recorded':
      lines.push(h('p', {}, h('strong', {}, 'Recorded by the processor.'), ids(state.decisionId, state.messageId)));
      lines.push(decidedLine(state.status, state.approvedBy, state.timeText, state.reason));
      if (state.publishedDecision !== null && state.publishedDecision !== state.status) {
        lines.push(h('p', { className: 'warning' }, `This is not the decision you published (${state.publishedDecision}): another decision was recorded first.`));
      }
      break;
    case 'alreadyDecided':
      lines.push(h('p', {}, h('strong', {}, 'Not published: decided by someone else meanwhile.')));
      lines.push(decidedLine(state.status, state.decidedBy, state.decidedAt, state.reason));
      break;
    case 'noLongerPending':
      lines.push(h('p', {}, h('strong', {}, 'Not published: '), `the run is no longer waiting for approval (status ${state.status}).`));
      break;
    case 'notFound':
      lines.push(h('p', {}, h('strong', {}, 'Not published: '), 'the run is no longer in the job-events index.'));
      break;
    case 'evidenceChanged':
      lines.push(
        h(
          'p',
          {},
          h('strong', {}, 'Not published: the run changed. '),
          'Its checks, metrics or artifacts are not what the page showed. The page now shows the current data; review it and decide again.',
        ),
      );
      break;
    case 'inProgress':
      lines.push(h('p', {}, 'A decision on this run is already being published from elsewhere in this window. Wait for it to finish.'));
      break;
    case 'failed':
      lines.push(h('p', {}, h('strong', {}, `Could not publish the ${DECISION_WORDS[state.decision].noun}. `), state.message));
      lines.push(h('p', {}, 'Your reason is kept. Retry sends the same decision again (with the same decision id).'));
      if (state.fixLabel) {
        decisionFix.textContent = state.fixLabel;
        decisionFix.hidden = false;
      }
      break;
  }
  replaceChildren(stateBox, ...lines);
  updateForm();
}

/** A published decision the processor turned down while the run still waits: why, and what now. */
function notAppliedLines(state: Extract<DecisionStateView, { kind: 'notApplied' }>): Child[] {
  const noun = DECISION_WORDS[state.decision].noun;
  const verdict = state.status === 'invalid' ? `rejected your ${noun} as invalid` : `refused your ${noun}`;
  return [
    h('p', { id: 'not-applied' }, h('strong', {}, `Not applied: the approval processor ${verdict}.`), ids(state.decisionId, null)),
    h('blockquote', { id: 'not-applied-reason', className: 'processor-reason' }, state.detail?.trim() || 'The processor gave no reason.'),
    state.evidenceChanged
      ? h(
          'p',
          { id: 'not-applied-evidence', className: 'warning' },
          h('strong', {}, 'The run changed after you reviewed it. '),
          'The page now shows its current checks, metrics and artifacts; review them before deciding again.',
        )
      : null,
    h('p', { id: 'decide-again' }, 'The run is still waiting for a decision. Your reason is kept: approve or reject again above; it is sent as a new decision.'),
  ];
}

function auditLine(status: string, detail: string | null): HTMLElement {
  const why = detail ? ` ${detail}` : '';
  if (status === 'awaiting-quorum') return h('p', { id: 'audit-status' }, `Counted as a vote: the run waits for more approvals.${why}`);
  return h('p', { id: 'audit-status', className: 'warning' }, h('strong', {}, `Not applied: the approval processor marked it ${status}.`), why);
}

function decidedLine(status: string, by: string, when: string, why: string): HTMLElement {
  return h('p', { className: 'decided' }, h('strong', {}, status), ` by ${by} at ${when}`, why ? h('span', { className: 'reason' }, `: ${why}`) : null);
}

function ids(decisionId: string | null, messageId: string | null): Child {
  const parts = [decisionId ? `decision ${decisionId}` : null, messageId ? `message ${messageId}` : null].filter((p): p is string => p !== null);
  return parts.length === 0 ? null : h('span', { className: 'ids' }, ` (${parts.join(', ')})`);
}

function renderProgress(view: ProgressView): void {
  progressLine.classList.remove('error');
  switch (view.state) {
    case 'loading':
      replaceChildren(progressLine, 'Reading the approval policy…');
      return;
    case 'failed':
      progressLine.classList.add('error');
      replaceChildren(progressLine, view.message);
      return;
    case 'known':
      replaceChildren(progressLine, view.summary);
      return;
  }
}

/** Which decisions the policy lets the current identity take (all while it is not known yet). */
function policyAllows(): { approve: boolean; reject: boolean; reason: string | null } {
  if (progress.state !== 'known') return { approve: true, reject: true, reason: null };
  const { approve, reject } = progress;
  // Both closed: one message for the form; one closed: that button's reason.
  const reasonText = !approve.allowed && !reject.allowed ? approve.reason ?? reject.reason : (approve.allowed ? reject.reason : approve.reason);
  return { approve: approve.allowed, reject: reject.allowed, reason: reasonText };
}

function updateForm(): void {
  const allows = policyAllows();
  const pending = details?.isPending === true;
  const open = pending && canDecide(decisionState) && (allows.approve || allows.reject);
  const busy = decisionState.kind === 'publishing' || decisionState.kind === 'confirming';
  byId('decision-form').hidden = !pending && !busy;
  reason.disabled = !open;
  // Progress and policy concern a run that still waits; a decided run shows its decision instead.
  progressLine.hidden = !pending;
  policyBlock.hidden = !pending || allows.reason === null;
  policyBlock.textContent = allows.reason ?? '';
  const error = reasonValidationError(reason.value);
  reasonError.textContent = touched && open ? (error ?? '') : '';
  const ready = open && error === null;
  approveButton.disabled = !ready || !allows.approve;
  rejectButton.disabled = !ready || !allows.reject;
  approveButton.title = allows.approve ? '' : (progress.state === 'known' ? progress.approve.reason ?? '' : '');
  rejectButton.title = allows.reject ? '' : (progress.state === 'known' ? progress.reject.reason ?? '' : '');
  retryButton.disabled = !ready || (decisionState.kind === 'failed' && !(decisionState.decision === 'APPROVED' ? allows.approve : allows.reject));
  decisionPanel.setAttribute('aria-busy', busy ? 'true' : 'false');
}

function decide(decision: Decision): void {
  if ((decision === 'APPROVED' ? approveButton : rejectButton).disabled) return;
  // Disabled at once, so a double click cannot send twice; the host refuses a second anyway.
  approveButton.disabled = true;
  rejectButton.disabled = true;
  send({ type: 'decide', decision, reason: reason.value });
}

function retry(): void {
  if (decisionState.kind !== 'failed' || retryButton.disabled) return;
  retryButton.disabled = true;
  send({ type: 'decide', decision: decisionState.decision, reason: reason.value });
}
