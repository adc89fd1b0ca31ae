// Holds the backend for the current connection settings and rebuilds it when the profile,
// region or endpoints change, pointing the pending store at the new source. The backend's
// adapters (AWS SDK, OpenSearch client) load on its first request (backendModule.ts). The
// views ask it for what they need through ApprovalsPort, always of the current backend.
import * as vscode from 'vscode';
import type { ApprovalsBackend } from '../adapters/approvalsBackend';
import type { ApprovalPolicy } from '../core/approvalPolicy';
import type { CallerIdentity } from '../adapters/callerIdentity';
import type { OpenSearchRunRepository } from '../adapters/openSearchRunRepository';
import type { ConnectionSettings } from '../core/connectionSettings';
import type { DecisionPorts } from '../core/decisionWorkflow';
import type { PendingRunsStore, PendingSource } from '../core/pendingRunsStore';
import { loadBackendModule } from './backendModule';
import type { Log } from './logChannel';
import { timed } from './logChannel';
import { readConnectionSettings, readViewSettings, type SettingsChange } from './settings';

type RunReads = Pick<OpenSearchRunRepository, 'getRun' | 'jobHistory' | 'recentDecisions' | 'approvalVotes'>;

/** What the views ask of the connection: runs, decisions and votes, who I am, the region, the policy. */
export interface ApprovalsPort extends RunReads {
  /** The profile of the current settings (for the fixes of a failure). */
  readonly profile: string | undefined;
  identity(): Promise<CallerIdentity>;
  region(): Promise<string>;
  /** The approval policy from SSM (a missing parameter = the default); throws ApprovalPolicyError for a malformed one. */
  approvalPolicy(): Promise<ApprovalPolicy>;
  /** The connection was rebuilt (profile, region or endpoints changed). */
  readonly onDidChange: vscode.Event<unknown>;
}

export class BackendConnection implements ApprovalsPort, vscode.Disposable {
  private currentBackend: LazyBackend;
  private readonly changed = new vscode.EventEmitter<LazyBackend>();
  readonly onDidChange = this.changed.event;
  private readonly settingsListener: vscode.Disposable | undefined;

  /** `settingsChanged`: reconnects when the connection settings change (none: only by reconnect()). */
  constructor(
    private readonly store: PendingRunsStore,
    private readonly log: Log,
    settingsChanged?: vscode.Event<SettingsChange>,
  ) {
    this.currentBackend = this.build();
    this.settingsListener = settingsChanged?.((change) => {
      if (change === 'connection') void this.reconnect();
    });
  }

  get backend(): LazyBackend {
    return this.currentBackend;
  }

  get profile(): string | undefined {
    return this.currentBackend.settings.profile;
  }

