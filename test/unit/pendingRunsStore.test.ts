// The pending-runs store: one source of truth for tree, badge, status bar and notifications.
import assert from 'node:assert/strict';
import type { JobRun } from '../../src/core/model';
import { parseAuditRecord } from '../../src/core/auditRecord';
import { pendingSourceFromList } from '../../src/core/listPendingSource';
import {
  PendingRunsStore,
  type OverviewRequest,
  type PageRequest,
  type PendingSource,
  type PendingSummary,
  type PublishedFollowUp,
  type StoreChange,
  type StoreSnapshot,
} from '../../src/core/pendingRunsStore';
import { FOLLOW_UP_INTERVAL_MS, MAX_FOLLOW_UP_INTERVAL_MS, type AuditLookup } from '../../src/core/publishedDecisions';
import { pendingRun } from './fixtures';

function runOf(id: string, minutesAgo = 10): JobRun {
  return pendingRun({ job_run_id: id, timestamp: new Date(Date.UTC(2024, 0, 15, 12) - minutesAgo * 60_000).toISOString() }, id);
}

/**
 * A scripted source that counts calls, and manual timers. Its overview and pages are the
 * in-memory ones (listPendingSource.ts); `listCalls` counts overview loads.
 */
class FakeSource implements PendingSource {
  runs: JobRun[] = [];
  failWith: Error | undefined;
  summaryCalls = 0;
  listCalls = 0;
  private readonly memory = pendingSourceFromList({ listPending: () => Promise.resolve([...this.runs]) });
  /** How far off the summary's approximate run count is (cardinality is HyperLogLog++). */
  countError = 0;
  summary(): Promise<PendingSummary> {
    this.summaryCalls += 1;
    if (this.failWith) return Promise.reject(this.failWith);
    // The fingerprint of OpenSearch's summary; its run count is approximate there, as here.
    return Promise.resolve({ documents: this.runs.length, approximateRuns: this.runs.length + this.countError, newestTimestamp: this.runs.map((r) => r.timestamp ?? '').sort().at(-1) ?? null });
  }
  overview(request: OverviewRequest): ReturnType<PendingSource['overview']> {
    this.listCalls += 1;
    if (this.failWith) return Promise.reject(this.failWith);
    return this.memory.overview(request);
  }
  /** When set, pages answer only once it resolves (or fail with `pageFailWith`). */
  pageGate: Promise<void> | undefined;
  pageFailWith: Error | undefined;
  pageCalls = 0;
  async page(request: PageRequest): ReturnType<PendingSource['page']> {
    this.pageCalls += 1;
    await this.pageGate;
    if (this.failWith) throw this.failWith;
    if (this.pageFailWith) throw this.pageFailWith;
    return this.memory.page(request);
  }
  listAll(request: Parameters<PendingSource['listAll']>[0]): Promise<JobRun[]> {
    if (this.failWith) return Promise.reject(this.failWith);
    return this.memory.listAll(request);
  }
}

/** The runs the tree shows, in expiry order (hidden ones left out). */
async function shownIds(store: PendingRunsStore): Promise<string[]> {
  const page = await store.page({}, { sortBy: 'expiry', size: 1000 });
  return page.runs.filter((run) => store.isShown(run.jobRunId)).map((run) => run.jobRunId);
}

