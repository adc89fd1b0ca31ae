// The Pending Approvals view: the tree, its badge and description, the context keys that
// pick the welcome content, "Show more", and the notification for runs that newly appear.
// The badge shows the store's exact total, as the status bar and the groups do.
import * as vscode from 'vscode';
import type { JobRun } from '../core/model';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import { label, message } from '../core/untrustedText';
import { PendingTreeProvider, staleAge, type PendingNode } from './pendingTree';
import { readViewSettings, updateUserSetting } from './settings';
import { APPROVER_RULE_TEXTS } from './approverRuleTexts';

export type ViewState = 'loading' | 'notConfigured' | 'empty' | 'ready' | 'error';

export class PendingView implements vscode.Disposable {
  readonly provider: PendingTreeProvider;
  readonly treeView: vscode.TreeView<PendingNode>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly store: PendingRunsStore,
    private readonly isConfigured: () => boolean,
  ) {
    this.provider = new PendingTreeProvider(store);
    this.treeView = vscode.window.createTreeView('dwhApprovals.pending', {
      treeDataProvider: this.provider,
      canSelectMany: true,
      showCollapseAll: true,
    });
    const storeSubscription = store.onDidChange((change) => {
      this.update();
      if (change.added.length > 0) void this.notifyNewRuns(change.added);
    });
    this.disposables.push(
      this.treeView,
      this.provider,
      { dispose: () => storeSubscription.dispose() },
      vscode.commands.registerCommand('dwhApprovals.showMore', (listKey: unknown) => (typeof listKey === 'string' ? this.provider.showMore(listKey) : undefined)),
    );
    this.update();
  }

  /** The runs of these nodes (a group stands for every run in it, fetched at any count): for bulk decisions. */
  async runsOf(nodes: readonly PendingNode[]): Promise<JobRun[]> {
    const runs = new Map<string, JobRun>();
    for (const node of nodes) {
      if (node.kind === 'run') runs.set(node.run.jobRunId, node.run);
      if (node.kind === 'job') for (const run of await this.provider.allRuns(node.group)) runs.set(run.jobRunId, run);
    }
    return [...runs.values()];
  }

  update(): void {
    this.provider.refresh();
    const count = this.store.count;
    const loaded = this.store.hasLoaded;
    // The badge counts every pending run, also while the tree shows only those waiting for me.
    const counted = `${countText(this.store)} ${count === 1 ? 'run' : 'runs'} pending approval${this.provider.waitingForMe ? APPROVER_RULE_TEXTS.badgeCountsAll : ''}`;
    this.treeView.badge = loaded && count > 0 ? { value: count, tooltip: this.store.isRestored ? `${counted} (${staleText(this.store, Date.now())})` : counted } : undefined;
    const filter = this.provider.filter;
    const stale = this.store.isRestored || (this.store.status.kind === 'failed' && loaded) ? staleText(this.store, Date.now()) : undefined;
    const parts = [this.provider.waitingForMe ? APPROVER_RULE_TEXTS.waitingForMeDescription : undefined, filter ? label`filter: ${filter}` : undefined, stale];
    this.treeView.description = parts.filter((part): part is string => part !== undefined).join(' · ') || undefined;
    void vscode.commands.executeCommand('setContext', 'dwhApprovals.state', this.state());
  }

  /** The clock moved on: redraw only the rows whose time left or urgency changed. */
  tick(): void {
    this.provider.tick();
  }

  state(): ViewState {
    const status = this.store.status;
    if (status.kind === 'failed') return status.failure.kind === 'no-credentials' && !this.isConfigured() ? 'notConfigured' : 'error';
    if (!this.store.hasLoaded) return 'loading';
    return this.store.count === 0 && !this.provider.filter && !this.provider.waitingForMe ? 'empty' : 'ready';
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private async notifyNewRuns(added: JobRun[]): Promise<void> {
    if (!readViewSettings().notifyOnNewPending) return;
    const first = added[0];
    if (!first) return;
    const text =
      added.length === 1
        ? message`A run of ${first.jobName} is waiting for approval (${first.jobRunId}).`
        : `${added.length} new runs are waiting for approval.`;
    const review = 'Review';
    const approve = 'Approve…';
    const mute = "Don't Show Again";
    const choice = await vscode.window.showInformationMessage(text, ...(added.length === 1 ? [review, approve, mute] : [review, mute]));
    if (choice === review) {
      if (added.length === 1) await vscode.commands.executeCommand('dwhApprovals.showDetails', first.jobRunId);
      else await vscode.commands.executeCommand('dwhApprovals.pending.focus');
    } else if (choice === approve) {
      await vscode.commands.executeCommand('dwhApprovals.approve', first.jobRunId);
    } else if (choice === mute) {
      await updateUserSetting('notifyOnNewPending', false);
    }
  }
}

/** The pending count as shown: exact, or "about N" beyond the limits where it is estimated. */
export function countText(store: Pick<PendingRunsStore, 'count' | 'exact'>): string {
  return `${store.exact ? '' : 'about '}${store.count}`;
}

/** "last known, 5m ago" / "not refreshed since 5m ago". */
export function staleText(store: Pick<PendingRunsStore, 'loadedAtMs' | 'isRestored'>, now: number): string {
  return store.isRestored ? `last known, ${staleAge(store, now)}` : `not refreshed since ${staleAge(store, now)}`;
}
