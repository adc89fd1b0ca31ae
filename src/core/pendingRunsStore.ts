// The one store of pending runs that the tree, the view badge, the status bar and the
// notifications all read, so they can never disagree. Polling is cheap: a summary query
// first, the full list only when the summary changed; failures back off exponentially.
// Every count the views show is the number of runs loaded; the summary is only a fingerprint.
// A run this window has published a decision for is hidden until the processor records it,
// and followed meanwhile (publishedDecisions.ts): it comes back, saying why, when the
// processor did not apply the decision or the grace period passes with the run still pending.
import type { AuditRecord } from './auditRecord';
import type { ClassifiedFailure } from './failureClassification';
import { classifyFailure } from './failureClassification';
import type { JobRun } from './model';
import {
  FOLLOW_UP_INTERVAL_MS,
  PUBLISHED_GRACE_MS,
  auditsByDecisionId,
  followUpState,
  isFinal,
  isShown,
  sameState,
  type AuditLookup,
  type FollowUpState,
  type PublishedDecision,
} from './publishedDecisions';

/**
 * A cheap fingerprint of the pending runs: when it is unchanged, the list is not reloaded.
 * Never shown as a count: the views count the runs actually loaded (`count`).
 */
export interface PendingSummary {
  /** Pending documents (exact; a run with two pending documents counts twice). */
  documents: number;
  /**
   * Distinct pending runs, approximately: OpenSearch's cardinality aggregation
   * (HyperLogLog++) can be off by one or more even for a few thousand runs.
   */
  approximateRuns: number;
  /** Newest pending document's timestamp, so a swap of one run for another is noticed. */
  newestTimestamp: string | null;
}

export interface PendingSource {
  summary(): Promise<PendingSummary>;
  /** Every pending run, sorted by expiry. */
  listPending(): Promise<JobRun[]>;
  /**
   * The audit documents (job-approvals) of these decision ids: by `_id`, or claiming the
   * decision_id. Without it, a published run comes back only after the grace period.
   */
  auditsFor?(decisionIds: readonly string[]): Promise<AuditLookup[]>;
}

/** A decision this window published for a run that is still in the pending list. */
export interface PublishedFollowUp extends PublishedDecision {
  state: FollowUpState;
}

export interface StoreOptions {
  now?: () => number;
  /** How long a published run stays hidden while nothing says what became of it. */
  graceMs?: number;
  /** How often the audit index is asked about published runs that are still hidden. */
  followUpIntervalMs?: number;
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
  /** Runs decided from this window and published: hidden until the processor records them. */
  private readonly published = new Map<string, PublishedFollowUp & { audit?: AuditRecord }>();
  private followUpHandle: unknown;
  private followingUp: Promise<void> | undefined;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly resurfaceListeners = new Set<(entries: PublishedFollowUp[]) => void>();
  private readonly now: () => number;
  private readonly graceMs: number;
  private readonly followUpIntervalMs: number;

