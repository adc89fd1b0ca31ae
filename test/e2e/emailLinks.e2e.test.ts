// The seed's primary door, in Chromium: a run at the gate produces an alert (notifier → moto's
// SES, read back through moto's request recorder); the job owner opens the email, follows its Approve link
// to the approval API on 127.0.0.1, reads the confirmation page, types a reason and confirms;
// the processor records it and the run leaves the Pending Approvals tree in VS Code. Bad links
// get their own pages; a hostile job document is text in the email and on the page.
// Screenshots: test-results/email-*.png and hostile-email*.png (kept: look at them).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { createLinkToken, newLinkNonce } from '../../src/core/emailLinkToken';
import { hostileJobDocument } from '../support/hostileCorpus';
import { expectPending, RunPool, StackProbe, started, stillPendingIn } from './reviewFixture';
import { RESULTS_DIR, Workbench, eventually, screenshotOnFailure } from './workbench';

import type * as EmailLinksModule from '../../scripts/lib/emailLinks.mjs' with { 'resolution-mode': 'import' };
import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

const OWNER = 'job-owner@example.com';

describe('alert emails: deciding through a link, in Chromium', function () {
  let workbench: Workbench | undefined;
  let probe: StackProbe | undefined;
  let emails: typeof EmailLinksModule;
  let runner: typeof ProcessorRunnerModule;
  let startedRunner = false;
  let startedApi = false;
  let pool: RunPool;
  let browserPage: Page | undefined;
  const cspViolations: string[] = [];
  const gone = new Set<string>();

  before(async function () {
    workbench = await Workbench.start({
      seed: { pending: 5, messy: 1, decided: 1, history: 4 },
      settings: { 'dwhApprovals.groupBy': 'none', 'dwhApprovals.notifyOnNewPending': false, 'dwhApprovals.refreshIntervalSeconds': 3 },
    });
    probe = new StackProbe(workbench.stackEnv);
    const seed = workbench.seed;
    assert.ok(seed, 'nothing was seeded');
    pool = await RunPool.of(probe, seed.pendingRunIds, seed.messyRunIds);
    emails = await import('../../scripts/lib/emailLinks.mjs');
    runner = await import('../../scripts/lib/processorRunner.mjs');
    await probe.purgeQueues('processor', 'tap');
    startedRunner = !(await runner.startProcessorRunner(workbench.stackEnv)).alreadyRunning;
    startedApi = !(await emails.startApprovalApiServer(workbench.stackEnv, { restart: true })).alreadyRunning;
    // The reviewer's mail client and browser: another page of the same Chromium.
    const browser = workbench.page.context().browser();
    assert.ok(browser, 'the workbench runs in a browser');
    browserPage = await browser.newPage({ viewport: { width: 900, height: 1000 } });
    browserPage.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    browserPage.on('dialog', (dialog) => {
      cspViolations.push(`a dialog opened: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await workbench.openActivityBarContainer();
    await expectPending(workbench, seed.pendingRunIds, 'the seeded pending runs');
  });

  afterEach(async function () {
    await screenshotOnFailure(workbench, this.currentTest);
  });

  after(async function () {
    await browserPage?.close();
    if (startedApi) await emails.stopApprovalApiServer();
    if (startedRunner) await runner.stopProcessorRunner();
    probe?.close();
    await workbench?.close();
  });

  const opened = (): Workbench => started(workbench, 'the workbench');
  const tab = (): Page => started(browserPage, 'the browser tab');
  const env = () => opened().stackEnv;
  const mail = () => started(env().email, "the stack's email settings");

  async function shot(page: Page, name: string): Promise<void> {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`), fullPage: true });
  }

  /** The alert about `marker` sent to `to`, after the notifier handled the run's job event. */
  async function alertFor(document: Record<string, unknown>, to: string, marker: string): Promise<EmailLinksModule.SentEmail> {
    await emails.publishJobEvent(env(), document);
    const { emails: sent } = await emails.runNotifierOnce(env());
    const found = sent.filter((e) => e.text.includes(marker) && e.destinations.includes(to));
    assert.equal(found.length, 1, `one alert to ${to} about ${marker}`);
    return found[0] as EmailLinksModule.SentEmail;
  }

  /** Opens an email's HTML part as a mail client shows it (a blank document first: not inside a page of the API, under its CSP). */
  async function openHtml(html: string): Promise<void> {
    await tab().goto('about:blank');
    await tab().setContent(html);
  }

  /** Shows an email as a mail client would: the HTML part, and the text part as plain text. */
  async function showEmail(email: EmailLinksModule.SentEmail, name: string): Promise<void> {
    await openHtml(email.html);
    await shot(tab(), name);
    await openHtml('<pre style="font-family:monospace;white-space:pre-wrap;margin:16px"></pre>');
    await tab().locator('pre').evaluate((pre, text) => {
      pre.textContent = text;
    }, email.text);
    await shot(tab(), `${name}-text`);
  }

  it('opens the link from the captured email, confirms with a reason, and the run leaves the tree', async function () {
    const wb = opened();
    const runId = pool.takeWithFailingCheck();
    const document = await started(probe, 'the stack probe').newestDocument(runId);
    assert.ok(document, `${runId} is in OpenSearch`);
    const alert = await alertFor(document, OWNER, runId);
    assert.match(alert.subject, new RegExp(`^\\[PENDING APPROVAL\\] .* job ${runId} - Quality RED$`));
    await showEmail(alert, 'email-alert');

    // The mail client's link: the reviewer clicks Approve… in the HTML part.
    await openHtml(alert.html);
    const approveLink = tab().locator('a', { hasText: 'Approve…' });
    const href = (await approveLink.getAttribute('href')) ?? '';
    assert.ok(href.startsWith(`${mail().approvalApiUrl}/decide?token=`), href);
    await Promise.all([tab().waitForURL((url) => url.pathname === '/decide'), approveLink.click()]);
    await tab().locator('h1', { hasText: 'Approve job run' }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await tab().locator('#recorded-as').textContent(), OWNER);
    assert.ok(((await tab().locator('main').textContent()) ?? '').includes(runId), 'the page names the run');
    await shot(tab(), 'email-confirmation-page');

    await tab().locator('#reason').fill('Vendor feed was late; the dropped rows are re-delivered tomorrow.');
    await Promise.all([tab().waitForLoadState('load'), tab().locator('button[type="submit"]').click()]);
    await tab().locator('h1', { hasText: 'Your approval was sent' }).waitFor({ state: 'visible', timeout: 30_000 });
    await shot(tab(), 'email-decision-sent');
    gone.add(runId);

    const recorded = await eventually(() => started(probe, 'the stack probe').newestDocument(runId), (doc) => typeof doc?.approval_status === 'string', {
      timeoutMs: 60_000, intervalMs: 300, message: `the processor to record the email decision on ${runId}`,
    });
    assert.equal(recorded?.approval_status, 'APPROVED');
    assert.equal(recorded?.approved_by, OWNER);
    await expectPending(wb, stillPendingIn(wb, gone), 'the run decided by email out of the Pending Approvals tree');
    await wb.screenshot('email-decided-tree');

    // The link is used now: both of its email's links say so.
    await tab().goto(href);
    await tab().locator('h1', { hasText: 'This link was already used' }).waitFor({ state: 'visible', timeout: 30_000 });
    await shot(tab(), 'email-link-used');
    assert.deepEqual(cspViolations, [], 'the pages break no CSP rule and open no dialog');
  });

  it('shows its own page for an expired and for an altered link', async function () {
    const runId = pool.take();
    const secret = await started(probe, 'the stack probe').signingSecret();
    const link = (token: string): string => `${mail().approvalApiUrl}/decide?token=${encodeURIComponent(token)}`;
    const expired = createLinkToken({ runId, action: 'REJECT', recipient: OWNER, expiresAt: Math.floor(Date.now() / 1000) - 60, nonce: newLinkNonce() }, secret);
    await tab().goto(link(expired));
    await tab().locator('h1', { hasText: 'This link has expired' }).waitFor({ state: 'visible', timeout: 30_000 });
    await shot(tab(), 'email-link-expired');
    const genuine = createLinkToken({ runId, action: 'APPROVE', recipient: OWNER, expiresAt: Math.floor(Date.now() / 1000) + 3600, nonce: newLinkNonce() }, secret);
    await tab().goto(link(`${genuine.slice(0, -4)}AAAA`));
    await tab().locator('h1', { hasText: 'This link is not valid' }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await tab().locator('form').count(), 0, 'no form on a refusal page');
    await shot(tab(), 'email-link-invalid');
  });

  it('shows a hostile job document as text in the email and on the confirmation page', async function () {
    const probeNow = started(probe, 'the stack probe');
    const tag = `hostile-email-${Date.now()}`;
    const hostile = hostileJobDocument(tag, { job_name: 'evil_job <img src=x onerror=alert(1)><script>alert(2)</script> [x](https://evil.example)' });
    const runId = String(hostile.job_run_id);
    await probeNow.opensearch('PUT', `/${probeNow.eventsIndex}/_doc/${encodeURIComponent(tag)}?refresh=true`, hostile);
    const alert = await alertFor(hostile, OWNER, tag);
    await showEmail(alert, 'hostile-email');
    await openHtml(alert.html);
    assert.equal(await tab().locator('img, script').count(), 0, 'no element from job data in the email');
    assert.equal(await tab().locator('a').count(), 2, 'only the two links of the email');
    assert.ok(((await tab().locator('body').textContent()) ?? '').includes('<img src=x onerror=alert(1)>'), 'the markup shows as text');

    await tab().goto(emails.linksOf(alert).approve ?? '');
    await tab().locator('h1', { hasText: 'Approve job run' }).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await tab().locator('main img, main script, main a').count(), 0, 'no element from job data on the page');
    const text = (await tab().locator('main').textContent()) ?? '';
    assert.ok(text.includes('<img src=x onerror=alert(1)>'), 'the markup shows as text on the page');
    assert.ok(text.includes(runId.slice(0, tag.length)), 'the run is named');
    await shot(tab(), 'hostile-approval-page');
    assert.deepEqual(cspViolations, [], 'no script ran, no dialog opened');
    // Out of the other suites' way.
    await probeNow.opensearch('DELETE', `/${probeNow.eventsIndex}/_doc/${encodeURIComponent(tag)}?refresh=true`);
  });
});
