// OpenSearch request bodies for finding pending runs, one run, a job's history and recent
// decisions, and the pure steps that turn their hits into the pending list.
//
// A run can have several documents; the newest one (by timestamp) says whether it is
// pending. The server filters pending documents and the client keeps the newest per
// job_run_id (collapseNewestPerRun), then drops runs that have a newer non-pending document
// (supersededRunsQuery + excludeSuperseded). Expiry order is applied client side as well:
// it depends on expires_at or timestamp + a setting, which only a script could sort on, and
// the cluster has no painless.

import { sourceFields } from './jobRunParser';
import type { JobRun } from './model';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type SearchBody = { [key: string]: JsonValue };
/** A hit's `sort` values, passed back as `search_after` for the next page. */
export type SortValues = JsonValue[];

const PENDING_STATUS = 'PENDING_APPROVAL';
const DEFAULT_PAGE_SIZE = 500;
/** OpenSearch's default index.max_result_window; no single page may ask for more. */
export const MAX_RESULT_WINDOW = 10_000;
/** Callers split longer id lists: one terms query and one collapsed page each. */
export const MAX_RUN_IDS_PER_QUERY = 1000;

/**
 * What the tree, its tooltip, badge and sorting need of a run, plus everything the evidence
 * hash covers (metrics, artifacts), flat and where the published event nests them
 * (sourceFields): a decision taken from the tree or the palette is about the same evidence
 * as one taken from the details page, which reads the whole document. Error text stays out;
 * details load it.
 */
export const PENDING_SOURCE_FIELDS: readonly string[] = sourceFields([
  'timestamp',
  'event_type',
  'job_name',
  'job_run_id',
  'status',
  'failure_type',
  'quality_status',
  'quality_checks',
  'approval_status',
  'expires_at',
  'triggered_by',
  'artifacts_available',
  'artifacts',
  'records_read',
  'records_written',
  'records_dropped',
  'bytes_written',
  'duration_seconds',
  'extract_duration_seconds',
  'transform_duration_seconds',
  'load_duration_seconds',
]);

/** What a job's history shows: when, the outcome (who decided and why), and the values to compare today's with. */
const HISTORY_SOURCE_FIELDS: readonly string[] = sourceFields([
  'timestamp',
  'job_name',
  'job_run_id',
  'status',
  'quality_status',
  'quality_checks',
  'approval_status',
  'approved_by',
  'approval_reason',
  'approval_timestamp',
  'records_read',
  'records_written',
  'records_dropped',
]);

/**
 * Pending documents. A document without job_run_id is left out: the processor finds runs
 * by id, so such a run could never be decided, and its empty sort value would break paging.
 */
export function pendingFilter(): JsonValue {
  return {
    bool: {
      filter: [{ term: { status: PENDING_STATUS } }, { exists: { field: 'job_run_id' } }],
      must_not: [{ exists: { field: 'approval_status' } }],
    },
  };
}

export interface PendingRunsOptions {
  pageSize?: number;
  /** The last hit's `sort` of the previous page. */
  searchAfter?: SortValues;
  sourceFields?: readonly string[];
}

/** One page of pending documents, newest first, paged with search_after. */
export function pendingRunsQuery(options: PendingRunsOptions = {}): SearchBody {
  const body: SearchBody = {
    size: clampSize(options.pageSize ?? DEFAULT_PAGE_SIZE),
    track_total_hits: false,
    _source: [...(options.sourceFields ?? PENDING_SOURCE_FIELDS)],
    query: pendingFilter(),
    // job_run_id breaks ties between equal timestamps so that paging is deterministic.
    sort: [{ timestamp: 'desc' }, { job_run_id: 'asc' }],
  };
  if (options.searchAfter !== undefined && options.searchAfter.length > 0) {
    body.search_after = [...options.searchAfter];
  }
  return body;
}

const SUMMARY_AGGS = { runs: 'pending_runs', newest: 'newest_timestamp', oldest: 'oldest_timestamp' } as const;

/**
 * The poller's fingerprint, without fetching documents: pending documents (total hits,
 * exact), distinct pending run ids and the newest pending timestamp; when it changes, the
 * list is reloaded. Not a count to show: the cardinality aggregation is approximate
 * (HyperLogLog++). precision_threshold 40000 keeps it close below 40,000 runs, but not
 * exact: 10,000 seeded runs have been counted as 10,001. The views count the runs loaded.
 */
export function pendingSummaryQuery(): SearchBody {
  return {
    size: 0,
    track_total_hits: true,
    query: pendingFilter(),
    aggs: {
      [SUMMARY_AGGS.runs]: { cardinality: { field: 'job_run_id', precision_threshold: 40000 } },
      [SUMMARY_AGGS.newest]: { max: { field: 'timestamp' } },
      [SUMMARY_AGGS.oldest]: { min: { field: 'timestamp' } },
    },
  };
}

export interface PendingSummaryAggregation {
  /** Pending documents: exact (track_total_hits). */
  documents: number;
  /** Distinct pending run ids: approximate (cardinality). */
  runs: number;
  newestTimestampMs: number | null;
  /** Oldest pending timestamp: no document older than it can supersede a pending one. */
  oldestTimestampMs: number | null;
}

/** Reads a pendingSummaryQuery response body; missing parts read as zero or null. */
export function readPendingSummary(body: unknown): PendingSummaryAggregation {
  const total = path(body, ['hits', 'total']);
  const documents = typeof total === 'number' ? total : numberOr(path(total, ['value']), 0);
  const runs = numberOr(path(body, ['aggregations', SUMMARY_AGGS.runs, 'value']), 0);
  const newest = path(body, ['aggregations', SUMMARY_AGGS.newest, 'value']);
  const oldest = path(body, ['aggregations', SUMMARY_AGGS.oldest, 'value']);
  const finite = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
  return { documents, runs, newestTimestampMs: finite(newest), oldestTimestampMs: finite(oldest) };
}

