// Alert emails with approve / reject links against the real local stack: a PENDING_APPROVAL
// event on job_events reaches the notifier (bundle dist/notifier.js) through the stack's SQS
// subscription and it sends through moto's SES (read back through moto's API: its request recorder); the approval
// API (dist/approvalApi.js behind scripts/approval-api-server.mjs, with a session of the
// stack's approval-API role) answers the links over HTTP; the processor's Lambda handler
// records what it publishes. Nothing is stubbed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createLambdaHandler, type LogLine } from '../../src/processor/lambdaHandler';
import { publishParameters, type DecisionMessage } from '../../src/core/decisionMessage';
import { createLinkToken, decisionIdOfLink, newLinkNonce, verifyLinkToken } from '../../src/core/emailLinkToken';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { hostileJobDocument } from '../support/hostileCorpus';
import { localStack, type StackEnv } from '../support/localStack';
import { purge, receiveUpToNow, sqsClient } from '../support/queues';
import { createReviewer, decisionBy } from '../support/reviewers';

import type * as EmailLinksModule from '../../scripts/lib/emailLinks.mjs' with { 'resolution-mode': 'import' };
import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

const JOB = 'email_it_orders';

interface Email {
  id: string;
  destinations: string[];
  subject: string;
  to: string;
  text: string;
  html: string;
}

interface Page {
  status: number;
  html: string;
  headers: Headers;
  cookie: string | null;
}

