// The reviewer's workbench, end to end: deciding from the details page, from the palette and
// for a multi-selection in the tree; what is refused (an empty reason, a run someone else
// decided meanwhile); and job data that holds HTML staying text. What gets published is
// read back from the stack's SQS queues (subscribed to the topic, as production is) and its
// signature checked with the secret from SSM, independently of the product's code.
// No processor runs here: a published run leaves the list because this window published it.
import * as assert from 'node:assert/strict';
import type { Delivered } from '../support/queues';
import {
  animationsDone, answerDialog, checkFirstPick, expectPending, modalDialog, openFromTree, quickInput, runCommandExpectingInput, RunPool, runRow, StackProbe, started, stillPendingIn, tidy, treeRunIds,
} from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

const HTML_JOB_NAME = '<img src=x onerror=alert(1)>';

/** Where script from job data would land: alert and confirm mark the window instead of opening a dialog. */
interface ProbedWindow {
  __xssProbe?: boolean;
  __xss?: boolean;
}

/**
 * Installed in the workbench and every frame before their own scripts run (an init script),
 * so it is in place when job data is first shown; __xssProbe, set last, says it is installed.
 */
const XSS_PROBE = `
  window.alert = function () { window.__xss = true; };
  window.confirm = function () { window.__xss = true; return false; };
  window.prompt = function () { window.__xss = true; return null; };
  window.__xssProbe = true;
`;

