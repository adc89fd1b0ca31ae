// The one store of pending runs that the tree, the view badge, the status bar and the
// notifications all read, so they can never disagree. It holds the overview (the job groups
// with their exact counts, urgent counts and nearest expiry, from one aggregation), not the
// runs: the tree asks for pages of a group's runs when it is expanded (page), the palette
// searches (page with a text), bulk decisions take every run of a selection (listAll).
// Polling is cheap: a summary query first, the overview only when the summary changed (or
// when a run becomes urgent); failures back off exponentially and keep the last overview.
// A run this window has published a decision for is hidden until the processor records it,
// and followed meanwhile (publishedDecisions.ts), for every view (tree, details panels, Recent
// Decisions, notifications): it comes back, saying why, when the processor did not apply the
// decision or the grace period passes with the run still pending.
// The last overview can be kept across sessions (snapshot/restore): shown at once, marked
// as last known, until the first load answers.
import type { AuditRecord } from './auditRecord';
import { expiryOf, urgencyOf } from './expiry';
import type { ClassifiedFailure } from './failureClassification';
import { classifyFailure } from './failureClassification';
import type { JobRun } from './model';
import {
  EMPTY_SCOPE,
  PAGE_SIZE,
  type JobGroupOverview,
  type PageCursor,
  type PendingOverview,
  type PendingScope,
  type PendingSelection,
  type ViewSort,
} from './pendingOverview';
import {
  FOLLOW_UP_INTERVAL_MS,
  MAX_FOLLOW_UP_INTERVAL_MS,
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
 * A cheap fingerprint of the pending runs: when it is unchanged, the overview is not reloaded.
 * Never shown as a count: the views show the overview's exact counts.
 */
export interface PendingSummary {
  /** Pending documents (exact; a run with two pending documents counts twice). */
  documents: number;
  /** Distinct pending runs, approximately (cardinality, HyperLogLog++): part of the fingerprint only. */
  approximateRuns: number;
  /** Newest pending document's timestamp, so a swap of one run for another is noticed. */
  newestTimestamp: string | null;
  /** Oldest pending document's timestamp: older documents cannot supersede a pending one. */
  oldestTimestamp?: string | null;
}

export interface OverviewRequest {
  /** No document older than this can supersede a pending one (the summary's oldest). */
  sinceMs: number | null;
  nowMs: number;
  ttlHours: number;
  text?: string;
}

export interface PageRequest {
  scope: PendingScope;
  selection: PendingSelection;
  sortBy: ViewSort;
  ttlHours: number;
  /** Flat list sorted by job: the job name leads the order. */
  byJob: boolean;
  size: number;
  cursor?: PageCursor;
}

export interface RunPage {
  runs: JobRun[];
  /** Where the next page starts; undefined when this was the last. */
  next: PageCursor | undefined;
}

export interface PendingSource {
  summary(): Promise<PendingSummary>;
  /** The groups and exact counts, and the scope the counts are over (pendingOverview.ts). */
  overview(request: OverviewRequest): Promise<{ overview: PendingOverview; scope: PendingScope }>;
  /** One page of runs in the view's order. */
  page(request: PageRequest): Promise<RunPage>;
  /** Every run of the selection, in expiry order (bulk decisions, the full list). */
  listAll(request: { scope: PendingScope; selection: PendingSelection; ttlHours: number }): Promise<JobRun[]>;
  /**
   * The audit documents (job-approvals) of these decision ids: by `_id`, or claiming the
   * decision_id. Without it, a published run comes back only after the grace period.
   */
  auditsFor?(decisionIds: readonly string[]): Promise<AuditLookup[]>;
}

/** A decision this window published for a run that is still in the pending list. */
export interface PublishedFollowUp extends PublishedDecision {
  state: FollowUpState;
  /** The store still looks for what became of it (just published, or counted within the grace period). */
  following: boolean;
  /** The decision's audit document, once found. */
  audit?: AuditRecord;
}

export interface StoreOptions {
  now?: () => number;
  /** How long a published run stays hidden while nothing says what became of it. */
  graceMs?: number;
  /** How soon the audit index is first asked about a published decision (doubling while nothing changes). */
  followUpIntervalMs?: number;
  /** Hours a run without expires_at waits (a setting). */
  ttlHours?: () => number;
}

export type StoreStatus =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'failed'; failure: ClassifiedFailure };

