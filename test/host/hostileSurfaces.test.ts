// Job data is hostile on every surface: a job document built from the hostile corpus, indexed
// into the local stack, pushed through every VS Code surface the extension puts it on, inside
// the real extension host. The running extension's notifications, quick picks, input boxes,
// dialogs, progress and status-bar messages are captured by standing in for the vscode.window
// functions it calls (the extension and these suites share one API object); tree items,
// tooltips, the status-bar item and log lines come from the extension's own classes over the
// same stack. Each must hold no link, no icon from the data, and no second line.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import * as vscode from 'vscode';
import type { AuditRecord } from '../../src/core/auditRecord';
import { pendingSourceFromList } from '../../src/core/listPendingSource';
import { PendingRunsStore, type PendingSource, type PublishedFollowUp } from '../../src/core/pendingRunsStore';
import { labelText } from '../../src/core/untrustedText';
import { BackendConnection } from '../../src/extension/backendConnection';
import { DecisionController } from '../../src/extension/decisionController';
import { createLog } from '../../src/extension/logChannel';
import { PendingStatusBar } from '../../src/extension/pendingStatusBar';
import { PendingTreeProvider, type PendingNode } from '../../src/extension/pendingTree';
import { PublishedFollowUpNotifier, decoratePublishedRun } from '../../src/extension/publishedFollowUp';
import { RecentDecisionsView } from '../../src/extension/recentDecisionsTree';
import { pickPendingRuns } from '../../src/extension/runSearchPick';
import { HOSTILE_MIX, hostileJobDocument } from '../support/hostileCorpus';
import { renderedIcons, unsafeCharacter, workbenchLinks } from '../support/surfaceChecks';
import { activated, readStackEnv, waitFor, withUserSettings } from './support';

type Captured = { surface: string; text: string };