  constructor(
    private readonly timers: StoreTimers = { setTimeout: (c, ms) => setTimeout(c, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    private readonly errorContext: () => Parameters<typeof classifyFailure>[1] = () => ({}),
    options: StoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.graceMs = options.graceMs ?? PUBLISHED_GRACE_MS;
    this.followUpIntervalMs = options.followUpIntervalMs ?? FOLLOW_UP_INTERVAL_MS;
  }

  get status(): StoreStatus {
    return this.currentStatus;
  }

  /** Pending runs awaiting a decision, in the source's order (expiry). */
  get runs(): readonly JobRun[] {
    if (this.published.size === 0) return this.allRuns;
    return this.allRuns.filter((run) => {
      const entry = this.published.get(run.jobRunId);
      return !entry || isShown(entry.state);
    });
  }

  /** The pending runs loaded (and not just decided here): what the badge and status bar show. */
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

  /**
   * Runs hidden after publishing that are shown again, or whose notice changed (say from
   * "not yet recorded" to "refused"): each time a decision's state changes to a shown one.
   */
  onDidResurface(listener: (entries: PublishedFollowUp[]) => void): { dispose(): void } {
    this.resurfaceListeners.add(listener);
    return { dispose: () => this.resurfaceListeners.delete(listener) };
  }

  /** Point the store at a new source (profile or region changed): reload from scratch. */
  setSource(source: PendingSource | undefined): Promise<void> {
    this.source = source;
    this.allRuns = [];
    this.loaded = false;
    this.lastSummary = undefined;
    this.published.clear();
    this.timers.clearTimeout(this.followUpHandle);
    this.followUpHandle = undefined;
    this.consecutiveFailures = 0;
    this.forceQueued = false;
    this.currentStatus = { kind: 'idle' };
    this.emit({ added: [], firstLoad: true });
    return source ? this.refresh({ force: true }) : Promise.resolve();
  }

  /**
   * Hide a run this window has just published a decision for, and follow the decision: with
   * its decision_id the audit index says what the processor made of it.
   */
  markPublished(jobRunId: string, decision: string, details: { decisionId?: string | null; publishedAtMs?: number } = {}): void {
    this.published.set(jobRunId, {
      jobRunId,
      decision,
      decisionId: details.decisionId ?? null,
      publishedAtMs: details.publishedAtMs ?? this.now(),
      state: { kind: 'hidden' },
    });
    this.emit({ added: [], firstLoad: false });
    this.scheduleFollowUp();
  }

  publishedDecision(jobRunId: string): string | undefined {
    return this.published.get(jobRunId)?.decision;
  }

  /** The decision this window published for a run still in the list, and where it stands. */
  publishedFollowUp(jobRunId: string): PublishedFollowUp | undefined {
    const entry = this.published.get(jobRunId);
    if (!entry) return undefined;
    return { jobRunId: entry.jobRunId, decision: entry.decision, decisionId: entry.decisionId, publishedAtMs: entry.publishedAtMs, state: entry.state };
  }

  /**
   * Looks up what the processor made of the decisions published from this window (one audit
   * query), and shows again the runs it did not apply them to, or that the grace period
   * has passed for. Runs on its own while a published run is hidden, and after each refresh.
   */
  followUp(): Promise<void> {
    if (this.followingUp) return this.followingUp;
    const request = this.lookUpAudits().finally(() => {
      if (this.followingUp === request) this.followingUp = undefined;
      this.scheduleFollowUp();
    });
    this.followingUp = request;
    return request;
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

  /** Poll every `intervalSeconds` (0 stops polling, and following up published runs); backs off while failing. */
  startPolling(intervalSeconds: number): void {
    this.intervalMs = intervalSeconds * 1000;
    this.schedule();
    this.scheduleFollowUp();
  }

  dispose(): void {
    this.disposed = true;
    this.timers.clearTimeout(this.pollHandle);
    this.timers.clearTimeout(this.followUpHandle);
    this.listeners.clear();
    this.resurfaceListeners.clear();
  }

  /**
   * While a published run is hidden, look for its audit every follow-up interval. Only while
   * polling: with polling off (interval 0) nothing is requested on its own, and a refresh
   * follows up instead.
   */
  private scheduleFollowUp(): void {
    this.timers.clearTimeout(this.followUpHandle);
    this.followUpHandle = undefined;
    if (this.disposed || this.followingUp || this.intervalMs <= 0) return;
    if (![...this.published.values()].some((entry) => entry.state.kind === 'hidden')) return;
    this.followUpHandle = this.timers.setTimeout(() => void this.followUp(), this.followUpIntervalMs);
  }

  private async lookUpAudits(): Promise<void> {
    const source = this.source;
    const open = [...this.published.values()].filter((entry) => !isFinal(entry.state) && entry.decisionId !== null);
    const ids = open.map((entry) => entry.decisionId as string);
    let audits = new Map<string, AuditRecord>();
    if (source?.auditsFor && ids.length > 0) {
      try {
        audits = auditsByDecisionId(await source.auditsFor(ids), ids);
      } catch {
        // The audit index could not be read: what an earlier lookup found and the grace
        // period still apply, and the next follow-up asks again.
      }
      if (source !== this.source || this.disposed) return;
    }
    this.reevaluate(audits);
  }

  private reevaluate(audits: ReadonlyMap<string, AuditRecord>): void {
    const now = this.now();
    let changed = false;
    const resurfaced: PublishedFollowUp[] = [];
    for (const entry of this.published.values()) {
      if (isFinal(entry.state)) continue;
      const audit = (entry.decisionId !== null ? audits.get(entry.decisionId) : undefined) ?? entry.audit;
      if (audit) entry.audit = audit;
      const next = followUpState(entry, audit, now, this.graceMs);
      if (sameState(next, entry.state)) continue;
      const before = entry.state;
      entry.state = next;
      changed = true;
      if (isShown(next) && before.kind !== next.kind) resurfaced.push(this.publishedFollowUp(entry.jobRunId) as PublishedFollowUp);
    }
    if (!changed) return;
    this.emit({ added: [], firstLoad: false });
    if (resurfaced.length > 0) for (const listener of [...this.resurfaceListeners]) listener(resurfaced);
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
      if (force || !this.loaded || summary !== this.lastSummary) {
        const runs = await source.listPending();
        if (source !== this.source) return; // the profile changed meanwhile
        this.lastSummary = summary;
        this.consecutiveFailures = 0;
        this.replaceRuns(runs);
      } else {
        this.consecutiveFailures = 0;
        if (this.currentStatus.kind !== 'ready') this.setStatus({ kind: 'ready' });
      }
      // A refused decision changes no run (nor the summary): the audits say what became of it.
      if (this.published.size > 0) await this.followUp();
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