/** The newest document of one run, with seq_no and primary_term for a conditional update. */
export function runByIdQuery(runId: string): SearchBody {
  return {
    size: 1,
    seq_no_primary_term: true,
    query: { bool: { filter: [{ term: { job_run_id: runId } }] } },
    sort: [{ timestamp: 'desc' }],
  };
}

export interface JobHistoryOptions {
  /** Leave out this run (usually the one under review). */
  excludeRunId?: string;
  /**
   * Only runs at or before this time (the run under review's), so that an older run is
   * compared with the runs before it, not with the job's latest ones.
   */
  upToMs?: number;
  sourceFields?: readonly string[];
}

/** The job's latest `size` runs, newest first, one document (the newest) per run. */
export function jobHistoryQuery(jobName: string, size = 20, options: JobHistoryOptions = {}): SearchBody {
  const filter: JsonValue[] = [{ term: { job_name: jobName } }];
  if (options.upToMs !== undefined && Number.isFinite(options.upToMs)) {
    filter.push({ range: { timestamp: { lte: new Date(options.upToMs).toISOString() } } });
  }
  const bool: { [key: string]: JsonValue } = { filter };
  if (options.excludeRunId !== undefined) {
    bool.must_not = [{ term: { job_run_id: options.excludeRunId } }];
  }
  return {
    size: clampSize(size),
    _source: [...(options.sourceFields ?? HISTORY_SOURCE_FIELDS)],
    query: { bool },
    sort: [{ timestamp: 'desc' }, { job_run_id: 'asc' }],
    collapse: { field: 'job_run_id' },
  };
}

/**
 * For candidate pending runs: each run's newest document that is not pending (another
 * status, or decided). excludeSuperseded compares its timestamp with the pending one's.
 * At most MAX_RUN_IDS_PER_QUERY ids per call.
 */
export function supersededRunsQuery(runIds: readonly string[]): SearchBody {
  const ids = [...new Set(runIds)];
  if (ids.length > MAX_RUN_IDS_PER_QUERY) {
    throw new RangeError(`supersededRunsQuery takes at most ${MAX_RUN_IDS_PER_QUERY} run ids; got ${ids.length}.`);
  }
  return {
    size: Math.max(1, ids.length),
    _source: ['job_run_id', 'timestamp', 'status', 'approval_status', 'approved_by', 'approval_timestamp'],
    query: {
      bool: {
        filter: [{ terms: { job_run_id: ids } }],
        should: [
          { bool: { must_not: [{ term: { status: PENDING_STATUS } }] } },
          { exists: { field: 'approval_status' } },
        ],
        minimum_should_match: 1,
      },
    },
    sort: [{ timestamp: 'desc' }],
    collapse: { field: 'job_run_id' },
  };
}

/** The latest `size` decisions in the `job-approvals` audit index, optionally for one job. */
export function recentDecisionsQuery(size = 50, jobName?: string): SearchBody {
  return {
    size: clampSize(size),
    query: jobName === undefined ? { match_all: {} } : { bool: { filter: [{ term: { job_name: jobName } }] } },
    sort: [{ timestamp: 'desc' }],
  };
}

type RunKey = Pick<JobRun, 'jobRunId' | 'timestampMs'>;

/**
 * One entry per job_run_id: the one with the newest timestamp (a missing timestamp loses;
 * on a tie the earlier entry wins, i.e. the query's order). Kept in first-seen order.
 */
export function collapseNewestPerRun<T extends RunKey>(runs: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const run of runs) {
    const seen = newest.get(run.jobRunId);
    if (seen === undefined) {
      newest.set(run.jobRunId, run);
    } else if (run.timestampMs !== null && (seen.timestampMs === null || run.timestampMs > seen.timestampMs)) {
      // Map.set on an existing key keeps the key's original position.
      newest.set(run.jobRunId, run);
    }
  }
  return [...newest.values()];
}

/**
 * The pending runs that no non-pending document of the same run supersedes, i.e. one at
 * least as new; a missing timestamp counts as the oldest. Equal timestamps supersede:
 * offering a run that may already be decided is worse than hiding it until a newer
 * document arrives.
 */
export function excludeSuperseded<T extends RunKey>(pending: readonly T[], nonPending: readonly RunKey[]): T[] {
  const newestOther = new Map<string, number>();
  for (const doc of nonPending) {
    const at = doc.timestampMs ?? Number.NEGATIVE_INFINITY;
    newestOther.set(doc.jobRunId, Math.max(at, newestOther.get(doc.jobRunId) ?? Number.NEGATIVE_INFINITY));
  }
  return pending.filter((run) => {
    const other = newestOther.get(run.jobRunId);
    return other === undefined || other < (run.timestampMs ?? Number.NEGATIVE_INFINITY);
  });
}

/** docs/CONTRACTS.md §2: pending = status PENDING_APPROVAL and no approval_status. */
export function isPending(run: Pick<JobRun, 'status' | 'approval'>): boolean {
  return run.status === PENDING_STATUS && run.approval === null;
}

function clampSize(size: number): number {
  return Number.isFinite(size) ? Math.min(MAX_RESULT_WINDOW, Math.max(0, Math.floor(size))) : DEFAULT_PAGE_SIZE;
}

/** The value at `keys` inside a response body (own properties only); undefined when any step is missing. */
export function path(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
