// The details page as a reviewer reads it: artifacts whose S3 paths wrap only at "/" with
// their actions on one line, the history chart ending at the run shown, a reason form that
// stays quiet until typed in, and the panel coming back with its run after a window reload.
import * as assert from 'node:assert/strict';
import { openFromTree, started, waitForDetails } from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

/** A window marked before the reload. */
interface Marked {
  __beforeReload?: boolean;
}

describe('the run details page', function () {
  let workbench: Workbench | undefined;

  before(async function () {
    this.timeout(300_000);
    workbench = await Workbench.start({
      seed: { pending: 4, messy: 0, decided: 0, history: 12 },
      settings: { 'dwhApprovals.groupBy': 'none' },
      viewport: { width: 1400, height: 1000 },
    });
    await workbench.openActivityBarContainer();
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
  });

  after(async function () {
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');

  function runId(): string {
    const id = opened().seed?.pendingRunIds[0];
    assert.ok(id, 'nothing pending was seeded');
    return id;
  }

  it('shows artifact paths whole, wrapping only after a "/", with the full path as tooltip and the actions on one line', async function () {
    const wb = opened();
    const page = await openFromTree(wb, runId());
    const rows = page.locator('#artifact-table tr.artifact');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    for (const row of await rows.all()) {
      const code = row.locator('code.artifact-path');
      const text = ((await code.textContent()) ?? '').trim();
      assert.match(text, /^s3:\/\//, `an S3 path: "${text}"`);
      assert.equal(await code.getAttribute('title'), text, 'the tooltip is the full path');
      // Every line of the path ends at a part's end: no part (between slashes) is broken.
      const parts = code.locator('.path-part');
      const partHeights = await parts.evaluateAll((els) => els.map((el) => el.getClientRects().length));
      assert.ok(partHeights.every((lines) => lines === 1), `a path part is split over lines: ${JSON.stringify(partHeights)}`);
      const copy = await row.locator('button.copy-path').boundingBox();
      const open = await row.locator('button.open-artifact').boundingBox();
      assert.ok(copy && open, 'both actions are shown');
      assert.ok(Math.abs(copy.y - open.y) < 2, `Copy path and Open in S3 console on one line (y ${copy.y} and ${open.y})`);
    }
    await page.locator('#artifacts').scrollIntoViewIfNeeded();
    await wb.screenshot('details-artifacts');
  });

  it('charts the runs up to this one, oldest first, with this run last, and lists them in a table that fits', async function () {
    const wb = opened();
    const page = await openFromTree(wb, runId());
    const bars = page.locator('#history svg.history-chart').first().locator('rect.bar');
    const labels = await bars.evaluateAll((els) => els.map((el) => el.querySelector('title')?.textContent ?? ''));
    assert.ok(labels.length > 1, 'bars for earlier runs');
    assert.match(labels[labels.length - 1] ?? '', /^This run · /, 'this run is the last bar');
    const times = labels.map((label) => label.split(' · ')[1] ?? '');
    assert.deepEqual([...times].sort(), times, `bars in time order: ${times.join(', ')}`);
    // The table fits beside the decision form: no column is off-screen behind a scroll bar.
    const table = page.locator('#history .table-scroll');
    const widths = await table.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
    assert.ok(widths.scroll <= widths.client + 1, `the history table needs scrolling sideways: ${widths.scroll} px wide in ${widths.client} px`);
    const headers = (await page.locator('#history-table thead th').allTextContents()).map((t) => t.trim());
    assert.equal(headers[headers.length - 1], 'Outcome', `the last column: ${headers.join(' | ')}`);
    await page.locator('#history').scrollIntoViewIfNeeded();
    await wb.screenshot('details-history');
  });

  it('says nothing about the reason until the reviewer types', async function () {
    const page = await openFromTree(opened(), runId());
    assert.equal(((await page.locator('#reason-error').textContent()) ?? '').trim(), '', 'no error on the untouched form');
    await page.locator('#reason').fill('x');
    await page.locator('#reason').fill('');
    await eventually(async () => ((await page.locator('#reason-error').textContent()) ?? '').trim(), (t) => t === 'A reason is required.', {
      message: 'the error once a typed reason is cleared',
    });
  });

  it('brings the panel back with its run after a window reload', async function () {
    const wb = opened();
    const id = runId();
    const before = await openFromTree(wb, id);
    // Marks on the workbench and the details page as they are now: a reloaded one has none.
    await wb.page.evaluate(() => { (window as unknown as Marked).__beforeReload = true; });
    await before.locator('body').evaluate(() => { (window as unknown as Marked).__beforeReload = true; });
    // As a user reloads: the workbench saves its editors (and the page's state) on the way down.
    await wb.runCommand('Developer: Reload Window');
    await eventually(() => wb.page.evaluate(() => (window as unknown as Marked).__beforeReload ?? false), (marked) => !marked, {
      timeoutMs: 60_000, message: 'the workbench to be a new one (reloaded)',
    });
    await wb.page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    const page = await waitForDetails(wb, id);
    assert.equal(await page.locator('body').evaluate(() => (window as unknown as Marked).__beforeReload ?? false), false, 'the details page is a new one');
    await page.locator('#check-list .check').first().waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('details-after-reload');
  });
});
