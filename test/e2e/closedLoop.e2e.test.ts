// The loop closes: with the approval processor consuming the stack's `processor` queue, a
// decision published from the workbench is recorded in OpenSearch and the workbench follows
// it on its own (no manual refresh): the details page goes published → recorded, Recent
// Decisions lists it as recorded with the decider, and the pending list, badge and status
// bar keep it out. A decision published by another reviewer leaves this window's pending
// list on its own once the processor recorded it.
import * as assert from 'node:assert/strict';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { publishParameters } from '../../src/core/decisionMessage';
import { createReviewer, decisionBy } from '../support/reviewers';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import { answerDialog, expectPending, openFromTree, RunPool, StackProbe, started, stillPendingIn, tidy } from './reviewFixture';
import { Workbench, eventually, screenshotOnFailure } from './workbench';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

const REFRESH_SECONDS = 3;
const DECISIONS_VIEW = 'Recent Decisions';

describe('the closed loop: workbench → SNS → processor → OpenSearch → workbench', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  let runner: typeof ProcessorRunnerModule | undefined;
  let startedRunner = false;
  let pool: RunPool;
  const gone = new Set<string>();

  before(async function () {
    workbench = await Workbench.start({
      seed: { pending: 8, messy: 1, decided: 2, history: 6 },
      settings: {
        'dwhApprovals.groupBy': 'none',
        'dwhApprovals.notifyOnNewPending': false,
        'dwhApprovals.refreshIntervalSeconds': REFRESH_SECONDS,
      },
      viewport: { width: 1500, height: 1300 },
    });
    probe = new StackProbe(workbench.stackEnv);
    const seed = workbench.seed;
    assert.ok(seed, 'nothing was seeded');
    pool = await RunPool.of(probe, seed.pendingRunIds, seed.messyRunIds);
    // Decisions other suites published (for runs of an earlier seed) are not this processor's.
    await probe.purgeQueues('processor', 'tap', 'downstream');
    runner = await import('../../scripts/lib/processorRunner.mjs');
    // A runner already running is kept only if it runs the bundle of the current sources.
    const started = await runner.startProcessorRunner(workbench.stackEnv);
    startedRunner = !started.alreadyRunning;
    await workbench.openActivityBarContainer();
    await expectPending(workbench, seed.pendingRunIds, 'the seeded pending runs');
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
  const stack = (): StackProbe => started(probe, 'the stack probe');
  const stillPending = (): string[] => stillPendingIn(opened(), gone);

  /** Expands the Recent Decisions view (collapsed by default) unless it is open. */
  async function openDecisionsView(): Promise<void> {
    const wb = opened();
    const header = wb.page.locator('.part.sidebar .pane-header', { hasText: DECISIONS_VIEW });
    await header.waitFor({ state: 'visible', timeout: 30_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    await wb.page.locator(`.part.sidebar [role="tree"][aria-label="${DECISIONS_VIEW}"]`).waitFor({ state: 'visible', timeout: 30_000 });
  }

  /** Waits for the processor to record a decision on the run in job-events. */
  async function recorded(runId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const doc = await eventually(() => stack().newestDocument(runId), (d) => typeof d?.approval_status === 'string', {
      timeoutMs, intervalMs: 200, message: `the processor to record a decision on ${runId}`,
    });
    assert.ok(doc);
    return doc;
  }

  async function decisionRow(runId: string): Promise<string> {
    const items = await opened().treeItems(DECISIONS_VIEW);
    const row = items.find((item) => item.label === runId);
    return row ? row.description : '';
  }

  it('records an approval from the details page, and the page, Recent Decisions and the pending list follow on their own', async function () {
    const wb = opened();
    const runId = pool.take();
    // The reviewer keeps Recent Decisions open while deciding.
    await openDecisionsView();
    const page = await openFromTree(wb, runId);
    const decidedBy = ((await page.locator('#decided-by').textContent()) ?? '').trim();
    await page.locator('#reason').fill('Freshness lag from the replication incident; data verified');
    await eventually(() => page.locator('button#approve').isEnabled(), (enabled) => enabled, { message: 'Approve to be enabled' });
    await page.locator('button#approve').click();
    await answerDialog(wb, 'Approve');
    gone.add(runId);

    const state = page.locator('#decision-state');
    await eventually(async () => (await state.textContent()) ?? '', (t) => t.includes('Published: APPROVED') || t.includes('Recorded by the processor'), {
      message: 'the page to say the approval was published',
    });
    const doc = await recorded(runId);
    assert.equal(doc.approval_status, 'APPROVED');
    assert.equal(doc.approved_by, decidedBy);
    assert.equal(doc.approval_reason, 'Freshness lag from the replication incident; data verified');

    // No refresh from here on: the page watches for the processor's update.
    const text = await eventually(async () => (await state.textContent()) ?? '', (t) => t.includes('Recorded by the processor'), {
      timeoutMs: 30_000, message: 'the page to say the processor recorded the decision',
    });
    assert.match(text, new RegExp(`APPROVED by ${decidedBy.replace(/\./g, '\\.')}`));
    await wb.screenshot('closed-loop-recorded-webview');

    await expectPending(wb, stillPending(), 'the approved run out of the pending list');
    const description = await eventually(() => decisionRow(runId), (d) => d !== '', {
      timeoutMs: 60_000, message: `${runId} in Recent Decisions`,
    });
    assert.match(description, new RegExp(`^approved by ${decidedBy.replace(/\./g, '\\.')} · recorded`), `the Recent Decisions row: "${description}"`);
    await wb.screenshot('closed-loop-recent-decisions');

    // Later polls keep it out (it is decided now): a run indexed now appears, so the list was
    // read again after the processor recorded the approval, and the approved run is not in it.
    const later = await stack().indexPendingRun('load_orders', 'closed-loop-later');
    try {
      await expectPending(wb, [...stillPending(), later.runId], 'a run indexed after the approval was recorded, and not the approved run');
    } finally {
      await stack().deleteDocument(later.id);
    }
    await expectPending(wb, stillPending(), 'the run indexed for the check gone again');
  });

  it('drops a run another reviewer approved, on its own, once the processor recorded it', async function () {
    const wb = opened();
    const runId = pool.take();
    await expectPending(wb, stillPending(), 'the pending runs before the other decision');

    // Another reviewer's extension: a signed decision on the topic, built from the run as stored.
    const docs = await stack().runDocuments([runId]);
    const [stored] = docs;
    assert.ok(stored && docs.length === 1, `one document of ${runId}`);
    const run = parseJobRun(stored.id, stored.source);
    const env = stack().env;
    // Signed v2 with the other reviewer's own keys (an IAM user of the local stack).
    const other = await createReviewer(env, 'other.reviewer');
    const message = await decisionBy(other, env, {
      jobName: run.jobName,
      jobRunId: runId,
      decision: 'APPROVED',
      reason: 'Approved by the on-call reviewer from their own window',
      evidenceSha256: evidenceSha256(run),
    }, await stack().signingSecret());
    const sns = new SNSClient({ region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    try {
      await sns.send(new PublishCommand({ TopicArn: env.topicArn, ...publishParameters(message, env.topicArn) }));
    } finally {
      sns.destroy();
    }

    await recorded(runId);
    gone.add(runId);
    // No refresh: the window's own polling (every REFRESH_SECONDS) finds it decided.
    await expectPending(wb, stillPending(), 'the run approved elsewhere out of the pending list');

    await openDecisionsView();
    const description = await eventually(() => decisionRow(runId), (d) => d !== '', {
      timeoutMs: 30_000, message: `${runId} in Recent Decisions`,
    });
    assert.match(description, /^approved by other\.reviewer · recorded/, `the Recent Decisions row: "${description}"`);
  });
});
