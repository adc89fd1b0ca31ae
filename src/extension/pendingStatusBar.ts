// The status-bar item: the pending count, in the warning colour when a run is urgent and
// in the error colour when the last refresh failed; a click focuses the Pending view.
// The count is the store's exact total (the same as the badge and the groups').
import * as vscode from 'vscode';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import { message } from '../core/untrustedText';
import { countText, staleText } from './pendingView';

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
      this.item.text = `$(error) DWH Approvals${this.store.hasLoaded ? ` ${countText(this.store)}` : ''}`;
      this.item.tooltip = message`DWH Approvals: the last refresh failed. ${status.failure.message}` + (this.store.hasLoaded ? ` ${staleText(this.store, this.now())}.` : '');
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
    const urgent = this.store.urgentCount;
    this.item.text = `$(checklist) ${countText(this.store)}`;
    this.item.tooltip =
      `${countText(this.store)} ${count === 1 ? 'run' : 'runs'} pending approval` +
      (urgent ? ` — ${urgent} urgent or overdue` : '') +
      (this.store.isRestored ? ` (${staleText(this.store, this.now())})` : '') +
      '. Click to review.';
    this.item.accessibilityInformation = { label: this.item.tooltip };
    this.item.backgroundColor = urgent ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
