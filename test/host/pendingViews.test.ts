// The Pending Approvals tree and the status-bar item, as classes inside the real extension
// host (real TreeItem, ThemeIcon, MarkdownString, StatusBarItem and settings), fed by a
// PendingRunsStore over a fake source (the in-memory overview and pages of
// listPendingSource.ts; the OpenSearch queries are checked against the same in the
// integration tier): what each row says and offers, the error, stale, loading, empty and
// filtered states, grouping by job or flat as the setting says, the lazy tree (a group's
// runs fetched when it is expanded, "Show more", a group emptied by a decision, a run
// arriving in a collapsed group, counts that agree), and the status bar's text and colour
// for urgent and failed states. The extension exports nothing and
// VS Code cannot read another tree's items, so this is where those are checked.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { parseJobRun } from '../../src/core/jobRunParser';
import type { JobRun } from '../../src/core/model';
import { pendingSourceFromList } from '../../src/core/listPendingSource';
import { PendingRunsStore, type OverviewRequest, type PageRequest, type PendingSource, type PendingSummary } from '../../src/core/pendingRunsStore';
import { PendingStatusBar } from '../../src/extension/pendingStatusBar';
import { PendingTreeProvider, type PendingNode } from '../../src/extension/pendingTree';
import { activated, withUserSettings } from './support';

