// The Pending Approvals tree: runs grouped by job (or flat), each with its failing check,
// age and time left, an icon by quality and urgency, and contextValue flags for menus.
// Errors are tree items that say what is wrong and offer the command that fixes it.
import * as vscode from 'vscode';
import { formatCheck, primaryFailingCheck } from '../core/checkFormat';
import { expiryOf, formatDuration, urgencyOf } from '../core/expiry';
import type { JobRun, Urgency } from '../core/model';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import type { ClassifiedFailure } from '../core/failureClassification';
import { fixFor } from './failureMessages';
import { readConnectionSettings, readViewSettings, type SortBy } from './settings';

export type PendingNode =
  | { kind: 'job'; jobName: string; runs: JobRun[] }
  | { kind: 'run'; run: JobRun }
  | { kind: 'message'; text: string; detail?: string; icon: string; command?: vscode.Command };

export class PendingTreeProvider implements vscode.TreeDataProvider<PendingNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PendingNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private filterText = '';

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

  refresh(): void {
    this.changed.fire(undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** The runs shown, filtered and sorted as the tree shows them. */
  visibleRuns(): JobRun[] {
    const needle = this.filterText.toLowerCase();
    const runs = needle ? this.store.runs.filter((run) => searchText(run).includes(needle)) : [...this.store.runs];
    return sortRuns(runs, readViewSettings().sortBy, readViewSettings().approvalTtlHours);
  }

  getChildren(node?: PendingNode): PendingNode[] {
    if (node?.kind === 'job') return node.runs.map((run) => ({ kind: 'run', run }));
    if (node) return [];
    const status = this.store.status;
    if (status.kind === 'failed') return failureNode(status.failure);
    if (!this.store.hasLoaded) return status.kind === 'idle' ? [] : [{ kind: 'message', text: 'Loading pending runs…', icon: 'loading~spin' }];
    const runs = this.visibleRuns();
    if (runs.length === 0) {
      return this.filterText
        ? [{ kind: 'message', text: `No pending run matches "${this.filterText}"`, icon: 'filter', command: { command: 'dwhApprovals.filter', title: 'Change filter' } }]
        : [];
    }
    if (readViewSettings().groupBy === 'none') return runs.map((run) => ({ kind: 'run', run }));
    const groups = new Map<string, JobRun[]>();
    for (const run of runs) {
      const group = groups.get(run.jobName);
      if (group) group.push(run);
      else groups.set(run.jobName, [run]);
    }
    return [...groups].map(([jobName, groupRuns]) => ({ kind: 'job', jobName, runs: groupRuns }));
  }

  getParent(node: PendingNode): PendingNode | undefined {
    if (node.kind !== 'run' || readViewSettings().groupBy === 'none') return undefined;
    const runs = this.visibleRuns().filter((run) => run.jobName === node.run.jobName);
    return { kind: 'job', jobName: node.run.jobName, runs };
  }

  getTreeItem(node: PendingNode): vscode.TreeItem {
    switch (node.kind) {
      case 'job':
        return this.jobItem(node.jobName, node.runs);
      case 'run':
        return this.runItem(node.run);
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

  private jobItem(jobName: string, runs: JobRun[]): vscode.TreeItem {
    const item = new vscode.TreeItem(jobName, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `job:${jobName}`;
    const ttl = readViewSettings().approvalTtlHours;
    const urgent = runs.filter((run) => isUrgentOrWorse(urgencyOf(expiryOf(run, ttl), this.now()))).length;
    item.description = `${runs.length} pending${urgent ? ` · ${urgent} urgent` : ''}`;
    item.iconPath = new vscode.ThemeIcon('layers');
    item.contextValue = 'job';
    return item;
  }

  private runItem(run: JobRun): vscode.TreeItem {
    const ttl = readViewSettings().approvalTtlHours;
    const now = this.now();
    const expiry = expiryOf(run, ttl);
    const urgency = urgencyOf(expiry, now);
    const item = new vscode.TreeItem(run.jobRunId, vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.jobRunId}`;
    const check = primaryFailingCheck(run);
    const flat = readViewSettings().groupBy === 'none';
    item.description = [
      flat ? run.jobName : undefined,
      check ? formatCheck(check) : run.qualityStatus ?? 'no checks',
      timeLeftText(expiry, now),
    ].filter(Boolean).join(' · ');
    item.iconPath = runIcon(run, urgency);
    item.tooltip = runTooltip(run, expiry, now);
    item.contextValue = ['run', 'pending', urgency, (run.qualityStatus ?? 'unknown').toLowerCase()].join(' ');
    item.accessibilityInformation = { label: `${run.jobName} run ${run.jobRunId}, ${item.description}` };
    item.command = { command: 'dwhApprovals.showDetails', title: 'Show Run Details', arguments: [run.jobRunId] };
    return item;
  }
}

function isUrgentOrWorse(urgency: Urgency): boolean {
  return urgency === 'urgent' || urgency === 'overdue';
}

export function timeLeftText(expiry: number | null, now: number): string {
  if (expiry == null) return 'expiry unknown';
  const left = expiry - now;
  return left < 0 ? `overdue ${formatDuration(-left)}` : `${formatDuration(left)} left`;
}

function runIcon(run: JobRun, urgency: Urgency): vscode.ThemeIcon {
  if (urgency === 'overdue') return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  if (urgency === 'urgent') return new vscode.ThemeIcon('flame', new vscode.ThemeColor('errorForeground'));
  if (urgency === 'expiring') return new vscode.ThemeIcon('watch', new vscode.ThemeColor('editorWarning.foreground'));
  if (run.qualityStatus === 'RED') return new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('testing.iconFailed'));
  if (run.qualityStatus === 'YELLOW') return new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
  return new vscode.ThemeIcon('circle-outline');
}

function runTooltip(run: JobRun, expiry: number | null, now: number): vscode.MarkdownString {
  // Job data is escaped: the tooltip is untrusted, no HTML, no command links.
  const tooltip = new vscode.MarkdownString(undefined, true);
  tooltip.isTrusted = false;
  tooltip.supportHtml = false;
  tooltip.appendMarkdown(`**${escapeMarkdown(run.jobName)}** \`${escapeCode(run.jobRunId)}\`\n\n`);
  tooltip.appendMarkdown(`$(${run.qualityStatus === 'RED' ? 'error' : 'warning'}) Quality ${escapeMarkdown(run.qualityStatus ?? 'unknown')} · ${escapeMarkdown(timeLeftText(expiry, now))}\n\n`);
  for (const check of run.qualityChecks.slice(0, 8)) {
    tooltip.appendMarkdown(`- ${escapeMarkdown(formatCheck(check))} (${escapeMarkdown(check.status ?? 'no status')})\n`);
  }
  if (run.qualityChecks.length > 8) tooltip.appendMarkdown(`- …and ${run.qualityChecks.length - 8} more\n`);
  if (run.timestamp) tooltip.appendMarkdown(`\nRan ${escapeMarkdown(run.timestamp)}`);
  if (run.problems.length) tooltip.appendMarkdown(`\n\n$(info) ${escapeMarkdown(run.problems.join('; '))}`);
  return tooltip;
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$&]/g, '\\$&');
}

function escapeCode(text: string): string {
  return text.replace(/`/g, "'");
}

function failureNode(failure: ClassifiedFailure): PendingNode[] {
  const fix = fixFor(failure, readConnectionSettings().profile);
  return [
    { kind: 'message', text: failure.message, detail: failure.message, icon: 'error' },
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
