// DWH Approvals: review job runs stopped at a data-quality gate and publish signed
// decisions. activate() wires the store, the views and the commands, and shows the last
// known overview (kept in the global memento, per connection); nothing else. The AWS SDK and
// the OpenSearch client load with the first request (backendModule.ts).
import * as vscode from 'vscode';
import { PendingRunsStore, type StoreSnapshot } from '../core/pendingRunsStore';
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

/** The performance measure (the host's timeline) of activate() itself; bench/extension/activationHost.ts reads it. */
const ACTIVATE_MEASURE = 'dwhApprovals.activate';

export function activate(context: vscode.ExtensionContext): void {
  const activationStarted = performance.mark(`${ACTIVATE_MEASURE}.start`);
  const log = createLog();
  const store = new PendingRunsStore(undefined, () => ({ profile: readConnectionSettings().profile }), {
    ttlHours: () => readViewSettings().approvalTtlHours,
  });
  store.restore(context.globalState.get<StoreSnapshot>(snapshotKey()));
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
    store.onDidChange((change) => {
      void decisionsView.reload();
      const snapshot = change.reloaded ? store.snapshot() : undefined;
      if (snapshot) void context.globalState.update(snapshotKey(), snapshot);
    }),
    connection.onDidChange(() => void decisionsView.reload()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!affectsView(event)) return;
      store.startPolling(readViewSettings().refreshIntervalSeconds);
      decisionsView.schedulePoll();
      pendingView.update();
      statusBar.update();
    }),
    startClock(store, pendingView, statusBar),
  );

  // The first request (and with it the adapters' bundle, backendModule.ts) starts on the next
  // turn of the event loop: activate() returns with the views showing the last known state.
  const start = setImmediate(() => {
    void connection.start();
    store.startPolling(readViewSettings().refreshIntervalSeconds);
  });
  context.subscriptions.push({ dispose: () => clearImmediate(start) });
  const activation = performance.measure(ACTIVATE_MEASURE, activationStarted.name);
  performance.clearMarks(activationStarted.name);
  log.info(`Activated in ${activation.duration.toFixed(1)} ms${store.isRestored ? ', showing the last known counts' : ''}`);
}

/** Where the last overview of these connection settings is kept between sessions. */
function snapshotKey(): string {
  const settings = readConnectionSettings();
  const where = [settings.profile, settings.region, settings.awsEndpointUrl, settings.opensearchEndpoint, settings.opensearchEndpointParameter, settings.opensearchIndex];
  return `dwhApprovals.lastOverview:${JSON.stringify(where)}`;
}

/**
 * Time left moves on without a refresh: every 30 seconds, redraw the rows whose time left or
 * urgency changed (none, usually), take the urgent counts again if a run has become urgent,
 * and update the status bar's colour.
 */
function startClock(store: PendingRunsStore, view: PendingView, statusBar: PendingStatusBar): vscode.Disposable {
  const timer = setInterval(() => {
    store.tick();
    view.tick();
    statusBar.update();
  }, 30_000);
  return { dispose: () => clearInterval(timer) };
}

export function deactivate(): void {}
