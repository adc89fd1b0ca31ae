// The lazy tree's queries: what the Pending Approvals view shows before any run is loaded
// (the job groups with their counts, urgent counts and nearest expiry, and the exact total),
// and pages of runs in the view's order, fetched when a group is expanded or "Show more"
// is clicked.
//
// Exact counts without loading runs. Almost every run has one document; a run with several
// (a pending document and a newer one of another status, or two pending ones) is counted by
// its newest (docs/CONTRACTS.md §2). One aggregation finds those runs (multiDocumentRunsQuery): it yields
// the PendingScope, the pending documents that stand for a run: every pending document,
// except those of multi-document runs, plus the newest pending document of each such run
// that is still pending. Every count, page and search below is over that scope, so the
// groups, the badge, the status bar and the rows always agree. The scope is exact while at
// most MAX_MULTI_DOCUMENT_RUNS runs have several documents and there are at most
// MAX_JOB_GROUPS jobs; beyond, the overview says `exact: false` and the views say "about".
//
// Expiry order without a script: a run expires at `expires_at`, else timestamp + TTL. The
// server sorts each kind apart (streams), and pages merge them by the same key, so that a
// page is in exact expiry order and the next one continues after its last run.

import { HOUR_MS } from './durations';
import { compareText, DEFAULT_TTL_HOURS, URGENT_MS } from './expiry';
import { MISSING_JOB_NAME } from './jobRunParser';
import { path, PENDING_SOURCE_FIELDS, pendingFilter, type JsonValue, type SearchBody } from './pendingQuery';

const MAX_MULTI_DOCUMENT_RUNS = 10_000;
const MAX_JOB_GROUPS = 10_000;
/** Rows fetched at once when a group (or the flat list) is expanded, and by "Show more". */
export const PAGE_SIZE = 500;

export type ViewSort = 'expiry' | 'newest' | 'oldest' | 'job';

/** Which pending runs: all, one job's (null: the documents without a job name), matching a text. */
export interface PendingSelection {
  /** A job group's key as the aggregation returned it; null is the group of runs without one. */
  jobKey?: string | null;
  /** Job name, run id or check name contains this (case-insensitive). */
  text?: string;
  /** Only these runs. */
  runIds?: readonly string[];
  /** Only documents newer than this (ms since the epoch). */
  newerThanMs?: number;
}

/** The pending documents that stand for a run (see the file comment). */
export interface PendingScope {
  /** Runs with several documents: only their `includedDocumentIds` count. */
  excludedRunIds: string[];
  /** The newest pending document of each multi-document run that is still pending. */
  includedDocumentIds: string[];
  /** False when there were more multi-document runs than one aggregation returns. */
  exact: boolean;
}

export const EMPTY_SCOPE: PendingScope = { excludedRunIds: [], includedDocumentIds: [], exact: true };

export interface JobGroupOverview {
  /** The aggregation's key (null: documents without job_name); what a page asks for. */
  key: string | null;
  /** What the tree shows (MISSING_JOB_NAME for a missing or empty name). */
  jobName: string;
  count: number;
  /** Urgent or overdue when counted (less than 15 minutes left). */
  urgent: number;
  nearestExpiryMs: number | null;
}

export interface PendingOverview {
  total: number;
  urgent: number;
  /** By nearest expiry (then name): the most pressing job first. */
  groups: JobGroupOverview[];
  exact: boolean;
  /** When the urgent counts were taken. */
  countedAtMs: number;
  /** When the next run not yet urgent becomes urgent: the urgent counts must be taken again then. */
  nextUrgentAtMs: number | null;
}

/**
 * Runs with more than one document since the oldest pending document (older documents
 * cannot be newer than a pending one), that have a pending one: for each, the newest
 * pending document and the newest other one's timestamp. Ordered by the number of pending
 * documents so that runs without one (excluded after) come last. `singleShard`: the index
 * searched has one shard (the last response's _shards.total), which allows a faster plan.
 */