describe('alert emails and their links against the local stack', function () {
  this.timeout(300_000);
  let env: StackEnv;
  /** The stack's email settings (present since issue 13). */
  let mail: NonNullable<StackEnv['email']>;
  let notifierQueue = '';
  let secret: string;
  let emails: typeof EmailLinksModule;
  let runner: typeof ProcessorRunnerModule;
  let startedServer = false;
  const logs: LogLine[] = [];
  const savedEnv: Record<string, string | undefined> = {};
  let processor: ReturnType<typeof createLambdaHandler> | undefined;

  const os = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${env.opensearchUrl}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  const createRun = async (overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    const runId = `${JOB}-${Date.now()}-${randomUUID().slice(0, 8)}`;
    const source: Record<string, unknown> = {
      timestamp: new Date(Date.now() - 20 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: JOB,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [
        { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' },
        { name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' },
      ],
      artifacts: { nautilus: { path: `s3://dwh-data/nautilus/${runId}/`, records: 50000 } },
      records_read: 100000,
      records_written: 88000,
      records_dropped: 12000,
      ...overrides,
    };
    const docId = String(source.job_run_id);
    const { status } = await os('PUT', `/job-events/_doc/${encodeURIComponent(docId)}?refresh=true`, source);
    assert.ok(status === 200 || status === 201, `run ${docId} indexed`);
    return source;
  };

  /** Every email moto's SES received from the notifier in this suite, as moto recorded the requests. */
  const sent: Email[] = [];
  /** The alerts for one run (its id is in the subject). */
  const alertsFor = (runId: string): Email[] => sent.filter((e) => e.subject.includes(runId));

  /** Publishes the run to job_events and lets the notifier drain its queue; returns what it sent. */
  const notify = async (source: Record<string, unknown>): Promise<Email[]> => {
    await emails.publishJobEvent(env, source);
    const { emails: now } = await emails.runNotifierOnce(env);
    sent.push(...now);
    return now;
  };

  const get = async (url: string): Promise<Page> => {
    const res = await fetch(url, { redirect: 'manual' });
    return { status: res.status, html: await res.text(), headers: res.headers, cookie: res.headers.get('set-cookie') };
  };

  const field = (html: string, name: string): string => {
    const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
    assert.ok(value !== undefined, `the page has a ${name} field`);
    return value.replace(/&#61;/g, '=').replace(/&amp;/g, '&');
  };

  const post = async (form: Record<string, string>, cookie: string | null): Promise<Page> => {
    const res = await fetch(`${mail.approvalApiUrl}/decide`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie: cookie.split(';')[0] ?? '' } : {}) },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, html: await res.text(), headers: res.headers, cookie: res.headers.get('set-cookie') };
  };

  /** Opens the link and confirms with a reason, as a browser would. */
  const confirm = async (link: string, reason: string): Promise<{ page: Page; result: Page }> => {
    const page = await get(link);
    assert.equal(page.status, 200, `the confirmation page: ${page.html.slice(0, 300)}`);
    const result = await post({ token: field(page.html, 'token'), csrf: field(page.html, 'csrf'), evidence: field(page.html, 'evidence'), reason }, page.cookie);
    return { page, result };
  };

  /** What the approval API published to job_approvals (the stack's tap queue reads everything). */
  const published = async (): Promise<DecisionMessage[]> => (await receiveUpToNow(sqsClient(env), env.queueUrls.tap)).map((d) => d.message as unknown as DecisionMessage);

  /** Hands decisions to the processor's Lambda handler as SNS would. */
  const process = async (messages: readonly DecisionMessage[]): Promise<void> => {
    assert.ok(processor);
    await processor({
      Records: messages.map((message) => ({
        EventSource: 'aws:sns',
        Sns: { MessageId: randomUUID(), Timestamp: new Date().toISOString(), Message: publishParameters(message, env.topicArn).Message, MessageAttributes: { decision: { Type: 'String', Value: message.decision } } },
      })),
    });
  };

  const auditOf = async (id: string): Promise<Record<string, unknown> | null> => {
    const { status, json } = await os('GET', `/job-approvals/_doc/${encodeURIComponent(id)}`);
    return status === 200 ? (json._source as Record<string, unknown>) : null;
  };
  const runDoc = async (id: string): Promise<Record<string, unknown>> => (await os('GET', `/job-events/_doc/${encodeURIComponent(id)}`)).json._source as Record<string, unknown>;

  before(async function () {
    // The approval API runs from dist/approvalApi.js: bundle the current source first (the
    // test runner already did when it says so).
    if (globalThis.process.env.DWH_SKIP_BUNDLE !== '1') {
      const built = spawnSync(globalThis.process.execPath, ['esbuild.js'], { stdio: 'inherit' });
      assert.equal(built.status, 0, 'node esbuild.js');
    }
    ({ env } = await localStack());
    assert.ok(env.email && env.queueUrls.notifier, 'the stack has the alert emails (npm run stack:up again after an update)');
    mail = env.email;
    notifierQueue = env.queueUrls.notifier;
    emails = await import('../../scripts/lib/emailLinks.mjs');
    runner = await import('../../scripts/lib/processorRunner.mjs');
    const { stack } = await localStack();
    secret = (await stack.readSigningSecret(env)) ?? '';
    assert.ok(secret, 'the stack has a signing secret');
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) savedEnv[key] = globalThis.process.env[key];
    globalThis.process.env.AWS_ACCESS_KEY_ID = env.credentials?.accessKeyId ?? 'testing';
    globalThis.process.env.AWS_SECRET_ACCESS_KEY = env.credentials?.secretAccessKey ?? 'testing';
    globalThis.process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    startedServer = !(await emails.startApprovalApiServer(env, { restart: true })).alreadyRunning;
    processor = createLambdaHandler({ config: runner.processorEnvironment(env, {}), log: (line) => logs.push(line) });
    await purge(sqsClient(env), notifierQueue);
    await purge(sqsClient(env), env.queueUrls.tap);
  });

  after(async function () {
    await processor?.close();
    if (startedServer) await emails.stopApprovalApiServer();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete globalThis.process.env[key];
      else globalThis.process.env[key] = value;
    }
  });

  it('sends one alert per recipient for a PENDING_APPROVAL event, with links that verify for that recipient; none for other events', async function () {
    const run = await createRun();
    const runId = String(run.job_run_id);
    await notify(run);
    await notify({ ...run, job_run_id: `${runId}-ok`, status: 'SUCCESS' });
    const alerts = alertsFor(runId);
    assert.deepEqual(alerts.map((a) => a.destinations.join(',')).sort(), [...mail.recipients].sort(), 'one email per recipient, nothing for the SUCCESS event');
    for (const alert of alerts) {
      assert.equal(alert.subject, `[PENDING APPROVAL] ${JOB} job ${runId} - Quality RED`);
      for (const part of [alert.text, alert.html]) {
        for (const expected of [runId, 'drop_rate', '12.0%', '10.0%', 'null_rate', '100,000', 'nautilus']) assert.ok(part.includes(expected), `${expected} in the email`);
      }
      const links = emails.linksOf(alert);
      for (const [action, link] of [['APPROVE', links.approve], ['REJECT', links.reject]] as const) {
        assert.ok(link?.startsWith(`${mail.approvalApiUrl}/decide?token=`), `a link to the approval API: ${link}`);
        const url = new URL(link ?? '');
        assert.deepEqual([...url.searchParams.keys()], ['token'], 'the link carries only the token');
        const check = verifyLinkToken(url.searchParams.get('token'), [secret], Date.now());
        assert.ok(check.ok, `the ${action} link verifies`);
        assert.equal(check.claims.action, action);
        assert.equal(check.claims.recipient, alert.destinations[0]);
        assert.equal(check.claims.runId, runId);
      }
    }
  });

  it('answers each bad link with its own page and publishes nothing', async function () {
    const run = await createRun();
    const runId = String(run.job_run_id);
    const decided = await createRun({ approval_status: 'REJECTED', approved_by: 'bob', approval_reason: 'bad batch', approval_timestamp: new Date().toISOString() });
    const now = Math.floor(Date.now() / 1000);
    const token = (overrides: Record<string, unknown> = {}, key = secret): string =>
      createLinkToken({ runId, action: 'APPROVE', recipient: 'data-oncall@example.com', expiresAt: now + 3600, nonce: newLinkNonce(), ...overrides }, key);
    const good = token();
    const tampered = good.slice(0, 20) + (good[20] === 'A' ? 'B' : 'A') + good.slice(21);
    const cases: Array<[string, string, number, RegExp]> = [
      ['malformed', 'not-a-token', 400, /This link is not valid/],
      ['tampered', tampered, 400, /This link is not valid/],
      ['signed with another secret', token({}, 'not-the-secret'), 400, /This link is not valid/],
      ['expired', token({ expiresAt: now - 60 }), 410, /This link has expired/],
      ['for a run past its own expiry', token({ runId: String((await createRun({ expires_at: new Date(Date.now() - 60_000).toISOString() })).job_run_id) }), 410, /approval window has closed/],
      ['for a run decided meanwhile', token({ runId: String(decided.job_run_id) }), 409, /Already decided[\s\S]*REJECTED by bob/],
      ['for an unknown run', token({ runId: `${runId}-nope` }), 404, /Run not found/],
    ];
    for (const [name, bad, status, page] of cases) {
      const answer = await get(`${mail.approvalApiUrl}/decide?token=${encodeURIComponent(bad)}`);
      assert.equal(answer.status, status, `${name}: HTTP ${answer.status}`);
      assert.match(answer.html, page, name);
      assert.match(answer.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(answer.headers.get('referrer-policy'), 'no-referrer');
      // And a POST with a valid CSRF pair for it (taken from a good page) is refused just the same.
      const goodPage = await get(`${mail.approvalApiUrl}/decide?token=${encodeURIComponent(good)}`);
      const posted = await post({ token: bad, csrf: field(goodPage.html, 'csrf'), evidence: evidenceSha256(parseJobRun('x', run)), reason: 'should not decide' }, goodPage.cookie);
      assert.ok(posted.status >= 400, `${name}: a POST is refused (HTTP ${posted.status})`);
    }
    // A form posted without the page's cookie (another site's form) is refused too.
    const page = await get(`${mail.approvalApiUrl}/decide?token=${encodeURIComponent(good)}`);
    const forged = await post({ token: good, csrf: field(page.html, 'csrf'), evidence: field(page.html, 'evidence'), reason: 'forged' }, null);
    assert.equal(forged.status, 403);
    // Nothing anywhere else either: no redirect, whatever the path.
    const elsewhere = await get(`${mail.approvalApiUrl}/decide/../login?next=https://evil.example`);
    assert.ok(elsewhere.status === 404 && elsewhere.headers.get('location') === null);
    assert.deepEqual(await published(), [], 'no bad link published anything');
  });

  it('records a decision by link through the processor with channel "email", and the link cannot decide twice', async function () {
    const run = await createRun();
    const runId = String(run.job_run_id);
    await notify(run);
    const [alert] = alertsFor(runId).filter((a) => a.destinations[0] === 'job-owner@example.com');
    assert.ok(alert, 'the job owner got the alert');
    const links = emails.linksOf(alert);
    assert.ok(links.approve && links.reject);

    const { page, result } = await confirm(links.approve, 'Known vendor issue in batch 7; data checked.');
    assert.match(page.html, /You will be recorded as <strong id="recorded-as">job-owner@example\.com<\/strong>/);
    assert.equal(result.status, 200, result.html.slice(0, 500));
    assert.match(result.html, /Your approval was sent/);
    const sent = await published();
    assert.equal(sent.length, 1, 'one decision published');
    const message = sent[0] as DecisionMessage;
    const claims = verifyLinkToken(new URL(links.approve).searchParams.get('token'), [secret], Date.now());
    assert.ok(claims.ok);
    assert.equal(message.channel, 'email');
    assert.equal(message.decided_by, 'job-owner@example.com');
    assert.equal(message.identity_arn, 'arn:aws:sts::123456789012:assumed-role/dwh-approval-api/approvalApi');
    assert.equal(message.signature_version, 'v2');
    assert.equal(message.decision_id, decisionIdOfLink(claims.claims));

    await process([message]);
    const audit = await auditOf(message.decision_id);
    assert.ok(audit, 'the processor audited it');
    assert.equal(audit.audit_status, 'recorded', String(audit.audit_detail));
    assert.equal(audit.channel, 'email');
    assert.equal(audit.decided_by, 'job-owner@example.com');
    const doc = await runDoc(runId);
    assert.equal(doc.approval_status, 'APPROVED');
    assert.equal(doc.approved_by, 'job-owner@example.com');
    assert.equal(doc.approval_reason, 'Known vendor issue in batch 7; data checked.');

    // Used: both links of that email say so, and a form kept from before decides nothing.
    for (const link of [links.approve, links.reject]) {
      const again = await get(link);
      assert.equal(again.status, 409);
      assert.match(again.html, /This link was already used/);
    }
    const replayed = await post({ token: field(page.html, 'token'), csrf: field(page.html, 'csrf'), evidence: field(page.html, 'evidence'), reason: 'twice' }, page.cookie);
    assert.equal(replayed.status, 409);
    // The other recipient's link now finds the run decided.
    const [other] = alertsFor(runId).filter((a) => a.destinations[0] === 'data-oncall@example.com');
    assert.ok(other);
    const late = await get(emails.linksOf(other).reject ?? '');
    assert.equal(late.status, 409);
    assert.match(late.html, /Already decided[\s\S]*APPROVED by job-owner@example\.com/);
    assert.deepEqual(await published(), [], 'nothing more was published');
  });

  it('takes channel "email" only from the approval API\'s role, and that role as nobody but a recipient', async function () {
    const run = await createRun();
    const runId = String(run.job_run_id);
    const reviewer = await createReviewer(env, 'email.spoofer');
    const input = { jobName: JOB, jobRunId: runId, decision: 'APPROVED' as const, reason: 'I am the recipient, trust me', evidenceSha256: evidenceSha256(parseJobRun('x', run)) };
    const spoof = await decisionBy(reviewer, env, { ...input, decidedBy: 'job-owner@example.com', channel: 'email' }, secret);
    await process([spoof]);
    const doc = await runDoc(runId);
    assert.equal(doc.approval_status ?? null, null, 'a reviewer cannot record an email decision');
    const line = logs.find((l) => l.decision_id === spoof.decision_id);
    assert.equal(line?.audit_code, 'identity-mismatch', JSON.stringify(line));

    // A session of the approval API's role, deciding as itself (no channel): refused as well.
    const sts = new STSClient({ region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const session = (await sts.send(new AssumeRoleCommand({ RoleArn: mail.approvalApiRoleArn, RoleSessionName: 'approvalApi' }))).Credentials;
    sts.destroy();
    assert.ok(session?.AccessKeyId && session.SecretAccessKey);
    const role = { name: 'approvalApi', arn: 'arn:aws:sts::123456789012:assumed-role/dwh-approval-api/approvalApi', credentials: { accessKeyId: session.AccessKeyId, secretAccessKey: session.SecretAccessKey, ...(session.SessionToken ? { sessionToken: session.SessionToken } : {}) } };
    const asItself = await decisionBy(role, env, input, secret);
    await process([asItself]);
    assert.equal(logs.find((l) => l.decision_id === asItself.decision_id)?.audit_code, 'identity-mismatch');
    assert.equal((await runDoc(runId)).approval_status ?? null, null, 'the role is not a person');
  });

  it('renders a hostile job document as text in both parts of the email and on the page', async function () {
    const hostile = hostileJobDocument(`${JOB}-hostile-${randomUUID().slice(0, 8)}`, { job_name: `${JOB} <img src=x onerror=alert(1)> [x](https://evil.example)` });
    hostile.job_run_id = String(hostile.job_run_id).replace(/\n/g, ' ');
    const runId = String(hostile.job_run_id);
    await os('PUT', `/job-events/_doc/${encodeURIComponent(runId)}?refresh=true`, hostile);
    // The run id starts with its unique tag.
    const tag = runId.split(' ')[0] ?? runId;
    const [alert] = (await notify(hostile)).filter((e) => e.text.includes(tag));
    assert.ok(alert, 'the hostile run got an alert');
    assert.doesNotMatch(alert.html, /<img|<script|<b>|onerror=|href="(?!http:\/\/127\.0\.0\.1)/i);
    assert.match(alert.html, /&lt;img src&#61;x onerror&#61;alert\(1\)&gt;/);
    assert.doesNotMatch(alert.text, /https:\/\/evil/);
    assert.ok(!alert.text.split('\n').some((l) => l.startsWith('[info]') || l.startsWith('forged')), 'no forged line in the text part');
    const page = await get(emails.linksOf(alert).approve ?? '');
    assert.equal(page.status, 200, page.html.slice(0, 300));
    assert.doesNotMatch(page.html, /<img|<script|<b>|onerror=/i);
    assert.match(page.html, /&lt;img src&#61;x onerror&#61;alert\(1\)&gt;/);
  });
});