/** Waits (on the event loop, not a timer) until `condition` holds; fails with `what` after many turns. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`never happened: ${what}`);
}

class ManualTimers {
  scheduled: Array<{ callback: () => void; ms: number }> = [];
  setTimeout(callback: () => void, ms: number): unknown {
    const entry = { callback, ms };
    this.scheduled.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown): void {
    this.scheduled = this.scheduled.filter((entry) => entry !== handle);
  }
  last(): { callback: () => void; ms: number } {
    const entry = this.scheduled.at(-1);
    assert.ok(entry, 'a poll is scheduled');
    return entry;
  }
}

describe('PendingRunsStore', () => {
  it('loads the list on first use and reports the count', async () => {
    const source = new FakeSource();
    source.runs = [runOf('a'), runOf('b')];
    const store = new PendingRunsStore(new ManualTimers());
    const changes: StoreChange[] = [];
    store.onDidChange((change) => changes.push(change));
    await store.setSource(source);
    assert.equal(store.count, 2);
    assert.equal(store.status.kind, 'ready');
    assert.ok(store.hasLoaded);
    assert.ok(changes.some((c) => c.firstLoad), 'the first load is flagged');
    assert.ok(changes.every((c) => c.added.length === 0), 'nothing is "new" on the first load');
  });

  it('polls cheaply: the full list is reloaded only when the summary changes', async () => {
    const source = new FakeSource();
    source.runs = [runOf('a')];
    const store = new PendingRunsStore(new ManualTimers());
    await store.setSource(source);
    assert.equal(source.listCalls, 1);
    await store.refresh({ force: false });
    assert.equal(source.listCalls, 1, 'unchanged summary: no reload');
    assert.equal(source.summaryCalls, 2);
    source.runs = [runOf('a'), runOf('c', 1)];
    const added: JobRun[] = [];
    store.onDidChange((change) => added.push(...change.added));
    await store.refresh({ force: false });
    assert.equal(source.listCalls, 2);
    assert.deepEqual(added.map((r) => r.jobRunId), ['c'], 'newly appeared runs are reported');
  });

  it('counts the runs it loaded, never the summary\'s approximate count', async () => {
    const source = new FakeSource();
    source.runs = Array.from({ length: 5 }, (_, i) => runOf(`r${i}`, i));
    source.countError = 1; // cardinality said 6 for 5 runs (we measured 10,001 for 10,000)
    const store = new PendingRunsStore(new ManualTimers());
    await store.setSource(source);
    assert.equal(store.count, 5);
    assert.equal((await shownIds(store)).length, 5);
    source.countError = 0; // the estimate moves although nothing changed: one harmless reload
    await store.refresh({ force: false });
    assert.equal(source.listCalls, 2);
    assert.equal(store.count, 5);
  });

  it('reloads when the exact document count changes though the approximate run count and newest timestamp do not', async () => {
    const source = new FakeSource();
    const a = runOf('a', 5);
    source.runs = [a, runOf('b', 30)];
    const store = new PendingRunsStore(new ManualTimers());
    await store.setSource(source);
    // b is decided; the estimate of distinct runs still says 2, and a is still the newest.
    source.runs = [a];
    source.countError = 1;
    await store.refresh({ force: false });
    assert.equal(source.listCalls, 2, 'the changed document count reloads');
    assert.deepEqual(await shownIds(store), ['a']);
    assert.equal(store.count, 1);
  });

  it('a forced refresh always reloads the list', async () => {
    const source = new FakeSource();
    const store = new PendingRunsStore(new ManualTimers());
    await store.setSource(source);
    await store.refresh({ force: true });
    assert.equal(source.listCalls, 2);
  });

  it('keeps the last runs and reports a classified failure; backs off while failing', async () => {
    const source = new FakeSource();
    source.runs = [runOf('a')];
    const timers = new ManualTimers();
    const store = new PendingRunsStore(timers, () => ({ profile: 'dev' }));
    await store.setSource(source);
    store.startPolling(10);
    assert.equal(timers.last().ms, 10_000);
    source.failWith = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    await store.refresh({ force: true });
    assert.equal(store.status.kind, 'failed');
    assert.equal(store.status.kind === 'failed' && store.status.failure.kind, 'no-credentials');
    assert.equal(store.count, 1, 'last known runs are kept');
    store.startPolling(10);
    assert.equal(timers.last().ms, 20_000, 'one failure doubles the interval');
    source.failWith = undefined;
    await store.refresh({ force: false });
    assert.equal(store.status.kind, 'ready');
    store.startPolling(10);
    assert.equal(timers.last().ms, 10_000, 'success resets the interval');
    store.dispose();
  });

  it('shows the first overview before the newest runs answer; the load ends when they have', async () => {
    const source = new FakeSource();
    source.runs = [runOf('a'), runOf('b')];
    let openGate: () => void = () => undefined;
    source.pageGate = new Promise((resolve) => (openGate = resolve));
    const store = new PendingRunsStore(new ManualTimers());
    let settled = false;
    const loading = store.setSource(source).then(() => (settled = true));
    await until(() => source.pageCalls > 0, 'the newest runs asked for');
    assert.equal(store.count, 2, 'the counts are shown while the newest runs are still asked');
    assert.equal(store.status.kind, 'ready');
    assert.equal(store.isLive, true);
    assert.equal(settled, false, 'the load is still in flight');
    const summaries = source.summaryCalls;
    const sharing = store.refresh({ force: false });
    openGate();
    await Promise.all([loading, sharing]);
    assert.equal(source.summaryCalls, summaries, 'a refresh meanwhile shares the load in flight');
    // The newest runs were kept: a run arriving now is announced by the next poll.
    const added: string[] = [];
    store.onDidChange((change) => added.push(...change.added.map((run) => run.jobRunId)));
    source.runs = [...source.runs, runOf('c', 1)];
    await store.refresh({ force: false });
    assert.deepEqual(added, ['c']);
  });

  it('keeps the first overview with the error when the newest runs fail, and reloads on the next poll', async () => {
    const source = new FakeSource();
    source.runs = [runOf('a'), runOf('b')];
    source.pageFailWith = new Error('connect ECONNREFUSED 127.0.0.1:9200');
    const timers = new ManualTimers();
    const store = new PendingRunsStore(timers, () => ({ profile: 'dev' }));
    await store.setSource(source);
    assert.equal(store.count, 2, 'the counts stay shown');
    assert.equal(store.status.kind, 'failed');
    assert.match(store.status.kind === 'failed' ? store.status.failure.message : '', /ECONNREFUSED/);
    store.startPolling(10);
    assert.equal(timers.last().ms, 20_000, 'the failure backs off');
    source.pageFailWith = undefined;
    const overviews = source.listCalls;
    await store.refresh({ force: false });
    assert.equal(source.listCalls, overviews + 1, 'the same summary still reloads: the last load did not finish');
    assert.equal(store.status.kind, 'ready');
    assert.equal(store.count, 2);
  });

  it('shares one request between concurrent refreshes', async () => {
    const source = new FakeSource();
    const store = new PendingRunsStore(new ManualTimers());
    await store.setSource(source);
    const before = source.summaryCalls;
    await Promise.all([store.refresh({ force: false }), store.refresh({ force: false }), store.refresh({ force: false })]);
    assert.equal(source.summaryCalls, before + 1);
  });

  it('hides a run once this window published a decision for it, until the source drops it', async () => {
    const source = new FakeSource();
    source.runs = [runOf('a'), runOf('b')];
    const store = new PendingRunsStore(new ManualTimers());
    await store.setSource(source);
    store.markPublished('a', 'APPROVED');
    assert.deepEqual(await shownIds(store), ['b']);
    assert.equal(store.count, 1);
    assert.equal(store.publishedFollowUp('a')?.decision, 'APPROVED');
    source.runs = [runOf('b')];
    await store.refresh({ force: true });
    assert.equal(store.publishedFollowUp('a'), undefined, 'forgotten once recorded');
  });

  describe('following a published decision', () => {
    const T0 = Date.UTC(2024, 0, 15, 14, 5);

    /** A source with an audit index the test writes into, as the processor would. */
    class AuditedSource extends FakeSource {
      audits: AuditLookup[] = [];
      auditCalls: string[][] = [];
      auditError: Error | undefined;
      auditsFor(decisionIds: readonly string[]): Promise<AuditLookup[]> {
        this.auditCalls.push([...decisionIds]);
        if (this.auditError) return Promise.reject(this.auditError);
        return Promise.resolve(this.audits.filter((a) => decisionIds.includes(a.auditId)));
      }
      record(decisionId: string, status: string, detail: string | null): void {
        const record = parseAuditRecord(decisionId, { decision_id: decisionId, job_run_id: 'a', decision: 'APPROVED', audit_status: status, audit_detail: detail });
        this.audits = [...this.audits.filter((a) => a.auditId !== decisionId), { auditId: decisionId, record }];
      }
    }

    async function setUp(options: { graceMs?: number } = {}) {
      const source = new AuditedSource();
      source.runs = [runOf('a'), runOf('b')];
      const timers = new ManualTimers();
      const clock = { now: T0 };
      const store = new PendingRunsStore(timers, () => ({}), { now: () => clock.now, ...options });
      await store.setSource(source);
      store.startPolling(60);
      const resurfaced: PublishedFollowUp[][] = [];
      store.onDidResurface((entries) => resurfaced.push(entries));
      return { source, timers, clock, store, resurfaced };
    }

    it('shows a run again, with the reason, when the processor refused its decision', async () => {
      const { source, timers, store, resurfaced } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      assert.deepEqual(await shownIds(store), ['b'], 'hidden right after publishing');
      assert.equal(timers.last().ms, FOLLOW_UP_INTERVAL_MS, 'a follow-up is scheduled');
      timers.last().callback();
      await store.followUp();
      assert.deepEqual(source.auditCalls, [['d-1']]);
      assert.deepEqual(await shownIds(store), ['b'], 'nothing recorded yet: still hidden');
      source.record('d-1', 'refused', 'alice triggered this run and cannot approve it.');
      timers.last().callback();
      await store.followUp();
      assert.deepEqual(await shownIds(store), ['a', 'b'], 'back in the list');
      assert.equal(store.count, 2, 'and in the badge');
      assert.deepEqual(store.publishedFollowUp('a')?.state, { kind: 'not-applied', status: 'refused', detail: 'alice triggered this run and cannot approve it.', code: null });
      assert.equal(resurfaced.length, 1);
      assert.equal(resurfaced[0]?.[0]?.jobRunId, 'a');
      assert.deepEqual(timers.scheduled.map((t) => t.ms), [60_000], 'nothing hidden is left to follow: only the poll is scheduled');
      // Final: later polls neither ask again nor tell again.
      await store.refresh({ force: false });
      await store.refresh({ force: true });
      assert.equal(source.auditCalls.length, 2);
      assert.equal(resurfaced.length, 1);
    });

    it('notices a refusal on a regular poll even though the summary did not change', async () => {
      const { source, store } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      source.record('d-1', 'invalid', 'Stale: the decision is dated too early.');
      const lists = source.listCalls;
      await store.refresh({ force: false });
      assert.equal(source.listCalls, lists, 'the cheap path');
      assert.deepEqual(await shownIds(store), ['a', 'b']);
      assert.equal(store.publishedFollowUp('a')?.state.kind, 'not-applied');
    });

    it('shows a counted quorum vote as awaiting quorum, and follows it to the next count', async () => {
      const { source, store, resurfaced } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      source.record('d-1', 'awaiting-quorum', 'Awaiting quorum: 1 of 3 distinct approvals (alice).');
      await store.refresh({ force: false });
      assert.deepEqual(store.publishedFollowUp('a')?.state, { kind: 'awaiting-quorum', have: 1, need: 3, detail: 'Awaiting quorum: 1 of 3 distinct approvals (alice).' });
      assert.deepEqual(await shownIds(store), ['a', 'b']);
      source.record('d-1', 'awaiting-quorum', 'Awaiting quorum: 2 of 3 distinct approvals (alice, bob).');
      await store.refresh({ force: false });
      assert.equal(store.publishedFollowUp('a')?.state.kind === 'awaiting-quorum' && store.publishedFollowUp('a')?.state, store.publishedFollowUp('a')?.state);
      const state = store.publishedFollowUp('a')?.state;
      assert.equal(state?.kind === 'awaiting-quorum' ? state.have : null, 2);
      assert.equal(resurfaced.length, 1, 'told once, not on every count');
      // The quorum is reached: the processor applies it and the run leaves the list.
      source.runs = [runOf('b')];
      await store.refresh({ force: false });
      assert.equal(store.publishedFollowUp('a'), undefined);
      assert.deepEqual(await shownIds(store), ['b']);
    });

    it('shows a run again after the grace period when nothing recorded its decision', async () => {
      const { source, timers, clock, store, resurfaced } = await setUp({ graceMs: 60_000 });
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1' });
      assert.equal(store.publishedFollowUp('a')?.publishedAtMs, T0, 'published now by default');
      clock.now = T0 + 59_000;
      timers.last().callback();
      await store.followUp();
      assert.deepEqual(await shownIds(store), ['b']);
      clock.now = T0 + 61_000;
      timers.last().callback();
      await store.followUp();
      assert.deepEqual(await shownIds(store), ['a', 'b']);
      assert.deepEqual(store.publishedFollowUp('a')?.state, { kind: 'overdue', auditStatus: null });
      assert.equal(resurfaced.length, 1);
      // The processor gets to it later and refuses it: the notice changes, and says so again.
      source.record('d-1', 'refused', 'The run is not waiting for approval.');
      await store.refresh({ force: false });
      assert.equal(store.publishedFollowUp('a')?.state.kind, 'not-applied');
      assert.equal(resurfaced.length, 2);
    });

    it('still applies the grace period when the audit index cannot be read, or the source has none', async () => {
      const { source, clock, store } = await setUp({ graceMs: 60_000 });
      source.auditError = new Error('index_not_found_exception');
      store.markPublished('a', 'REJECTED', { decisionId: 'd-1', publishedAtMs: T0 });
      await store.followUp();
      assert.deepEqual(await shownIds(store), ['b']);
      clock.now = T0 + 120_000;
      await store.refresh({ force: false });
      assert.deepEqual(await shownIds(store), ['a', 'b']);

      const plain = new FakeSource();
      plain.runs = [runOf('x')];
      const now = { ms: T0 };
      const other = new PendingRunsStore(new ManualTimers(), () => ({}), { now: () => now.ms, graceMs: 1000 });
      await other.setSource(plain);
      other.markPublished('x', 'APPROVED');
      assert.equal(other.count, 0);
      now.ms += 1000;
      await other.refresh({ force: false });
      assert.equal(other.count, 1);
    });

    it('keeps a recorded decision hidden until its run leaves the list', async () => {
      const { source, store } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      source.record('d-1', 'recorded', null);
      await store.refresh({ force: false });
      assert.deepEqual(await shownIds(store), ['b']);
      source.runs = [runOf('b')];
      await store.refresh({ force: false });
      assert.equal(store.publishedFollowUp('a'), undefined);
    });

    it('hides the run again when it is decided anew, following the new decision_id', async () => {
      const { source, store } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      source.record('d-1', 'refused', 'evidence changed');
      await store.followUp();
      assert.equal(store.count, 2);
      store.markPublished('a', 'APPROVED', { decisionId: 'd-2', publishedAtMs: T0 + 1000 });
      assert.equal(store.count, 1);
      await store.followUp();
      assert.deepEqual(source.auditCalls.at(-1), ['d-2']);
      assert.equal(store.publishedFollowUp('a')?.state.kind, 'hidden');
    });

    it('forgets published decisions when the source is replaced, and stops following when disposed', async () => {
      const { timers, store } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      const fresh = new AuditedSource();
      fresh.runs = [runOf('a')];
      await store.setSource(fresh);
      assert.equal(store.publishedFollowUp('a'), undefined);
      assert.equal(store.count, 1);
      store.markPublished('a', 'APPROVED', { decisionId: 'd-2', publishedAtMs: T0 });
      assert.deepEqual(timers.scheduled.map((t) => t.ms), [60_000, FOLLOW_UP_INTERVAL_MS]);
      store.dispose();
      assert.equal(timers.scheduled.length, 0);
    });

    it('follows a published decision on its own, polling or not: soon, then half as often after each quiet round, until nothing is followed', async () => {
      const { source, timers, store } = await setUp();
      store.startPolling(0);
      assert.equal(timers.scheduled.length, 0, 'nothing followed, nothing asked');
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      const waits: number[] = [];
      for (let round = 0; round < 5; round++) {
        const next = timers.last();
        waits.push(next.ms);
        next.callback();
        await store.followUp();
      }
      const first = FOLLOW_UP_INTERVAL_MS;
      assert.deepEqual(waits, [first, 2 * first, 4 * first, MAX_FOLLOW_UP_INTERVAL_MS, MAX_FOLLOW_UP_INTERVAL_MS]);
      assert.equal(source.auditCalls.length, 5, 'one audit query a round');
      source.record('d-1', 'refused', 'no');
      timers.last().callback();
      await store.followUp();
      assert.equal(store.count, 2, 'back in the list');
      assert.equal(timers.scheduled.length, 0, 'nothing left to follow: nothing scheduled');
      store.markPublished('b', 'APPROVED', { decisionId: 'd-2', publishedAtMs: T0 });
      assert.deepEqual(timers.scheduled.map((t) => t.ms), [FOLLOW_UP_INTERVAL_MS], 'a new decision is looked for soon again');
    });

    it('sees a decision recorded when its run leaves the list, tells the views, and stops following it', async () => {
      const { source, timers, store } = await setUp();
      store.markPublished('a', 'APPROVED', { decisionId: 'd-1', publishedAtMs: T0 });
      let changes = 0;
      store.onDidChange(() => (changes += 1));
      source.record('d-1', 'recorded', null);
      timers.last().callback();
      await store.followUp();
      assert.equal(store.publishedFollowUp('a')?.state.kind, 'hidden', 'audited, but the run update has not landed yet');
      assert.equal(changes, 0, 'nothing to tell');
      source.runs = [runOf('b')];
      timers.last().callback();
      await store.followUp();
      assert.deepEqual(store.publishedFollowUp('a')?.state, { kind: 'recorded' });
      assert.equal(store.publishedFollowUp('a')?.following, false);
      assert.equal(store.publishedFollowUp('a')?.audit?.auditStatus, 'recorded');
      assert.equal(changes, 1, 'the views are told once');
      assert.equal(store.count, 1, 'not counted, though the overview has not been loaded again');
      assert.deepEqual(await shownIds(store), ['b']);
      assert.deepEqual(timers.scheduled.map((t) => t.ms), [60_000], 'only the poll is left');
      await store.refresh({ force: false });
      assert.equal(store.publishedFollowUp('a'), undefined, 'forgotten once the overview has it');
      assert.equal(store.count, 1);
    });
  });

  it('ignores a slow answer from a source that was replaced meanwhile', async () => {
    let release: (runs: JobRun[]) => void = () => undefined;
    const slow = pendingSourceFromList({
      summary: () => Promise.resolve({ documents: 1, approximateRuns: 1, newestTimestamp: null }),
      listPending: () => new Promise((resolve) => (release = resolve)),
    });
    const store = new PendingRunsStore(new ManualTimers());
    const first = store.setSource(slow);
    await new Promise((resolve) => setImmediate(resolve));
    const fresh = new FakeSource();
    fresh.runs = [runOf('fresh')];
    await store.setSource(fresh);
    release([runOf('stale')]);
    await first;
    assert.deepEqual(await shownIds(store), ['fresh']);
  });

  describe('the overview', () => {
    const T = Date.UTC(2024, 0, 15, 12);
    const jobRun = (id: string, job: string, expiresInMinutes: number) =>
      pendingRun({ job_run_id: id, job_name: job, timestamp: new Date(T - 60_000).toISOString(), expires_at: new Date(T + expiresInMinutes * 60_000).toISOString() }, `doc-${id}`);

    it('counts exactly and alike for badge, status bar and groups; a decision empties its group', async () => {
      const source = new FakeSource();
      source.runs = [jobRun('o1', 'orders', 10), jobRun('o2', 'orders', 600), jobRun('i1', 'images', 120)];
      const store = new PendingRunsStore(new ManualTimers(), () => ({}), { now: () => T });
      await store.setSource(source);
      assert.equal(store.count, 3);
      assert.equal(store.urgentCount, 1);
      assert.deepEqual(store.groups.map((g) => [g.jobName, g.count, g.urgent]), [['orders', 2, 1], ['images', 1, 0]]);
      const [image] = (await store.page({ jobKey: 'images' }, { sortBy: 'expiry' })).runs;
      assert.equal(image?.jobRunId, 'i1');
      store.markPublished('i1', 'APPROVED', { decisionId: 'd-1' });
      assert.equal(store.count, 2, 'the badge drops at once');
      assert.deepEqual(store.groups.map((g) => [g.jobName, g.count]), [['orders', 2]], 'the emptied group is gone');
      store.markPublished('o1', 'REJECTED', { decisionId: 'd-2', run: source.runs[0] });
      assert.equal(store.urgentCount, 0, 'the urgent run decided');
      assert.deepEqual(store.groups.map((g) => [g.jobName, g.count, g.urgent]), [['orders', 1, 0]]);
      source.runs = [jobRun('o2', 'orders', 600)];
      await store.refresh({ force: false });
      assert.equal(store.count, 1, 'recorded: the count of the source, nothing subtracted twice');
      assert.deepEqual(store.groups.map((g) => [g.jobName, g.count]), [['orders', 1]]);
    });

    it('announces a run that arrives, and counts it in its group before the group is opened', async () => {
      const source = new FakeSource();
      source.runs = [jobRun('o1', 'orders', 600)];
      const store = new PendingRunsStore(new ManualTimers(), () => ({}), { now: () => T });
      await store.setSource(source);
      const added: string[] = [];
      store.onDidChange((change) => added.push(...change.added.map((r) => r.jobRunId)));
      source.runs = [...source.runs, pendingRun({ job_run_id: 'o2', job_name: 'orders', timestamp: new Date(T).toISOString() }, 'doc-o2')];
      await store.refresh({ force: false });
      assert.deepEqual(added, ['o2']);
      assert.deepEqual(store.groups.map((g) => [g.jobName, g.count]), [['orders', 2]]);
    });

    it('announces a new run whose timestamp is older than the newest, and no run twice', async () => {
      const source = new FakeSource();
      source.runs = [runOf('a', 1), runOf('b', 60)];
      const store = new PendingRunsStore(new ManualTimers(), () => ({}), { now: () => T });
      await store.setSource(source);
      const added: string[] = [];
      store.onDidChange((change) => added.push(...change.added.map((r) => r.jobRunId)));
      source.runs = [...source.runs, runOf('late', 30)];
      await store.refresh({ force: false });
      assert.deepEqual(added, ['late']);
      await store.refresh({ force: true });
      assert.deepEqual(added, ['late'], 'announced once');
    });

    it('takes the urgent counts again when a run becomes urgent, and not before', async () => {
      const source = new FakeSource();
      source.runs = [jobRun('o1', 'orders', 30)];
      const clock = { now: T };
      const store = new PendingRunsStore(new ManualTimers(), () => ({}), { now: () => clock.now });
      await store.setSource(source);
      assert.equal(store.urgentCount, 0);
      clock.now = T + 14 * 60_000;
      store.tick();
      await store.refresh({ force: false });
      assert.equal(source.listCalls, 1, 'not urgent yet: nothing asked');
      clock.now = T + 16 * 60_000;
      store.tick();
      await store.refresh({ force: false });
      assert.equal(store.urgentCount, 1);
      assert.equal(source.listCalls, 2);
    });

    it('shows the overview of the last session at once, marked as such, keeps it when the first load fails, and replaces it when one answers', async () => {
      const source = new FakeSource();
      source.runs = [jobRun('o1', 'orders', 600), jobRun('i1', 'images', 600)];
      const first = new PendingRunsStore(new ManualTimers(), () => ({}), { now: () => T });
      await first.setSource(source);
      const snapshot = first.snapshot();
      assert.ok(snapshot);
      assert.equal(JSON.stringify(snapshot).includes('jobRunId'), false, 'counts only: no runs kept');

      const later = new PendingRunsStore(new ManualTimers(), () => ({ profile: 'dev' }), { now: () => T + 3_600_000 });
      later.restore(JSON.parse(JSON.stringify(snapshot)) as StoreSnapshot);
      assert.equal(later.hasLoaded, true);
      assert.equal(later.isRestored, true);
      assert.equal(later.count, 2);
      assert.equal(later.loadedAtMs, T);
      source.failWith = new Error('connect ECONNREFUSED 127.0.0.1:9200');
      await later.setSource(source);
      assert.equal(later.status.kind, 'failed');
      assert.equal(later.count, 2, 'the last list stays during the outage');
      source.failWith = undefined;
      source.runs = [jobRun('o1', 'orders', 600)];
      await later.refresh({ force: true });
      assert.equal(later.isRestored, false);
      assert.equal(later.count, 1);
      assert.equal(later.loadedAtMs, T + 3_600_000);
    });
  });
});
