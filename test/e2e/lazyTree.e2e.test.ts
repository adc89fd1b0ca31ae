// The lazy Pending Approvals tree in the workbench, with more runs than it shows at once:
// job groups, collapsed, whose counts add up to the activity-bar badge and the status bar;
// a group's runs listed when it is expanded, 500 at a time with "Show more"; a run arriving
// in a collapsed group counted there; a group emptied by a decision gone at once.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { answerDialog, quickInput, runCommandExpectingInput, StackProbe, started, statusBarCount, tidy } from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

const BIG_JOB = 'lazy_bulk_job';
const BIG_COUNT = 560;
const LONELY_JOB = 'lazy_lonely_job';
const REFRESH_SECONDS = 3;

describe('the lazy tree in the workbench', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  const tag = randomUUID().slice(0, 8);
  const lonelyRunId = `${LONELY_JOB}-${tag}`;
  const bigRunId = (i: number) => `${BIG_JOB}-${tag}-${String(i).padStart(4, '0')}`;

  before(async function () {
    this.timeout(300_000);
    workbench = await Workbench.start({
      seed: { pending: 30, messy: 0, decided: 2, history: 2 },
      settings: { 'dwhApprovals.groupBy': 'job', 'dwhApprovals.sortBy': 'expiry', 'dwhApprovals.refreshIntervalSeconds': REFRESH_SECONDS, 'dwhApprovals.notifyOnNewPending': false },
      viewport: { width: 1400, height: 1200 },
    });
    probe = new StackProbe(workbench.stackEnv);
    // Before the view opens (the extension activates with it): more runs than the tree shows expanded.
    const now = Date.now();
    const doc = (runId: string, jobName: string, expiresInMinutes: number) => ({
      timestamp: new Date(now - 10 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: jobName,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }],
      expires_at: new Date(now + expiresInMinutes * 60_000).toISOString(),
    });
    const lines = [
      ...Array.from({ length: BIG_COUNT }, (_, i) => [{ index: { _id: `e2e-${bigRunId(i)}` } }, doc(bigRunId(i), BIG_JOB, 24 * 60 + i)]),
      [{ index: { _id: `e2e-${lonelyRunId}` } }, doc(lonelyRunId, LONELY_JOB, 48 * 60)],
    ].flat().map((line) => JSON.stringify(line)).join('\n') + '\n';
    const res = await fetch(`${workbench.stackEnv.opensearchUrl}/${probe.eventsIndex}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    const body = (await res.json()) as { errors?: boolean };
    assert.equal(res.status, 200);
    assert.equal(body.errors, false, 'every run indexed');
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
    if (workbench) await tidy(workbench);
  });

  after(async function () {
    probe?.close();
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');
  const seededCount = () => (opened().seed?.pendingRunIds.length ?? 0) + BIG_COUNT + 1;

  /** The group rows (level 1) with the count their description gives. */
  async function groups(wb: Workbench): Promise<Array<{ label: string; count: number; expanded: boolean }>> {
    const rows = await wb.treeRows().evaluateAll((elements) => elements.map((row) => ({
      label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
      level: Number(row.getAttribute('aria-level') ?? '0'),
      expanded: row.getAttribute('aria-expanded') === 'true',
    })));
    return rows.filter((row) => row.level === 1).map((row) => ({ label: row.label, count: Number(/^(\d+) pending/.exec(row.description)?.[1] ?? NaN), expanded: row.expanded }));
  }

  async function counts(wb: Workbench) {
    const shown = await groups(wb);
    return { groups: shown.reduce((sum, g) => sum + g.count, 0), names: shown.map((g) => g.label), badge: await wb.viewBadgeCount(), status: await statusBarCount(wb), shown };
  }

  it('shows job groups, collapsed, whose counts add up to the badge and the status bar', async function () {
    const wb = opened();
    await wb.openActivityBarContainer();
    const total = seededCount();
    const seen = await eventually(() => counts(wb), (c) => c.groups === total && c.badge === total && c.status === total, {
      timeoutMs: 60_000, message: `${total} in the groups, on the badge and in the status bar`,
    });
    assert.ok(seen.shown.every((g) => !g.expanded), 'groups start collapsed at this count');
    assert.equal(seen.shown.find((g) => g.label === BIG_JOB)?.count, BIG_COUNT);
    await wb.screenshot('lazy-tree-groups');
  });

  it('expanding a group lists its first 500 runs, and "Show more" the rest', async function () {
    const wb = opened();
    const group = wb.treeRows().filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${BIG_JOB}$`) }) });
    const labels = async () => (await wb.treeItems()).map((row) => row.label);
    await group.click();
    try {
      await wb.treeRows().filter({ has: wb.page.locator('.label-name', { hasText: bigRunId(0) }) }).waitFor({ state: 'visible', timeout: 30_000 });
      const more = wb.treeRows().filter({ has: wb.page.locator('.label-name', { hasText: /^Show \d+ more/ }) });
      // The list is virtualised: End brings its last rows into view (again, until they are there).
      await eventually(async () => {
        await wb.page.keyboard.press('End');
        return more.count();
      }, (n) => n === 1, { timeoutMs: 30_000, message: '"Show more" at the end of the group' });
      assert.ok((await labels()).includes(bigRunId(499)), 'the first page ends with the 500th run');
      assert.equal((await more.locator('.label-name').textContent())?.trim(), `Show ${BIG_COUNT - 500} more (${BIG_COUNT - 500} not shown)`);
      await wb.screenshot('lazy-tree-show-more');
      await more.click();
      const last = bigRunId(BIG_COUNT - 1);
      await eventually(async () => {
        await wb.page.keyboard.press('End');
        return labels();
      }, (seen) => seen.includes(last) && !seen.some((l) => /^Show \d+ more/.test(l)), {
        timeoutMs: 30_000, message: `the last run of ${BIG_JOB} (${last}) and no "Show more" left`,
      });
    } finally {
      await wb.page.keyboard.press('Home');
      if ((await group.getAttribute('aria-expanded')) === 'true') await group.click(); // collapsed again for the next tests
    }
  });

  it('counts a run arriving in a collapsed group there, and on the badge and in the status bar', async function () {
    const wb = opened();
    const stack = probe;
    assert.ok(stack);
    const before = await counts(wb);
    const target = before.shown.find((g) => g.label !== BIG_JOB && g.label !== LONELY_JOB && !g.expanded);
    assert.ok(target, 'a collapsed group');
    const runId = `${target.label}-late-${tag}`;
    const { status } = await stack.opensearch('PUT', `/${stack.eventsIndex}/_doc/e2e-${runId}?refresh=true`, {
      timestamp: new Date().toISOString(),
      job_name: target.label,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '11.0%', threshold: '10.0%' }],
    });
    assert.equal(status, 201);
    await eventually(() => counts(wb), (c) => c.shown.find((g) => g.label === target.label)?.count === target.count + 1 && c.badge === before.badge! + 1 && c.status === before.status! + 1 && c.groups === before.groups + 1, {
      timeoutMs: (REFRESH_SECONDS + 30) * 1000, message: `${target.label} counts ${target.count + 1}, and the totals one more`,
    });
    assert.ok(!(await groups(wb)).find((g) => g.label === target.label)?.expanded, 'still collapsed');
  });

  it('a group emptied by a decision goes at once, and the counts drop with it', async function () {
    const wb = opened();
    const before = await counts(wb);
    assert.ok(before.names.includes(LONELY_JOB));
    const q = quickInput(wb);
    await runCommandExpectingInput(wb, 'DWH Approvals: Approve Run…', 'Approve pending runs');
    await q.input.fill(lonelyRunId);
    // The pick searches as you type: the one row left is the run, not "Every pending run".
    await eventually(async () => ({ all: await q.rows.count(), run: await q.rows.filter({ hasText: lonelyRunId }).count() }), (n) => n.all === 1 && n.run === 1, {
      message: `one pick for ${lonelyRunId}`,
    });
    await q.input.press('Enter');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `Approve ${LONELY_JOB} run ${lonelyRunId}` }).waitFor({ state: 'visible', timeout: 30_000 });
    await q.input.fill('Lazy tree e2e: the lonely run is fine');
    await q.input.press('Enter');
    await answerDialog(wb, 'Approve');
    await eventually(() => counts(wb), (c) => !c.names.includes(LONELY_JOB) && c.groups === before.groups - 1 && c.badge === before.badge! - 1 && c.status === before.status! - 1, {
      timeoutMs: 30_000, message: `${LONELY_JOB} gone, the totals one fewer`,
    });
    await wb.screenshot('lazy-tree-group-emptied');
  });
});
