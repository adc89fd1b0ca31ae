// Deciding again from the details page after the approval processor turned a decision down.
// The real processor code (the Lambda handler) is run on the stack's queue by the test itself,
// so that the test chooses when it runs: a self-approval it refuses, and an approval of a run
// whose metrics changed after the review (stale evidence). The page says why, opens the form
// again with the reason kept, and the new decision goes out with a new decision_id (and, after
// stale evidence, the run's current evidence), which the processor then records.
import * as assert from 'node:assert/strict';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import { createLambdaHandler } from '../../src/processor/lambdaHandler';
import { answerDialog, openFromTree, RunPool, StackProbe, started, tidy } from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

const DECISION_ID = /decision ([0-9a-f-]{36})/;

describe('deciding again on the details page after the processor refused a decision', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  let runner: typeof ProcessorRunnerModule | undefined;
  let handler: ReturnType<typeof createLambdaHandler> | undefined;
  let pool: RunPool;
  const savedEnvironment = new Map<string, string | undefined>();

  before(async function () {
    workbench = await Workbench.start({
      seed: { pending: 4, messy: 0, decided: 0, history: 8 },
      settings: {
        'dwhApprovals.groupBy': 'none',
        'dwhApprovals.notifyOnNewPending': false,
        // No polling: the page learns what the processor made of a decision from the pending
        // store's own follow-up of published decisions, which runs polling or not.
        'dwhApprovals.refreshIntervalSeconds': 0,
      },
      viewport: { width: 1400, height: 1000 },
    });
    probe = new StackProbe(workbench.stackEnv);
    const seed = workbench.seed;
    assert.ok(seed, 'nothing was seeded');
    pool = await RunPool.of(probe, seed.pendingRunIds, seed.messyRunIds);
    await probe.purgeQueues('processor');
    runner = await import('../../scripts/lib/processorRunner.mjs');
    // This suite runs the processor itself, when it chooses: one in the background would race it.
    assert.ok(!runner.processorRunnerStatus().running, 'a processor runner (the demo\'s?) consumes this stack\'s queue: stop it, or give the tests their own DWH_STACK_DIR and ports');
    // As the processor runner does: its AWS SDK clients take credentials and region from the environment.
    const environment = runner.processorEnvironment(workbench.stackEnv, {});
    for (const [key, value] of Object.entries(environment)) {
      savedEnvironment.set(key, process.env[key]);
      process.env[key] = value;
    }
    handler = createLambdaHandler({ config: environment, log: () => undefined });
    await workbench.openActivityBarContainer();
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
    if (workbench) await tidy(workbench);
  });

  after(async function () {
    await handler?.close();
    for (const [key, value] of savedEnvironment) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    probe?.close();
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');
  const stack = (): StackProbe => started(probe, 'the stack probe');

  /** Runs the processor on what the queue holds now, as the Lambda function would. */
  async function processQueue(): Promise<void> {
    assert.ok(runner && handler, 'the processor is not loaded');
    const stats = await runner.runProcessorLoop({ env: opened().stackEnv, handler, once: true, waitTimeSeconds: 2 });
    assert.equal(stats.failed, 0, `the processor failed on ${stats.failed} of ${stats.received} messages`);
  }

  /** The processor's audit documents of a run, by decision_id. */
  async function audits(runId: string): Promise<Map<string, Record<string, unknown>>> {
    const index = (opened().stackEnv.indices as { approvals?: string } | undefined)?.approvals ?? 'job-approvals';
    await stack().opensearch('POST', `/${index}/_refresh`);
    const { json } = await stack().opensearch('POST', `/${index}/_search`, { size: 50, query: { term: { job_run_id: runId } } });
    const hits = (json.hits as { hits: Array<{ _id: string; _source: Record<string, unknown> }> }).hits;
    return new Map(hits.map((hit) => [hit._id, hit._source]));
  }

  type Page = Awaited<ReturnType<typeof openFromTree>>;

  async function stateText(page: Page): Promise<string> {
    return ((await page.locator('#decision-state').textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  /** Clicks Approve or Reject, confirms, and returns the decision_id the page shows as published. */
  async function decide(page: Page, decision: 'APPROVED' | 'REJECTED'): Promise<string> {
    const button = page.locator(decision === 'APPROVED' ? 'button#approve' : 'button#reject');
    await eventually(() => button.isEnabled(), (enabled) => enabled, { message: `${decision} to be enabled` });
    await button.click();
    await answerDialog(opened(), decision === 'APPROVED' ? 'Approve' : 'Reject');
    const text = await eventually(() => stateText(page), (t) => t.includes(`Published: ${decision}`), { timeoutMs: 30_000, message: `the page to say ${decision} was published` });
    const id = DECISION_ID.exec(text)?.[1];
    assert.ok(id, `a decision id on the page: "${text}"`);
    return id;
  }

  it('refuses a self-approval, says why, and lets the reviewer reject it instead with a new decision_id', async function () {
    const wb = opened();
    const runId = pool.take();
    // The pipeline run was started by the reviewer's own identity: approving it is refused.
    const page = await openFromTree(wb, runId);
    const decidedBy = ((await page.locator('#decided-by').textContent()) ?? '').trim();
    assert.ok(decidedBy !== '', 'the page knows who decides');
    // Changed after the page was read (the page would otherwise say so before the approval):
    // the processor, judging the run as it is now, refuses it.
    await stack().updateRun(runId, { triggered_by: decidedBy });
    const reason = 'Drop rate explained by the vendor feed outage; volumes recovered';
    await page.locator('#reason').fill(reason);
    const first = await decide(page, 'APPROVED');

    await processQueue();
    // The store sees the refusal first: the page says "Not applied: … marked it refused." while
    // it reads the run afresh, and only then why, and that the run still waits. Wait for that.
    const text = await eventually(() => stateText(page), (t) => t.includes('refused your approval'), { timeoutMs: 60_000, message: 'the page to say the approval was refused, the run read afresh' });
    assert.match(text, /Not applied: the approval processor refused your approval\./);
    assert.match(text, new RegExp(`${decidedBy} triggered this run`), 'the processor’s reason is shown');
    assert.match(text, /still waiting for a decision/);
    assert.equal(await page.locator('#not-applied-evidence').count(), 0, 'nothing changed in the run');
    await eventually(() => page.locator('#reason').isEnabled(), (enabled) => enabled, { message: 'the reason to be editable again' });
    assert.equal(await page.locator('#reason').inputValue(), reason, 'the typed reason is kept');
    // The run read afresh names the reviewer as its trigger: the approval policy closes Approve, and says why.
    await eventually(() => page.locator('#policy-blocked').textContent(), (t) => t === 'You triggered this run and cannot approve it.', { message: 'the page to say the reviewer cannot approve' });
    assert.ok(await page.locator('button#approve').isDisabled(), 'Approve is not offered to the trigger');
    assert.ok(await page.locator('button#reject').isEnabled(), 'Reject is offered again');
    await page.locator('#decision-panel').scrollIntoViewIfNeeded();
    await wb.screenshot('decide-again-refused');

    const second = await decide(page, 'REJECTED');
    assert.notEqual(second, first, 'the new decision has its own decision_id');
    await processQueue();
    await eventually(() => stateText(page), (t) => t.includes('Recorded by the processor'), { timeoutMs: 30_000, message: 'the rejection to be recorded' });
    const doc = await stack().newestDocument(runId);
    assert.equal(doc?.approval_status, 'REJECTED');
    const audited = await audits(runId);
    assert.equal(audited.get(first)?.audit_status, 'refused');
    assert.equal(audited.get(second)?.audit_status, 'recorded');
    await wb.screenshot('decide-again-recorded');
  });

  it('after a refusal for stale evidence, shows the run as it is now and approves it with its current evidence', async function () {
    const wb = opened();
    const runId = pool.take();
    const page = await openFromTree(wb, runId);
    const reason = 'Known replay of yesterday’s batch; downstream deduplicates';
    await page.locator('#reason').fill(reason);
    const before = ((await page.locator('#metric-records_dropped').textContent()) ?? '').trim();
    const first = await decide(page, 'APPROVED');

    // The pipeline rewrites the run's metrics after the review, before the processor gets the decision.
    const shown = await stack().newestDocument(runId);
    const dropped = typeof shown?.records_dropped === 'number' ? shown.records_dropped + 1234 : 4321;
    await stack().updateRun(runId, { records_dropped: dropped });
    await processQueue();

    // The refusal shows first; the form opens once the run has been read afresh (another request or three).
    const text = await eventually(() => stateText(page), (t) => t.includes('Not applied') && t.includes('The run changed after you reviewed it.'), {
      timeoutMs: 60_000,
      message: 'the page to say the approval was refused and the run changed',
    });
    assert.match(text, /changed after it was reviewed/, 'the processor’s reason');
    assert.match(text, /The run changed after you reviewed it\./);
    const after = await eventually(async () => ((await page.locator('#metric-records_dropped').textContent()) ?? '').trim(), (t) => t !== before, {
      message: 'the page to show the run’s current metrics',
    });
    assert.match(after.replace(/,/g, ''), new RegExp(`^${dropped}\\b`));
    assert.equal(await page.locator('#reason').inputValue(), reason, 'the typed reason is kept');
    await page.locator('#decision-panel').scrollIntoViewIfNeeded();
    await wb.screenshot('decide-again-stale-evidence');

    const second = await decide(page, 'APPROVED');
    assert.notEqual(second, first, 'the new decision has its own decision_id');
    await processQueue();
    await eventually(() => stateText(page), (t) => t.includes('Recorded by the processor'), { timeoutMs: 30_000, message: 'the approval to be recorded' });
    const audited = await audits(runId);
    assert.equal(audited.get(first)?.audit_status, 'refused');
    assert.equal(audited.get(second)?.audit_status, 'recorded');
    const current = await stack().newestDocument(runId);
    assert.ok(current);
    assert.equal(audited.get(second)?.evidence_sha256, evidenceSha256(parseJobRun('current', current)), 'the new decision carries the current evidence');
    assert.equal(current.approval_status, 'APPROVED');
  });
});
