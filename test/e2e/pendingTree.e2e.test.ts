// What a reviewer sees on opening DWH Approvals: one row per pending run (decided and
// historical runs left out, messy documents included), and the same count on the view's
// activity-bar badge and in the status bar; and a run that arrives later is announced once,
// with a Review button that opens it.
import * as assert from 'node:assert/strict';
import { quickInput, runCommandExpectingInput, StackProbe, started, statusBarCount, treeRunIds, waitForDetails } from './reviewFixture';
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
    for (const id of added) await probe?.deleteDocument(id);
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

  it('filters by what the reviewer types, and keeps the filter when its prompt is accepted unchanged or dismissed', async function () {
    const wb = opened();
    const all = [...seededPending()].sort();
    const runId = all[0] ?? '';
    const text = runId.slice(-8);
    const q = quickInput(wb);
    const description = wb.page.locator('.part.sidebar .pane-header', { hasText: 'Pending Approvals' }).locator('.description');
    const filterPrompt = async (): Promise<string> => {
      await runCommandExpectingInput(wb, 'DWH Approvals: Filter Pending Runs…', 'Filter pending runs');
      return q.input.inputValue();
    };
    await eventually(() => treeRunIds(wb), (ids) => JSON.stringify(ids) === JSON.stringify(all), { message: 'every seeded run listed' });

    assert.equal(await filterPrompt(), '', 'no filter yet');
    await q.input.fill(text);
    await q.input.press('Enter');
    await eventually(() => treeRunIds(wb), (ids) => JSON.stringify(ids) === JSON.stringify([runId]), { message: `only ${runId} for "${text}"` });
    assert.equal(((await description.textContent()) ?? '').trim(), `filter: ${text}`);

    // The prompt opens with the filter in force: what it shows is what the window kept.
    assert.equal(await filterPrompt(), text, 'the prompt shows the filter');
    await q.input.press('Enter');
    await q.widget.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await filterPrompt(), text, 'kept when the prompt was accepted unchanged');
    await wb.page.keyboard.press('Escape');
    await q.widget.waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await filterPrompt(), text, 'kept when the prompt was dismissed');
    assert.deepEqual(await treeRunIds(wb), [runId]);
    assert.equal(((await description.textContent()) ?? '').trim(), `filter: ${text}`);

    // Empty clears it.
    await q.input.fill('');
    await q.input.press('Enter');
    await eventually(() => treeRunIds(wb), (ids) => JSON.stringify(ids) === JSON.stringify(all), { message: 'every seeded run listed again' });
    assert.equal(((await description.textContent()) ?? '').trim(), '');
  });

  it('announces a run that arrives later, once, and Review opens it', async function () {
    const wb = opened();
    const stack = probe;
    assert.ok(stack, 'the stack probe did not start');
    const before = seededPending().length;
    await eventually(() => statusBarCount(wb), (n) => n === before, { message: `status bar ${before}` });
    assert.equal(await newRunToasts(wb).count(), 0, 'the first load announces nothing: those runs were there before');

    const { runId, id } = await stack.indexPendingRun('load_orders', 'load_orders-late');
    added.push(id);

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
    // Later polls do not announce it again: a run indexed now is announced, alone, so the
    // list was read again after the first announcement and found nothing else new.
    await eventually(() => newRunToasts(wb).count(), (n) => n === 0, { message: 'the announcement closed by Review' });
    const next = await stack.indexPendingRun('load_orders', 'load_orders-next');
    added.push(next.id);
    await newRunToasts(wb).first().waitFor({ state: 'visible', timeout: (REFRESH_SECONDS + 30) * 1000 });
    const toasts = (await newRunToasts(wb).locator('.notification-list-item-message').allTextContents()).map((t) => t.trim());
    assert.deepEqual(toasts, [`A run of load_orders is waiting for approval (${next.runId}).`], `one announcement, of the run indexed now: ${JSON.stringify(toasts)}`);
  });
});
