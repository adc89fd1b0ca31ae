// What a reviewer sees on opening DWH Approvals: one row per pending run (decided and
// historical runs left out, messy documents included), and the same count on the view's
// activity-bar badge and in the status bar.
import * as assert from 'node:assert/strict';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

describe('pending runs in the workbench', function () {
  let workbench: Workbench | undefined;

  before(async function () {
    // The first run on a machine also starts OpenSearch and moto.
    this.timeout(300_000);
    workbench = await Workbench.start({
      seed: { pending: 8, messy: 2, decided: 3, history: 5 },
      settings: { 'dwhApprovals.groupBy': 'none' },
      viewport: { width: 1400, height: 1400 },
    });
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
  });

  after(async function () {
    await workbench?.close();
  });

  function opened(): Workbench {
    assert.ok(workbench, 'the workbench did not start');
    return workbench;
  }

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
});
