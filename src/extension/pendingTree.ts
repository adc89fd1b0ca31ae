// The Pending Approvals tree: runs grouped by job (or flat), each with its failing check,
// age and time left, an icon by quality and urgency, and contextValue flags for menus. Errors are
// tree items that say what is wrong and offer the command that fixes it.
// Built for 10,000 runs: a row's Markdown tooltip is built only when it is hovered
// (resolveTreeItem), and the clock redraws only the rows and groups whose text it moved.
import * as vscode from 'vscode';
import { formatCheck } from '../core/checkFormat';
import { expiryOf, formatTimeLeft } from '../core/expiry';
import type { JobRun } from '../core/model';
import { ShownTexts, jobDescription, runClockText, runShown, type RunIcon } from '../core/pendingDisplay';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import type { ClassifiedFailure } from '../core/failureClassification';
import { fixFor } from './failureMessages';
import { label, markdown, message } from '../core/untrustedText';
import { untrustedMarkdown } from './markdown';
import { appendPublishedNotice, decoratePublishedRun } from './publishedFollowUp';
import { readConnectionSettings, readViewSettings, type SortBy } from './settings';
import { APPROVER_RULE_TEXTS } from './approverRuleTexts';

export type PendingNode =
  | { kind: 'job'; jobName: string; runs: JobRun[] }
  | { kind: 'run'; run: JobRun }
  | { kind: 'message'; text: string; detail?: string; icon: string; command?: vscode.Command };

export class PendingTreeProvider implements vscode.TreeDataProvider<PendingNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PendingNode | PendingNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private filterText = '';
  /** "Waiting for me": only runs this predicate keeps (core waitingForIdentity); null = all. */
  private waitingFor: ((run: JobRun) => boolean) | null = null;
  /** Rows and groups as last drawn, with the clock-dependent text they were drawn with. */
  private readonly shown = new ShownTexts<PendingNode>();
  /** The job groups last returned, so that getParent names the very node the tree holds. */
  private jobNodes = new Map<string, Extract<PendingNode, { kind: 'job' }>>();

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
    this.refresh();
  }

  /** Redraw everything (the runs, the filter or a setting changed). */
  refresh(): void {
    this.shown.clear();
    this.changed.fire(undefined);
  }

  /**
   * The clock moved on: redraw only the rows whose time left or icon, and the groups whose
   * urgent count, differ from what was drawn; nothing when none does. Returns those nodes.
   */
  tick(): PendingNode[] {
    if (this.shown.size === 0) return [];
    const now = this.now();
    const ttl = readViewSettings().approvalTtlHours;
    const changed = this.shown.changes((node) =>
      node.kind === 'run' ? runClockText(node.run, now, ttl) : node.kind === 'job' ? jobDescription(node.runs, now, ttl) : '',
    );
    if (changed.length > 0) this.changed.fire(changed);
    return changed;
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** The runs shown, filtered and sorted as the tree shows them. */
  visibleRuns(): JobRun[] {
    const needle = this.filterText.toLowerCase();
    const mine = this.waitingFor;
    const runs = needle || mine ? this.store.runs.filter((run) => (!needle || searchText(run).includes(needle)) && (!mine || mine(run))) : [...this.store.runs];
    return sortRuns(runs, readViewSettings().sortBy, readViewSettings().approvalTtlHours);
  }

  getChildren(node?: PendingNode): PendingNode[] {
    if (node?.kind === 'job') return node.runs.map((run) => ({ kind: 'run', run }));
    if (node) return [];
    const status = this.store.status;
    if (status.kind === 'failed') return failureNode(status.failure);
    if (!this.store.hasLoaded) return status.kind === 'idle' ? [] : [{ kind: 'message', text: 'Loading pending runs…', icon: 'loading~spin' }];
    const runs = this.visibleRuns();
    if (runs.length === 0 && this.waitingFor && this.store.runs.length > 0) {
      return [{ kind: 'message', text: APPROVER_RULE_TEXTS.noneWaitingForMe(this.store.runs.length), icon: 'pass', command: { command: 'dwhApprovals.filterWaitingForMe', title: 'Show all pending runs' } }];
    }
    if (runs.length === 0) {
      return this.filterText
        ? [{ kind: 'message', text: label`No pending run matches "${this.filterText}"`, icon: 'filter', command: { command: 'dwhApprovals.filter', title: 'Change filter' } }]
        : [];
    }
    if (readViewSettings().groupBy === 'none') return runs.map((run) => ({ kind: 'run', run }));
    const groups = new Map<string, JobRun[]>();
    for (const run of runs) {
      const group = groups.get(run.jobName);
      if (group) group.push(run);
      else groups.set(run.jobName, [run]);
    }
    this.jobNodes = new Map([...groups].map(([jobName, groupRuns]) => [jobName, { kind: 'job', jobName, runs: groupRuns }]));
    return [...this.jobNodes.values()];
  }

  getParent(node: PendingNode): PendingNode | undefined {
    if (node.kind !== 'run' || readViewSettings().groupBy === 'none') return undefined;
    const known = this.jobNodes.get(node.run.jobName);
    if (known?.runs.includes(node.run)) return known;
    const runs = this.visibleRuns().filter((run) => run.jobName === node.run.jobName);
    return { kind: 'job', jobName: node.run.jobName, runs };
  }

  getTreeItem(node: PendingNode): vscode.TreeItem {
    switch (node.kind) {
      case 'job':
        return this.jobItem(node);
      case 'run':
        return this.runItem(node);
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

  private jobItem(node: Extract<PendingNode, { kind: 'job' }>): vscode.TreeItem {
    const item = new vscode.TreeItem(label`${node.jobName}`, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `job:${node.jobName}`;
    const description = jobDescription(node.runs, this.now(), readViewSettings().approvalTtlHours);
    item.description = description;
    item.iconPath = new vscode.ThemeIcon('layers');
    item.contextValue = 'job';
    this.shown.remember(item.id, node, description);
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
    this.shown.remember(item.id, node, shown.clock, flat ? undefined : `job:${run.jobName}`);
    return item;
  }
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

function failureNode(failure: ClassifiedFailure): PendingNode[] {
  const fix = fixFor(failure, readConnectionSettings().profile);
  return [
    { kind: 'message', text: label`${failure.message}`, detail: message`${failure.message}`, icon: 'error' },
    { kind: 'message', text: fix.label, icon: 'wrench', command: fix.command },
  ];
}

function searchText(run: JobRun): string {
  return [run.jobName, run.jobRunId, ...run.qualityChecks.map((check) => formatCheck(check))].join(' ').toLowerCase();
}

export function sortRuns(runs: JobRun[], sortBy: SortBy, ttlHours: number): JobRun[] {
  const byTime = (run: JobRun) => run.timestampMs ?? 0;
  switch (sortBy) {
    case 'newest':
      return runs.sort((a, b) => byTime(b) - byTime(a));
    case 'oldest':
      return runs.sort((a, b) => byTime(a) - byTime(b));
    case 'job':
      return runs.sort((a, b) => a.jobName.localeCompare(b.jobName) || (expiryOf(a, ttlHours) ?? Infinity) - (expiryOf(b, ttlHours) ?? Infinity));
    case 'expiry':
      return runs; // the store keeps runs in expiry order
  }
}
