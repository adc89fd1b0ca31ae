// The lazy tree's queries against the real local OpenSearch: the overview (groups, exact
// counts, urgent counts, nearest expiry, from one aggregation over the pending scope) and the
// pages of a group or the flat list in every order, checked against a reference computed
// here from every document of the index, as docs/CONTRACTS.md §2 defines pending: a run's newest
// document counts (a newer document of another status supersedes a pending one; of two
// pending documents the newer stands for the run).
import assert from 'node:assert/strict';
import { ApprovalsBackend } from '../../src/adapters/approvalsBackend';
import type { OpenSearchRunRepository } from '../../src/adapters/openSearchRunRepository';
import { DEFAULT_CONNECTION_SETTINGS } from '../../src/core/connectionSettings';
import { parseJobRun } from '../../src/core/jobRunParser';
import { compareCursor, multiDocumentRunsQuery, readPendingScope, type PendingScope, type PendingSelection, type ViewSort } from '../../src/core/pendingOverview';
import { cursorOf, matches, overviewOfRuns } from '../../src/core/listPendingSource';
import type { JobRun } from '../../src/core/model';
import { isPending } from '../../src/core/pendingQuery';
import { localStack, type SeedManifest } from '../support/localStack';

const TTL_HOURS = 72;
const INDEX = 'job-events';