export interface StoreChange {
  /** Runs that newly started waiting (among the newest hundred; empty on the first load). */
  added: JobRun[];
  firstLoad: boolean;
  /** The overview was loaded anew (rows shown may have changed). */
  reloaded?: boolean;
}

export interface StoreTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What is kept across sessions: the last overview, and when it was loaded. */
export interface StoreSnapshot {
  version: 1;
  savedAtMs: number;
  overview: PendingOverview;
}

const MAX_BACKOFF_MS = 10 * 60 * 1000;
/** How many of the newest runs each load reads to tell which are new. */
const RECENT_WINDOW = 100;

interface RecentRuns {
  ids: ReadonlySet<string>;
  /** The oldest of them when more runs are pending (older ones were not seen); null when they were all. */
  oldestMs: number | null;
}
/** Runs seen in pages, kept to find them by id; forgotten beyond this many. */
const MAX_KNOWN_RUNS = 20_000;

type PublishedEntry = PublishedFollowUp & { run?: JobRun; counted: boolean };

export class PendingRunsStore {
  private source: PendingSource | undefined;
  private currentOverview: PendingOverview | undefined;
  private currentScope: PendingScope = EMPTY_SCOPE;
  private loaded = false;
  private restoredAtMs: number | undefined;
  private lastLoadedAtMs: number | undefined;
  private lastSummary: string | undefined;
  /** The newest runs at the last load: a run not among them is announced as new. */
  private recent: RecentRuns | undefined;
  private currentStatus: StoreStatus = { kind: 'idle' };
  private inFlight: Promise<void> | undefined;
  private inFlightSource: PendingSource | undefined;
  private forceQueued = false;
  private pollHandle: unknown;
  private consecutiveFailures = 0;
  private intervalMs = 0;
  private disposed = false;
  private generation = 0;
  /** Runs seen in pages and searches, by id (for find and for hiding published ones). */
  private readonly known = new Map<string, JobRun>();
  /** Runs decided from this window and published: hidden until the processor records them. */
  private readonly published = new Map<string, PublishedEntry>();
  private followUpHandle: unknown;
  private followingUp: Promise<void> | undefined;
  /** Follow-up rounds in a row that changed nothing: the next waits twice as long. */
  private quietRounds = 0;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly resurfaceListeners = new Set<(entries: PublishedFollowUp[]) => void>();
  private readonly now: () => number;
  private readonly graceMs: number;
  private readonly followUpIntervalMs: number;
  private readonly ttlHours: () => number;

