// The status-bar item: the pending count, in the warning colour when a run is urgent and
// in the error colour when the last refresh failed; a click focuses the Pending view.
import * as vscode from 'vscode';
import { expiryOf, urgencyOf } from '../core/expiry';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import { message } from '../core/untrustedText';
import { readViewSettings } from './settings';

export class PendingStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly store: PendingRunsStore,
    private readonly now: () => number = Date.now,
  ) {
    this.item = vscode.window.createStatusBarItem('dwhApprovals.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'DWH Approvals';
    this.item.command = 'dwhApprovals.pending.focus';
    this.subscription = store.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const status = this.store.status;
    if (status.kind === 'idle') {
      this.item.hide();
      return;
    }
    if (status.kind === 'failed') {
      this.item.text = `$(error) DWH Approvals${this.store.hasLoaded ? ` ${this.store.count}` : ''}`;
      this.item.tooltip = message`DWH Approvals: the last refresh failed. ${status.failure.message}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.item.show();
      return;
    }
    if (!this.store.hasLoaded) {
      this.item.text = '$(sync~spin) DWH Approvals';
      this.item.tooltip = 'Loading pending runs…';
      this.item.backgroundColor = undefined;
      this.item.show();
      return;
    }
    const count = this.store.count;
    const ttl = readViewSettings().approvalTtlHours;
    const now = this.now();
    const urgent = this.store.runs.filter((run) => {
      const urgency = urgencyOf(expiryOf(run, ttl), now);
      return urgency === 'urgent' || urgency === 'overdue';
    }).length;
    this.item.text = `$(checklist) ${count}`;
    this.item.tooltip =
      `${count} ${count === 1 ? 'run' : 'runs'} pending approval` + (urgent ? ` — ${urgent} urgent or overdue` : '') + '. Click to review.';
    this.item.accessibilityInformation = { label: this.item.tooltip };
    this.item.backgroundColor = urgent ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
