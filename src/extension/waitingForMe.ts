// "Only runs waiting for me": a toggle on the Pending Approvals tree that keeps the runs the
// current identity may approve under the approval policy and has not approved yet (core
// waitingForIdentity, the rules the processor judges with). The badge and the status bar
// keep counting every pending run; the view's description says the tree is filtered.
import * as vscode from 'vscode';
import { voteRecordOfAuditRecord, waitingForIdentity } from '../core/approvalProgress';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import { APPROVER_RULE_TEXTS } from './approverRuleTexts';
import type { ApprovalsPort } from './backendConnection';
import { classifyFailure } from '../core/failureClassification';
import type { Log } from './logChannel';
import type { PendingView } from './pendingView';

const WAITING_FOR_ME_CONTEXT = 'dwhApprovals.waitingForMe';

export class WaitingForMeFilter implements vscode.Disposable {
  private on = false;
  private generation = 0;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly connection: ApprovalsPort,
    store: PendingRunsStore,
    private readonly view: PendingView,
    private readonly log: Log,
  ) {
    // The predicate holds for any run; only a fresh load (another source) may bring other votes.
    const storeSubscription = store.onDidChange((change) => {
      if (this.on && change.firstLoad) void this.recompute();
    });
    this.subscriptions = [connection.onDidChange(() => this.on && void this.recompute()), { dispose: () => storeSubscription.dispose() }];
  }

  get active(): boolean {
    return this.on;
  }

  async toggle(): Promise<void> {
    if (this.on) {
      this.turnOff();
      return;
    }
    this.on = true;
    await this.recompute();
  }

  dispose(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
  }

  /** Reads who I am, the policy and the open votes, and filters the tree with them. */
  private async recompute(): Promise<void> {
    const generation = ++this.generation;
    try {
      const { connection } = this;
      const [identity, policy, votes] = await Promise.all([connection.identity(), connection.approvalPolicy(), connection.approvalVotes()]);
      if (generation !== this.generation || !this.on) return;
      this.view.provider.setWaitingFor(waitingForIdentity(policy, identity.arn, votes.map(voteRecordOfAuditRecord)));
      void vscode.commands.executeCommand('setContext', WAITING_FOR_ME_CONTEXT, true);
      this.view.update();
    } catch (error) {
      if (generation !== this.generation) return;
      const failure = classifyFailure(error);
      this.log.warn(`Waiting for me: ${failure.detail || failure.message}`);
      this.turnOff();
      void vscode.window.showWarningMessage(APPROVER_RULE_TEXTS.waitingForMeFailed(failure.message));
    }
  }

  private turnOff(): void {
    this.on = false;
    this.generation += 1;
    this.view.provider.setWaitingFor(null);
    void vscode.commands.executeCommand('setContext', WAITING_FOR_ME_CONTEXT, false);
    this.view.update();
  }
}
