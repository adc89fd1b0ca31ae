// What a reviewer sees on opening DWH Approvals: one row per pending run (decided and
// historical runs left out, messy documents included), and the same count on the view's
// activity-bar badge and in the status bar; and a run that arrives later is announced once,
// with a Review button that opens it.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { StackProbe, started, statusBarCount, waitForDetails } from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

const REFRESH_SECONDS = 3;
const NEW_RUN_NOTICE = /is waiting for approval|new runs are waiting for approval/;

describe('pending runs in the workbench', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  const added: string[] = [];

  before(async function () {
    // The first run on a machine also starts OpenSearch and moto.
    this.timeout(300_000);
    workbench = await Workbench.start({
      seed: { pending: 8, messy: 2, decided: 3, history: 5 },
      settings: { 'dwhApprovals.groupBy': 'none', 'dwhApprovals.refreshIntervalSeconds': REFRESH_SECONDS },
      viewport: { width: 1400, height: 1400 },
    });
    probe = new StackProbe(workbench.stackEnv);
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
  });

  after(async function () {
    for (const id of added) await probe?.opensearch('DELETE', `/${probe.eventsIndex}/_doc/${id}?refresh=true`);
    probe?.close();
    await workbench?.close();
  });

  /** The notification toasts that announce pending runs. */
  function newRunToasts(wb: Workbench) {
    return wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: NEW_RUN_NOTICE });
  }

  const opened = (): Workbench => started(workbench, 'the workbench');

  function seededPending(): string[] {
    const seed = opened().seed;
    assert.ok(seed, 'nothing was seeded');
    return seed.pendingRunIds;
  }

  it('lists exactly the seeded pending runs, one row each', async function () {
    const wb = opened();
    await wb.openActivityBarContainer();
    const expected = seededPending();
    const items = await eventually(() => wb.treeItems(), (rows) => rows.length === expected.length, {
      timeoutMs: 60_000, message: `${expected.length} rows in Pending Approvals`,
    });
    assert.deepEqual(items.map((i) => i.label).sort(), [...expected].sort());
    assert.ok(items.every((i) => !i.expandable), 'a flat list has no group rows');
    await wb.screenshot('pending-tree');
  });

  it('shows the pending count on the activity-bar badge', async function () {
    const wb = opened();
    const count = seededPending().length;
    await eventually(() => wb.viewBadgeCount(), (n) => n === count, { message: `badge ${count}` });
  });

  it('shows the pending count in the status bar', async function () {
    const wb = opened();
    const count = seededPending().length;
    const item = wb.statusBarItemNamed('pending approval');
    const text = await eventually(async () => (await item.textContent())?.trim() ?? '', (t) => t.length > 0, {
      message: 'the pending status-bar item',
    });
    assert.match(text, new RegExp(`(^|\\D)${count}(\\D|$)`), `status-bar item shows "${text}"`);
    const name = (await item.locator('a.statusbar-item-label').getAttribute('aria-label')) ?? '';
    assert.match(name, new RegExp(`\\b${count} runs? pending approval`), `status-bar item is named "${name}"`);
  });

  it('announces a run that arrives later, once, and Review opens it', async function () {
    const wb = opened();
    const stack = probe;
    assert.ok(stack, 'the stack probe did not start');
    const before = seededPending().length;
    await eventually(() => statusBarCount(wb), (n) => n === before, { message: `status bar ${before}` });
    assert.equal(await newRunToasts(wb).count(), 0, 'the first load announces nothing: those runs were there before');

    const runId = `load_orders-late-${randomUUID().slice(0, 8)}`;
    const id = `e2e-${runId}`;
    added.push(id);
    const { status } = await stack.opensearch('PUT', `/${stack.eventsIndex}/_doc/${id}?refresh=true`, {
      timestamp: new Date(Date.now() - 5 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: 'load_orders',
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '13.2%', threshold: '10.0%' }],
      records_read: 120_000,
      records_written: 104_160,
      records_dropped: 15_840,
    });
    assert.equal(status, 201, 'the late run was indexed');

    const toast = newRunToasts(wb);
    await toast.first().waitFor({ state: 'visible', timeout: (REFRESH_SECONDS + 30) * 1000 });
    const text = (await toast.first().locator('.notification-list-item-message').textContent())?.trim() ?? '';
    assert.equal(text, `A run of load_orders is waiting for approval (${runId}).`);
    const buttons = await toast.first().locator('.notification-list-item-buttons-container .monaco-button').allTextContents();
    assert.deepEqual(buttons.map((b) => b.trim()), ['Review', 'Approve…', "Don't Show Again"]);
    await wb.screenshot('new-run-notification');
    await eventually(() => statusBarCount(wb), (n) => n === before + 1, { message: `status bar ${before + 1}` });
    await eventually(() => wb.viewBadgeCount(), (n) => n === before + 1, { message: `badge ${before + 1}` });

    await toast.first().locator('.notification-list-item-buttons-container .monaco-button', { hasText: /^Review$/ }).click();
    const page = await waitForDetails(wb, runId);
    assert.equal((await page.locator('#run-id').textContent())?.trim(), runId);
    // Later polls find nothing new: still one announcement.
    await wb.page.waitForTimeout(2 * REFRESH_SECONDS * 1000);
    assert.equal(await newRunToasts(wb).count(), 0, 'no second announcement of the same run');
  });
});
