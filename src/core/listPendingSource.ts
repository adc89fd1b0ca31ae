// A PendingSource over a plain list of pending runs, doing in memory what the OpenSearch
// repository asks the server for: the overview (groups, exact counts, urgent counts,
// nearest expiry), pages in the view's order after a cursor, searches and full lists. For
// sources that only have a list (tests, tools), and the reference the repository's queries
// are checked against (test/integration/dataLayer.test.ts).
import { expiryOf, urgencyOf, URGENT_MS } from './expiry';
import { MISSING_JOB_NAME } from './jobRunParser';
import type { JobRun } from './model';
import { EMPTY_SCOPE, compareCursor, type JobGroupOverview, type PageCursor, type PendingOverview, type PendingSelection, type ViewSort } from './pendingOverview';
import type { PendingSource, PendingSummary } from './pendingRunsStore';
import type { AuditLookup } from './publishedDecisions';

export interface RunList {
  /** Every pending run (newest document per run, superseded ones left out). */
  listPending(): Promise<JobRun[]>;
  summary?(): Promise<PendingSummary>;
  auditsFor?(decisionIds: readonly string[]): Promise<AuditLookup[]>;
}

export function pendingSourceFromList(list: RunList): PendingSource {
  const source: PendingSource = {
    summary: async () => {
      if (list.summary) return list.summary();
      const runs = await list.listPending();
      const times = runs.map((run) => run.timestamp ?? '').filter(Boolean).sort();
      return { documents: runs.length, approximateRuns: runs.length, newestTimestamp: times.at(-1) ?? null, oldestTimestamp: times[0] ?? null };
    },
    overview: async (request) => {
      const runs = (await list.listPending()).filter((run) => matches(run, { text: request.text }));
      return { overview: overviewOfRuns(runs, request.nowMs, request.ttlHours), scope: EMPTY_SCOPE };
    },
    page: async (request) => {
      const byJob = request.byJob;
      const keyed = (await list.listPending())
        .filter((run) => matches(run, request.selection))
        .map((run) => ({ run, cursor: cursorOf(run, request.sortBy, request.ttlHours, byJob) }))
        .filter((entry) => !request.cursor || compareCursor(entry.cursor, request.cursor) > 0)
        .sort((a, b) => compareCursor(a.cursor, b.cursor));
      const page = keyed.slice(0, request.size);
      const last = page[page.length - 1];
      return { runs: page.map((entry) => entry.run), next: keyed.length > request.size && last ? last.cursor : undefined };
    },
    listAll: async (request) =>
      (await list.listPending())
        .filter((run) => matches(run, request.selection))
        .sort((a, b) => compareCursor(cursorOf(a, 'expiry', request.ttlHours, false), cursorOf(b, 'expiry', request.ttlHours, false))),
  };
  if (list.auditsFor) source.auditsFor = (ids) => (list.auditsFor as NonNullable<RunList['auditsFor']>)(ids);
  return source;
}

/** The overview of these runs, as pendingOverviewQuery + readPendingOverview give it. */
export function overviewOfRuns(runs: readonly JobRun[], nowMs: number, ttlHours: number): PendingOverview {
  const groups = new Map<string, JobGroupOverview>();
  let nextUrgentAtMs: number | null = null;
  for (const run of runs) {
    const expiry = expiryOf(run, ttlHours);
    const urgency = urgencyOf(expiry, nowMs);
    const urgent = urgency === 'urgent' || urgency === 'overdue';
    if (!urgent && expiry !== null) nextUrgentAtMs = Math.min(nextUrgentAtMs ?? Infinity, expiry - URGENT_MS);
    const group = groups.get(run.jobName) ?? { key: run.jobName === MISSING_JOB_NAME ? null : run.jobName, jobName: run.jobName, count: 0, urgent: 0, nearestExpiryMs: null };
    group.count += 1;
    if (urgent) group.urgent += 1;
    if (expiry !== null) group.nearestExpiryMs = Math.min(group.nearestExpiryMs ?? Infinity, expiry);
    groups.set(run.jobName, group);
  }
  const sorted = [...groups.values()].sort((a, b) => (a.nearestExpiryMs ?? Infinity) - (b.nearestExpiryMs ?? Infinity) || (a.jobName < b.jobName ? -1 : a.jobName > b.jobName ? 1 : 0));
  return { total: runs.length, urgent: sorted.reduce((sum, g) => sum + g.urgent, 0), groups: sorted, exact: true, countedAtMs: nowMs, nextUrgentAtMs };
}

/** The run's place in the view's order (pendingOverview.ts pageStreams). */
export function cursorOf(run: JobRun, sortBy: ViewSort, ttlHours: number, byJob: boolean): PageCursor {
  let primary: number;
  if (sortBy === 'newest') primary = run.timestampMs === null ? Infinity : -run.timestampMs;
  else if (sortBy === 'oldest') primary = run.timestampMs ?? Infinity;
  else primary = expiryOf(run, ttlHours) ?? Infinity;
  return { ...(byJob ? { job: run.jobName } : {}), primary, runId: run.jobRunId };
}

/** Whether a run is in a selection (see PendingSelection). */
export function matches(run: JobRun, selection: PendingSelection): boolean {
  if (selection.jobKey !== undefined && run.jobName !== (selection.jobKey ?? MISSING_JOB_NAME)) return false;
  if (selection.runIds && !selection.runIds.includes(run.jobRunId)) return false;
  if (selection.newerThanMs !== undefined && !(run.timestampMs !== null && run.timestampMs > selection.newerThanMs)) return false;
  const needle = selection.text?.trim().toLowerCase();
  if (needle) {
    // As the server's text filter (pendingOverview.ts textFilter): names and ids, not values.
    const haystack = [run.jobName, run.jobRunId, ...run.qualityChecks.map((check) => check.name)].join('\n').toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}