describe('pending overview and pages against the local stack', function () {
  this.timeout(600_000);
  let backend: ApprovalsBackend;
  let repository: OpenSearchRunRepository;
  let seed: (options: Parameters<Awaited<ReturnType<typeof localStack>>['stack']['seedStack']>[0]) => Promise<SeedManifest>;

  before(async () => {
    const local = await localStack();
    seed = async (options) => (await local.stack.seedStack(options)).manifest;
    backend = new ApprovalsBackend({ ...DEFAULT_CONNECTION_SETTINGS, profile: local.profile, region: local.env.region, awsEndpointUrl: local.env.awsEndpointUrl }, () => TTL_HOURS);
    repository = await backend.repository();
  });

  after(async () => {
    await backend.dispose();
  });

  /** Every document of the index, read plainly, and the runs docs/CONTRACTS.md §2 calls pending. */
  async function referencePending(): Promise<JobRun[]> {
    const response = await repository.client.search({ index: INDEX, body: { size: 10_000, query: { exists: { field: 'job_run_id' } } } });
    const hits = (response.body as { hits: { hits: Array<{ _id: string; _source: unknown }> } }).hits.hits;
    assert.ok(hits.length < 10_000, 'the reference reads the whole index in one search');
    const documents = hits.map((hit) => parseJobRun(hit._id, hit._source));
    const newest = new Map<string, JobRun>();
    for (const doc of documents) {
      const seen = newest.get(doc.jobRunId);
      const at = doc.timestampMs ?? -Infinity;
      const seenAt = seen?.timestampMs ?? -Infinity;
      // Newest wins; on a tie a document that is not pending wins (it may be a decision).
      if (!seen || at > seenAt || (at === seenAt && isPending(seen) && !isPending(doc))) newest.set(doc.jobRunId, doc);
    }
    return [...newest.values()].filter((run) => isPending(run));
  }

  async function allPages(scope: PendingScope, selection: PendingSelection, sortBy: ViewSort, byJob: boolean, size: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor;
    for (let guard = 0; guard < 10_000; guard++) {
      const page = await repository.page({ scope, selection, sortBy, ttlHours: TTL_HOURS, byJob, size, ...(cursor ? { cursor } : {}) });
      ids.push(...page.runs.map((run) => run.jobRunId));
      if (!page.next) return ids;
      cursor = page.next;
    }
    assert.fail('paging did not end');
  }

  function inOrder(runs: readonly JobRun[], sortBy: ViewSort, byJob: boolean): string[] {
    return runs
      .map((run) => ({ run, cursor: cursorOf(run, sortBy, TTL_HOURS, byJob) }))
      .sort((a, b) => compareCursor(a.cursor, b.cursor))
      .map((entry) => entry.run.jobRunId);
  }

  describe('a seeded stack with a superseded, a duplicated and messy runs', () => {
    let reference: JobRun[];
    let supersededRunId: string;
    let keptRunId: string;

    before(async () => {
      const manifest = await seed({ pending: 60, history: 4, decided: 5, messy: 4 });
      const duplicates = (manifest.duplicateRunIds ?? []) as string[];
      assert.ok(duplicates.length > 0, 'the seed has a run with two pending documents');
      // One pending run gets a newer document of another status (a rerun that succeeded): no longer pending.
      // Another gets an older failed document: still pending.
      const [superseded, kept] = manifest.pendingRunIds.filter((id) => !duplicates.includes(id));
      assert.ok(superseded && kept);
      supersededRunId = superseded;
      keptRunId = kept;
      const stored = await repository.getRun(superseded);
      const older = await repository.getRun(kept);
      assert.ok(stored?.run.timestampMs && older?.run.timestampMs);
      await repository.client.index({ index: INDEX, body: { job_run_id: superseded, job_name: stored.run.jobName, status: 'SUCCESS', timestamp: new Date(stored.run.timestampMs + 60_000).toISOString() } });
      await repository.client.index({ index: INDEX, body: { job_run_id: kept, job_name: older.run.jobName, status: 'FAILED', timestamp: new Date(older.run.timestampMs - 60_000).toISOString() }, refresh: true });
      reference = await referencePending();
      assert.ok(!reference.some((run) => run.jobRunId === supersededRunId) && reference.some((run) => run.jobRunId === keptRunId), 'the reference reads docs/CONTRACTS.md §2 as meant');
    });

    it('gives the groups, their exact counts, urgent counts and nearest expiry, and the total, as the documents say', async () => {
      const now = Date.now();
      const summary = await repository.summary();
      const { overview, scope } = await repository.overview({ sinceMs: Date.parse(summary.oldestTimestamp ?? ''), nowMs: now, ttlHours: TTL_HOURS });
      const expected = overviewOfRuns(reference, now, TTL_HOURS);
      assert.equal(overview.total, reference.length);
      assert.equal(overview.exact, true);
      assert.ok(scope.excludedRunIds.includes(supersededRunId), 'the superseded run is out of the scope');
      const shape = (groups: typeof overview.groups) => groups.map((g) => ({ jobName: g.jobName, count: g.count, urgent: g.urgent, nearestExpiryMs: g.nearestExpiryMs }));
      assert.deepEqual(shape(overview.groups), shape(expected.groups));
      assert.equal(overview.urgent, expected.urgent);
      assert.ok(overview.urgent > 0, 'the seed has urgent runs');
      assert.equal(overview.nextUrgentAtMs, expected.nextUrgentAtMs);
      assert.equal(overview.groups.reduce((sum, g) => sum + g.count, 0), overview.total, 'the groups add up to the total');
    });

    it('finds the same runs with several documents with the one-shard plan as with the general one', async () => {
      const scopeBy = async (singleShard: boolean) => {
        const response = await repository.client.search({ index: INDEX, body: multiDocumentRunsQuery(null, { singleShard }) });
        assert.equal((response.body as { _shards: { total: number } })._shards.total, 1, 'the local index has one shard');
        return readPendingScope(response.body);
      };
      const general = await scopeBy(false);
      assert.ok(general.excludedRunIds.includes(supersededRunId) && general.excludedRunIds.includes(keptRunId), 'the seed has runs with several documents');
      assert.deepEqual(await scopeBy(true), general);
    });

    it('pages every group and the flat list in every order, exactly as the reference orders them, none twice', async () => {
      const summary = await repository.summary();
      const { overview, scope } = await repository.overview({ sinceMs: Date.parse(summary.oldestTimestamp ?? ''), nowMs: Date.now(), ttlHours: TTL_HOURS });
      for (const sortBy of ['expiry', 'newest', 'oldest', 'job'] as const) {
        const flat = await allPages(scope, {}, sortBy, sortBy === 'job', 7);
        assert.deepEqual(flat, inOrder(reference, sortBy, sortBy === 'job'), `flat list by ${sortBy}`);
        for (const group of overview.groups) {
          const ids = await allPages(scope, { jobKey: group.key }, sortBy, false, 4);
          assert.deepEqual(ids, inOrder(reference.filter((run) => run.jobName === group.jobName), sortBy, false), `${group.jobName} by ${sortBy}`);
          assert.equal(ids.length, group.count, `${group.jobName}: as many rows as its count`);
        }
      }
    });

    it('searches by job name, run id or check name, ignoring case, and lists every run of a selection', async () => {
      const summary = await repository.summary();
      const { scope } = await repository.overview({ sinceMs: Date.parse(summary.oldestTimestamp ?? ''), nowMs: Date.now(), ttlHours: TTL_HOURS });
      const someRun = reference.find((run) => run.qualityChecks.length > 0) ?? reference[0];
      assert.ok(someRun);
      for (const text of [someRun.jobName.slice(1, 6).toUpperCase(), someRun.jobRunId.slice(-6), someRun.qualityChecks[0]?.name ?? 'drop']) {
        const found = await allPages(scope, { text }, 'expiry', false, 50);
        assert.deepEqual(found, inOrder(reference.filter((run) => matches(run, { text })), 'expiry', false), `search "${text}"`);
        assert.ok(found.length > 0, `"${text}" finds runs`);
        const { overview } = await repository.overview({ sinceMs: null, nowMs: Date.now(), ttlHours: TTL_HOURS, text });
        assert.equal(overview.total, found.length, `the filtered overview counts what "${text}" finds`);
      }
      const everything = await repository.listAll({ scope, selection: {}, ttlHours: TTL_HOURS });
      assert.deepEqual(everything.map((run) => run.jobRunId), inOrder(reference, 'expiry', false));
    });
  });

  describe('at scale', () => {
    it('counts 40,000 pending runs exactly, in groups that add up, and lists every one of them', async () => {
      const manifest = await seed({ pending: 40_000, history: 1, decided: 2, messy: 2 });
      const { overview } = await repository.overview({ sinceMs: null, nowMs: Date.now(), ttlHours: TTL_HOURS });
      assert.equal(overview.total, manifest.pendingCount);
      assert.equal(overview.exact, true);
      assert.equal(overview.groups.reduce((sum, g) => sum + g.count, 0), manifest.pendingCount);
      const all = await repository.listPending();
      assert.equal(all.length, manifest.pendingCount);
      assert.equal(new Set(all.map((run) => run.jobRunId)).size, all.length, 'none twice');
    });
  });
});
