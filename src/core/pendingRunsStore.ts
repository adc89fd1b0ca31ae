// The one store of pending runs that the tree, the view badge, the status bar and the
// notifications all read, so they can never disagree. Polling is cheap: a summary query
// first, the full list only when the summary changed; failures back off exponentially.
import type { ClassifiedFailure } from './failureClassification';
import { classifyFailure } from './failureClassification';
import type { JobRun } from './model';

export interface PendingSummary {
  /** Distinct pending runs (approximate above 40,000). */
  count: number;
  /** Newest pending document's timestamp, so a swap of one run for another is noticed. */
  newestTimestamp: string | null;
}

export interface PendingSource {
  summary(): Promise<PendingSummary>;
  /** Every pending run, sorted by expiry. */
  listPending(): Promise<JobRun[]>;
}

export type StoreStatus =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'failed'; failure: ClassifiedFailure };

export interface StoreChange {
  /** Runs that were not in the previous list (empty on the first load). */
  added: JobRun[];
  firstLoad: boolean;
}

export interface StoreTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const MAX_BACKOFF_MS = 10 * 60 * 1000;

export class PendingRunsStore {
  private source: PendingSource | undefined;
  private allRuns: JobRun[] = [];
  private loaded = false;
  private lastSummary: string | undefined;
  private currentStatus: StoreStatus = { kind: 'idle' };
  private inFlight: Promise<void> | undefined;
  private inFlightSource: PendingSource | undefined;
  private forceQueued = false;
  private pollHandle: unknown;
  private consecutiveFailures = 0;
  private intervalMs = 0;
  private disposed = false;
  /** Runs decided from this window and published, hidden until the processor records them. */
  private readonly published = new Map<string, string>();
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(
    private readonly timers: StoreTimers = { setTimeout: (c, ms) => setTimeout(c, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    private readonly errorContext: () => Parameters<typeof classifyFailure>[1] = () => ({}),
  ) {}

  get status(): StoreStatus {
    return this.currentStatus;
  }

  /** Pending runs awaiting a decision, in the source's order (expiry). */
  get runs(): readonly JobRun[] {
    return this.published.size === 0 ? this.allRuns : this.allRuns.filter((run) => !this.published.has(run.jobRunId));
  }

  get count(): number {
    return this.runs.length;
  }

  get hasLoaded(): boolean {
    return this.loaded;
  }

  find(jobRunId: string): JobRun | undefined {
    return this.allRuns.find((run) => run.jobRunId === jobRunId);
  }

  onDidChange(listener: (change: StoreChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Point the store at a new source (profile or region changed): reload from scratch. */
  setSource(source: PendingSource | undefined): Promise<void> {
    this.source = source;
    this.allRuns = [];
    this.loaded = false;
    this.lastSummary = undefined;
    this.published.clear();
    this.consecutiveFailures = 0;
    this.forceQueued = false;
    this.currentStatus = { kind: 'idle' };
    this.emit({ added: [], firstLoad: true });
    return source ? this.refresh({ force: true }) : Promise.resolve();
  }

  /** Hide a run this window has just published a decision for. */
  markPublished(jobRunId: string, decision: string): void {
    this.published.set(jobRunId, decision);
    this.emit({ added: [], firstLoad: false });
  }

  publishedDecision(jobRunId: string): string | undefined {
    return this.published.get(jobRunId);
  }

  /**
   * Refresh. Without `force`, asks the cheap summary first and reloads only on a change.
   * Concurrent calls share one request; a forced call during a cheap one runs after it.
   */
  refresh(options: { force: boolean }): Promise<void> {
    // Share the request in flight only if it asks the current source; an answer from a
    // replaced source is ignored by load().
    if (this.inFlight && this.inFlightSource === this.source) {
      if (options.force) this.forceQueued = true;
      return this.inFlight;
    }
    const request = this.load(options.force).finally(() => {
      if (this.inFlight !== request) return;
      this.inFlight = undefined;
      if (this.forceQueued && !this.disposed) {
        this.forceQueued = false;
        void this.refresh({ force: true });
      }
    });
    this.inFlight = request;
    this.inFlightSource = this.source;
    return request;
  }

  /** Poll every `intervalSeconds` (0 stops polling); backs off while failing. */
  startPolling(intervalSeconds: number): void {
    this.intervalMs = intervalSeconds * 1000;
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    this.timers.clearTimeout(this.pollHandle);
    this.listeners.clear();
  }

  private schedule(): void {
    this.timers.clearTimeout(this.pollHandle);
    this.pollHandle = undefined;
    if (this.disposed || this.intervalMs <= 0) return;
    const delay = Math.min(this.intervalMs * 2 ** this.consecutiveFailures, Math.max(MAX_BACKOFF_MS, this.intervalMs));
    this.pollHandle = this.timers.setTimeout(() => {
      void this.refresh({ force: false }).finally(() => this.schedule());
    }, delay);
  }

  private async load(force: boolean): Promise<void> {
    const source = this.source;
    if (!source) return;
    if (!this.loaded) this.setStatus({ kind: 'loading' });
    try {
      const summary = JSON.stringify(await source.summary());
      if (!force && this.loaded && summary === this.lastSummary) {
        this.consecutiveFailures = 0;
        if (this.currentStatus.kind !== 'ready') this.setStatus({ kind: 'ready' });
        return;
      }
      const runs = await source.listPending();
      if (source !== this.source) return; // the profile changed meanwhile
      this.lastSummary = summary;
      this.consecutiveFailures = 0;
      this.replaceRuns(runs);
    } catch (error) {
      if (source !== this.source) return;
      this.consecutiveFailures += 1;
      this.setStatus({ kind: 'failed', failure: classifyFailure(error, this.errorContext()) });
    }
  }

  private replaceRuns(runs: JobRun[]): void {
    const firstLoad = !this.loaded;
    const previous = new Set(this.allRuns.map((run) => run.jobRunId));
    const added = firstLoad ? [] : runs.filter((run) => !previous.has(run.jobRunId));
    const current = new Set(runs.map((run) => run.jobRunId));
    for (const runId of this.published.keys()) if (!current.has(runId)) this.published.delete(runId);
    this.allRuns = runs;
    this.loaded = true;
    this.currentStatus = { kind: 'ready' };
    this.emit({ added, firstLoad });
  }

  private setStatus(status: StoreStatus): void {
    this.currentStatus = status;
    this.emit({ added: [], firstLoad: false });
  }

  private emit(change: StoreChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