export function multiDocumentRunsQuery(sinceMs: number | null, options: { singleShard?: boolean } = {}): SearchBody {
  const filter: JsonValue[] = [{ exists: { field: 'job_run_id' } }];
  if (sinceMs !== null && Number.isFinite(sinceMs)) {
    // A document without timestamp counts as the oldest: it is in, as it may be the pending one.
    filter.push({
      bool: { should: [{ range: { timestamp: { gte: sinceMs, format: 'epoch_millis' } } }, { bool: { must_not: [{ exists: { field: 'timestamp' } }] } }], minimum_should_match: 1 },
    });
  }
  return {
    size: 0,
    query: { bool: { filter } },
    aggs: {
      runs: {
        terms: {
          field: 'job_run_id',
          min_doc_count: 2,
          size: MAX_MULTI_DOCUMENT_RUNS,
          order: [{ pending: 'desc' }, { _key: 'asc' }],
          // On an index of one shard, the shard drops the runs with one document before it builds
          // their sub-aggregations (a top_hits each): ten times faster at 10,000 runs, the same
          // buckets. Not on several shards: a run's documents may lie on different shards, and
          // each shard would drop it.
          ...(options.singleShard ? { shard_min_doc_count: 2 } : {}),
        },
        aggs: {
          pending: {
            filter: pendingFilter(),
            aggs: { newest: { top_hits: { size: 1, _source: false, sort: [{ timestamp: { order: 'desc' } }] } } },
          },
          other: {
            filter: { bool: { must_not: [pendingFilter()] } },
            aggs: { newest: { max: { field: 'timestamp' } } },
          },
        },
      },
    },
  };
}

/** The scope from a multiDocumentRunsQuery response (runs without a pending document are skipped here: the cluster runs no scripts). */
export function readPendingScope(body: unknown): PendingScope {
  const runs = path(body, ['aggregations', 'runs']);
  const buckets = arrayAt(runs, ['buckets']);
  const excluded: string[] = [];
  const included: string[] = [];
  for (const bucket of buckets) {
    const runId = path(bucket, ['key']);
    if (typeof runId !== 'string') continue;
    const pendingCount = numberAt(bucket, ['pending', 'doc_count']) ?? 0;
    if (pendingCount === 0) continue;
    excluded.push(runId);
    const newestPending = arrayAt(bucket, ['pending', 'newest', 'hits', 'hits'])[0];
    const newestPendingMs = numberAt(newestPending, ['sort', '0']);
    const newestOtherMs = numberAt(bucket, ['other', 'newest', 'value']);
    const documentId = path(newestPending, ['_id']);
    // Equal timestamps: the other document wins (pendingQuery.excludeSuperseded).
    const stillPending = newestOtherMs === null || (newestPendingMs !== null && newestPendingMs > newestOtherMs);
    if (stillPending && typeof documentId === 'string') included.push(documentId);
  }
  const others = numberAt(runs, ['sum_other_doc_count']) ?? 0;
  return { excludedRunIds: excluded, includedDocumentIds: included, exact: !(buckets.length >= MAX_MULTI_DOCUMENT_RUNS && others > 0) };
}

/** The documents in scope and selection (see PendingSelection). */
export function scopedPendingQuery(scope: PendingScope, selection: PendingSelection = {}, extra: JsonValue[] = []): JsonValue {
  const base: JsonValue =
    scope.excludedRunIds.length === 0
      ? pendingFilter()
      : {
          bool: {
            should: [
              { bool: { filter: [pendingFilter()], must_not: [{ terms: { job_run_id: [...scope.excludedRunIds] } }] } },
              ...(scope.includedDocumentIds.length ? [{ ids: { values: [...scope.includedDocumentIds] } }] : []),
            ],
            minimum_should_match: 1,
          },
        };
  const filter: JsonValue[] = [base, ...extra];
  const mustNot: JsonValue[] = [];
  if (selection.jobKey !== undefined) {
    if (selection.jobKey === null) mustNot.push({ exists: { field: 'job_name' } });
    else filter.push({ term: { job_name: selection.jobKey } });
  }
  const text = selection.text?.trim();
  if (text) filter.push(textFilter(text));
  if (selection.runIds) filter.push({ terms: { job_run_id: [...selection.runIds] } });
  if (selection.newerThanMs !== undefined) filter.push({ range: { timestamp: { gt: selection.newerThanMs, format: 'epoch_millis' } } });
  return { bool: { filter, ...(mustNot.length ? { must_not: mustNot } : {}) } };
}

