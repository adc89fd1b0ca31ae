// DWH Approvals: review job runs stopped at a data-quality gate and publish signed
// decisions. activate() wires the store, the views and the commands; nothing else.
import * as vscode from 'vscode';
import { PendingRunsStore } from '../core/pendingRunsStore';
import { BackendConnection } from './backendConnection';
import { registerDecisionCommands } from './commands/decisionCommands';
import { registerViewCommands } from './commands/viewCommands';
import { DecisionController } from './decisionController';
import { DetailsPanels, registerDetailsCommands, registerDetailsSerializer } from './details/detailsPanels';
import { createLog } from './logChannel';
import { PendingStatusBar } from './pendingStatusBar';
import { PendingView } from './pendingView';
import { PublishedFollowUpNotifier } from './publishedFollowUp';
import { RecentDecisionsView } from './recentDecisionsTree';
import { affectsView, readConnectionSettings, readViewSettings } from './settings';
import { WaitingForMeFilter } from './waitingForMe';

export function activate(context: vscode.ExtensionContext): void {
  const log = createLog();
  const store = new PendingRunsStore(undefined, () => ({ profile: readConnectionSettings().profile }));
  const connection = new BackendConnection(store, log);
  const pendingView = new PendingView(store, () => readConnectionSettings().profile !== undefined);
  const statusBar = new PendingStatusBar(store);
  const decisionsView = new RecentDecisionsView(connection, log, () => readViewSettings().refreshIntervalSeconds);
  const controller = new DecisionController(connection, store, log);
  const details = new DetailsPanels(context.extensionUri, connection, store, controller, log);
  const waitingForMe = new WaitingForMeFilter(connection, store, pendingView, log);

  context.subscriptions.push(
    log,
    { dispose: () => store.dispose() },
    connection,
    pendingView,
    statusBar,
    decisionsView,
    controller,
    details,
    waitingForMe,
    new PublishedFollowUpNotifier(store, log),
    ...registerViewCommands(store, pendingView, log, waitingForMe),
    ...registerDecisionCommands(store, pendingView, connection, controller),
    ...registerDetailsCommands(details),
    registerDetailsSerializer(details),
    controller.onDidDecide(() => void decisionsView.reload()),
    // The processor records a decision after it is published: the run then leaves the pending
    // list, and a forced refresh (the view's Refresh button) changes the store too.
    store.onDidChange(() => void decisionsView.reload()),
    connection.onDidChange(() => void decisionsView.reload()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!affectsView(event)) return;
      store.startPolling(readViewSettings().refreshIntervalSeconds);
      decisionsView.schedulePoll();
      pendingView.update();
      statusBar.update();
    }),
    startClock(pendingView, statusBar),
  );

  void connection.start();
  store.startPolling(readViewSettings().refreshIntervalSeconds);
}

/**
 * Time left moves on without a refresh: every 30 seconds, redraw the rows and groups whose
 * time left, urgency or urgent count changed (none, usually), and the status bar's colour.
 */
function startClock(view: PendingView, statusBar: PendingStatusBar): vscode.Disposable {
  const timer = setInterval(() => {
    view.tick();
    statusBar.update();
  }, 30_000);
  return { dispose: () => clearInterval(timer) };
}

export function deactivate(): void {}