/** Markup characters that must be escaped wherever a value sits in a tooltip's Markdown. */
const MARKUP = /(?<!\\)[[\]<>`!$&]/;

describe('hostile job data on every surface', function () {
  this.timeout(180_000);
  const env = () => readStackEnv();
  const eventsIndex = () => env().indices?.events ?? 'job-events';
  const tag = `hostile-${randomUUID().slice(0, 8)}`;
  const doc = hostileJobDocument(tag);
  const runId = String(doc.job_run_id);
  let client: Client;
  const captured: Captured[] = [];
  const restore: Array<() => void> = [];
  const disposables: Array<{ dispose(): unknown }> = [];

  /** Stands in for vscode.window[name] until the suite ends. */
  function standIn(name: string, replacement: (...args: never[]) => unknown): void {
    const window = vscode.window as unknown as Record<string, unknown>;
    const original = window[name];
    window[name] = replacement;
    restore.push(() => {
      window[name] = original;
    });
  }

  const record = (surface: string, text: unknown) => {
    if (typeof text === 'string') captured.push({ surface, text });
  };

  /**
   * Each on one line with nothing invisible; no link where the surface renders links
   * (notifications, input-box prompts), no icon from the data where it renders icons (quick
   * picks, the status bar, input-box prompts; `allowedIcons` are our own).
   */
  function assertSafe(entries: Captured[], allowedIcons: string[] = []): void {
    assert.ok(entries.length > 0, 'something was captured');
    for (const { surface, text } of entries) {
      const rendersLinks = /message$|prompt|progress|dialog|tooltip/.test(surface) && !surface.startsWith('status-bar message');
      const rendersIcons = /quick pick|status|prompt/.test(surface);
      if (rendersLinks) assert.deepEqual(workbenchLinks(text), [], `${surface} holds a link: ${text.slice(0, 300)}`);
      if (rendersIcons) assert.deepEqual(renderedIcons(text).filter((icon) => !allowedIcons.includes(icon)), [], `${surface} renders an icon: ${text.slice(0, 300)}`);
      assert.equal(unsafeCharacter(text), undefined, `${surface}: ${text.slice(0, 300)}`);
    }
  }

  before(async function () {
    await activated();
    client = new Client({ node: env().opensearchUrl });
    standIn('showInformationMessage', (message: string) => {
      record('information message', message);
      return Promise.resolve(undefined);
    });
    standIn('showWarningMessage', (message: string, options?: vscode.MessageOptions) => {
      record('warning message', message);
      if (typeof options === 'object' && options && 'detail' in options) record('dialog detail', options.detail);
      return Promise.resolve(undefined);
    });
    standIn('showErrorMessage', (message: string) => {
      record('error message', message);
      return Promise.resolve(undefined);
    });
    standIn('setStatusBarMessage', (text: string) => {
      record('status-bar message', text);
      return { dispose: () => undefined };
    });
    standIn('showInputBox', (options?: vscode.InputBoxOptions) => {
      record('input-box title', options?.title);
      record('input-box prompt', options?.prompt);
      record('input-box placeholder', options?.placeHolder);
      return Promise.resolve('Host test: checked the hostile run by hand');
    });
    const showQuickPick = vscode.window.showQuickPick;
    standIn('showQuickPick', (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>) => {
      void Promise.resolve(items).then((list) => list.forEach((item) => recordItem('quick pick', item)));
      return Promise.resolve(undefined);
    });
    void showQuickPick;
    const createQuickPick = vscode.window.createQuickPick;
    standIn('createQuickPick', () => {
      const pick = createQuickPick<vscode.QuickPickItem>();
      const show = pick.show.bind(pick);
      // The pick fills as it searches: record what it is given, and close it once it shows the hostile run.
      const items = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(pick), 'items');
      Object.defineProperty(pick, 'items', {
        get: () => items?.get?.call(pick) as readonly vscode.QuickPickItem[],
        set: (list: readonly vscode.QuickPickItem[]) => {
          items?.set?.call(pick, list);
          for (const item of list) recordItem('palette quick pick', item);
          if (list.some((item) => item.label.includes(tag) || item.detail?.includes(tag))) pick.hide();
        },
      });
      pick.show = () => {
        record('palette quick pick title', pick.title);
        show();
      };
      return pick;
    });
    const withProgress = vscode.window.withProgress;
    standIn('withProgress', (options: vscode.ProgressOptions, task: Parameters<typeof withProgress>[1]) =>
      withProgress(options, (progress, token) => {
        record('progress title', options.title);
        return task({ report: (value) => { record('progress message', value.message); progress.report(value); } }, token);
      }),
    );
  });

  function recordItem(surface: string, item: vscode.QuickPickItem): void {
    if (!item.label.includes(tag) && !item.detail?.includes(tag)) return;
    record(`${surface} label`, item.label);
    record(`${surface} description`, item.description);
    record(`${surface} detail`, item.detail);
  }

  afterEach(function () {
    for (const disposable of disposables.splice(0).reverse()) disposable.dispose();
  });

  after(async function () {
    for (const undo of restore.splice(0).reverse()) undo();
    const found = await client.search({ index: eventsIndex(), body: { size: 100, _source: false, query: { term: { job_run_id: runId } } } }, { ignore: [404] });
    for (const hit of (found.body as { hits?: { hits?: Array<{ _id: string }> } }).hits?.hits ?? []) await client.delete({ index: eventsIndex(), id: hit._id }, { ignore: [404] });
    await client.indices.refresh({ index: eventsIndex() }, { ignore: [404] });
    await client?.close();
  });

  const about = (surface: string) => captured.filter((entry) => entry.surface.startsWith(surface));
  const mentioningRun = () => captured.filter((entry) => entry.text.includes(tag));

  it('announces the hostile run indexed after the first load without a link, an icon or a second line', async function () {
    await vscode.commands.executeCommand('dwhApprovals.refresh');
    const before = captured.length;
    await client.index({ index: eventsIndex(), refresh: true, body: doc });
    await vscode.commands.executeCommand('dwhApprovals.refresh');
    const announced = await waitFor(
      () => captured.slice(before).filter((entry) => entry.surface === 'information message' && entry.text.includes(tag)),
      (found) => found.length > 0,
      'the notification of the new run',
    );
    assertSafe(announced);
    // The text itself is there to read: the link's words and the codicon syntax, made inert.
    assert.match(announced[0]?.text ?? '', /\[Approve\] \(command:dwhApprovals\.approve\)/);
    assert.match(announced[0]?.text ?? '', /\$\(check\)/);
    assert.match(announced[0]?.text ?? '', /<U\+202E>/);
  });

  it('the palette pick (approve and show details) shows its fields with icons escaped', async function () {
    await vscode.commands.executeCommand('dwhApprovals.approve');
    await vscode.commands.executeCommand('dwhApprovals.showDetails');
    const picks = await waitFor(() => about('palette quick pick').concat(about('quick pick ')), (found) => found.length >= 6, 'both quick picks');
    assertSafe(picks.filter((entry) => entry.surface !== 'palette quick pick title'));
    const label = picks.find((entry) => entry.surface === 'palette quick pick label')?.text ?? '';
    assert.equal(label, labelText(runId).replace(/\$\(/g, '\\$('));
  });

  it('a run id that is not pending, and copying it, say so without a link or an icon', async function () {
    const before = captured.length;
    await vscode.commands.executeCommand('dwhApprovals.approve', `${tag} gone [x](command:workbench.action.openSettings)\n$(bug)`);
    await vscode.commands.executeCommand('dwhApprovals.copyRunId', runId);
    const shown = captured.slice(before);
    assert.deepEqual(shown.map((entry) => entry.surface), ['warning message', 'status-bar message']);
    assertSafe(shown);
  });

  it('the tree row and its tooltip: one-line label and description, untrusted Markdown with every value escaped', async function () {
    const store = new PendingRunsStore(undefined, () => ({}));
    const log = createLog(vscode.window.createOutputChannel('DWH Approvals host test: hostile', { log: true }));
    const connection = new BackendConnection(store, log);
    const tree = new PendingTreeProvider(store);
    disposables.push({ dispose: () => store.dispose() }, connection, tree, log);
    await client.index({ index: eventsIndex(), refresh: true, body: hostileJobDocument(tag, { timestamp: new Date().toISOString() }) });
    await withUserSettings({ groupBy: 'job' }, async () => {
      await connection.start();
      const job = (await tree.getChildren()).find((node) => node.kind === 'job' && node.jobName === doc.job_name);
      assert.ok(job, 'the hostile job has its group');
      const jobItem = tree.getTreeItem(job);
      const runNode = (await tree.getChildren(job)).find((node): node is Extract<PendingNode, { kind: 'run' }> => node.kind === 'run' && node.run.jobRunId.startsWith(tag));
      assert.ok(runNode);
      const item = tree.resolveTreeItem(tree.getTreeItem(runNode), runNode);
      const texts: Captured[] = [
        { surface: 'job label', text: labelOf(jobItem) },
        { surface: 'run label', text: labelOf(item) },
        { surface: 'run description', text: String(item.description) },
        { surface: 'run accessibility label', text: item.accessibilityInformation?.label ?? '' },
      ];
      // Tree labels render no icons and no links: `$(check)` there is the job's own text, shown literally.
      assertSafe(texts);
      assert.equal(item.label, labelText(runId));
      const tooltip = item.tooltip;
      assert.ok(tooltip instanceof vscode.MarkdownString);
      assertUntrustedTooltip(tooltip, ['**', 'Quality ', '- ', 'Ran ', 'Problems: ', '']);
      // The processor's verdict on it, appended to the row and its tooltip.
      const followUp: PublishedFollowUp = {
        jobRunId: runNode.run.jobRunId,
        decision: 'APPROVED',
        decisionId: 'host-hostile',
        publishedAtMs: Date.now(),
        state: { kind: 'not-applied', status: 'refused', detail: HOSTILE_MIX, code: null },
        following: false,
      };
      decoratePublishedRun(item, followUp);
      assertSafe([{ surface: 'refused run description', text: String(item.description) }]);
      assertUntrustedTooltip(item.tooltip as vscode.MarkdownString, ['**', 'Quality ', '- ', 'Ran ', 'Problems: ', '', '---', '⚠ ']);
    });
  });

  it('the processor verdict notification and Recent Decisions row and tooltip', async function () {
    const told: string[] = [];
    const store = new PendingRunsStore(undefined, () => ({}));
    const notifier = new PublishedFollowUpNotifier(store, createLog(vscode.window.createOutputChannel('DWH Approvals host test: hostile 2', { log: true })), (_warning, text) => {
      told.push(text);
      return Promise.resolve(undefined);
    });
    disposables.push({ dispose: () => store.dispose() }, notifier);
    const tell = (notifier as unknown as { tell(entries: PublishedFollowUp[], store: PendingRunsStore): Promise<void> }).tell.bind(notifier);
    await tell([{ jobRunId: runId, decision: 'APPROVED', decisionId: 'host-hostile', publishedAtMs: Date.now(), state: { kind: 'not-applied', status: 'refused', detail: HOSTILE_MIX, code: null }, following: false }], store);
    assertSafe(told.map((text) => ({ surface: 'verdict notification message', text })));

    const record: AuditRecord = {
      decisionId: 'host-hostile',
      jobName: String(doc.job_name),
      jobRunId: runId,
      decision: 'APPROVED',
      decidedBy: 'mallory [me](command:workbench.action.openSettings) $(person)\nforged',
      reason: HOSTILE_MIX,
      timestamp: new Date().toISOString(),
      auditStatus: 'refused',
      detail: HOSTILE_MIX,
      evidenceSha256: null,
    };
    // getTreeItem reads nothing of the view itself; the extension's own view holds the id.
    const item = RecentDecisionsView.prototype.getTreeItem.call(undefined, { kind: 'decision', record });
    assertSafe([{ surface: 'decision label', text: labelOf(item) }, { surface: 'decision description', text: String(item.description) }]);
    assertUntrustedTooltip(item.tooltip as vscode.MarkdownString, ['**', 'APPROVED', '> ', 'Processor: ', '']);
  });

  it('the status bar tooltip of a failed refresh, from a hostile error text', async function () {
    const source: PendingSource = pendingSourceFromList({
      summary: () => Promise.reject(new Error(`OpenSearch said: ${HOSTILE_MIX}`)),
      listPending: () => Promise.reject(new Error(`OpenSearch said: ${HOSTILE_MIX}`)),
    });
    const store = new PendingRunsStore(undefined, () => ({}));
    const statusBar = new PendingStatusBar(store);
    disposables.push({ dispose: () => store.dispose() }, statusBar);
    await store.setSource(source);
    const item = (statusBar as unknown as { item: vscode.StatusBarItem }).item;
    await waitFor(() => (typeof item.tooltip === 'string' ? item.tooltip : ''), (tooltip) => tooltip.includes('failed'), 'the failure in the tooltip');
    assertSafe([{ surface: 'status bar tooltip', text: typeof item.tooltip === 'string' ? item.tooltip : '' }, { surface: 'status bar text', text: item.text }], ['$(error)']);
  });

  it('the palette pick of a failed search, from a hostile error text', async function () {
    const failure = new Error(`OpenSearch said about ${tag}: ${HOSTILE_MIX}`);
    const store = new PendingRunsStore(undefined, () => ({}));
    disposables.push({ dispose: () => store.dispose() });
    await store.setSource(pendingSourceFromList({ summary: () => Promise.reject(failure), listPending: () => Promise.reject(failure) }));
    const from = captured.length;
    const chosen = await pickPendingRuns(store, { title: 'Approve pending runs', placeholder: 'Search', canSelectMany: true });
    assert.deepEqual(chosen, []);
    const shown = captured.slice(from).filter((entry) => entry.surface.startsWith('palette quick pick'));
    assert.ok(shown.some((entry) => entry.surface.endsWith('detail') && entry.text.includes('OpenSearch said')), JSON.stringify(shown).slice(0, 500));
    assertSafe(shown, ['$(error)']);
  });

  it('log lines about the hostile run stay one line each, with nothing invisible', async function () {
    const lines: string[] = [];
    const channel = {
      info: (line: string) => lines.push(line),
      warn: (line: string) => lines.push(line),
      error: (line: string) => lines.push(line),
      show: () => undefined,
      dispose: () => undefined,
    } as unknown as vscode.LogOutputChannel;
    const log = createLog(channel);
    const store = new PendingRunsStore(undefined, () => ({}));
    const connection = new BackendConnection(store, log);
    const controller = new DecisionController(connection, store, log);
    disposables.push({ dispose: () => store.dispose() }, connection, controller);
    await connection.start();
    const [run] = await store.listAll({ runIds: [runId] });
    assert.ok(run, 'the hostile run is pending');
    await controller.decide(run, 'APPROVED', `Host test ${HOSTILE_MIX}`);
    log.warn(`Details of ${runId}: ${HOSTILE_MIX}`);
    const aboutRun = lines.filter((line) => line.includes(tag));
    assert.ok(aboutRun.length >= 2, lines.join('\n'));
    for (const line of lines) assert.equal(unsafeCharacter(line), undefined, line.slice(0, 300));
  });

  it('deciding it from the palette: input box, confirmation, progress and result hold no link and no forged line', async function () {
    await withUserSettings({ confirmDecisions: true }, async () => {
      const before = captured.length;
      await vscode.commands.executeCommand('dwhApprovals.approve', runId);
      const shown = captured.slice(before);
      assertSafe(shown.filter((entry) => entry.surface !== 'dialog detail'));
      const detail = shown.find((entry) => entry.surface === 'dialog detail')?.text ?? '';
      // Its own lines only: the run, a blank line, the reason, who: the data adds none.
      const lines = detail.split('\n');
      assert.equal(lines.length, 4, detail);
      assert.ok(lines[0]?.startsWith('• evil_job'), lines[0]);
      assert.ok(lines[2]?.startsWith('Reason: '), lines[2]);
      assert.ok(lines[3]?.startsWith('Recorded as: '), lines[3]);
      assertSafe(lines.filter((line) => line !== '').map((text) => ({ surface: 'dialog detail line', text })));
    });
    await withUserSettings({ confirmDecisions: false }, async () => {
      const before = captured.length;
      await vscode.commands.executeCommand('dwhApprovals.approve', runId);
      const shown = captured.slice(before);
      assert.ok(shown.some((entry) => entry.surface === 'progress title' && entry.text.includes(tag)), JSON.stringify(shown.map((e) => e.surface)));
      assert.ok(shown.some((entry) => entry.surface === 'information message' && entry.text.includes('decision published')), JSON.stringify(shown));
      assertSafe(shown);
    });
  });

  it('everything captured that mentions the run was checked', function () {
    assert.ok(mentioningRun().length > 0);
    assertSafe(mentioningRun().filter((entry) => entry.surface !== 'dialog detail'), []);
  });
});

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/**
 * Untrusted, no HTML, no theme icons; every line starts with one of our own prefixes (the data
 * adds none); every Markdown-significant character of the data is escaped.
 */
function assertUntrustedTooltip(tooltip: vscode.MarkdownString, linePrefixes: string[]): void {
  assert.equal(tooltip.isTrusted, false);
  assert.equal(tooltip.supportHtml, false);
  assert.equal(tooltip.supportThemeIcons, false);
  for (const line of tooltip.value.split('\n')) {
    assert.ok(linePrefixes.some((prefix) => (prefix === '' ? line === '' : line.startsWith(prefix))), `a line of its own: ${line.slice(0, 200)}`);
    // Our own markup: bold around the job name, a quote before the reason.
    const unescaped = MARKUP.exec(line.replace(/^\*\*|\*\*(?= · )|^> /g, ''));
    assert.equal(unescaped, null, `unescaped ${unescaped?.[0]} in: ${line.slice(0, 300)}`);
    assert.equal(unsafeCharacter(line), undefined);
    assert.deepEqual(workbenchLinks(line), []);
  }
}