/** Job name, run id or a check's name contains `text`, ignoring case. */
export function textFilter(text: string): JsonValue {
  const pattern = `*${text.replace(/[\\*?]/g, (c) => `\\${c}`)}*`;
  const wildcard = (field: string): JsonValue => ({ wildcard: { [field]: { value: pattern, case_insensitive: true } } });
  return {
    bool: {
      should: [
        wildcard('job_name'),
        wildcard('job_run_id'),
        { nested: { path: 'quality_checks', query: wildcard('quality_checks.name'), ignore_unmapped: true } },
      ],
      minimum_should_match: 1,
    },
  };
}

/** Expiry before `beforeMs`: expires_at before it, or no expires_at and timestamp + TTL before it. */
function expiresBefore(beforeMs: number, ttlHours: number): JsonValue {
  return {
    bool: {
      should: [
        { range: { expires_at: { lt: beforeMs, format: 'epoch_millis' } } },
        {
          bool: {
            must_not: [{ exists: { field: 'expires_at' } }],
            filter: [{ range: { timestamp: { lt: beforeMs - ttlMs(ttlHours), format: 'epoch_millis' } } }],
          },
        },
      ],
      minimum_should_match: 1,
    },
  };
}

/** Nearest expiry among the bucket's documents: min expires_at, and min timestamp of those without. */
function nearestExpiryAggs(): { [key: string]: JsonValue } {
  return {
    expires_at: { min: { field: 'expires_at' } },
    by_timestamp: { filter: { bool: { must_not: [{ exists: { field: 'expires_at' } }] } }, aggs: { oldest: { min: { field: 'timestamp' } } } },
  };
}

/**
 * The overview in one request: total (exact), per job the count, the urgent count and the
 * nearest expiry, and per job the nearest expiry among runs not yet urgent (when the urgent
 * counts change next).
 */
export function pendingOverviewQuery(scope: PendingScope, nowMs: number, ttlHours: number, selection: PendingSelection = {}): SearchBody {
  const urgentBefore = nowMs + URGENT_MS;
  return {
    size: 0,
    track_total_hits: true,
    query: scopedPendingQuery(scope, { text: selection.text }),
    aggs: {
      jobs: {
        terms: { field: 'job_name', size: MAX_JOB_GROUPS, missing: MISSING_KEY, order: { _key: 'asc' } },
        aggs: {
          urgent: { filter: expiresBefore(urgentBefore, ttlHours) },
          ...nearestExpiryAggs(),
          later: { filter: { bool: { must_not: [expiresBefore(urgentBefore, ttlHours)] } }, aggs: nearestExpiryAggs() },
        },
      },
    },
  };
}

/** The terms aggregation's bucket for documents without job_name (a name no job has). */
const MISSING_KEY = '\u0000missing job_name';

