// Holds the backend for the current connection settings and rebuilds it when the profile,
// region or endpoints change, pointing the pending store at the new source.
import * as vscode from 'vscode';
import { ApprovalsBackend } from '../adapters/approvalsBackend';
import type { PendingRunsStore, PendingSource } from '../core/pendingRunsStore';
import type { Log } from './logChannel';
import { timed } from './logChannel';
import { affectsConnection, readConnectionSettings, readViewSettings } from './settings';

export class BackendConnection implements vscode.Disposable {
  private currentBackend: ApprovalsBackend;
  private readonly changed = new vscode.EventEmitter<ApprovalsBackend>();
  readonly onDidChange = this.changed.event;
  private readonly configListener: vscode.Disposable;

  constructor(
    private readonly store: PendingRunsStore,
    private readonly log: Log,
  ) {
    this.currentBackend = this.build();
    this.configListener = vscode.workspace.onDidChangeConfiguration((event) => {
      if (affectsConnection(event)) void this.reconnect();
    });
  }

  get backend(): ApprovalsBackend {
    return this.currentBackend;
  }

  /** Starts loading: called once the views exist. */
  start(): Promise<void> {
    return this.store.setSource(this.loggedSource(this.currentBackend));
  }

  async reconnect(): Promise<void> {
    const previous = this.currentBackend;
    this.currentBackend = this.build();
    this.changed.fire(this.currentBackend);
    void previous.dispose();
    await this.store.setSource(this.loggedSource(this.currentBackend));
  }

  dispose(): void {
    this.configListener.dispose();
    this.changed.dispose();
    void this.currentBackend.dispose();
  }

  private build(): ApprovalsBackend {
    const settings = readConnectionSettings();
    this.log.info(
      `Connection: profile ${settings.profile ?? '(default chain)'}, region ${settings.region ?? '(from profile)'}` +
        (settings.awsEndpointUrl ? `, AWS endpoint ${settings.awsEndpointUrl}` : '') +
        `, OpenSearch ${settings.opensearchEndpoint ?? `from SSM ${settings.opensearchEndpointParameter}`}, index ${settings.opensearchIndex}`,
    );
    return new ApprovalsBackend(settings, () => readViewSettings().approvalTtlHours);
  }

  private loggedSource(backend: ApprovalsBackend): PendingSource {
    const source = backend.pendingSource();
    return {
      summary: () => timed(this.log, 'Pending summary', () => source.summary(), (s) => `fingerprint: ${s.documents} pending documents, ~${s.approximateRuns} runs, newest ${s.newestTimestamp ?? 'none'}`),
      listPending: () => timed(this.log, 'List pending runs', () => source.listPending(), (runs) => `${runs.length} runs`),
      auditsFor: (ids) =>
        timed(this.log, `Audits of ${ids.length} published ${ids.length === 1 ? 'decision' : 'decisions'}`, () => source.auditsFor?.(ids) ?? Promise.resolve([]), (found) =>
          found.map((audit) => `${audit.auditId}: ${audit.record.auditStatus}`).join(', ') || 'none yet'),
    };
  }
}
