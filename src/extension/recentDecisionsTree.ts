// The Recent Decisions view: the audit index, newest first — who decided what, when and
// why, and what the processor made of it (recorded, superseded, refused). Loaded when shown,
// after each decision this window publishes, when the connection changes, and whenever the
// pending store changes: a run decided or expired, or a published decision it follows
// (pendingRunsStore.ts) counted, refused or recorded. It asks nothing on a timer of its own.
import * as vscode from 'vscode';
import type { AuditRecord } from '../core/auditRecord';
import { DwhError } from '../core/failureClassification';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import type { ApprovalsPort } from './backendConnection';
import type { DecisionController } from './decisionController';
import type { Log } from './logChannel';
import { timed } from './logChannel';
import { label, markdown } from '../core/untrustedText';
import { untrustedMarkdown } from './markdown';

type DecisionNode = { kind: 'decision'; record: AuditRecord } | { kind: 'message'; text: string; icon: string };

export class RecentDecisionsView implements vscode.TreeDataProvider<DecisionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private records: AuditRecord[] | undefined;
  private error: string | undefined;
  private readonly treeView: vscode.TreeView<DecisionNode>;
  private loading: Promise<void> | undefined;
  private reloadQueued = false;
  private readonly subscriptions: Array<{ dispose(): void }>;

  constructor(
    private readonly connection: ApprovalsPort,
    store: PendingRunsStore,
    controller: DecisionController,
    private readonly log: Log,
  ) {
    this.treeView = vscode.window.createTreeView('dwhApprovals.decisions', { treeDataProvider: this });
    const reload = (): void => void this.reload();
    this.subscriptions = [
      this.treeView.onDidChangeVisibility((event) => event.visible && reload()),
      store.onDidChange(reload),
      controller.onDidDecide(reload),
      connection.onDidChange(reload),
    ];
  }

  reload(): Promise<void> {
    if (!this.treeView.visible) {
      this.records = undefined;
      return Promise.resolve();
    }
    if (this.loading) {
      // Asked again while a request is out: that request may have read before the change.
      this.reloadQueued = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        this.records = await timed(this.log, 'Recent decisions', () => this.connection.recentDecisions(50), (r) => `${r.length} decisions`);
        this.error = undefined;
      } catch (error) {
        this.error = error instanceof DwhError ? error.failure.message : String(error);
      } finally {
        this.loading = undefined;
        this.changed.fire();
        if (this.reloadQueued) {
          this.reloadQueued = false;
          void this.reload();
        }
      }
    })();
    return this.loading;
  }

  getChildren(node?: DecisionNode): DecisionNode[] {
    if (node) return [];
    if (this.error) return [{ kind: 'message', text: this.error, icon: 'error' }];
    if (!this.records) {
      if (this.treeView.visible) void this.reload();
      return [{ kind: 'message', text: 'Loading decisions…', icon: 'loading~spin' }];
    }
    if (this.records.length === 0) return [{ kind: 'message', text: 'No decisions recorded yet.', icon: 'info' }];
    return this.records.map((record) => ({ kind: 'decision', record }));
  }

  getTreeItem(node: DecisionNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(label`${node.text}`);
      item.iconPath = new vscode.ThemeIcon(node.icon);
      return item;
    }
    const record = node.record;
    const item = new vscode.TreeItem(label`${record.jobRunId}`);
    item.id = `decision:${record.decisionId}`;
    const approved = record.decision === 'APPROVED';
    const expired = record.decision === 'EXPIRED';
    item.description = label`${record.decision.toLowerCase()} by ${record.decidedBy} · ${record.auditStatus}${record.timestamp ? ` · ${record.timestamp}` : ''}`;
    item.iconPath = new vscode.ThemeIcon(
      record.auditStatus !== 'recorded' ? 'circle-slash' : expired ? 'watch' : approved ? 'pass' : 'close',
      new vscode.ThemeColor(record.auditStatus !== 'recorded' ? 'disabledForeground' : expired ? 'list.warningForeground' : approved ? 'testing.iconPassed' : 'testing.iconFailed'),
    );
    const tooltip = untrustedMarkdown(markdown`**${record.jobName}** · ${record.jobRunId}\n\n`);
    tooltip.appendMarkdown(markdown`${record.decision} by ${record.decidedBy} (${record.auditStatus})\n\n`);
    tooltip.appendMarkdown(markdown`> ${record.reason || '(no reason)'}`);
    if (record.detail) tooltip.appendMarkdown(markdown`\n\nProcessor: ${record.detail}`);
    item.tooltip = tooltip;
    item.contextValue = 'decision';
    item.command = { command: 'dwhApprovals.showDetails', title: 'Show Run Details', arguments: [record.jobRunId] };
    return item;
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.treeView.dispose();
    this.changed.dispose();
  }
}