export function readPendingOverview(body: unknown, scope: PendingScope, nowMs: number, ttlHours: number): PendingOverview {
  const total = numberAt(body, ['hits', 'total', 'value']) ?? numberAt(body, ['hits', 'total']) ?? 0;
  const jobs = path(body, ['aggregations', 'jobs']);
  const groups: JobGroupOverview[] = [];
  let nextUrgentAtMs: number | null = null;
  for (const bucket of arrayAt(jobs, ['buckets'])) {
    const rawKey = path(bucket, ['key']);
    if (typeof rawKey !== 'string') continue;
    const key = rawKey === MISSING_KEY ? null : rawKey;
    const count = numberAt(bucket, ['doc_count']) ?? 0;
    const laterExpiry = nearestOf(bucket, ['later'], ttlHours);
    if (laterExpiry !== null) nextUrgentAtMs = Math.min(nextUrgentAtMs ?? Infinity, laterExpiry - URGENT_MS);
    groups.push({
      key,
      jobName: key === null || key.trim() === '' ? MISSING_JOB_NAME : key,
      count,
      urgent: numberAt(bucket, ['urgent', 'doc_count']) ?? 0,
      nearestExpiryMs: nearestOf(bucket, [], ttlHours),
    });
  }
  groups.sort((a, b) => (a.nearestExpiryMs ?? Infinity) - (b.nearestExpiryMs ?? Infinity) || compareText(a.jobName, b.jobName));
  const others = numberAt(jobs, ['sum_other_doc_count']) ?? 0;
  return {
    total,
    urgent: groups.reduce((sum, group) => sum + group.urgent, 0),
    groups,
    exact: scope.exact && others === 0,
    countedAtMs: nowMs,
    nextUrgentAtMs,
  };
}

function nearestOf(bucket: unknown, prefix: string[], ttlHours: number): number | null {
  const explicit = numberAt(bucket, [...prefix, 'expires_at', 'value']);
  const oldest = numberAt(bucket, [...prefix, 'by_timestamp', 'oldest', 'value']);
  const derived = oldest === null ? null : oldest + ttlMs(ttlHours);
  if (explicit === null) return derived;
  if (derived === null) return explicit;
  return Math.min(explicit, derived);
}

// --- pages ---------------------------------------------------------------------------------

/**
 * Where a page ends, in the view's order: the last run's sort key. The next page asks every
 * stream for what comes after it. `primary` is the merged key (expiry, or minus the timestamp
 * for newest first); Infinity for runs that have none (they come last).
 */
export interface PageCursor {
  job?: string;
  primary: number;
  runId: string;
}

interface Stream {
  filter: JsonValue;
  /** Sort on the server, last field job_run_id. */
  sort: JsonValue[];
  /** The merged key's primary from the server's sort values. */
  primaryOf(sortValues: readonly unknown[]): number;
  /** The server's search_after for a cursor; undefined when the cursor is past this stream. */
  after(cursor: PageCursor): JsonValue[] | undefined;
}

/** The streams whose merge is the view's order (see the file comment). */
export function pageStreams(sortBy: ViewSort, ttlHours: number, byJob: boolean): Stream[] {
  const ttl = ttlMs(ttlHours);
  const jobSort: JsonValue[] = byJob ? [{ job_name: { order: 'asc', missing: '' } }] : [];
  const jobAfter = (cursor: PageCursor): JsonValue[] => (byJob ? [cursor.job ?? ''] : []);
  const offset = byJob ? 1 : 0;
  const idSort: JsonValue = { job_run_id: { order: 'asc' } };
  const hasExpiresAt: JsonValue = { exists: { field: 'expires_at' } };
  const hasTimestamp: JsonValue = { exists: { field: 'timestamp' } };
  const numberAtSort = (values: readonly unknown[]) => {
    const value = values[offset];
    return typeof value === 'number' ? value : Number(value);
  };
  const byTime = sortBy === 'newest' || sortBy === 'oldest';
  const none: Stream = {
    // No expiry (no expires_at, no timestamp), or for newest/oldest no timestamp: last.
    filter: { bool: { must_not: byTime ? [hasTimestamp] : [hasExpiresAt, hasTimestamp] } },
    sort: [...jobSort, idSort],
    primaryOf: () => Infinity,
    after: (cursor) => [...jobAfter(cursor), cursor.runId],
  };
  if (byTime) {
    const sign = sortBy === 'newest' ? -1 : 1;
    return [
      {
        filter: hasTimestamp,
        sort: [...jobSort, { timestamp: { order: sortBy === 'newest' ? 'desc' : 'asc' } }, idSort],
        primaryOf: (values) => sign * numberAtSort(values),
        after: (cursor) => (cursor.primary === Infinity ? undefined : [...jobAfter(cursor), sign * cursor.primary, cursor.runId]),
      },
      none,
    ];
  }
  return [
    {
      filter: hasExpiresAt,
      sort: [...jobSort, { expires_at: { order: 'asc' } }, idSort],
      primaryOf: numberAtSort,
      after: (cursor) => (cursor.primary === Infinity ? undefined : [...jobAfter(cursor), cursor.primary, cursor.runId]),
    },
    {
      filter: { bool: { filter: [hasTimestamp], must_not: [hasExpiresAt] } },
      sort: [...jobSort, { timestamp: { order: 'asc' } }, idSort],
      primaryOf: (values) => numberAtSort(values) + ttl,
      after: (cursor) => (cursor.primary === Infinity ? undefined : [...jobAfter(cursor), cursor.primary - ttl, cursor.runId]),
    },
    none,
  ];
}