const NOW = Date.parse('2024-01-15T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const HTML_JOB_NAME = '<img src=x onerror=alert(1)>';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function run(runId: string, jobName: string, fields: Record<string, unknown> = {}): JobRun {
  return parseJobRun(`doc-${runId}`, {
    timestamp: iso(NOW - 2 * HOUR),
    event_type: 'job_completed',
    job_name: jobName,
    job_run_id: runId,
    status: 'PENDING_APPROVAL',
    failure_type: 'QUALITY',
    quality_status: 'RED',
    quality_checks: [
      { name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' },
      { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' },
    ],
    records_read: 100_000,
    records_written: 88_000,
    records_dropped: 12_000,
    ...fields,
  });
}

/** In expiry order, as the repository returns them. */
const RUNS = {
  overdue: run('orders-overdue', 'load_orders', { expires_at: iso(NOW - HOUR) }),
  urgent: run('images-urgent', 'transform_images', {
    quality_status: 'YELLOW',
    quality_checks: [{ name: 'row_count_delta', status: 'WARN', value: 12.7, threshold: 10 }],
    expires_at: iso(NOW + 10 * MINUTE),
  }),
  expiring: run('images-expiring', 'transform_images', { expires_at: iso(NOW + 40 * MINUTE) }),
  normal: run('orders-normal', 'load_orders'),
  html: run('messy-html', HTML_JOB_NAME, { quality_checks: [] }),
};
const ALL = [RUNS.overdue, RUNS.urgent, RUNS.expiring, RUNS.normal, RUNS.html];
/** The view's expiry order: the same expiry goes by run id (messy-html before orders-normal). */
const EXPIRY_ORDER = ['orders-overdue', 'images-urgent', 'images-expiring', 'messy-html', 'orders-normal'];

/** Counts overview loads (listCalls) and page requests (pages), with a gate and an error to inject. */
class FakeSource implements PendingSource {
  error: Error | undefined;
  gate: Promise<void> | undefined;
  listCalls = 0;
  pages: PageRequest[] = [];
  private readonly memory = pendingSourceFromList({ listPending: () => Promise.resolve([...this.runs]) });

  constructor(public runs: JobRun[]) {}

  async summary(): Promise<PendingSummary> {
    await this.gate;
    if (this.error) throw this.error;
    const times = this.runs.map((r) => r.timestamp ?? '').sort();
    return { documents: this.runs.length, approximateRuns: this.runs.length, newestTimestamp: times.at(-1) ?? null, oldestTimestamp: times[0] ?? null };
  }

  async overview(request: OverviewRequest): ReturnType<PendingSource['overview']> {
    this.listCalls += 1;
    await this.gate;
    if (this.error) throw this.error;
    return this.memory.overview(request);
  }

  async page(request: PageRequest): ReturnType<PendingSource['page']> {
    this.pages.push(request);
    await this.gate;
    if (this.error) throw this.error;
    return this.memory.page(request);
  }

  async listAll(request: Parameters<PendingSource['listAll']>[0]): Promise<JobRun[]> {
    await this.gate;
    if (this.error) throw this.error;
    return this.memory.listAll(request);
  }
}

/** What the AWS SDK throws when the SSO session of a profile has expired. */
function ssoExpired(): Error {
  const error = new Error('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.');
  error.name = 'CredentialsProviderError';
  return error;
}

function profileSetting(): string {
  return vscode.workspace.getConfiguration('dwhApprovals').get<string>('aws.profile') ?? '';
}

async function loadedStore(source: FakeSource, now: () => number = () => NOW): Promise<PendingRunsStore> {
  const store = new PendingRunsStore(undefined, () => ({ profile: profileSetting() }), { now });
  await store.setSource(source);
  return store;
}

async function items(provider: PendingTreeProvider, node?: PendingNode): Promise<Array<{ node: PendingNode; item: vscode.TreeItem }>> {
  return (await provider.getChildren(node)).map((child) => ({ node: child, item: provider.getTreeItem(child) }));
}

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : item.label?.label ?? '';
}

function icon(item: vscode.TreeItem): { id: string; color: string | undefined } {
  assert.ok(item.iconPath instanceof vscode.ThemeIcon, 'a theme icon');
  return { id: item.iconPath.id, color: item.iconPath.color?.id };
}

async function runEntry(provider: PendingTreeProvider, runId: string): Promise<{ node: PendingNode; item: vscode.TreeItem }> {
  const rows = [];
  for (const entry of await items(provider)) rows.push(...(entry.node.kind === 'job' ? await items(provider, entry.node) : [entry]));
  const found = rows.find((entry) => entry.node.kind === 'run' && entry.node.run.jobRunId === runId);
  assert.ok(found, `no row for ${runId}`);
  return found;
}

async function runItem(provider: PendingTreeProvider, runId: string): Promise<vscode.TreeItem> {
  return (await runEntry(provider, runId)).item;
}

async function runNode(provider: PendingTreeProvider, runId: string): Promise<PendingNode> {
  return (await runEntry(provider, runId)).node;
}

/** The tooltip VS Code gets when the row is hovered. */
async function tooltipOf(provider: PendingTreeProvider, runId: string): Promise<vscode.TreeItem['tooltip']> {
  const { node, item } = await runEntry(provider, runId);
  return (provider.resolveTreeItem(item, node, new vscode.CancellationTokenSource().token)).tooltip;
}

describe('pending tree provider', function () {
  let store: PendingRunsStore | undefined;
  let provider: PendingTreeProvider | undefined;

  before(async function () {
    await activated();
  });

  afterEach(function () {
    provider?.dispose();
    store?.dispose();
    provider = undefined;
    store = undefined;
  });

  async function tree(source: FakeSource): Promise<PendingTreeProvider> {
    store = await loadedStore(source);
    provider = new PendingTreeProvider(store, () => NOW);
    return provider;
  }

  it('shows a flat list of runs with their job, failing check and time left (groupBy none)', async function () {
    await withUserSettings({ groupBy: 'none', sortBy: 'expiry' }, async () => {
      const p = await tree(new FakeSource(ALL));
      const rows = await items(p);
      assert.deepEqual(rows.map((r) => label(r.item)), EXPIRY_ORDER, 'one row per run, in expiry order');
      assert.ok(rows.every((r) => r.item.collapsibleState === vscode.TreeItemCollapsibleState.None));
      assert.equal((await runItem(p, 'orders-normal')).description, 'load_orders · drop_rate 12.0% > 10.0% · 2h ago · 2d 22h left');
      assert.equal((await runItem(p, 'orders-overdue')).description, 'load_orders · drop_rate 12.0% > 10.0% · 2h ago · overdue by 1h');
      assert.equal((await runItem(p, 'images-urgent')).description, 'transform_images · row_count_delta 12.7 > 10 · 2h ago · 10m left');
      assert.equal((await runItem(p, 'messy-html')).description, `${HTML_JOB_NAME} · RED · 2h ago · 2d 22h left`);
    });
  });

  it('groups runs under their job, with a count of pending and urgent runs (groupBy job)', async function () {
    await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
      const p = await tree(new FakeSource(ALL));
      const groups = await items(p);
      assert.deepEqual(groups.map((g) => label(g.item)), ['load_orders', 'transform_images', HTML_JOB_NAME]);
      const orders = groups[0];
      assert.ok(orders);
      assert.equal(orders.item.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
      assert.equal(orders.item.description, '2 pending · 1 urgent');
      assert.equal(orders.item.contextValue, 'job');
      assert.equal(icon(orders.item).id, 'layers');
      assert.equal(groups[1]?.item.description, '2 pending · 1 urgent');
      assert.deepEqual((await items(p, orders.node)).map((r) => label(r.item)), ['orders-overdue', 'orders-normal']);
      // Grouped rows leave the job name to their group.
      assert.equal((await runItem(p, 'orders-normal')).description, 'drop_rate 12.0% > 10.0% · 2h ago · 2d 22h left');
      const child = (await items(p, orders.node))[0];
      assert.ok(child);
      const parent = p.getParent(child.node);
      assert.equal(parent?.kind, 'job');
    });
  });

  it('follows a change of the groupBy setting', async function () {
    await withUserSettings({ groupBy: 'job' }, async () => {
      const p = await tree(new FakeSource(ALL));
      assert.equal((await items(p)).length, 3);
      await vscode.workspace.getConfiguration('dwhApprovals').update('groupBy', 'none', vscode.ConfigurationTarget.Global);
      assert.equal((await items(p)).length, ALL.length);
    });
  });

  it('marks each run with an icon by urgency and quality, and contextValue flags the menus match', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const p = await tree(new FakeSource(ALL));
      assert.deepEqual(icon((await runItem(p, 'orders-overdue'))), { id: 'error', color: 'errorForeground' });
      assert.deepEqual(icon((await runItem(p, 'images-urgent'))), { id: 'flame', color: 'errorForeground' });
      assert.deepEqual(icon((await runItem(p, 'images-expiring'))), { id: 'watch', color: 'editorWarning.foreground' });
      assert.deepEqual(icon((await runItem(p, 'orders-normal'))), { id: 'circle-filled', color: 'testing.iconFailed' });
      assert.equal((await runItem(p, 'orders-overdue')).contextValue, 'run pending overdue red');
      assert.equal((await runItem(p, 'images-urgent')).contextValue, 'run pending urgent yellow');
      assert.equal((await runItem(p, 'orders-normal')).contextValue, 'run pending normal red');
      // package.json's menus: approve/reject on /\bpending\b/, details and copy on /\brun\b/.
      for (const run of ALL) {
        const context = (await runItem(p, run.jobRunId)).contextValue ?? '';
        assert.match(context, /\bpending\b/);
        assert.match(context, /\brun\b/);
      }
    });
  });

  it('opens details on click and describes the run to screen readers', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const p = await tree(new FakeSource(ALL));
      const item = (await runItem(p, 'orders-normal'));
      assert.deepEqual(item.command?.command, 'dwhApprovals.showDetails');
      assert.deepEqual(item.command?.arguments, ['orders-normal']);
      assert.equal(item.id, 'run:orders-normal');
      assert.equal(item.accessibilityInformation?.label, 'load_orders run orders-normal, load_orders · drop_rate 12.0% > 10.0% · 2h ago · 2d 22h left');
    });
  });

  it('builds a row\'s tooltip only when it is hovered (resolveTreeItem)', async function () {
    await withUserSettings({ groupBy: 'job' }, async () => {
      const p = await tree(new FakeSource(ALL));
      const item = (await runItem(p, 'orders-normal'));
      assert.equal(item.tooltip, undefined, 'no tooltip while the tree fills, so VS Code asks on hover');
      const node = await runNode(p, 'orders-normal');
      const resolved = p.resolveTreeItem(item, node, new vscode.CancellationTokenSource().token);
      assert.ok(resolved.tooltip instanceof vscode.MarkdownString);
      assert.match(resolved.tooltip.value, /orders\\-normal/);
      assert.match(resolved.tooltip.value, /2d 22h left/);
      const [group] = await items(p);
      assert.ok(group);
      const groupResolved = p.resolveTreeItem(group.item, group.node, new vscode.CancellationTokenSource().token);
      assert.equal(groupResolved.tooltip, undefined, 'a group has no tooltip');
    });
  });

  it('has a tooltip of untrusted Markdown with job data escaped', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const p = await tree(new FakeSource(ALL));
      const normal = await tooltipOf(p, 'orders-normal');
      assert.ok(normal instanceof vscode.MarkdownString);
      assert.match(normal.value, /drop\\_rate 12\\\.0\\% \\> 10\\\.0\\%/);
      const html = await tooltipOf(p, 'messy-html');
      assert.ok(html instanceof vscode.MarkdownString);
      assert.equal(html.isTrusted, false);
      assert.equal(html.supportHtml, false);
      assert.ok(html.value.includes('\\<img src\\=x onerror\\=alert\\(1\\)\\>'), `the job name is escaped: ${html.value}`);
      assert.ok(!html.value.includes(HTML_JOB_NAME), 'the raw job name is not in the Markdown');
    });
  });

  describe('the 30-second clock', function () {
    /** Draws the whole tree as VS Code does: every child of every group, each item built. */
    async function drawAll(p: PendingTreeProvider): Promise<Map<string, PendingNode>> {
      const drawn = new Map<string, PendingNode>();
      for (const entry of await items(p)) {
        drawn.set(entry.item.id ?? '', entry.node);
        if (entry.node.kind === 'job') for (const child of await items(p, entry.node)) drawn.set(child.item.id ?? '', child.node);
      }
      return drawn;
    }

    async function clockedTree(): Promise<{ p: PendingTreeProvider; clock: { now: number }; events: Array<PendingNode | PendingNode[] | undefined> }> {
      // Drawn 10 s after NOW: no text is on the edge of a minute ("2d 22h" turns at NOW itself).
      const clock = { now: NOW + 10_000 };
      store = await loadedStore(new FakeSource(ALL), () => clock.now);
      provider = new PendingTreeProvider(store, () => clock.now);
      const events: Array<PendingNode | PendingNode[] | undefined> = [];
      provider.onDidChangeTreeData((event) => events.push(event));
      return { p: provider, clock, events };
    }

    it('redraws nothing when no row\'s text or icon moved', async function () {
      await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
        const { p, clock, events } = await clockedTree();
        await drawAll(p);
        clock.now = NOW + 40_000; // every text is the same 30 s later
        assert.deepEqual(p.tick(), []);
        assert.deepEqual(events, [], 'no onDidChangeTreeData at all');
      });
    });

    it('redraws only the rows whose time left moved, naming the very nodes the tree holds', async function () {
      await withUserSettings({ groupBy: 'none', sortBy: 'expiry' }, async () => {
        const { p, clock, events } = await clockedTree();
        const drawn = await drawAll(p);
        // One minute on: "9m left" → "8m left", "39m left" → "38m left", "overdue by 1h" → "overdue by 1h 1m";
        // the two runs with 2d 21h left still read so.
        clock.now = NOW + 10_000 + MINUTE;
        const changed = p.tick();
        assert.deepEqual(new Set(changed), new Set(['run:images-urgent', 'run:images-expiring', 'run:orders-overdue'].map((id) => drawn.get(id))));
        assert.equal(events.length, 1);
        assert.ok(Array.isArray(events[0]), 'an array of elements, not the whole tree');
        assert.deepEqual(events[0], changed);
        assert.equal(p.getTreeItem(drawn.get('run:images-urgent') as PendingNode).description, 'transform_images · row_count_delta 12.7 > 10 · 2h ago · 8m left');
        assert.deepEqual(p.tick(), [], 'the same minute again: nothing');
        assert.equal(events.length, 1);
      });
    });

    it('takes the urgent counts again when a run becomes urgent, and redraws the icon of that run', async function () {
      await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
        const { p, clock } = await clockedTree();
        const drawn = await drawAll(p);
        assert.equal(p.getTreeItem(drawn.get('job:transform_images') as PendingNode).description, '2 pending · 1 urgent');
        // 26 minutes on, images-expiring (40m) has 13m left: urgent, and its group counts 2.
        clock.now = NOW + 10_000 + 26 * MINUTE;
        const calls = (store as PendingRunsStore).revision;
        store?.tick();
        await store?.refresh({ force: false });
        assert.ok((store as PendingRunsStore).revision > calls, 'the overview was taken again');
        p.refresh(); // as the view does on every change of the store
        const groups = await items(p);
        assert.equal(groups.find((g) => label(g.item) === 'transform_images')?.item.description, '2 pending · 2 urgent');
        await items(p, groups.find((g) => label(g.item) === 'transform_images')?.node);
        const changed = p.tick();
        assert.deepEqual(changed, [], 'rows drawn after the reload already read so');
        assert.deepEqual(icon(await runItem(p, 'images-expiring')), { id: 'flame', color: 'errorForeground' });
      });
    });

    it('forgets what it drew when the whole tree is redrawn', async function () {
      await withUserSettings({ groupBy: 'none' }, async () => {
        const { p, clock, events } = await clockedTree();
        await drawAll(p);
        p.refresh();
        clock.now = NOW + HOUR;
        assert.deepEqual(p.tick(), [], 'nothing drawn since the refresh');
        assert.deepEqual(events, [undefined]);
      });
    });
  });

  it('hides a run this window has just published a decision for', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const p = await tree(new FakeSource(ALL));
      store?.markPublished('orders-normal', 'APPROVED');
      assert.ok(!(await items(p)).some((r) => label(r.item) === 'orders-normal'));
      assert.equal((await items(p)).length, ALL.length - 1);
    });
  });

  it('filters by job name, run id or failing check, and says when nothing matches', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const p = await tree(new FakeSource(ALL));
      p.setFilter('  row_count  ');
      assert.equal(p.filter, 'row_count');
      assert.deepEqual((await items(p)).map((r) => label(r.item)), ['images-urgent']);
      p.setFilter('ORDERS-');
      assert.deepEqual((await items(p)).map((r) => label(r.item)), ['orders-overdue', 'orders-normal']);
      p.setFilter('no-such-thing');
      const [message] = await items(p);
      assert.ok(message);
      assert.equal(label(message.item), 'No pending run matches "no-such-thing"');
      assert.equal(message.item.command?.command, 'dwhApprovals.filter');
      p.setFilter('');
      assert.equal((await items(p)).length, ALL.length);
    });
  });

  it('shows nothing when no run is pending (the welcome view takes over), and a loading row before the first answer', async function () {
    const empty = await tree(new FakeSource([]));
    assert.deepEqual(await empty.getChildren(), []);
    assert.equal(store?.status.kind, 'ready');

    const slow = new FakeSource(ALL);
    let release: () => void = () => undefined;
    slow.gate = new Promise((resolve) => { release = resolve; });
    const slowStore = new PendingRunsStore(undefined, () => ({}));
    const loading = slowStore.setSource(slow);
    const slowProvider = new PendingTreeProvider(slowStore, () => NOW);
    try {
      const [row] = await items(slowProvider);
      assert.ok(row);
      assert.equal(label(row.item), 'Loading pending runs…');
      assert.equal(icon(row.item).id, 'loading~spin');
      release();
      await loading;
      assert.equal((await items(slowProvider)).length > 0, true);
    } finally {
      slowProvider.dispose();
      slowStore.dispose();
    }
  });

  it('says an expired SSO session needs `aws sso login --profile X` and offers to run it', async function () {
    const source = new FakeSource(ALL);
    source.error = ssoExpired();
    const p = await tree(source);
    const profile = profileSetting();
    assert.ok(profile, 'the host runs with a profile set');
    const [error, retry, fix] = await items(p);
    assert.ok(error && retry && fix, 'an error row, Retry and a fix row');
    assert.equal(retry.item.command?.command, 'dwhApprovals.refresh');
    assert.match(label(error.item), new RegExp(`aws sso login --profile ${profile}`));
    assert.deepEqual(icon(error.item), { id: 'error', color: 'errorForeground' });
    assert.equal(error.item.contextValue, 'message');
    assert.equal(label(fix.item), 'Run aws sso login');
    assert.equal(icon(fix.item).id, 'wrench');
    assert.deepEqual(fix.item.command?.command, 'dwhApprovals.ssoLogin');
    assert.deepEqual(fix.item.command?.arguments, [profile]);
  });

  it('keeps the last list when a later refresh fails, marked stale, under the error, a Retry and the fix', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const source = new FakeSource(ALL);
      const p = await tree(source);
      assert.equal((await items(p)).length, ALL.length, 'drawn once');
      source.error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { name: 'ConnectionError' });
      await store?.refresh({ force: true });
      assert.equal(store?.status.kind, 'failed');
      const rows = await items(p);
      const [error, retry, fix] = rows;
      assert.match(label(error?.item ?? new vscode.TreeItem('')), /^Not refreshed: .*(ECONNREFUSED|reach)/i);
      assert.match(label(retry?.item ?? new vscode.TreeItem('')), /^Retry \(the list below is from .+ ago\)$/);
      assert.equal(retry?.item.command?.command, 'dwhApprovals.refresh');
      assert.equal(label(fix?.item ?? new vscode.TreeItem('')), 'Open Settings');
      assert.deepEqual(rows.slice(3).map((r) => label(r.item)), EXPIRY_ORDER, 'the last list stays');
      source.error = undefined;
      await store?.refresh({ force: true });
      assert.equal((await items(p)).length, ALL.length);
    });
  });

  it('shows the last session\'s list at once, marked as last known, before the first answer', async function () {
    await withUserSettings({ groupBy: 'job' }, async () => {
      const earlier = await loadedStore(new FakeSource(ALL));
      const snapshot = earlier.snapshot();
      earlier.dispose();
      const slow = new FakeSource(ALL);
      let release: () => void = () => undefined;
      slow.gate = new Promise((resolve) => { release = resolve; });
      store = new PendingRunsStore(undefined, () => ({}), { now: () => NOW + 5 * MINUTE });
      store.restore(snapshot);
      provider = new PendingTreeProvider(store, () => NOW + 5 * MINUTE);
      const loading = store.setSource(slow);
      const rows = await items(provider);
      assert.equal(label(rows[0]?.item ?? new vscode.TreeItem('')), 'Last known list, from 5m ago: refreshing…');
      assert.deepEqual(rows.slice(1).map((r) => `${label(r.item)}: ${String(r.item.description)}`), [
        'load_orders: 2 pending · 1 urgent',
        'transform_images: 2 pending · 1 urgent',
        `${HTML_JOB_NAME}: 1 pending`,
      ]);
      release();
      await loading;
      assert.equal(store.isRestored, false);
      assert.equal((await items(provider)).length, 3, 'the marker is gone once the source answered');
    });
  });

  it('reloads the list on a forced refresh even when the cheap summary has not changed', async function () {
    const source = new FakeSource(ALL);
    await tree(source);
    const calls = source.listCalls;
    await store?.refresh({ force: false });
    assert.equal(source.listCalls, calls, 'an unchanged summary does not reload the list');
    await store?.refresh({ force: true });
    assert.equal(source.listCalls, calls + 1, 'a forced refresh does');
  });
});

