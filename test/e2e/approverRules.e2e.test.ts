// Approver rules in the workbench: the stack's approval policy (SSM) needs two distinct
// reviewers for score_* runs and lets only them decide. Three IAM users of the stack, one AWS
// profile each, are switched with "Choose AWS Profile…": the observer is told before typing
// a reason that they are no approver (the form is disabled, with the reason), and can filter
// the tree to the runs waiting for them; two reviewers then reach the quorum of 2 on one run,
// the details page showing the progress after the first approval. The approval processor
// runs in the background on the stack's queue with the same policy.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  StackProbe,
  detailsPage,
  quickInput,
  runCommandExpectingInput,
  runRow,
  started,
  statusBarCount,
  tidy,
  treeRunIds,
  waitForDetails,
} from './reviewFixture';
import { PENDING_VIEW, Workbench, eventually, screenshotOnFailure } from './workbench';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

/** Matches the stack policy's "score_*" entry: quorum 2, approvers dwh-reviewer*. */
const JOB = 'score_fraud';

describe('approver rules: who may decide, and a quorum of two reviewers', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  let runner: typeof ProcessorRunnerModule | undefined;
  let startedRunner = false;
  const runId = `${JOB}-e2e-quorum-${randomUUID().slice(0, 8)}`;
  const documentId = `e2e-${runId}`;

  before(async function () {
    workbench = await Workbench.start({
      seed: { pending: 4, messy: 0, decided: 0, history: 4 },
      settings: {
        'dwhApprovals.groupBy': 'none',
        'dwhApprovals.notifyOnNewPending': false,
        'dwhApprovals.confirmDecisions': false,
        'dwhApprovals.refreshIntervalSeconds': 5,
      },
      viewport: { width: 1500, height: 1100 },
    });
    probe = new StackProbe(workbench.stackEnv);
    const { status } = await probe.opensearch('PUT', `/${probe.eventsIndex}/_doc/${documentId}?refresh=true`, {
      timestamp: new Date(Date.now() - 10 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: JOB,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [{ name: 'null_rate', status: 'FAIL', value: 0.081, threshold: 0.05 }],
      records_read: 420_000,
      records_written: 419_100,
      records_dropped: 900,
      triggered_by: 'arn:aws:iam::123456789012:user/airflow-scheduler',
    });
    assert.equal(status, 201, 'the score_fraud run was indexed');
    await probe.purgeQueues('processor');
    runner = await import('../../scripts/lib/processorRunner.mjs');
    const running = await runner.startProcessorRunner(workbench.stackEnv);
    startedRunner = !running.alreadyRunning;
    await workbench.openActivityBarContainer();
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
    if (workbench) await tidy(workbench);
  });

  after(async function () {
    if (runner && startedRunner) await runner.stopProcessorRunner();
    probe?.close();
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');

  /** "Choose AWS Profile…", as a reviewer switches identity; waits until the tree shows the run again. */
  async function useProfile(profile: string): Promise<void> {
    const wb = opened();
    await runCommandExpectingInput(wb, 'DWH Approvals: Choose AWS Profile', 'Choose the AWS profile for DWH Approvals');
    const { input, rows } = quickInput(wb);
    await input.fill(profile);
    // The row whose label is exactly the profile ("dwh-local" also matches the other two).
    const row = rows.filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^\\s*${profile}\\s*$`) }) }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    await runRow(wb, runId).waitFor({ state: 'visible', timeout: 60_000 });
  }

  /**
   * Opens the run's details from the tree. Right after a profile switch the tree is redrawn
   * from the new connection, and a click on the row as it is replaced can be lost: click
   * again until the page shows the run.
   */
  async function openRun(): Promise<ReturnType<typeof detailsPage>> {
    const wb = opened();
    const page = detailsPage(wb);
    await eventually(
      async () => {
        const shown = (await page.locator('#run-id').textContent({ timeout: 3_000 }).catch(() => null))?.trim() ?? null;
        if (shown !== runId) await runRow(wb, runId).click({ timeout: 5_000 });
        return shown;
      },
      (shown) => shown === runId,
      { timeoutMs: 60_000, intervalMs: 1_000, message: `the details page of ${runId}` },
    );
    return waitForDetails(wb, runId);
  }

  async function text(page: ReturnType<typeof detailsPage>, selector: string): Promise<string> {
    return ((await page.locator(selector).textContent({ timeout: 2_000 })) ?? '').replace(/\s+/g, ' ').trim();
  }

  it('tells a non-approver before a reason is typed, and disables the form; the tree can show only the runs waiting for them', async function () {
    const wb = opened();
    await useProfile('dwh-local-observer');
    const page = await openRun();
    await eventually(() => text(page, '#decided-by'), (t) => t === 'dwh-observer', { message: 'the page to know the observer' });
    await eventually(() => text(page, '#approval-progress'), (t) => t === '0 of 2 approvals; you are not an approver of jobs matching "score_*"', {
      timeoutMs: 30_000,
      message: 'the progress line for a non-approver',
    });
    assert.equal(await text(page, '#policy-blocked'), 'You are not an approver of jobs matching "score_*".');
    assert.ok(await page.locator('#policy-blocked').isVisible(), 'the reason is shown');
    assert.ok(await page.locator('#reason').isDisabled(), 'no reason can be typed');
    assert.ok(await page.locator('button#approve').isDisabled(), 'Approve is disabled');
    assert.ok(await page.locator('button#reject').isDisabled(), 'Reject is disabled: the rejecters of score_* are its approvers');
    await page.locator('#decision-panel').scrollIntoViewIfNeeded();
    await wb.screenshot('approver-rules-non-approver');

    // The tree, filtered to what waits for the observer: not this run; the badge still counts all.
    // Read as the tree settles (it polls every 5 s): a snapshot taken while it redraws once held a row twice.
    const all = await eventually(() => treeRunIds(wb), (ids) => ids.includes(runId) && new Set(ids).size === ids.length, {
      message: 'the tree listing the score_fraud run, each run once',
    });
    const badge = await wb.viewBadgeCount();
    await wb.runCommand('DWH Approvals: Show Only Runs Waiting for Me');
    const others = all.filter((id) => id !== runId && !id.startsWith('score_'));
    assert.ok(others.length > 0, 'runs of other jobs, waiting for the observer');
    await eventually(() => treeRunIds(wb), (ids) => JSON.stringify(ids) === JSON.stringify(others), {
      message: `the tree with every run but those of score_*: ${others.join(', ')}`,
    });
    assert.equal(await wb.viewBadgeCount(), badge, 'the badge still counts every pending run');
    assert.equal(await statusBarCount(wb), badge, 'so does the status bar');
    const description = await wb.page.locator(`.pane-header[aria-label^="${PENDING_VIEW}"] .description`).first().textContent();
    assert.match(description ?? '', /waiting for you/);
    await wb.screenshot('approver-rules-waiting-for-me');
    await wb.runCommand('DWH Approvals: Show Only Runs Waiting for Me');
    await eventually(() => treeRunIds(wb), (ids) => ids.includes(runId), { message: 'every pending run again' });

    // From the palette too, the observer is told before a reason is asked for.
    const q = quickInput(wb);
    await runCommandExpectingInput(wb, 'DWH Approvals: Approve Run…', 'Approve pending runs');
    await q.input.fill(runId.slice(-8));
    await eventually(() => q.rows.count(), (n) => n === 1, { message: 'one pick for the score_fraud run' });
    await q.input.press('Enter');
    const toast = wb.page.locator('.notifications-toasts .notification-toast').filter({ hasText: runId });
    await toast.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(
      (await toast.first().locator('.notification-list-item-message').textContent())?.trim(),
      `${JOB} run ${runId}: You are not an approver of jobs matching "score_*".`,
    );
    assert.ok(await q.widget.isHidden(), 'no reason is asked for');
  });

  it('reaches a quorum of 2 with two reviewers, the page showing the progress after the first approval', async function () {
    const wb = opened();
    const stack = started(probe, 'the stack probe');

    await useProfile('dwh-local');
    let page = await openRun();
    await eventually(() => text(page, '#decided-by'), (t) => t === 'dwh-reviewer1', { message: 'the page to know the first reviewer' });
    await eventually(() => text(page, '#approval-progress'), (t) => t === '0 of 2 approvals; 2 more needed', { timeoutMs: 30_000, message: 'the progress before any approval' });
    assert.ok(await page.locator('#policy-blocked').isHidden(), 'nothing blocks a reviewer');
    await page.locator('#reason').fill('Null rate from the new device fingerprint field; model tolerant of it');
    await page.locator('button#approve').click();
    await eventually(() => text(page, '#approval-progress'), (t) => t === '1 of 2 approvals (dwh-reviewer1); you approved already', {
      timeoutMs: 60_000,
      message: 'the progress after the first approval',
    });
    assert.ok(await page.locator('button#approve').isDisabled(), 'the same person cannot approve again');
    assert.equal((await stack.newestDocument(runId))?.approval_status ?? null, null, 'one approval does not decide the run');
    await page.locator('#decision-panel').scrollIntoViewIfNeeded();
    await wb.screenshot('approver-rules-first-approval');

    await wb.runCommand('View: Close All Editors');
    await useProfile('dwh-local-reviewer2');
    page = await openRun();
    await eventually(() => text(page, '#decided-by'), (t) => t === 'dwh-reviewer2', { message: 'the page to know the second reviewer' });
    await eventually(() => text(page, '#approval-progress'), (t) => t === '1 of 2 approvals (dwh-reviewer1)', { timeoutMs: 30_000, message: 'the progress the second reviewer sees' });
    await page.locator('#decision-panel').scrollIntoViewIfNeeded();
    await wb.screenshot('approver-rules-second-reviewer');
    await page.locator('#reason').fill('Agreed: the field is new, the model ignores nulls there');
    await page.locator('button#approve').click();

    const decided = await eventually(() => stack.newestDocument(runId), (doc) => doc?.approval_status === 'APPROVED', { timeoutMs: 60_000, message: 'the run to be approved' });
    assert.equal(decided?.approved_by, 'dwh-reviewer1, dwh-reviewer2');
    await eventually(() => text(page, '#decision-state'), (t) => t.includes('Recorded by the processor'), { timeoutMs: 60_000, message: 'the page to say the approval was recorded' });
    await wb.screenshot('approver-rules-quorum-reached');
  });
});