/** One stream's part of a page: `size` documents after the cursor. */
export function pageStreamQuery(stream: Stream, scope: PendingScope, selection: PendingSelection, size: number, cursor?: PageCursor): SearchBody | undefined {
  const after = cursor ? stream.after(cursor) : undefined;
  if (cursor && after === undefined) return undefined;
  const body: SearchBody = {
    size,
    track_total_hits: false,
    _source: [...PENDING_SOURCE_FIELDS],
    query: scopedPendingQuery(scope, selection, [stream.filter]),
    sort: stream.sort,
  };
  if (after) body.search_after = after;
  return body;
}

export interface StreamHit<R> {
  run: R;
  sortValues: readonly unknown[];
}

/**
 * Merges the streams' parts into one page of at most `size` runs in the view's order, and
 * the cursor after its last run (undefined when nothing follows).
 */
export function mergePage<R extends { jobRunId: string; jobName: string }>(
  streams: readonly Stream[],
  parts: ReadonlyArray<ReadonlyArray<StreamHit<R>> | undefined>,
  size: number,
  byJob: boolean,
): { runs: R[]; next: PageCursor | undefined } {
  const keyed: Array<{ run: R; cursor: PageCursor }> = [];
  parts.forEach((hits, index) => {
    const stream = streams[index];
    if (!hits || !stream) return;
    for (const hit of hits) {
      const first = hit.sortValues[0];
      const job = byJob ? (typeof first === 'string' ? first : '') : undefined;
      keyed.push({ run: hit.run, cursor: { ...(job !== undefined ? { job } : {}), primary: stream.primaryOf(hit.sortValues), runId: hit.run.jobRunId } });
    }
  });
  keyed.sort((a, b) => compareCursor(a.cursor, b.cursor));
  const page = keyed.slice(0, size);
  // More follows when a stream filled its part (it may have more) or the merge left some out.
  const more = keyed.length > size || parts.some((hits) => hits !== undefined && hits.length >= size);
  const last = page[page.length - 1];
  return { runs: page.map((entry) => entry.run), next: more && last ? last.cursor : undefined };
}

export function compareCursor(a: PageCursor, b: PageCursor): number {
  return compareText(a.job ?? '', b.job ?? '') || (a.primary === b.primary ? 0 : a.primary < b.primary ? -1 : 1) || compareText(a.runId, b.runId);
}

function ttlMs(ttlHours: number): number {
  return (Number.isFinite(ttlHours) && ttlHours >= 0 ? ttlHours : DEFAULT_TTL_HOURS) * HOUR_MS;
}

function numberAt(value: unknown, keys: readonly string[]): number | null {
  const found = path(value, keys);
  return typeof found === 'number' && Number.isFinite(found) ? found : null;
}

function arrayAt(value: unknown, keys: readonly string[]): unknown[] {
  const found = path(value, keys);
  return Array.isArray(found) ? found : [];
}