describe('the lazy tree', function () {
  let store: PendingRunsStore | undefined;
  let provider: PendingTreeProvider | undefined;
  let bar: PendingStatusBar | undefined;

  before(async function () {
    await activated();
  });

  afterEach(function () {
    bar?.dispose();
    provider?.dispose();
    store?.dispose();
    bar = undefined;
    provider = undefined;
    store = undefined;
  });

  /** `count` runs of a job, expiring one minute apart from 2 h on (none urgent). */
  function jobRuns(jobName: string, count: number, from = 0): JobRun[] {
    return Array.from({ length: count }, (_, i) =>
      run(`${jobName}-${String(from + i).padStart(5, '0')}`, jobName, { expires_at: iso(NOW + 2 * HOUR + (from + i) * MINUTE) }));
  }

  async function lazyTree(source: FakeSource): Promise<PendingTreeProvider> {
    store = await loadedStore(source);
    provider = new PendingTreeProvider(store, () => NOW);
    bar = new PendingStatusBar(store, () => NOW);
    return provider;
  }

  function statusCount(): number {
    assert.ok(bar);
    const text = (bar as unknown as { item: vscode.StatusBarItem }).item.text;
    const match = /\$\(checklist\) (\d+)$/.exec(text);
    assert.ok(match, `the status bar shows a count: ${text}`);
    return Number(match[1]);
  }

  function groupCount(entry: { item: vscode.TreeItem }): number {
    const match = /^(\d+) pending/.exec(String(entry.item.description));
    assert.ok(match, `a group says how many: ${String(entry.item.description)}`);
    return Number(match[1]);
  }

  it('shows groups with exact counts and asks for no run until a group is expanded, then for its first page only', async function () {
    await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
      const source = new FakeSource([...jobRuns('big_job', 1100), ...jobRuns('small_job', 100, 2000)]);
      const p = await lazyTree(source);
      const groups = await items(p);
      assert.deepEqual(groups.map((g) => [label(g.item), g.item.description, g.item.collapsibleState]), [
        ['big_job', '1100 pending', vscode.TreeItemCollapsibleState.Collapsed],
        ['small_job', '100 pending', vscode.TreeItemCollapsibleState.Collapsed],
      ]);
      const groupPages = () => source.pages.filter((page) => page.selection.jobKey !== undefined);
      assert.equal(groupPages().length, 0, 'no run fetched for collapsed groups');
      assert.equal(groups.reduce((sum, g) => sum + groupCount(g), 0), store?.count, 'the groups add up to the store count');
      assert.equal(statusCount(), 1200, 'the status bar says the same');

      const rows = await items(p, groups[0]?.node);
      assert.equal(groupPages().length, 1);
      assert.deepEqual(groupPages()[0]?.selection, { jobKey: 'big_job' });
      assert.equal(rows.length, 501, '500 runs and "Show more"');
      assert.equal(label(rows[0]?.item ?? new vscode.TreeItem('')), 'big_job-00000', 'soonest to expire first');
      const more = rows[500];
      assert.equal(more?.node.kind, 'more');
      assert.equal(label(more?.item ?? new vscode.TreeItem('')), 'Show 500 more (600 not shown)');
      assert.equal(more?.item.command?.command, 'dwhApprovals.showMore');
    });
  });

  it('"Show more" fetches the next page after the last row, and redraws only that group', async function () {
    await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
      const source = new FakeSource([...jobRuns('big_job', 1100), ...jobRuns('small_job', 100, 2000)]);
      const p = await lazyTree(source);
      const [big] = await items(p);
      assert.ok(big);
      const first = await items(p, big.node);
      const more = first.at(-1);
      assert.ok(more?.node.kind === 'more');
      const events: Array<PendingNode | PendingNode[] | undefined> = [];
      p.onDidChangeTreeData((event) => events.push(event));
      await vscode.commands.executeCommand('dwhApprovals.showMore', 'no-such-list'); // the extension's own view: nothing to do
      await p.showMore(more.node.listKey);
      assert.deepEqual(events, [big.node], 'the group is redrawn, not the whole tree');
      const second = await items(p, big.node);
      assert.equal(second.length, 1001);
      assert.equal(label(second.at(-1)?.item ?? new vscode.TreeItem('')), 'Show 100 more (100 not shown)');
      assert.ok(source.pages.filter((page) => page.selection.jobKey === 'big_job')[1]?.cursor, 'the second page continues after a cursor');
      await p.showMore(more.node.listKey);
      const all = await items(p, big.node);
      assert.equal(all.length, 1100, 'every run, no "Show more" left');
      assert.equal(new Set(all.map((r) => label(r.item))).size, 1100, 'none twice');
      assert.equal(label(all.at(-1)?.item ?? new vscode.TreeItem('')), 'big_job-01099');
    });
  });

  it('pages the flat list the same way', async function () {
    await withUserSettings({ groupBy: 'none', sortBy: 'expiry' }, async () => {
      const source = new FakeSource([...jobRuns('big_job', 700), ...jobRuns('small_job', 10, 5000)]);
      const p = await lazyTree(source);
      const rows = await items(p);
      assert.equal(rows.length, 501);
      assert.equal(label(rows.at(-1)?.item ?? new vscode.TreeItem('')), 'Show 210 more (210 not shown)');
      const more = rows.at(-1)?.node;
      assert.ok(more?.kind === 'more');
      await p.showMore(more.listKey);
      assert.equal((await items(p)).length, 710);
    });
  });

  it('a group emptied by a decision goes, and badge count, status bar and groups agree all along', async function () {
    await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
      const lonely = run('lonely-1', 'lonely_job', { expires_at: iso(NOW + HOUR) });
      const source = new FakeSource([lonely, ...jobRuns('big_job', 300)]);
      const p = await lazyTree(source);
      const before = await items(p);
      assert.deepEqual(before.map((g) => label(g.item)), ['lonely_job', 'big_job']);
      const [row] = await items(p, before[0]?.node);
      assert.ok(row?.node.kind === 'run');
      store?.markPublished('lonely-1', 'APPROVED', { decisionId: 'd-1', run: row.node.run });
      const after = await items(p);
      assert.deepEqual(after.map((g) => label(g.item)), ['big_job'], 'the emptied group is gone at once');
      assert.equal(store?.count, 300);
      assert.equal(statusCount(), 300);
      assert.equal(groupCount(after[0] as { item: vscode.TreeItem }), 300);
      // The processor records it: the source drops it; nothing is subtracted twice.
      source.runs = source.runs.filter((r) => r.jobRunId !== 'lonely-1');
      await store?.refresh({ force: false });
      assert.deepEqual((await items(p)).map((g) => [label(g.item), groupCount(g)]), [['big_job', 300]]);
      assert.equal(statusCount(), 300);
    });
  });

  it('a run arriving in a collapsed group counts there at once, and is listed when the group is expanded', async function () {
    await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
      const source = new FakeSource([...jobRuns('big_job', 300), ...jobRuns('other_job', 20, 1000)]);
      const p = await lazyTree(source);
      const groupPages = () => source.pages.filter((page) => page.selection.jobKey !== undefined).length;
      const pagesBefore = groupPages();
      const arriving = run('big_job-new', 'big_job', { timestamp: iso(NOW - MINUTE), expires_at: iso(NOW + 30 * MINUTE) });
      source.runs = [...source.runs, arriving];
      await store?.refresh({ force: false });
      const groups = await items(p);
      const big = groups.find((g) => label(g.item) === 'big_job');
      assert.ok(big);
      assert.equal(groupCount(big), 301);
      assert.equal(statusCount(), 321);
      assert.equal(groups.reduce((sum, g) => sum + groupCount(g), 0), 321);
      assert.equal(groupPages(), pagesBefore, 'no group page fetched while collapsed');
      const rows = await items(p, big.node);
      assert.equal(label(rows[0]?.item ?? new vscode.TreeItem('')), 'big_job-new', 'the new run, soonest to expire, first');
    });
  });

  it('"waiting for me" groups, counts and pages only the runs it keeps; the status bar still counts every run', async function () {
    await withUserSettings({ groupBy: 'job', sortBy: 'expiry' }, async () => {
      const source = new FakeSource([...jobRuns('big_job', 1100), ...jobRuns('small_job', 100, 2000), ...jobRuns('not_mine', 50, 3000)]);
      const p = await lazyTree(source);
      // Mine: the even runs of big_job and every run of small_job (as core waitingForIdentity would say).
      p.setWaitingFor((r) => r.jobName === 'small_job' || (r.jobName === 'big_job' && Number(r.jobRunId.slice(-5)) % 2 === 0));
      assert.ok(p.waitingForMe);
      const groups = await items(p);
      assert.deepEqual(groups.map((g) => [label(g.item), groupCount(g)]), [['big_job', 550], ['small_job', 100]], 'only the groups and runs waiting for me');
      assert.equal(statusCount(), 1250, 'the status bar counts every pending run');
      const big = groups[0];
      assert.ok(big?.node.kind === 'job');
      const rows = await items(p, big.node);
      assert.equal(rows.length, 501, '500 runs and "Show more"');
      assert.deepEqual(rows.slice(0, 3).map((r) => label(r.item)), ['big_job-00000', 'big_job-00002', 'big_job-00004']);
      const more = rows.at(-1);
      assert.ok(more?.node.kind === 'more');
      assert.equal(label(more.item), 'Show 50 more (50 not shown)');
      await p.showMore(more.node.listKey);
      const all = await items(p, big.node);
      assert.equal(all.length, 550, 'every run waiting for me, no "Show more" left');
      assert.ok(all.every((r) => r.node.kind === 'run' && Number(r.node.run.jobRunId.slice(-5)) % 2 === 0), 'none of the others');
      assert.equal((await p.allRuns(big.node.group)).length, 550, 'a bulk decision on the group takes its runs waiting for me');

      p.setWaitingFor(() => false);
      const none = await items(p);
      assert.deepEqual(none.map((r) => label(r.item)), ['No run is waiting for you (1250 pending in all): show all']);
      assert.equal(none[0]?.item.command?.command, 'dwhApprovals.filterWaitingForMe');

      p.setWaitingFor(null);
      assert.ok(!p.waitingForMe);
      assert.deepEqual((await items(p)).map((g) => [label(g.item), groupCount(g)]), [['big_job', 1100], ['small_job', 100], ['not_mine', 50]], 'every group again');
    });
  });
});

