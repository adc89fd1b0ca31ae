// The Pending Approvals tree, lazy: grouped by job, the groups come from the store's
// overview (one aggregation: counts, urgent counts, nearest expiry) and a group's runs are
// fetched when it is expanded, a page at a time ("Show 500 more"); the flat list pages the
// same way. Each run row has its failing check, age and time left, an icon by quality and
// urgency, and contextValue flags for menus. When a refresh fails, the last list stays,
// marked stale with its age, under the error, a Retry and the fix; the last session's list
// is shown at once on start, marked as last known.
// "Waiting for me" (waitingForMe.ts) depends on the policy, who triggered each run and the
// votes, which no query can ask for: while it is on, the tree reads the whole pending list
// once per overview revision (store.listAll, with the text filter), keeps the runs the
// predicate keeps, and takes its groups, counts and pages from that list in memory
// (core/listPendingSource, the same order and counts as the server's).
// A row's Markdown tooltip is built only when it is hovered (resolveTreeItem), and the clock
// redraws only the rows whose text it moved.
import * as vscode from 'vscode';
import { formatCheck } from '../core/checkFormat';
import { formatDuration, formatTimeLeft, MINUTE_MS } from '../core/durations';
import { expiryOf } from '../core/expiry';
import { matches, overviewOfRuns, pendingSourceFromList } from '../core/listPendingSource';
import type { JobRun } from '../core/model';
import { EMPTY_SCOPE, PAGE_SIZE, type JobGroupOverview, type PageCursor, type PendingOverview, type PendingSelection, type ViewSort } from '../core/pendingOverview';
import { ShownTexts, runClockText, runShown, type RunIcon } from '../core/pendingDisplay';
import type { PendingRunsStore, RunPage } from '../core/pendingRunsStore';
import type { ClassifiedFailure } from '../core/failureClassification';
import { fixFor } from './failureMessages';
import { label, markdown, message } from '../core/untrustedText';
import { untrustedMarkdown } from './markdown';
import { appendPublishedNotice, decoratePublishedRun } from './publishedFollowUp';
import { readConnectionSettings, readViewSettings } from './settings';
import { APPROVER_RULE_TEXTS } from './approverRuleTexts';

/** Groups start expanded while this few runs are pending (each expanded group asks for its page). */
const EXPAND_GROUPS_UP_TO = 200;
/** Most rows one list (a group, or the flat list) fetches again at once after a reload. */
const MAX_RELOAD_ROWS = 10_000;

export type PendingNode =
  | { kind: 'job'; jobName: string; group: JobGroupOverview }
  | { kind: 'run'; run: JobRun }
  | { kind: 'more'; listKey: string; shown: number; remaining: number | undefined }
  | { kind: 'message'; text: string; detail?: string; icon: string; command?: vscode.Command };

/** The rows of one list (a group's, or the flat list), as far as they are loaded. */
interface LoadedList {
  revision: number;
  /** The text filter and the waiting-for-me predicate the rows were read under (basis()). */
  basis: string;
  runs: JobRun[];
  next: PageCursor | undefined;
  loading?: Promise<void>;
  error?: string;
}

