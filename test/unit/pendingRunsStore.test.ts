// The pending-runs store: one source of truth for tree, badge, status bar and notifications.
import assert from 'node:assert/strict';
import type { JobRun } from '../../src/core/model';
import { PendingRunsStore, type PendingSource, type PendingSummary, type StoreChange } from '../../src/core/pendingRunsStore';
import { pendingRun } from './fixtures';

function runOf(id: string, minutesAgo = 10): JobRun {
  return pendingRun({ job_run_id: id, timestamp: new Date(Date.UTC(2024, 0, 15, 12) - minutesAgo * 60_000).toISOString() }, id);
}

/** A scripted source that counts calls, and manual timers. */
class FakeSource implements PendingSource {
  runs: JobRun[] = [];
  failWith: Error | undefined;
  summaryCalls = 0;
  listCalls = 0;
  summary(): Promise<PendingSummary> {
    this.summaryCalls += 1;
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({ count: this.runs.length, newestTimestamp: this.runs.map((r) => r.timestamp ?? '').sort().at(-1) ?? null });
  }
  listPending(): Promise<JobRun[]> {
    this.listCalls += 1;
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve([...this.runs]);
  }
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
    assert.deepEqual(store.runs.map((r) => r.jobRunId), ['b']);
    assert.equal(store.count, 1);
    assert.equal(store.publishedDecision('a'), 'APPROVED');
    source.runs = [runOf('b')];
    await store.refresh({ force: true });
    assert.equal(store.publishedDecision('a'), undefined, 'forgotten once recorded');
  });

  it('ignores a slow answer from a source that was replaced meanwhile', async () => {
    let release: (runs: JobRun[]) => void = () => undefined;
    const slow: PendingSource = {
      summary: () => Promise.resolve({ count: 1, newestTimestamp: null }),
      listPending: () => new Promise((resolve) => (release = resolve)),
    };
    const store = new PendingRunsStore(new ManualTimers());
    const first = store.setSource(slow);
    await new Promise((resolve) => setImmediate(resolve));
    const fresh = new FakeSource();
    fresh.runs = [runOf('fresh')];
    await store.setSource(fresh);
    release([runOf('stale')]);
    await first;
    assert.deepEqual(store.runs.map((r) => r.jobRunId), ['fresh']);
  });
});