describe('pending status-bar item', function () {
  let store: PendingRunsStore | undefined;
  let bar: PendingStatusBar | undefined;

  before(async function () {
    await activated();
  });

  afterEach(function () {
    bar?.dispose();
    store?.dispose();
    bar = undefined;
    store = undefined;
  });

  /** The item PendingStatusBar owns (private in TypeScript only). */
  function item(): vscode.StatusBarItem {
    assert.ok(bar);
    return (bar as unknown as { item: vscode.StatusBarItem }).item;
  }

  async function statusBar(source: FakeSource): Promise<void> {
    store = await loadedStore(source);
    bar = new PendingStatusBar(store, () => NOW);
  }

  it('shows the count, in the warning colour when a run is urgent or overdue; a click focuses the view', async function () {
    await statusBar(new FakeSource(ALL));
    assert.equal(item().text, `$(checklist) ${ALL.length}`);
    assert.equal(item().tooltip, `${ALL.length} runs pending approval — 2 urgent or overdue. Click to review.`);
    assert.equal(item().accessibilityInformation?.label, item().tooltip);
    assert.ok(item().backgroundColor instanceof vscode.ThemeColor);
    assert.equal((item().backgroundColor as vscode.ThemeColor).id, 'statusBarItem.warningBackground');
    assert.equal(item().command, 'dwhApprovals.pending.focus');
  });

  it('has no background colour when nothing is urgent, and says "run" for one', async function () {
    await statusBar(new FakeSource([RUNS.normal]));
    assert.equal(item().text, '$(checklist) 1');
    assert.equal(item().tooltip, '1 run pending approval. Click to review.');
    assert.equal(item().backgroundColor, undefined);
  });

  it('follows the store: a run decided elsewhere drops the count', async function () {
    const source = new FakeSource([RUNS.normal, RUNS.expiring]);
    await statusBar(source);
    assert.equal(item().text, '$(checklist) 2');
    source.runs = [RUNS.expiring];
    await store?.refresh({ force: false });
    assert.equal(item().text, '$(checklist) 1');
  });

  it('shows the error colour and the reason when the last refresh failed', async function () {
    const source = new FakeSource(ALL);
    await statusBar(source);
    source.error = ssoExpired();
    await store?.refresh({ force: true });
    assert.equal(item().text, `$(error) DWH Approvals ${ALL.length}`);
    const tooltip = item().tooltip;
    assert.equal(typeof tooltip, 'string');
    assert.match(tooltip as string, /^DWH Approvals: the last refresh failed\. .*aws sso login/);
    assert.equal(item().backgroundColor?.id, 'statusBarItem.errorBackground');
  });

  it('shows a spinner while the first load is under way', async function () {
    const source = new FakeSource(ALL);
    let release: () => void = () => undefined;
    source.gate = new Promise((resolve) => { release = resolve; });
    store = new PendingRunsStore(undefined, () => ({}));
    bar = new PendingStatusBar(store, () => NOW);
    const loading = store.setSource(source);
    assert.equal(item().text, '$(sync~spin) DWH Approvals');
    assert.equal(item().backgroundColor, undefined);
    release();
    await loading;
    assert.equal(item().text, `$(checklist) ${ALL.length}`);
  });
});