  private readonly repository = async (): Promise<OpenSearchRunRepository> => (await this.backend.load()).repository();
  readonly getRun: RunReads['getRun'] = async (jobRunId) => (await this.repository()).getRun(jobRunId);
  readonly jobHistory: RunReads['jobHistory'] = async (...args) => (await this.repository()).jobHistory(...args);
  readonly recentDecisions: RunReads['recentDecisions'] = async (...args) => (await this.repository()).recentDecisions(...args);
  readonly approvalVotes: RunReads['approvalVotes'] = async (jobRunId) => (await this.repository()).approvalVotes(jobRunId);
  readonly identity = async (): Promise<CallerIdentity> => (await this.backend.load()).callerIdentity.identity();
  readonly region = async (): Promise<string> => (await this.backend.load()).aws.region();
  readonly approvalPolicy = async (): Promise<ApprovalPolicy> => (await this.backend.load()).approvalPolicy();

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
    this.settingsListener?.dispose();
    this.changed.dispose();
    void this.currentBackend.dispose();
  }

  private build(): LazyBackend {
    const settings = readConnectionSettings();
    this.log.info(
      `Connection: profile ${settings.profile ?? '(default chain)'}, region ${settings.region ?? '(from profile)'}` +
        (settings.awsEndpointUrl ? `, AWS endpoint ${settings.awsEndpointUrl}` : '') +
        `, OpenSearch ${settings.opensearchEndpoint ?? `from SSM ${settings.opensearchEndpointParameter}`}, index ${settings.opensearchIndex}`,
    );
    return new LazyBackend(settings, () => readViewSettings().approvalTtlHours, this.log);
  }

  private loggedSource(backend: LazyBackend): PendingSource {
    const source = backend.pendingSource();
    return {
      summary: () => timed(this.log, 'Pending summary', () => source.summary(), (s) => `fingerprint: ${s.documents} pending documents, ~${s.approximateRuns} runs, newest ${s.newestTimestamp ?? 'none'}`),
      overview: (request) =>
        timed(this.log, request.text ? 'Pending overview (filtered)' : 'Pending overview', () => source.overview(request), ({ overview }) =>
          `${overview.total} runs in ${overview.groups.length} jobs, ${overview.urgent} urgent${overview.exact ? '' : ' (estimated)'}`),
      page: (request) => timed(this.log, 'Page of pending runs', () => source.page(request), (page) => `${page.runs.length} runs${page.next ? ', more follow' : ''}`),
      listAll: (request) => timed(this.log, 'List pending runs', () => source.listAll(request), (runs) => `${runs.length} runs`),
      auditsFor: (ids) =>
        timed(this.log, `Audits of ${ids.length} published ${ids.length === 1 ? 'decision' : 'decisions'}`, () => source.auditsFor?.(ids) ?? Promise.resolve([]), (found) =>
          found.map((audit) => `${audit.auditId}: ${audit.record.auditStatus}`).join(', ') || 'none yet'),
    };
  }
}

/**
 * The backend for one set of connection settings, as the VS Code layer uses it, without
 * loading the adapters until something is asked of it: the settings at once, every request
 * through the ApprovalsBackend built on first use.
 */
class LazyBackend {
  private loaded: Promise<ApprovalsBackend> | undefined;
  private disposed = false;

  constructor(
    readonly settings: ConnectionSettings,
    private readonly ttlHours: () => number,
    private readonly log: Log,
  ) {}

  /** Loads the adapters' bundle (once per window) and builds the backend (once per settings). */
  load(): Promise<ApprovalsBackend> {
    this.loaded ??= timed(this.log, 'Load the AWS and OpenSearch adapters', async () => {
      const { ApprovalsBackend } = await loadBackendModule();
      return new ApprovalsBackend(this.settings, this.ttlHours);
    });
    return this.loaded;
  }

  /** The signing secret is read from SSM again before the next decision (nothing to forget before the first request). */
  forgetSigningSecret(): void {
    void this.loaded?.then((backend) => backend.parameters.forgetSigningSecret(), () => undefined);
  }

  pendingSource(): PendingSource {
    return {
      summary: async () => (await this.load()).pendingSource().summary(),
      overview: async (request) => (await this.load()).pendingSource().overview(request),
      page: async (request) => (await this.load()).pendingSource().page(request),
      listAll: async (request) => (await this.load()).pendingSource().listAll(request),
      auditsFor: async (decisionIds) => (await this.load()).pendingSource().auditsFor?.(decisionIds) ?? [],
    };
  }

  decisionPorts(): DecisionPorts {
    const ports = async () => (await this.load()).decisionPorts();
    return {
      freshRun: async (jobRunId) => (await ports()).freshRun(jobRunId),
      identity: async () => (await ports()).identity(),
      signingSecret: async () => (await ports()).signingSecret(),
      proveIdentity: async (decisionSha256) => (await ports()).proveIdentity(decisionSha256),
      topicArn: async () => (await ports()).topicArn(),
      publish: async (topicArn, message) => (await ports()).publish(topicArn, message),
      now: () => new Date(),
    };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const backend = await this.loaded?.catch(() => undefined);
    await backend?.dispose();
  }
}
