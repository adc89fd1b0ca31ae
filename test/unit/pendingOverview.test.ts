// The lazy tree's pure parts: the pending scope (which pending document stands for a run with
// several), reading the overview aggregation, merging expiry streams into pages, and the
// in-memory source the queries are checked against. The queries themselves run against the
// real OpenSearch in test/integration/pendingOverview.test.ts.
import assert from 'node:assert/strict';
import { cursorOf, matches, overviewOfRuns, pendingSourceFromList } from '../../src/core/listPendingSource';
import { EMPTY_SCOPE, mergePage, multiDocumentRunsQuery, pageStreams, readPendingOverview, readPendingScope, scopedPendingQuery, type PageCursor } from '../../src/core/pendingOverview';
import type { JobRun } from '../../src/core/model';
import { pendingRun } from './fixtures';

const NOW = Date.UTC(2024, 0, 15, 12);
const HOUR = 3_600_000;

function run(id: string, job: string, hoursAgo: number, expiresInHours?: number): JobRun {
  return pendingRun(
    {
      job_run_id: id,
      job_name: job,
      timestamp: new Date(NOW - hoursAgo * HOUR).toISOString(),
      ...(expiresInHours === undefined ? {} : { expires_at: new Date(NOW + expiresInHours * HOUR).toISOString() }),
    },
    `doc-${id}`,
  );
}

describe('the pending scope', () => {
  const bucket = (key: string, pending: number, newestPendingMs: number | null, newestOtherMs: number | null, id = `doc-${key}`) => ({
    key,
    doc_count: pending + (newestOtherMs === null ? 0 : 1),
    pending: { doc_count: pending, newest: { hits: { hits: newestPendingMs === null ? [] : [{ _id: id, sort: [newestPendingMs] }] } } },
    other: { doc_count: newestOtherMs === null ? 0 : 1, newest: { value: newestOtherMs } },
  });

  it('keeps the newest pending document of a run unless a document of another status is as new or newer', () => {
    const scope = readPendingScope({
      aggregations: {
        runs: {
          sum_other_doc_count: 0,
          buckets: [bucket('two-pending', 2, 2000, null), bucket('rerun-succeeded', 1, 1000, 2000), bucket('tie', 1, 1000, 1000), bucket('old-failure', 1, 3000, 1000), bucket('no-pending', 0, null, 5000)],
        },
      },
    });
    assert.deepEqual(scope.excludedRunIds, ['two-pending', 'rerun-succeeded', 'tie', 'old-failure']);
    assert.deepEqual(scope.includedDocumentIds, ['doc-two-pending', 'doc-old-failure']);
    assert.equal(scope.exact, true);
  });

  it('asks for every pending document when no run has several, and for the scope otherwise', () => {
    assert.deepEqual(JSON.stringify(scopedPendingQuery(EMPTY_SCOPE)).includes('"ids"'), false);
    const scoped = JSON.stringify(scopedPendingQuery({ excludedRunIds: ['r1'], includedDocumentIds: ['d1'], exact: true }, { jobKey: null, text: 'A*b' }));
    assert.match(scoped, /"terms":\{"job_run_id":\["r1"\]\}/);
    assert.match(scoped, /"ids":\{"values":\["d1"\]\}/);
    assert.match(scoped, /"must_not":\[\{"exists":\{"field":"job_name"\}\}\]/, 'the group without a job name');
    assert.match(scoped, /"value":"\*A\\\\\*b\*","case_insensitive":true/, 'the text is escaped in the wildcard');
  });

  it('drops single-document runs per shard only when the index has one shard (a run\'s documents may lie on different shards)', () => {
    const terms = (options?: { singleShard?: boolean }) => (multiDocumentRunsQuery(null, options) as { aggs: { runs: { terms: Record<string, unknown> } } }).aggs.runs.terms;
    for (const general of [terms(), terms({ singleShard: false })]) {
      assert.equal(general.shard_min_doc_count, undefined);
      assert.equal(general.min_doc_count, 2);
    }
    const single = terms({ singleShard: true });
    assert.equal(single.shard_min_doc_count, 2);
    assert.deepEqual(single.order, terms().order, 'the same order');
  });
});