  constructor(
    private readonly timers: StoreTimers = { setTimeout: (c, ms) => setTimeout(c, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    private readonly errorContext: () => Parameters<typeof classifyFailure>[1] = () => ({}),
    options: StoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.graceMs = options.graceMs ?? PUBLISHED_GRACE_MS;
    this.followUpIntervalMs = options.followUpIntervalMs ?? FOLLOW_UP_INTERVAL_MS;
    this.ttlHours = options.ttlHours ?? (() => 72);
  }

  get status(): StoreStatus {
    return this.currentStatus;
  }

  /** An overview is there to show: loaded, or restored from the last session. */
  get hasLoaded(): boolean {
    return this.currentOverview !== undefined;
  }

  /** Loaded from the source in this session (not only restored). */
  get isLive(): boolean {
    return this.loaded;
  }

  /** When the overview shown was loaded (this session's load, or the restored one's). */
  get loadedAtMs(): number | undefined {
    return this.lastLoadedAtMs ?? this.restoredAtMs;
  }

  /** The overview is the last session's, not yet confirmed by a load. */
  get isRestored(): boolean {
    return !this.loaded && this.restoredAtMs !== undefined;
  }

  /** Bumped whenever the overview is loaded anew: pages fetched before are stale. */
  get revision(): number {
    return this.generation;
  }

  /** The scope pages must be asked in (the overview's). */
  get scope(): PendingScope {
    return this.currentScope;
  }

  /** Exact counts (false beyond the limits in pendingOverview.ts). */
  get exact(): boolean {
    return this.currentOverview?.exact ?? true;
  }

  /** Pending runs awaiting a decision (not just decided here): what the badge and status bar show. */
  get count(): number {
    if (!this.currentOverview) return 0;
    return Math.max(0, this.currentOverview.total - this.hiddenEntries().length);
  }

  /** Runs urgent or overdue, counted with the overview (taken again when the next becomes urgent). */
  get urgentCount(): number {
    if (!this.currentOverview) return 0;
    return Math.max(0, this.currentOverview.urgent - this.hiddenCounted().filter((run) => this.isUrgent(run)).length);
  }

  /** The job groups, most pressing first, with runs hidden after publishing left out of their counts. */
  get groups(): JobGroupOverview[] {
    const overview = this.currentOverview;
    if (!overview) return [];
    const hidden = this.hiddenCounted();
    if (hidden.length === 0) return overview.groups;
    return overview.groups
      .map((group) => {
        const mine = hidden.filter((run) => run.jobName === group.jobName);
        return mine.length === 0 ? group : { ...group, count: group.count - mine.length, urgent: Math.max(0, group.urgent - mine.filter((run) => this.isUrgent(run)).length) };
      })
      .filter((group) => group.count > 0);
  }

  find(jobRunId: string): JobRun | undefined {
    return this.known.get(jobRunId) ?? this.published.get(jobRunId)?.run;
  }

  /** Whether the tree shows this run (false while hidden after publishing). */
  isShown(jobRunId: string): boolean {
    const entry = this.published.get(jobRunId);
    return !entry || isShown(entry.state);
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

  /** Shows the last session's overview until the first load answers (it is marked as such). */
  restore(snapshot: StoreSnapshot | undefined): void {
    if (!snapshot || snapshot.version !== 1 || this.loaded) return;
    this.currentOverview = snapshot.overview;
    this.restoredAtMs = snapshot.savedAtMs;
    this.emit({ added: [], firstLoad: false, reloaded: true });
  }

  /** What to keep for the next session: the overview as last loaded. */
  snapshot(): StoreSnapshot | undefined {
    if (!this.loaded || !this.currentOverview || this.lastLoadedAtMs === undefined) return undefined;
    return { version: 1, savedAtMs: this.lastLoadedAtMs, overview: this.currentOverview };
  }

  /** Point the store at a new source (profile or region changed): reload from scratch. */
  setSource(source: PendingSource | undefined): Promise<void> {
    const first = this.source === undefined;
    this.source = source;
    // The first source keeps a restored overview on show until it answers; a new one does not.
    if (!first || !this.isRestored) {
      this.currentOverview = undefined;
      this.restoredAtMs = undefined;
    }
    this.currentScope = EMPTY_SCOPE;
    this.loaded = false;
    this.lastLoadedAtMs = undefined;
    this.lastSummary = undefined;
    this.recent = undefined;
    this.known.clear();
    this.published.clear();
    this.timers.clearTimeout(this.followUpHandle);
    this.followUpHandle = undefined;
    this.consecutiveFailures = 0;
    this.forceQueued = false;
    this.currentStatus = { kind: 'idle' };
    this.generation += 1;
    this.emit({ added: [], firstLoad: true, reloaded: true });
    return source ? this.refresh({ force: true }) : Promise.resolve();
  }

  /** One page of runs of a selection (a group, the flat list, a search), in the view's order. */
  async page(selection: PendingSelection, options: { sortBy: ViewSort; byJob?: boolean; size?: number; cursor?: PageCursor }): Promise<RunPage> {
    const source = this.requireSource();
    const page = await source.page({
      scope: this.currentScope,
      selection,
      sortBy: options.sortBy,
      ttlHours: this.ttlHours(),
      byJob: options.byJob ?? false,
      size: options.size ?? PAGE_SIZE,
      cursor: options.cursor,
    });
    this.remember(page.runs);
    return page;
  }

  /** Every run of a selection, for bulk decisions, at any count. */
  async listAll(selection: PendingSelection = {}): Promise<JobRun[]> {
    const runs = await this.requireSource().listAll({ scope: this.currentScope, selection, ttlHours: this.ttlHours() });
    this.remember(runs);
    return runs.filter((run) => this.isShown(run.jobRunId));
  }

  /** The overview of the runs matching a text (the tree's filter); counts as the store's. */
  async overviewFor(text: string): Promise<PendingOverview> {
    const source = this.requireSource();
    const { overview } = await source.overview({ sinceMs: null, nowMs: this.now(), ttlHours: this.ttlHours(), text });
    return overview;
  }

  /**
   * Hide a run this window has just published a decision for, and follow the decision: with
   * its decision_id the audit index says what the processor made of it.
   */
  markPublished(jobRunId: string, decision: string, details: { decisionId?: string | null; publishedAtMs?: number; run?: JobRun } = {}): void {
    const run = details.run ?? this.find(jobRunId);
    this.published.set(jobRunId, {
      jobRunId,
      decision,
      decisionId: details.decisionId ?? null,
      publishedAtMs: details.publishedAtMs ?? this.now(),
      state: { kind: 'hidden' },
      following: true,
      ...(run ? { run } : {}),
      // It was pending when shown: counted in the overview until a load says otherwise.
      counted: this.currentOverview !== undefined,
    });
    this.emit({ added: [], firstLoad: false });
    this.quietRounds = 0;
    this.scheduleFollowUp();
  }

  /** The decision this window published for a run still in the list, and where it stands. */
  publishedFollowUp(jobRunId: string): PublishedFollowUp | undefined {
    const entry = this.published.get(jobRunId);
    if (!entry) return undefined;
    const { jobRunId: id, decision, decisionId, publishedAtMs, state, following, audit } = entry;
    return { jobRunId: id, decision, decisionId, publishedAtMs, state, following, ...(audit ? { audit } : {}) };
  }

  /**
   * Looks up what the processor made of the decisions published from this window (one audit
   * query, one query for which of their runs still wait), and shows again the runs it did not
   * apply them to, or that the grace period has passed for. Runs on its own while a decision
   * is followed (polling or not), and after each refresh.
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

  /**
   * The clock moved on: when a run has become urgent since the counts were taken, take them
   * again (the overview only; nothing is asked otherwise).
   */
  tick(): void {
    const next = this.currentOverview?.nextUrgentAtMs;
    if (this.loaded && next != null && this.now() >= next && this.currentStatus.kind !== 'failed') void this.refresh({ force: true });
  }

  /** Poll every `intervalSeconds` (0 stops polling); backs off while failing. */
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

  private requireSource(): PendingSource {
    if (!this.source) throw new Error('No connection to read pending runs from yet.');
    return this.source;
  }

  private remember(runs: readonly JobRun[]): void {
    if (this.known.size + runs.length > MAX_KNOWN_RUNS) this.known.clear();
    for (const run of runs) this.known.set(run.jobRunId, run);
  }

  /** Runs hidden after publishing here that the overview still counts (not yet recorded). */
  hiddenRuns(): JobRun[] {
    return this.hiddenCounted();
  }

  /** Published here, hidden, and still counted by the overview (the run may not be loaded). */
  private hiddenEntries(): PublishedEntry[] {
    return [...this.published.values()].filter((entry) => entry.counted && !isShown(entry.state));
  }

  /** The runs of hiddenEntries that are known (their group and urgency can be told). */
  private hiddenCounted(): JobRun[] {
    return this.hiddenEntries().flatMap((entry) => (entry.run ? [entry.run] : []));
  }

  private isUrgent(run: JobRun): boolean {
    const urgency = urgencyOf(expiryOf(run, this.ttlHours()), this.currentOverview?.countedAtMs ?? this.now());
    return urgency === 'urgent' || urgency === 'overdue';
  }

  /**
   * While a decision is followed, look for its audit and its run: first after the follow-up
   * interval, then twice as long after each round that changed nothing (or failed), up to
   * MAX_FOLLOW_UP_INTERVAL_MS. Nothing is scheduled once no decision is followed.
   */
  private scheduleFollowUp(): void {
    this.timers.clearTimeout(this.followUpHandle);
    this.followUpHandle = undefined;
    if (this.disposed || this.followingUp) return;
    if (![...this.published.values()].some((entry) => entry.following)) return;
    const delay = Math.min(this.followUpIntervalMs * 2 ** this.quietRounds, Math.max(MAX_FOLLOW_UP_INTERVAL_MS, this.followUpIntervalMs));
    this.followUpHandle = this.timers.setTimeout(() => void this.followUp(), delay);
  }

  private async lookUpAudits(): Promise<void> {
    const source = this.source;
    const open = [...this.published.values()].filter((entry) => !isFinal(entry.state));
    const ids = open.flatMap((entry) => (entry.decisionId !== null ? [entry.decisionId] : []));
    let audits = new Map<string, AuditRecord>();
    let stillPending: Set<string> | undefined;
    if (source && open.length > 0) {
      // Either may fail: what an earlier lookup found and the grace period still apply, and the next round asks again.
      const [found, pending] = await Promise.allSettled([
        source.auditsFor && ids.length > 0 ? source.auditsFor(ids) : Promise.resolve([]),
        source.listAll({ scope: this.currentScope, selection: { runIds: open.map((entry) => entry.jobRunId) }, ttlHours: this.ttlHours() }),
      ]);
      if (source !== this.source || this.disposed) return;
      if (found.status === 'fulfilled') audits = auditsByDecisionId(found.value, ids);
      if (pending.status === 'fulfilled') stillPending = new Set(pending.value.map((run) => run.jobRunId));
    }
    this.reevaluate(audits, stillPending);
  }

  private reevaluate(audits: ReadonlyMap<string, AuditRecord>, stillPending: ReadonlySet<string> | undefined): void {
    const now = this.now();
    let changed = false;
    const resurfaced: PublishedFollowUp[] = [];
    for (const entry of this.published.values()) {
      if (isFinal(entry.state)) continue;
      const audit = (entry.decisionId !== null ? audits.get(entry.decisionId) : undefined) ?? entry.audit;
      if (audit) entry.audit = audit;
      const next: FollowUpState = stillPending && !stillPending.has(entry.jobRunId) ? { kind: 'recorded' } : followUpState(entry, audit, now, this.graceMs);
      const following = next.kind === 'hidden' || (next.kind === 'awaiting-quorum' && now - entry.publishedAtMs < this.graceMs);
      if (sameState(next, entry.state) && following === entry.following) continue;
      const before = entry.state;
      entry.state = next;
      entry.following = following;
      changed = true;
      if (isShown(next) && before.kind !== next.kind) resurfaced.push(this.publishedFollowUp(entry.jobRunId) as PublishedFollowUp);
    }
    this.quietRounds = changed ? 0 : this.quietRounds + 1;
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
      const summary = await source.summary();
      const fingerprint = JSON.stringify(summary);
      if (force || !this.loaded || fingerprint !== this.lastSummary) {
        const nowMs = this.now();
        const ttlHours = this.ttlHours();
        const { overview, scope } = await source.overview({ sinceMs: timeOf(summary.oldestTimestamp), nowMs, ttlHours });
        if (source !== this.source) return; // the profile changed meanwhile
        if (!this.loaded) await this.firstLoad(source, overview, scope, ttlHours, nowMs, fingerprint);
        else {
          const { added, recent } = await this.newlyPending(source, scope, ttlHours);
          const stillPending = await this.publishedStillPending(source, scope, ttlHours);
          if (source !== this.source) return;
          this.lastSummary = fingerprint;
          this.recent = recent;
          this.consecutiveFailures = 0;
          this.replaceOverview(overview, scope, added, stillPending, nowMs);
        }
        if (source !== this.source) return;
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

  /**
   * The first load of a source shows the overview as soon as it answers: nothing is new on a
   * first load, so the newest runs (what the next load compares against) are read after the
   * view has its groups and counts, not before. Until they answer the load is still in
   * flight (refreshes wait for it); when they fail, the list stays with the error and the
   * next load reads them again (lastSummary stays unset, so it reloads).
   */
  private async firstLoad(source: PendingSource, overview: PendingOverview, scope: PendingScope, ttlHours: number, nowMs: number, fingerprint: string): Promise<void> {
    // Runs published from a restored list before this answered are checked first, as on every load.
    const stillPending = await this.publishedStillPending(source, scope, ttlHours);
    if (source !== this.source) return;
    this.consecutiveFailures = 0;
    this.replaceOverview(overview, scope, [], stillPending, nowMs);
    const { recent } = await this.newlyPending(source, scope, ttlHours);
    if (source !== this.source) return;
    this.recent = recent;
    this.lastSummary = fingerprint;
  }

  /**
   * The runs newly pending since the last load (none on the first): what to announce. Each
   * load reads the newest runs (RECENT_WINDOW); a run among them that the last load's newest
   * did not hold, and no older than the oldest of those, is new (all of them when the last
   * load held fewer: it knew every run).
   */
  private async newlyPending(source: PendingSource, scope: PendingScope, ttlHours: number): Promise<{ added: JobRun[]; recent: RecentRuns }> {
    const page = await source.page({ scope, selection: {}, sortBy: 'newest', ttlHours, byJob: false, size: RECENT_WINDOW });
    const recent: RecentRuns = {
      ids: new Set(page.runs.map((run) => run.jobRunId)),
      oldestMs: page.next ? (page.runs[page.runs.length - 1]?.timestampMs ?? null) : null,
    };
    const before = this.recent;
    if (!this.loaded || !before) return { added: [], recent };
    const added = page.runs.filter((run) => !before.ids.has(run.jobRunId) && (before.oldestMs === null || (run.timestampMs ?? -Infinity) >= before.oldestMs));
    return { added, recent };
  }

  /** Which of the runs published from here are still pending (the others are recorded). */
  private async publishedStillPending(source: PendingSource, scope: PendingScope, ttlHours: number): Promise<Set<string>> {
    const runIds = [...this.published.keys()];
    if (runIds.length === 0) return new Set();
    const runs = await source.listAll({ scope, selection: { runIds }, ttlHours });
    this.remember(runs);
    return new Set(runs.map((run) => run.jobRunId));
  }

  private replaceOverview(overview: PendingOverview, scope: PendingScope, added: JobRun[], stillPending: ReadonlySet<string>, nowMs: number): void {
    const firstLoad = !this.loaded;
    for (const [runId, entry] of this.published) {
      if (!stillPending.has(runId)) this.published.delete(runId);
      else {
        entry.counted = true;
        entry.run = this.known.get(runId) ?? entry.run;
      }
    }
    this.remember(added);
    this.currentOverview = overview;
    this.currentScope = scope;
    this.loaded = true;
    this.restoredAtMs = undefined;
    this.lastLoadedAtMs = nowMs;
    this.generation += 1;
    this.currentStatus = { kind: 'ready' };
    this.emit({ added: added.filter((run) => this.isShown(run.jobRunId)), firstLoad, reloaded: true });
  }

  private setStatus(status: StoreStatus): void {
    this.currentStatus = status;
    this.emit({ added: [], firstLoad: false });
  }

  private emit(change: StoreChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}

function timeOf(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}