export class PendingTreeProvider implements vscode.TreeDataProvider<PendingNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PendingNode | PendingNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private filterText = '';
  /** "Waiting for me": only runs this predicate keeps (core waitingForIdentity); null = all. */
  private waitingFor: ((run: JobRun) => boolean) | null = null;
  /** Bumped with every predicate, so lists read under another one are read again. */
  private waitingForGeneration = 0;
  /** The runs waiting for me, read for one overview revision, filter text and predicate. */
  private waiting: { revision: number; basis: string; runs: Promise<JobRun[]> } | undefined;
  /** Rows as last drawn, with the clock-dependent text they were drawn with. */
  private readonly shown = new ShownTexts<PendingNode>();
  /** The job groups last returned, so that getParent and a redraw name the very node the tree holds. */
  private jobNodes = new Map<string, Extract<PendingNode, { kind: 'job' }>>();
  private readonly lists = new Map<string, LoadedList>();
  private filtered: { revision: number; text: string; overview: Promise<PendingOverview> } | undefined;

  constructor(
    private readonly store: PendingRunsStore,
    private readonly now: () => number = Date.now,
  ) {}

  get filter(): string {
    return this.filterText;
  }

  setFilter(text: string): void {
    this.filterText = text.trim();
    this.refresh();
  }

  get waitingForMe(): boolean {
    return this.waitingFor !== null;
  }

  /** Shows only the runs `predicate` keeps (the runs waiting for the current identity); null shows all. */
  setWaitingFor(predicate: ((run: JobRun) => boolean) | null): void {
    this.waitingFor = predicate;
    this.waitingForGeneration += 1;
    this.waiting = undefined;
    this.refresh();
  }

  /** Redraw everything (the overview, the filter or a setting changed); loaded pages are kept until they are stale. */
  refresh(): void {
    this.shown.clear();
    this.changed.fire(undefined);
  }

  /**
   * The clock moved on: redraw only the rows whose time left or icon differ from what was
   * drawn; nothing when none does. Returns those nodes. (Group counts come from the store,
   * which takes them again when a run becomes urgent.)
   */
  tick(): PendingNode[] {
    if (this.shown.size === 0) return [];
    const now = this.now();
    const ttl = readViewSettings().approvalTtlHours;
    const changed = this.shown.changes((node) => (node.kind === 'run' ? runClockText(node.run, now, ttl) : ''));
    if (changed.length > 0) this.changed.fire(changed);
    return changed;
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** The groups shown (the overview's, or the filter's), most pressing first. */
  async shownGroups(): Promise<JobGroupOverview[]> {
    if (this.waitingFor) {
      const runs = (await this.waitingRuns()).filter((run) => this.store.isShown(run.jobRunId));
      return overviewOfRuns(runs, this.now(), readViewSettings().approvalTtlHours).groups;
    }
    if (!this.filterText) return this.store.groups;
    if (!this.filtered || this.filtered.revision !== this.store.revision || this.filtered.text !== this.filterText) {
      this.filtered = { revision: this.store.revision, text: this.filterText, overview: this.store.overviewFor(this.filterText) };
    }
    const overview = await this.filtered.overview;
    // The store's own groups leave runs hidden after publishing out; a filtered overview does here.
    const hidden = this.store.hiddenRuns().filter((run) => matches(run, { text: this.filterText }));
    return overview.groups
      .map((group) => ({ ...group, count: group.count - hidden.filter((run) => run.jobName === group.jobName).length }))
      .filter((group) => group.count > 0);
  }

  /** Every run of a group (or of the whole list), as far as the filter lets through: for bulk decisions. */
  async allRuns(group?: JobGroupOverview): Promise<JobRun[]> {
    if (this.waitingFor) {
      const selection = this.selection(group);
      return (await this.waitingRuns()).filter((run) => matches(run, selection) && this.store.isShown(run.jobRunId));
    }
    return this.store.listAll(this.selection(group));
  }

  async getChildren(node?: PendingNode): Promise<PendingNode[]> {
    if (node?.kind === 'job') return this.listRows(`job:${node.group.key ?? '\u0000'}`, node.group);
    if (node) return [];
    const status = this.store.status;
    if (!this.store.hasLoaded) {
      if (status.kind === 'failed') return failureNodes(status.failure);
      return status.kind === 'idle' ? [] : [{ kind: 'message', text: 'Loading pending runs…', icon: 'loading~spin' }];
    }
    const header = this.headerRows();
    if (readViewSettings().groupBy === 'none') {
      const rows = await this.listRows('flat', undefined);
      return [...header, ...(rows.length === 0 ? this.emptyRows() : rows)];
    }
    let groups: JobGroupOverview[];
    try {
      groups = await this.shownGroups();
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return [...header, { kind: 'message', text: label`Could not filter: ${text}`, detail: message`${text}`, icon: 'error', command: { command: 'dwhApprovals.filter', title: 'Change filter' } }];
    }
    this.jobNodes = new Map(groups.map((group) => [group.jobName, { kind: 'job', jobName: group.jobName, group }]));
    return [...header, ...(groups.length === 0 ? this.emptyRows() : [...this.jobNodes.values()])];
  }

  getParent(node: PendingNode): PendingNode | undefined {
    if (readViewSettings().groupBy === 'none') return undefined;
    if (node.kind === 'run') return this.jobNodes.get(node.run.jobName);
    if (node.kind === 'more' && node.listKey.startsWith('job:')) return [...this.jobNodes.values()].find((job) => `job:${job.group.key ?? '\u0000'}` === node.listKey);
    return undefined;
  }

  /** "Show more": the next page of a list, then redraw that list. */
  async showMore(listKey: string): Promise<void> {
    const list = this.lists.get(listKey);
    if (!list?.next || list.loading) {
      await list?.loading;
      return;
    }
    const group = listKey === 'flat' ? undefined : [...this.jobNodes.values()].find((job) => `job:${job.group.key ?? '\u0000'}` === listKey)?.group;
    list.loading = this.loadPage(list, group, list.next, PAGE_SIZE).finally(() => (list.loading = undefined));
    await list.loading;
    const parent = listKey === 'flat' ? undefined : this.jobNodes.get(group?.jobName ?? '');
    this.changed.fire(parent);
  }

  getTreeItem(node: PendingNode): vscode.TreeItem {
    switch (node.kind) {
      case 'job':
        return this.jobItem(node);
      case 'run':
        return this.runItem(node);
      case 'more': {
        const item = new vscode.TreeItem(node.remaining === undefined ? `Show ${PAGE_SIZE} more` : `Show ${Math.min(PAGE_SIZE, node.remaining)} more (${node.remaining} not shown)`, vscode.TreeItemCollapsibleState.None);
        item.id = `more:${node.listKey}:${node.shown}`;
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.contextValue = 'more';
        item.command = { command: 'dwhApprovals.showMore', title: 'Show more', arguments: [node.listKey] };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon, node.icon === 'error' ? new vscode.ThemeColor('errorForeground') : undefined);
        item.contextValue = 'message';
        if (node.detail) item.tooltip = node.detail;
        if (node.command) item.command = node.command;
        return item;
      }
    }
  }

  /** A run's Markdown tooltip, built only when the row is hovered. */
  resolveTreeItem(item: vscode.TreeItem, node: PendingNode, _token?: vscode.CancellationToken): vscode.TreeItem {
    if (node.kind === 'run' && item.tooltip === undefined) {
      item.tooltip = runTooltip(node.run, expiryOf(node.run, readViewSettings().approvalTtlHours), this.now());
      appendPublishedNotice(item.tooltip, this.store.publishedFollowUp(node.run.jobRunId));
    }
    return item;
  }

  /** The pending runs (as far as the text filter lets through) that wait for me, read once per overview revision. */
  private waitingRuns(): Promise<JobRun[]> {
    const predicate = this.waitingFor;
    if (!predicate) return Promise.resolve([]);
    const basis = this.basis();
    if (!this.waiting || this.waiting.revision !== this.store.revision || this.waiting.basis !== basis) {
      const runs = this.store.listAll(this.filterText ? { text: this.filterText } : {}).then((all) => all.filter(predicate));
      this.waiting = { revision: this.store.revision, basis, runs };
      // A failed read is not kept: the next redraw asks again.
      const attempt = this.waiting;
      runs.catch(() => {
        if (this.waiting === attempt) this.waiting = undefined;
      });
    }
    return this.waiting.runs;
  }

  /** What a list's rows depend on besides the overview's revision. */
  private basis(): string {
    return `${this.filterText}\u0000${this.waitingFor ? this.waitingForGeneration : 'all'}`;
  }

  private selection(group: JobGroupOverview | undefined): PendingSelection {
    return { ...(group ? { jobKey: group.key } : {}), ...(this.filterText ? { text: this.filterText } : {}) };
  }

  /** The rows above the list: the last refresh's failure with Retry and the fix, or "last known". */
  private headerRows(): PendingNode[] {
    const status = this.store.status;
    const age = staleAge(this.store, this.now());
    if (status.kind === 'failed') {
      const fix = fixFor(status.failure, readConnectionSettings().profile);
      return [
        { kind: 'message', text: label`Not refreshed: ${status.failure.message}`, detail: message`${status.failure.message}`, icon: 'error' },
        { kind: 'message', text: `Retry (the list below is from ${age})`, icon: 'refresh', command: { command: 'dwhApprovals.refresh', title: 'Retry' } },
        { kind: 'message', text: fix.label, icon: 'wrench', command: fix.command },
      ];
    }
    if (this.store.isRestored) return [{ kind: 'message', text: `Last known list, from ${age}: refreshing…`, icon: 'history' }];
    return [];
  }

  private emptyRows(): PendingNode[] {
    if (this.waitingFor && this.store.count > 0) {
      return [{ kind: 'message', text: APPROVER_RULE_TEXTS.noneWaitingForMe(this.store.count), icon: 'pass', command: { command: 'dwhApprovals.filterWaitingForMe', title: 'Show all pending runs' } }];
    }
    return this.filterText
      ? [{ kind: 'message', text: label`No pending run matches "${this.filterText}"`, icon: 'filter', command: { command: 'dwhApprovals.filter', title: 'Change filter' } }]
      : [];
  }

  /** A list's rows as loaded (its first page fetched now, or again after a reload), and "Show more". */
  private async listRows(listKey: string, group: JobGroupOverview | undefined): Promise<PendingNode[]> {
    let list = this.lists.get(listKey);
    const basis = this.basis();
    const stale = !list || list.revision !== this.store.revision || list.basis !== basis;
    if (stale && !(this.store.isRestored && list && list.basis === basis)) {
      // Fetch again as many rows as were shown, so a reload does not fold "Show more" back.
      const size = Math.min(MAX_RELOAD_ROWS, Math.max(PAGE_SIZE, list?.basis === basis ? list.runs.length : 0));
      const fresh: LoadedList = { revision: this.store.revision, basis, runs: [], next: undefined };
      fresh.loading = this.loadPage(fresh, group, undefined, size).finally(() => (fresh.loading = undefined));
      this.lists.set(listKey, fresh);
      list = fresh;
    }
    if (!list) return [];
    await list.loading;
    if (list.error !== undefined) {
      return [{ kind: 'message', text: label`Could not load these runs: ${list.error}`, detail: message`${list.error}`, icon: 'error', command: { command: 'dwhApprovals.refresh', title: 'Retry' } }];
    }
    const runs = list.runs.filter((run) => this.store.isShown(run.jobRunId));
    const rows: PendingNode[] = runs.map((run) => ({ kind: 'run', run }));
    if (list.next) {
      const total = group ? group.count : this.filterText || this.waitingFor ? undefined : this.store.count;
      rows.push({ kind: 'more', listKey, shown: runs.length, remaining: total === undefined ? undefined : Math.max(0, total - runs.length) });
    }
    return rows;
  }

  private async loadPage(list: LoadedList, group: JobGroupOverview | undefined, cursor: PageCursor | undefined, size: number): Promise<void> {
    const view = readViewSettings();
    try {
      const options = { sortBy: view.sortBy, byJob: group === undefined && view.sortBy === 'job', size, ...(cursor ? { cursor } : {}) };
      const page = this.waitingFor ? await this.waitingPage(this.selection(group), options) : await this.store.page(this.selection(group), options);
      list.runs = [...list.runs, ...page.runs];
      list.next = page.next;
      list.error = undefined;
    } catch (error) {
      list.error = error instanceof Error ? error.message : String(error);
    }
  }

  /** A page of the runs waiting for me, in the view's order, as the server would page them. */
  private async waitingPage(selection: PendingSelection, options: { sortBy: ViewSort; byJob: boolean; size: number; cursor?: PageCursor }): Promise<RunPage> {
    const runs = await this.waitingRuns();
    const source = pendingSourceFromList({ listPending: () => Promise.resolve(runs) });
    return source.page({ scope: EMPTY_SCOPE, selection, ttlHours: readViewSettings().approvalTtlHours, ...options });
  }

  private jobItem(node: Extract<PendingNode, { kind: 'job' }>): vscode.TreeItem {
    const expanded = this.store.count <= EXPAND_GROUPS_UP_TO;
    const item = new vscode.TreeItem(label`${node.jobName}`, expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `job:${node.group.key ?? '\u0000'}`;
    item.description = groupDescription(node.group, this.store.exact);
    item.iconPath = new vscode.ThemeIcon('layers');
    item.contextValue = 'job';
    item.accessibilityInformation = { label: label`${node.jobName}: ` + item.description };
    return item;
  }

  private runItem(node: Extract<PendingNode, { kind: 'run' }>): vscode.TreeItem {
    const run = node.run;
    const view = readViewSettings();
    const flat = view.groupBy === 'none';
    const shown = runShown(run, this.now(), view.approvalTtlHours, flat);
    const item = new vscode.TreeItem(label`${run.jobRunId}`, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.jobRunId}`;
    item.description = shown.description;
    item.iconPath = RUN_ICONS[shown.icon];
    // No tooltip here: resolveTreeItem builds it on hover.
    item.contextValue = ['run', 'pending', shown.urgency, (run.qualityStatus ?? 'unknown').toLowerCase()].join(' ');
    item.accessibilityInformation = { label: label`${run.jobName} run ${run.jobRunId}, ` + shown.description };
    item.command = { command: 'dwhApprovals.showDetails', title: 'Show Run Details', arguments: [run.jobRunId] };
    // A run back after the processor did not apply this window's decision says why.
    decoratePublishedRun(item, this.store.publishedFollowUp(run.jobRunId));
    this.shown.remember(item.id, node, shown.clock);
    return item;
  }
}

/** "3 pending · 1 urgent" ("about 3 pending" when the counts are estimates). */
function groupDescription(group: Pick<JobGroupOverview, 'count' | 'urgent'>, exact: boolean): string {
  return `${exact ? '' : 'about '}${group.count} pending${group.urgent ? ` · ${group.urgent} urgent` : ''}`;
}

/** How old the list shown is: "5m ago", "just now". */
export function staleAge(store: Pick<PendingRunsStore, 'loadedAtMs'>, now: number): string {
  const at = store.loadedAtMs;
  if (at === undefined) return 'earlier';
  const age = now - at;
  return age < MINUTE_MS ? 'less than a minute ago' : `${formatDuration(age)} ago`;
}

const RUN_ICONS: Record<RunIcon, vscode.ThemeIcon> = {
  overdue: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')),
  urgent: new vscode.ThemeIcon('flame', new vscode.ThemeColor('errorForeground')),
  expiring: new vscode.ThemeIcon('watch', new vscode.ThemeColor('editorWarning.foreground')),
  red: new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconFailed')),
  yellow: new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground')),
  plain: new vscode.ThemeIcon('circle-outline'),
};

function runTooltip(run: JobRun, expiry: number | null, now: number): vscode.MarkdownString {
  // Untrusted, no HTML, no icons; every value escaped by the markdown tag.
  const tooltip = untrustedMarkdown(markdown`**${run.jobName}** · ${run.jobRunId}\n\n`);
  tooltip.appendMarkdown(markdown`Quality ${run.qualityStatus ?? 'unknown'} · ${formatTimeLeft(expiry, now)}\n\n`);
  for (const check of run.qualityChecks.slice(0, 8)) {
    tooltip.appendMarkdown(markdown`- ${formatCheck(check)} (${check.status ?? 'no status'})\n`);
  }
  if (run.qualityChecks.length > 8) tooltip.appendMarkdown(`- …and ${run.qualityChecks.length - 8} more\n`);
  if (run.timestamp) tooltip.appendMarkdown(markdown`\nRan ${run.timestamp}`);
  if (run.problems.length) tooltip.appendMarkdown(markdown`\n\nProblems: ${run.problems.join('; ')}`);
  return tooltip;
}

function failureNodes(failure: ClassifiedFailure): PendingNode[] {
  const fix = fixFor(failure, readConnectionSettings().profile);
  return [
    { kind: 'message', text: label`${failure.message}`, detail: message`${failure.message}`, icon: 'error' },
    { kind: 'message', text: 'Retry', icon: 'refresh', command: { command: 'dwhApprovals.refresh', title: 'Retry' } },
    { kind: 'message', text: fix.label, icon: 'wrench', command: fix.command },
  ];
}