describe('reading the overview aggregation', () => {
  it('gives groups most pressing first, exact totals, urgent counts, nearest expiry and when the next run becomes urgent', () => {
    const ttl = 72;
    const body = {
      hits: { total: { value: 5, relation: 'eq' } },
      aggregations: {
        jobs: {
          sum_other_doc_count: 0,
          buckets: [
            { key: 'a_job', doc_count: 3, urgent: { doc_count: 1 }, expires_at: { value: NOW + 5 * 60_000 }, by_timestamp: { oldest: { value: NOW - 70 * HOUR } }, later: { expires_at: { value: null }, by_timestamp: { oldest: { value: NOW - 70 * HOUR } } } },
            { key: '\u0000missing job_name', doc_count: 2, urgent: { doc_count: 0 }, expires_at: { value: null }, by_timestamp: { oldest: { value: NOW - 80 * HOUR } }, later: { expires_at: { value: null }, by_timestamp: { oldest: { value: NOW - 80 * HOUR } } } },
          ],
        },
      },
    };
    const overview = readPendingOverview(body, EMPTY_SCOPE, NOW, ttl);
    assert.equal(overview.total, 5);
    assert.equal(overview.urgent, 1);
    assert.deepEqual(overview.groups.map((g) => [g.key, g.jobName, g.count, g.nearestExpiryMs]), [
      [null, '(missing job_name)', 2, NOW - 8 * HOUR],
      ['a_job', 'a_job', 3, NOW + 5 * 60_000],
    ]);
    assert.equal(overview.nextUrgentAtMs, NOW - 8 * HOUR - 15 * 60_000);
    assert.equal(overview.exact, true);
    assert.equal(readPendingOverview({ ...body, aggregations: { jobs: { ...body.aggregations.jobs, sum_other_doc_count: 4 } } }, EMPTY_SCOPE, NOW, ttl).exact, false, 'more jobs than one aggregation returns: estimates');
  });
});

describe('pages merged from expiry streams', () => {
  const ttl = 72;
  const streams = pageStreams('expiry', ttl, false);

  it('orders runs with expires_at and runs without by one expiry, and continues after the cursor', () => {
    const explicit = [run('e1', 'j', 1, 2), run('e2', 'j', 1, 100)];
    const derived = [run('d1', 'j', 71), run('d2', 'j', 10)]; // expire in 1 h and 62 h
    const hits = (runs: JobRun[], value: (r: JobRun) => number) => runs.map((r) => ({ run: r, sortValues: [value(r), r.jobRunId] }));
    const page = mergePage(streams, [hits(explicit, (r) => Date.parse(r.expiresAt ?? '')), hits(derived, (r) => r.timestampMs ?? 0), []], 3, false);
    assert.deepEqual(page.runs.map((r) => r.jobRunId), ['d1', 'e1', 'd2']);
    assert.deepEqual(page.next, { primary: (derived[1]?.timestampMs ?? 0) + ttl * HOUR, runId: 'd2' });
    const next = page.next;
    assert.ok(next);
    assert.deepEqual(streams[0]?.after(next), [next.primary, 'd2'], 'the expires_at stream continues at the same expiry');
    assert.deepEqual(streams[1]?.after(next), [next.primary - ttl * HOUR, 'd2'], 'the timestamp stream at the same expiry less the TTL');
    const last = mergePage(streams, [hits(explicit.slice(1), (r) => Date.parse(r.expiresAt ?? '')), [], []], 3, false);
    assert.equal(last.next, undefined, 'nothing follows a short page');
  });

  it('in memory: pages of any size concatenate to the whole list in the view order, and a text selects by name, id or check name', async () => {
    const runs = [run('a1', 'alpha', 1), run('a2', 'alpha', 70), run('b1', 'beta', 5, 1), run('b2', 'beta', 2, 300), run('c1', 'gamma', 30)];
    const source = pendingSourceFromList({ listPending: () => Promise.resolve(runs) });
    for (const sortBy of ['expiry', 'newest', 'oldest', 'job'] as const) {
      const byJob = sortBy === 'job';
      const whole = [...runs].sort((x, y) => {
        const a = cursorOf(x, sortBy, ttl, byJob);
        const b = cursorOf(y, sortBy, ttl, byJob);
        return (a.job ?? '').localeCompare(b.job ?? '') || a.primary - b.primary || a.runId.localeCompare(b.runId);
      });
      const ids: string[] = [];
      let cursor: PageCursor | undefined;
      do {
        const page = await source.page({ scope: EMPTY_SCOPE, selection: {}, sortBy, ttlHours: ttl, byJob, size: 2, ...(cursor ? { cursor } : {}) });
        ids.push(...page.runs.map((r) => r.jobRunId));
        cursor = page.next;
      } while (cursor);
      assert.deepEqual(ids, whole.map((r) => r.jobRunId), sortBy);
    }
    assert.ok(matches(runs[0] as JobRun, { text: 'ALP' }));
    assert.ok(matches(runs[0] as JobRun, { text: 'drop_rate' }), 'a check name');
    assert.ok(!matches(runs[0] as JobRun, { text: '12.0%' }), 'not a check value: the server cannot match those');
    const overview = overviewOfRuns(runs, NOW, ttl);
    assert.deepEqual(overview.groups.map((g) => [g.jobName, g.count, g.urgent]), [['beta', 2, 0], ['alpha', 2, 0], ['gamma', 1, 0]]);
    assert.equal(overview.total, 5);
  });
});
