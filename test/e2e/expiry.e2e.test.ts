// Runs do not wait forever, as a reviewer sees it: with the local processor runner sweeping
// on its schedule (as the template's EventBridge rule invokes the Lambda), a run past its
// expiry leaves the Pending Approvals tree on its own, Recent Decisions lists it as expired
// by "system", and its details page says it expired without a decision.
import * as assert from 'node:assert/strict';
import { StackProbe, started, tidy, treeRunIds } from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

const DECISIONS_VIEW = 'Recent Decisions';

describe('expiry: an expired run leaves the tree and appears in Recent Decisions', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  let runner: typeof ProcessorRunnerModule | undefined;

  before(async function () {
    workbench = await Workbench.start({
      seed: { pending: 4, messy: 0, decided: 1, history: 2 },
      settings: { 'dwhApprovals.groupBy': 'none', 'dwhApprovals.notifyOnNewPending': false, 'dwhApprovals.refreshIntervalSeconds': 3 },
      viewport: { width: 1500, height: 1100 },
    });
    probe = new StackProbe(workbench.stackEnv);
    runner = await import('../../scripts/lib/processorRunner.mjs');
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
    if (workbench) await tidy(workbench);
  });

  after(async function () {
    if (runner) await runner.stopProcessorRunner();
    probe?.close();
    await workbench?.close();
  });

  it('the runner\'s sweep expires an overdue run: gone from the tree, "expired by system" in Recent Decisions, and said so on its details page', async function () {
    const wb = started(workbench, 'the workbench');
    const stack = started(probe, 'the stack probe');
    const { runId } = await stack.indexPendingRun('load_orders', 'e2e-expiry');
    await stack.updateRun(runId, { expires_at: new Date(Date.now() - 2 * 60_000).toISOString() });
    await wb.openActivityBarContainer();
    await eventually(() => treeRunIds(wb), (ids) => ids.includes(runId), { timeoutMs: 45_000, message: `${runId} in the tree, overdue` });

    // The runner sweeps at once when it starts, then every few seconds (the rule's rate is a minute).
    await started(runner, 'the runner module').startProcessorRunner(wb.stackEnv, { restart: true, sweepSeconds: 5 });
    const doc = await eventually(() => stack.newestDocument(runId), (d) => d?.approval_status === 'EXPIRED', { timeoutMs: 60_000, message: `the sweep to expire ${runId}` });
    assert.equal(doc?.approved_by, 'system');

    await eventually(() => treeRunIds(wb), (ids) => !ids.includes(runId), { timeoutMs: 45_000, message: `${runId} to leave the tree` });

    const header = wb.page.locator('.part.sidebar .pane-header', { hasText: DECISIONS_VIEW });
    await header.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const description = await eventually(
      async () => (await wb.treeItems(DECISIONS_VIEW)).find((item) => item.label === runId)?.description ?? '',
      (text) => text !== '',
      { timeoutMs: 45_000, message: `${runId} in Recent Decisions` },
    );
    assert.match(description, /^expired by system · recorded/, `the Recent Decisions row: "${description}"`);
    await wb.screenshot('expiry-recent-decisions');

    await wb.treeRows(DECISIONS_VIEW).filter({ has: wb.page.locator('.label-name', { hasText: runId }) }).click();
    const page = wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await eventually(async () => (await page.locator('#run-id').textContent({ timeout: 2_000 }))?.trim(), (id) => id === runId, {
      timeoutMs: 60_000, message: `the details page of ${runId}`,
    });
    await page.locator('dt', { hasText: 'Expired without a decision' }).waitFor({ state: 'visible', timeout: 30_000 });
    const approval = (await page.locator('#approval').textContent())?.trim() ?? '';
    assert.match(approval, /^EXPIRED by system at .*: No decision within .* the policy for load_orders is to expire at expiry\.$/, approval);
    assert.match((await page.locator('#run-status').textContent()) ?? '', /EXPIRED/);
    assert.equal(await page.locator('#decision-form').isVisible(), false, 'no decision form for an expired run');
    await wb.screenshot('expiry-details');
  });
});