describe('reviewer workbench: deciding runs', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  let pool: RunPool;
  /** Runs that left the pending list (published from here, or decided by someone else). */
  const gone = new Set<string>();
  const dialogs: string[] = [];

  before(async function () {
    workbench = await Workbench.start({
      seed: { pending: 12, messy: 2, decided: 2, history: 8 },
      settings: {
        'dwhApprovals.groupBy': 'none',
        'dwhApprovals.notifyOnNewPending': false,
        // The store's own polling stays out of the way: the tests refresh when they mean to.
        'dwhApprovals.refreshIntervalSeconds': 0,
      },
      viewport: { width: 1500, height: 1300 },
      initScript: XSS_PROBE,
    });
    // A dialog from job data that got past the probe (a frame it missed) is still seen.
    workbench.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    probe = new StackProbe(workbench.stackEnv);
    const seed = opened().seed;
    assert.ok(seed, 'nothing was seeded');
    pool = await RunPool.of(probe, seed.pendingRunIds, seed.messyRunIds);
    await probe.purgeQueues('tap', 'downstream');
    await opened().openActivityBarContainer();
    await expectPending(opened(), seed.pendingRunIds, 'the seeded pending runs');
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
    if (workbench) await tidy(workbench);
    // Whatever a test left in the queues is not the next test's to see.
    await probe?.purgeQueues('tap', 'downstream');
  });

  after(async function () {
    probe?.close();
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');
  const stack = (): StackProbe => started(probe, 'the stack probe');
  const stillPending = (): string[] => stillPendingIn(opened(), gone);

  async function refresh(): Promise<void> {
    await opened().runCommand('DWH Approvals: Refresh');
  }

  it('approves a run from its details page: one signed message, and the run leaves the tree, badge and status bar', async function () {
    const wb = opened();
    const runId = pool.takeWithFailingCheck();
    const before = stillPending();
    await expectPending(wb, before, 'the pending runs before deciding');

    const page = await openFromTree(wb, runId);
    // The evidence: the failing check first, and how this run compares with the job's recent ones.
    const failing = pool.failingCheckNames(runId);
    const first = page.locator('#check-list .check').first();
    await first.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match((await first.getAttribute('class')) ?? '', /\bfailed\b/, 'a failed check is listed first');
    const failedNames = (await page.locator('#check-list .check.failed .check-name').allTextContents()).map((t) => t.trim());
    assert.deepEqual(failedNames.sort(), [...failing].sort(), 'the checks with status FAIL are the ones marked failed');
    const reading = ((await page.locator('#check-list .check.failed .check-reading').first().textContent()) ?? '').trim();
    assert.match(reading, /^\S+ [<>≤≥] \S+$|threshold/, `the failed check shows its value against its threshold: "${reading}"`);
    const sentence = ((await page.locator('#history-sentence').textContent()) ?? '').trim();
    assert.ok(sentence.length > 0, 'the history sentence is empty');
    assert.ok((await page.locator('#history svg.history-chart rect.bar').count()) > 1, 'the history chart has bars for recent runs');
    assert.ok((await page.locator('#history svg.history-chart rect.bar.today').count()) === 1, 'the chart marks this run');
    const decidedBy = ((await page.locator('#decided-by').textContent()) ?? '').trim();
    assert.ok(decidedBy, 'the page says who decides');

    const reason = '  Drop rate explained by the vendor’s re-sent batch — accepted  ';
    await page.locator('#reason').fill(reason);
    await eventually(() => page.locator('button#approve').isEnabled(), (enabled) => enabled, { message: 'Approve to be enabled' });
    await wb.screenshot('decide-webview-before');
    await page.locator('button#approve').click();
    const { message, detail } = await answerDialog(wb, 'Approve');
    assert.match(message, new RegExp(`Approve .*${runId}`), `the confirmation names the run: "${message}"`);
    assert.match(detail, /Reason: Drop rate explained/, 'the confirmation repeats the reason');

    await eventually(async () => (await page.locator('#decision-state').textContent()) ?? '', (text) => text.includes('Published: APPROVED'), {
      message: 'the page to say the approval was published',
    });
    const tap = await stack().collect('tap', [runId], 1);
    assert.equal(tap.length, 1, `exactly one message in tap, got ${tap.length}`);
    const [delivered] = tap as [Delivered];
    await stack().assertSignedDecision(delivered, { runId, decision: 'APPROVED', reason, decidedBy });
    assert.equal(delivered.message.job_name, pool.jobName(runId));
    await wb.screenshot('decide-webview-after');
    gone.add(runId);

    await refresh();
    await expectPending(wb, stillPending(), `${before.length - 1} pending after the approval`);
    assert.equal(stillPending().length, before.length - 1);
  });

  it('approves from the palette: a searchable pick of pending runs, a reason, a confirmation', async function () {
    const wb = opened();
    const runId = pool.take();
    const q = quickInput(wb);
    await runCommandExpectingInput(wb, 'DWH Approvals: Approve Run…', 'Approve pending runs');
    // Enter on text that matches several runs, none ticked, chooses nothing and says so.
    await q.input.fill('-');
    await q.input.press('Enter');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'tick the runs to decide, or type until one is left' })
      .waitFor({ state: 'visible', timeout: 15_000 });
    // Part of the run id (its random suffix) picks it out of the list.
    const part = runId.slice(-8);
    await q.input.fill(part);
    await eventually(() => q.rows.count(), (n) => n === 1, { message: `one pick for "${part}"` });
    assert.match((await q.rows.first().textContent()) ?? '', new RegExp(runId));
    await wb.screenshot('palette-approve-pick');
    // Enter on the one run the text leaves, without ticking it first.
    await q.input.press('Enter');

    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `Approve ${pool.jobName(runId)} run ${runId}` })
      .waitFor({ state: 'visible', timeout: 30_000 });
    const reason = 'Row count delta from the holiday weekend, reconciled with finance';
    await q.input.fill(reason);
    await q.input.press('Enter');
    const { detail } = await answerDialog(wb, 'Approve');
    assert.match(detail, new RegExp(runId), 'the confirmation lists the run');

    // The run leaves the list once the window has published: what it published is in the queue by then.
    gone.add(runId);
    await expectPending(wb, stillPending(), 'the approved run gone from the list');
    const tap = await stack().collect('tap', [runId], 1);
    assert.equal(tap.length, 1, `exactly one message in tap, got ${tap.length}`);
    await stack().assertSignedDecision(tap[0] as Delivered, { runId, decision: 'APPROVED', reason });
  });

  it('rejects three runs selected in the tree with one reason and one confirmation', async function () {
    const wb = opened();
    const runIds = [pool.take(), pool.take(), pool.take()];
    await expectPending(wb, stillPending(), 'the pending runs before the bulk rejection');
    await runRow(wb, runIds[0] ?? '').click();
    for (const runId of runIds.slice(1)) await runRow(wb, runId).click({ modifiers: ['ControlOrMeta'] });
    await eventually(() => wb.page.locator('.part.sidebar .monaco-list-row.selected').count(), (n) => n === 3, { message: 'three selected rows' });
    // One details panel opened with the first click; the bulk decision does not need it.
    await wb.runCommand('View: Close All Editors');

    await runRow(wb, runIds[2] ?? '').click({ button: 'right' });
    const reject = wb.page.locator('.monaco-menu .action-item .action-label', { hasText: /^Reject Run…$/ });
    await reject.waitFor({ state: 'visible', timeout: 15_000 });
    await animationsDone(wb);
    await wb.screenshot('bulk-reject-menu');
    await reject.click();

    const q = quickInput(wb);
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Reject 3 runs' }).waitFor({ state: 'visible', timeout: 30_000 });
    const reason = 'Schema drift breaks downstream joins; rerun after the contract fix';
    await q.input.fill(reason);
    await q.input.press('Enter');
    const dialog = modalDialog(wb);
    await dialog.waitFor({ state: 'visible', timeout: 30_000 });
    await wb.screenshot('bulk-reject-confirmation');
    const { message, detail } = await answerDialog(wb, 'Reject');
    assert.match(message, /Reject 3 runs\?/);
    for (const runId of runIds) assert.ok(detail.includes(runId), `the confirmation lists ${runId}: ${detail}`);

    // The runs leave the list once the window has published: what it published is in the queues by then.
    for (const runId of runIds) gone.add(runId);
    await expectPending(wb, stillPending(), 'the three rejected runs gone from the list');
    const tap = await stack().collect('tap', runIds, 3);
    assert.equal(tap.length, 3, `three messages in tap, got ${tap.length}`);
    assert.deepEqual(tap.map((d) => String(d.message.job_run_id)).sort(), [...runIds].sort());
    for (const delivered of tap) {
      await stack().assertSignedDecision(delivered, { runId: String(delivered.message.job_run_id), decision: 'REJECTED', reason });
    }
    assert.equal(new Set(tap.map((d) => d.message.decision_id)).size, 3, 'one decision_id per run');
    const downstream = await stack().received('downstream', runIds);
    assert.deepEqual(downstream.map((d) => d.message.job_run_id), [], 'the downstream queue admits only APPROVED');
  });

  it('refuses an empty reason, in the input box and on the details page, and publishes nothing', async function () {
    const wb = opened();
    const runId = pool.take();
    const q = quickInput(wb);
    await runCommandExpectingInput(wb, 'DWH Approvals: Approve Run…', 'Approve pending runs');
    await q.input.fill(runId);
    await eventually(() => q.rows.count(), (n) => n === 1, { message: `one pick for ${runId}` });
    await checkFirstPick(wb);
    await q.input.press('Enter');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: runId }).waitFor({ state: 'visible', timeout: 30_000 });
    for (const text of ['', '    ']) {
      await q.input.fill(text);
      await q.input.press('Enter');
      await eventually(async () => ((await q.message.textContent()) ?? '').trim(), (m) => m.includes('A reason is required.'), {
        message: `the validation message for ${JSON.stringify(text)}`,
      });
      assert.ok(await q.widget.isVisible(), 'the input box stays open');
      assert.equal(await modalDialog(wb).isVisible(), false, 'no confirmation is asked for');
    }
    await wb.screenshot('empty-reason-input-box');
    await wb.page.keyboard.press('Escape');

    const page = await openFromTree(wb, runId);
    const approve = page.locator('button#approve');
    const reject = page.locator('button#reject');
    assert.equal(await approve.isDisabled(), true, 'Approve is disabled before a reason is typed');
    assert.equal(await reject.isDisabled(), true, 'Reject is disabled before a reason is typed');
    assert.equal(((await page.locator('#reason-error').textContent()) ?? '').trim(), '', 'no error on the untouched form');
    await page.locator('#reason').fill('   ');
    await eventually(async () => ((await page.locator('#reason-error').textContent()) ?? '').trim(), (t) => t === 'A reason is required.', {
      message: 'the page to say a reason is required',
    });
    assert.equal(await approve.isDisabled(), true, 'Approve stays disabled for a blank reason');
    assert.equal(await reject.isDisabled(), true, 'Reject stays disabled for a blank reason');
    await wb.screenshot('empty-reason-webview');

    assert.deepEqual((await stack().received('tap', [runId])).map((d) => d.message), [], 'nothing was published');
    await refresh();
    await expectPending(wb, stillPending(), 'the run still pending');
    assert.ok((await treeRunIds(wb)).includes(runId));
  });

  it('says who decided a run meanwhile and publishes nothing', async function () {
    const wb = opened();
    const runId = pool.take();
    const page = await openFromTree(wb, runId);
    await page.locator('#reason').fill('Looks fine to me');

    // Someone else's decision lands in OpenSearch while the page is open.
    const decidedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    await stack().updateRun(runId, {
      approval_status: 'REJECTED',
      approved_by: 'someone.else',
      approval_reason: 'Duplicate rate too high; rerun required',
      approval_timestamp: decidedAt,
    });
    gone.add(runId);

    await eventually(() => page.locator('button#approve').isEnabled(), (enabled) => enabled, { message: 'Approve to be enabled' });
    await page.locator('button#approve').click();
    await answerDialog(wb, 'Approve');
    const state = page.locator('#decision-state');
    const text = await eventually(async () => (await state.textContent()) ?? '', (t) => t.includes('decided by someone else'), {
      message: 'the page to say the run was decided meanwhile',
    });
    assert.match(text, /REJECTED by someone\.else/, `the page names who decided: "${text}"`);
    assert.match(text, /Duplicate rate too high/, 'and why');
    await wb.screenshot('decided-meanwhile-webview');

    assert.deepEqual((await stack().received('tap', [runId])).map((d) => d.message), [], 'nothing was published');
    await refresh();
    await expectPending(wb, stillPending(), 'the run decided elsewhere gone from the list');
  });

  it('shows a job name holding HTML as text in the tree and the details page, and runs nothing', async function () {
    const wb = opened();
    const seed = wb.seed;
    const runId = seed?.messyRunIds[0];
    assert.ok(runId, 'the seed has no messy run');
    assert.equal((await stack().newestDocument(runId))?.job_name, HTML_JOB_NAME, 'the first messy run has the HTML job name');

    const row = runRow(wb, runId);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    const description = (await row.locator('.label-description').textContent()) ?? '';
    assert.ok(description.startsWith(`${HTML_JOB_NAME} · `), `the row shows the job name as text: "${description}"`);
    assert.equal(await row.locator('img').count(), 0, 'no img element in the row');
    assert.equal(await wb.page.locator('.part.sidebar img[src="x"]').count(), 0, 'no img from job data in the sidebar');

    // The tooltip is Markdown; job data in it is escaped.
    await row.hover();
    const hover = wb.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'onerror' }).first();
    await hover.waitFor({ state: 'visible', timeout: 15_000 });
    assert.ok(((await hover.textContent()) ?? '').includes(HTML_JOB_NAME), 'the tooltip shows the job name as text');
    assert.equal(await hover.locator('img').count(), 0, 'no img element in the tooltip');
    await wb.page.mouse.move(900, 600);

    const page = await openFromTree(wb, runId);
    assert.equal(await page.locator('#job-name').textContent(), HTML_JOB_NAME);
    assert.equal(await page.locator('body img').count(), 0, 'no img element in the page body');
    assert.equal(await page.locator('[onerror]').count(), 0, 'no element with an onerror attribute');
    const tabTitle = (await wb.page.locator('.tabs-container .tab.active .label-name').textContent()) ?? '';
    assert.ok(tabTitle.includes(HTML_JOB_NAME), `the tab title shows the name as text: "${tabTitle}"`);
    await wb.screenshot('html-job-name-webview');

    // The page has rendered its last part (anything injected has run by then), and the probe
    // was in place in the page and the workbench: nothing ran.
    await page.locator('#history').waitFor({ state: 'visible', timeout: 30_000 });
    const inPage = await page.locator('body').evaluate(() => ({ probe: (window as unknown as ProbedWindow).__xssProbe ?? false, xss: (window as unknown as ProbedWindow).__xss ?? false }));
    const inWorkbench = await wb.page.evaluate(() => ({ probe: (window as unknown as ProbedWindow).__xssProbe ?? false, xss: (window as unknown as ProbedWindow).__xss ?? false }));
    assert.deepEqual(inPage, { probe: true, xss: false }, 'the probe in the details page: installed, and nothing called alert');
    assert.deepEqual(inWorkbench, { probe: true, xss: false }, 'the probe in the workbench: installed, and nothing called alert');
    assert.deepEqual(dialogs, [], 'no browser dialog was opened');
  });
});
