// Job data is hostile on every surface, in the real workbench: a run written by someone who
// wants the reviewer's machine, indexed after the first load, is announced in a notification
// that holds no link (and clicking its text runs nothing); its tree row, tooltip and palette
// entry show its text literally. And a run in the published event format (quality and metrics
// nested) is approved from the tree, the palette and the details page: every entry point
// judges it on the same evidence. Screenshots of each are kept under test-results/.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Locator } from 'playwright-core';
import { hostileJobDocument } from '../support/hostileCorpus';
import { nestedEventDoc } from '../unit/fixtures';
import {
  animationsDone, answerDialog, detailsPage, expectPending, openFromTree, quickInput, runCommandExpectingInput, runRow, StackProbe, started, tidy, treeRunIds,
} from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

const REFRESH_SECONDS = 3;

describe('hostile job data in the workbench, and the nested event format from every entry point', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  const indexed: string[] = [];
  const browserDialogs: string[] = [];

  before(async function () {
    this.timeout(300_000);
    workbench = await Workbench.start({
      seed: { pending: 3, messy: 0, decided: 0, history: 2 },
      settings: { 'dwhApprovals.groupBy': 'none', 'dwhApprovals.refreshIntervalSeconds': REFRESH_SECONDS },
      viewport: { width: 1500, height: 1200 },
    });
    // An alert from job data, in the workbench or any frame, would be a browser dialog.
    workbench.page.on('dialog', (dialog) => {
      browserDialogs.push(dialog.message());
      void dialog.dismiss();
    });
    probe = new StackProbe(workbench.stackEnv);
    await probe.purgeQueues('tap', 'downstream');
    const seed = workbench.seed;
    assert.ok(seed, 'nothing was seeded');
    await workbench.openActivityBarContainer();
    await expectPending(workbench, seed.pendingRunIds, 'the seeded pending runs');
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
  });

  after(async function () {
    for (const id of indexed) await probe?.opensearch('DELETE', `/${probe.eventsIndex}/_doc/${encodeURIComponent(id)}?refresh=true`);
    probe?.close();
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');
  const stack = (): StackProbe => started(probe, 'the stack probe');

  async function index(doc: Record<string, unknown>): Promise<void> {
    const id = `e2e-${randomUUID()}`;
    indexed.push(id);
    const { status, json } = await stack().opensearch('PUT', `/${stack().eventsIndex}/_doc/${id}?refresh=true`, doc);
    assert.equal(status, 201, JSON.stringify(json));
  }

  describe('a hostile run', () => {
    const tag = `hostile-${randomUUID().slice(0, 8)}`;
    const doc = hostileJobDocument(tag);
    // What a label shows of the run id: its line break as ⏎, the rest as written.
    const shownRunId = String(doc.job_run_id).replace('\n', '⏎');
    const jobName = String(doc.job_name);

    /** The rendered row of the hostile run. */
    const hostileRow = (wb: Workbench): Locator => wb.treeRows().filter({ has: wb.page.locator('.label-name', { hasText: tag }) });

    it('is announced when it arrives after the first load; the notification holds no link, and clicking its text runs nothing', async function () {
      const wb = opened();
      await index(doc);
      const toast = wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: tag }).first();
      await toast.waitFor({ state: 'visible', timeout: (REFRESH_SECONDS + 30) * 1000 });
      const message = toast.locator('.notification-list-item-message');
      const text = (await message.textContent())?.trim() ?? '';
      // The text is all there, to be read: the link syntax, the icon syntax, the override made visible.
      assert.ok(text.startsWith('A run of evil_job [Approve] (command:dwhApprovals.approve) $(check) <U+202E>enil<U+202C> is waiting for approval'), text);
      assert.ok(text.includes(`${tag} [run] (command:workbench.action.openSettings) $(bug) \`tick\`⏎forged`), text);
      assert.equal(await message.locator('a').count(), 0, 'no link element in the notification message');
      assert.equal(await message.locator('.codicon').count(), 0, 'no icon rendered from the text');
      await wb.screenshot('hostile-notification');

      const tabsBefore = await wb.page.locator('.tabs-container .tab').count();
      await message.click();
      // A barrier: the palette opens and closes after anything the click could have started.
      await wb.openCommandPalette();
      await wb.page.keyboard.press('Escape');
      assert.equal(await wb.page.locator('.tabs-container .tab').count(), tabsBefore, 'no editor (Settings, details) was opened');
      assert.equal(await wb.page.locator('.settings-editor').count(), 0, 'the Settings editor did not open');
      assert.equal(await quickInput(wb).widget.isVisible(), false, 'no quick input (Approve) was opened');
      assert.deepEqual(browserDialogs, []);
    });

    it('its tree row shows the job name and run id literally, on one line', async function () {
      const wb = opened();
      const row = hostileRow(wb);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      const label = (await row.locator('.label-name').textContent()) ?? '';
      const description = (await row.locator('.label-description').textContent()) ?? '';
      assert.equal(label, shownRunId);
      assert.ok(description.startsWith(`${jobName.replace('\u202E', '<U+202E>').replace('\u202C', '<U+202C>')} · drop_rate [docs](https://evil.example)`), description);
      assert.equal(await row.locator('.label-name a, .label-name .codicon, .label-description a, .label-description .codicon').count(), 0, 'no link or icon inside the label');
      await wb.screenshot('hostile-tree-row');
    });

    it('its tooltip shows the text literally: no link, image, code, HTML or icon', async function () {
      const wb = opened();
      const row = hostileRow(wb);
      await row.locator('.label-name').hover();
      const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: tag }).first();
      await hover.waitFor({ state: 'visible', timeout: 15_000 });
      const text = (await hover.textContent()) ?? '';
      assert.ok(text.includes('evil_job [Approve](command:dwhApprovals.approve) $(check) <U+202E>enil<U+202C>'), text);
      assert.ok(text.includes(`${tag} [run](command:workbench.action.openSettings) $(bug) \`tick\`⏎forged`), text);
      assert.ok(text.includes('drop_rate [docs](https://evil.example) ![img](https://evil.example/x.png) $(warning) <b>bold</b>'), text);
      for (const element of ['a', 'img', 'code', 'b', 'script', '.codicon']) {
        assert.equal(await hover.locator(`.rendered-markdown ${element}`).count(), 0, `no ${element} in the tooltip`);
      }
      await wb.screenshot('hostile-tooltip');
      await wb.page.mouse.move(800, 900);
    });

    it('its palette entry shows the text literally', async function () {
      const wb = opened();
      const q = quickInput(wb);
      await runCommandExpectingInput(wb, 'DWH Approvals: Approve Run…', 'Approve pending runs');
      await q.input.fill(tag);
      await eventually(() => q.rows.count(), (n) => n === 1, { message: `one pick for ${tag}` });
      const entry = q.rows.first();
      const label = (await entry.locator('.monaco-icon-label .label-name').first().textContent()) ?? '';
      assert.equal(label, shownRunId);
      const description = (await entry.locator('.label-description').first().textContent()) ?? '';
      assert.ok(description.includes('$(check)'), description);
      assert.equal(await entry.locator('.label-name .codicon, .label-description .codicon, .quick-input-list-detail .codicon, .label-name a, .label-description a').count(), 0, 'no icon or link from the data');
      await wb.screenshot('hostile-palette-entry');
      await tidy(wb);
    });
  });

  describe('a run in the nested event format', () => {
    const runIds = ['tree', 'palette', 'details'].map((via) => `nested-${via}-${randomUUID().slice(0, 8)}`);
    const reason = 'Nested event format: drop rate explained, accepted';

    before(async function () {
      this.timeout(120_000);
      for (const runId of runIds) await index(nestedEventDoc({ job_run_id: runId, timestamp: new Date(Date.now() - 60_000).toISOString() }));
      await tidy(opened());
      await eventually(() => treeRunIds(opened()), (ids) => runIds.every((id) => ids.includes(id)), { timeoutMs: 60_000, message: 'the nested-format runs in the tree' });
      await stack().purgeQueues('tap', 'downstream');
    });

    afterEach(async function () {
      if (workbench) await tidy(workbench);
    });

    async function published(runId: string): Promise<void> {
      const tap = await stack().collect('tap', [runId], 1);
      assert.equal(tap.length, 1, `one message about ${runId}`);
      await stack().assertSignedDecision(tap[0]!, { runId, decision: 'APPROVED', reason });
      await eventually(() => treeRunIds(opened()), (ids) => !ids.includes(runId), { message: `${runId} to leave the tree` });
      const changed = opened().page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'changed since it was shown' });
      assert.equal(await changed.count(), 0, 'not refused as changed');
    }

    it('is approved from the tree', async function () {
      const wb = opened();
      const runId = runIds[0]!;
      await runRow(wb, runId).click({ button: 'right' });
      const approve = wb.page.locator('.monaco-menu .action-item .action-label', { hasText: /^Approve Run…$/ });
      await approve.waitFor({ state: 'visible', timeout: 15_000 });
      await animationsDone(wb);
      await approve.click();
      const q = quickInput(wb);
      await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `run ${runId}` }).waitFor({ state: 'visible', timeout: 30_000 });
      await q.input.fill(reason);
      await q.input.press('Enter');
      await answerDialog(wb, 'Approve');
      await published(runId);
      await wb.screenshot('nested-approved-from-tree');
    });

    it('is approved from the palette', async function () {
      const wb = opened();
      const runId = runIds[1]!;
      const q = quickInput(wb);
      await runCommandExpectingInput(wb, 'DWH Approvals: Approve Run…', 'Approve pending runs');
      await q.input.fill(runId);
      await eventually(() => q.rows.count(), (n) => n === 1, { message: `one pick for ${runId}` });
      await q.input.press('Enter');
      await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `run ${runId}` }).waitFor({ state: 'visible', timeout: 30_000 });
      await q.input.fill(reason);
      await q.input.press('Enter');
      await answerDialog(wb, 'Approve');
      await published(runId);
    });

    it('is approved from the details page, which shows its nested checks', async function () {
      const wb = opened();
      const runId = runIds[2]!;
      const page = await openFromTree(wb, runId);
      const failed = (await page.locator('#check-list .check.failed .check-name').allTextContents()).map((name) => name.trim());
      assert.deepEqual(failed, ['drop_rate'], 'the nested checks are read');
      await page.locator('#reason').fill(reason);
      await eventually(() => page.locator('button#approve').isEnabled(), (enabled) => enabled, { message: 'Approve to be enabled' });
      await page.locator('button#approve').click();
      await answerDialog(wb, 'Approve');
      await eventually(async () => (await detailsPage(wb).locator('#decision-state').textContent()) ?? '', (text) => text.includes('Published: APPROVED'), {
        message: 'the page to say the approval was published',
      });
      await published(runId);
    });
  });
});
