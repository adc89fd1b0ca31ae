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
import { createLog, type Log } from './logChannel';
import { PendingStatusBar } from './pendingStatusBar';
import { PendingView } from './pendingView';
import { PublishedFollowUpNotifier } from './publishedFollowUp';
import { RecentDecisionsView } from './recentDecisionsTree';
import { readConnectionSettings, readViewSettings, SettingsEvents } from './settings';
import { WaitingForMeFilter } from './waitingForMe';

/** What activate() creates, for the steps that wire it. */
interface Parts {
  log: Log;
  store: PendingRunsStore;
  connection: BackendConnection;
  controller: DecisionController;
  details: DetailsPanels;
}

/** The performance measure (the host's timeline) of activate() itself; bench/extension/activationHost.ts reads it. */
const ACTIVATE_MEASURE = 'dwhApprovals.activate';

export function activate(context: vscode.ExtensionContext): void {
  const activationStarted = performance.mark(`${ACTIVATE_MEASURE}.start`);
  const log = createLog();
  const settings = new SettingsEvents();
  const store = restoreStore(context);
  const connection = new BackendConnection(store, log, settings.onDidChange);
  const controller = new DecisionController(connection, store, log);
  const parts: Parts = { log, store, connection, controller, details: new DetailsPanels(context.extensionUri, connection, store, controller, log) };
  context.subscriptions.push(log, settings, { dispose: () => store.dispose() }, connection, controller, parts.details);
  const { pending, statusBar } = registerViewsAndCommands(context, parts);
  context.subscriptions.push(followViewSettings(settings, store, pending, statusBar), startClock(store, pending, statusBar));
  startLoading(context, connection, store);
  const activation = performance.measure(ACTIVATE_MEASURE, activationStarted.name);
  performance.clearMarks(activationStarted.name);
  log.info(`Activated in ${activation.duration.toFixed(1)} ms${store.isRestored ? ', showing the last known counts' : ''}`);
}

/** The store of pending runs: it shows the last known overview of these settings until the first request answers, and keeps each reload's for the next activation. */
function restoreStore(context: vscode.ExtensionContext): PendingRunsStore {
  const store = new PendingRunsStore(undefined, () => ({ profile: readConnectionSettings().profile }), {
    ttlHours: () => readViewSettings().approvalTtlHours,
  });
  store.restore(context.globalState.get<StoreSnapshot>(snapshotKey()));
  context.subscriptions.push(
    store.onDidChange((change) => {
      const snapshot = change.reloaded ? store.snapshot() : undefined;
      if (snapshot) void context.globalState.update(snapshotKey(), snapshot);
    }),
  );
  return store;
}

/** The Pending Approvals tree and its badge, the status bar, Recent Decisions (it follows the store, the connection and the decisions itself), the "waiting for me" filter, the follow-up notices, and the commands. */
function registerViewsAndCommands(context: vscode.ExtensionContext, { log, store, connection, controller, details }: Parts) {
  const pending = new PendingView(store, () => readConnectionSettings().profile !== undefined);
  const statusBar = new PendingStatusBar(store);
  const decisions = new RecentDecisionsView(connection, store, controller, log);
  const waitingForMe = new WaitingForMeFilter(connection, store, pending, log);
  context.subscriptions.push(
    pending,
    statusBar,
    decisions,
    waitingForMe,
    new PublishedFollowUpNotifier(store, log),
    ...registerViewCommands(store, pending, log, waitingForMe),
    ...registerDecisionCommands(store, pending, connection, controller),
    ...registerDetailsCommands(details),
    registerDetailsSerializer(details),
  );
  return { pending, statusBar };
}

/** A change of the view settings (refresh interval, grouping, time to live) restarts polling and redraws the tree and the status bar. */
function followViewSettings(settings: SettingsEvents, store: PendingRunsStore, pending: PendingView, statusBar: PendingStatusBar): vscode.Disposable {
  return settings.onDidChange((change) => {
    if (change !== 'view') return;
    store.startPolling(readViewSettings().refreshIntervalSeconds);
    pending.update();
    statusBar.update();
  });
}

/**
 * The first request (and with it the adapters' bundle, backendModule.ts) starts on the next
 * turn of the event loop: activate() returns with the views showing the last known state.
 */
function startLoading(context: vscode.ExtensionContext, connection: BackendConnection, store: PendingRunsStore): void {
  const start = setImmediate(() => {
    void connection.start();
    store.startPolling(readViewSettings().refreshIntervalSeconds);
  });
  context.subscriptions.push({ dispose: () => clearImmediate(start) });
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
