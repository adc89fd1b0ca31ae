// Email links: the token (derived key, constant-time check, expiry, single-use decision_id),
// the HTML escaping, the alert email with hostile job data in both parts, and the approval
// page's use case over fake ports (every bad link class gets its page and publishes nothing).
import assert from 'node:assert/strict';
import { renderAlertEmail, prepareAlerts, defangUrls } from '../../src/core/alertEmail';
import { APPROVAL_PAGE_CSP } from '../../src/core/approvalPage';
import { buildDecisionMessageV1, parseDecisionMessage, signMessage, type DecisionMessage } from '../../src/core/decisionMessage';
import { handleApprovalPage, type EmailApprovalPorts, type LinkAudit } from '../../src/core/emailApproval';
import {
  createLinkToken,
  csrfMatches,
  csrfValue,
  decisionIdOfLink,
  isEmailAddress,
  linkExpiry,
  newLinkNonce,
  verifyLinkToken,
  type LinkClaims,
} from '../../src/core/emailLinkToken';
import { parseApprovalPolicy, policyForJob } from '../../src/core/approvalPolicy';
import { tallyApprovals } from '../../src/core/approvalProgress';
import { parseAuditRecord } from '../../src/core/auditRecord';
import { emailEligibility, isApprovalApiIdentity } from '../../src/core/emailPolicy';
import { evidenceSha256 } from '../../src/core/evidence';
import { buildRunDetails } from '../../src/core/runDetailsModel';
import { html, htmlText } from '../../src/core/htmlText';
import type { IdentityProof } from '../../src/core/identityProof';
import { parseJobRun } from '../../src/core/jobRunParser';
import type { JobRun } from '../../src/core/model';
import { HOSTILE_STRINGS, hostileJobDocument } from '../support/hostileCorpus';
import { fakeProof } from './fakeIdentity';

const SECRET = 'unit-test-secret';
const NOW = Date.parse('2024-01-15T11:00:00Z');
const ROLE = 'arn:aws:sts::123456789012:assumed-role/dwh-approval-api/approvalApi';

function claims(overrides: Partial<LinkClaims> = {}): LinkClaims {
  return { runId: 'abc123', action: 'APPROVE', recipient: 'jsmith@example.com', expiresAt: Math.floor(NOW / 1000) + 3600, nonce: newLinkNonce(), ...overrides };
}

function runSource(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: '2024-01-15T10:30:00Z',
    event_type: 'job_completed',
    job_name: 'transform_images',
    job_run_id: 'abc123',
    status: 'PENDING_APPROVAL',
    quality_status: 'RED',
    quality_checks: [
      { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' },
      { name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' },
    ],
    artifacts: { nautilus: { path: 's3://dwh-data/nautilus/', records: 50000 } },
    records_read: 100000,
    records_written: 88000,
    records_dropped: 12000,
    ...overrides,
  };
}

/** Our markup's tags; job data must not add any. */
const OUR_TAGS = new Set(['!doctype', 'html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'table', 'tr', 'th', 'td', 'p', 'a', 'ul', 'li', 'span', 'strong', 'div', 'form', 'input', 'label', 'textarea', 'button']);

function tagsOf(markup: string): string[] {
  return [...markup.matchAll(/<\/?([!a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => (m[1] ?? '').toLowerCase());
}

function openingTags(markup: string, name: string): number {
  return [...markup.matchAll(new RegExp(`<${name}[\\s>]`, 'gi'))].length;
}

describe('email link tokens', () => {
  it('verifies a token it made and reads back its claims', () => {
    const c = claims();
    const check = verifyLinkToken(createLinkToken(c, SECRET), [SECRET], NOW);
    assert.deepEqual(check, { ok: true, claims: c });
  });

  it('refuses a token with any character of its claims or MAC changed as tampered', () => {
    const token = createLinkToken(claims(), SECRET);
    const [prefix, body, mac] = token.split('.') as [string, string, string];
    // Another action, the same MAC.
    const rejecting = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), a: 'REJECT' })).toString('base64url');
    assert.deepEqual(verifyLinkToken(`${prefix}.${rejecting}.${mac}`, [SECRET], NOW), { ok: false, problem: 'tampered' });
    const flipped = (text: string, at: number): string => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    assert.deepEqual(verifyLinkToken(`${prefix}.${flipped(body, 5)}.${mac}`, [SECRET], NOW), { ok: false, problem: 'tampered' });
    assert.deepEqual(verifyLinkToken(`${prefix}.${body}.${flipped(mac, 3)}`, [SECRET], NOW), { ok: false, problem: 'tampered' });
    assert.deepEqual(verifyLinkToken(token, ['another-secret'], NOW), { ok: false, problem: 'tampered' });
  });

  it('refuses what is not a token as malformed', () => {
    for (const bad of [undefined, null, 42, '', 'abc', 'dwh1.abc', 'dwh2.abc.def', 'dwh1.a b.c', `dwh1.${'a'.repeat(3000)}.b`]) {
      assert.deepEqual(verifyLinkToken(bad, [SECRET], NOW), { ok: false, problem: 'malformed' }, String(bad));
    }
  });

  it('refuses a genuine token at and after its expiry, with its claims', () => {
    const c = claims({ expiresAt: Math.floor(NOW / 1000) });
    const check = verifyLinkToken(createLinkToken(c, SECRET), [SECRET], NOW);
    assert.equal(check.ok, false);
    assert.equal(!check.ok && check.problem, 'expired');
    assert.equal(verifyLinkToken(createLinkToken(c, SECRET), [SECRET], NOW - 1000).ok, true);
  });

  it('still verifies under the previous secret after a rotation', () => {
    const token = createLinkToken(claims(), 'old-secret');
    assert.equal(verifyLinkToken(token, [SECRET, 'old-secret'], NOW).ok, true);
    assert.equal(verifyLinkToken(token, [SECRET], NOW).ok, false);
  });

  it('is keyed apart from decision signatures: the secret itself does not sign a token, nor a token key a decision', () => {
    const token = createLinkToken(claims(), SECRET);
    const [prefix, body] = token.split('.') as [string, string];
    const withRawKey = Buffer.from(signMessage({ x: `${prefix}.${body}` } as unknown as DecisionMessage, SECRET), 'hex').toString('base64url');
    assert.deepEqual(verifyLinkToken(`${prefix}.${body}.${withRawKey}`, [SECRET], NOW), { ok: false, problem: 'tampered' });
    // And a CSRF value (another derived key) is not a token MAC either.
    assert.deepEqual(verifyLinkToken(`${prefix}.${body}.${csrfValue(`${prefix}.${body}`, newLinkNonce(), SECRET)}`, [SECRET], NOW), { ok: false, problem: 'tampered' });
  });

  it('derives one decision_id per email: the same for its approve and reject links, a UUID v4, another for another email', () => {
    const c = claims();
    const id = decisionIdOfLink(c);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(decisionIdOfLink({ ...c, action: 'REJECT' } as LinkClaims), id);
    assert.notEqual(decisionIdOfLink({ ...c, nonce: newLinkNonce() }), id);
    assert.notEqual(decisionIdOfLink({ ...c, recipient: 'other@example.com' }), id);
  });

  it('expires links after 72 hours by default, and never after the run itself expires', () => {
    assert.equal(linkExpiry(NOW, null), Math.floor((NOW + 72 * 3_600_000) / 1000));
    assert.equal(linkExpiry(NOW, NOW + 3_600_000), Math.floor((NOW + 3_600_000) / 1000));
  });

  it('accepts a CSRF value only for its token and page nonce', () => {
    const token = createLinkToken(claims(), SECRET);
    const nonce = newLinkNonce();
    const value = csrfValue(token, nonce, SECRET);
    assert.equal(csrfMatches(value, token, nonce, [SECRET]), true);
    assert.equal(csrfMatches(value, token, newLinkNonce(), [SECRET]), false);
    assert.equal(csrfMatches(value, createLinkToken(claims(), SECRET), nonce, [SECRET]), false);
    assert.equal(csrfMatches(value, token, null, [SECRET]), false);
    assert.equal(csrfMatches(undefined, token, nonce, [SECRET]), false);
  });

  it('takes only plain addresses as recipients (nothing that adds a recipient or a header)', () => {
    assert.equal(isEmailAddress('jsmith@example.com'), true);
    for (const bad of ['a@b.com, c@d.com', 'a@b.com\r\nBcc: x@y.z', '"x"@y.z', '<a@b.c>', 'no-at', 'a@b..c', `${'a'.repeat(250)}@b.co`]) {
      assert.equal(isEmailAddress(bad), false, bad);
    }
  });
});

describe('htmlText', () => {
  it('escapes every character that could leave text, in content and in attributes', () => {
    assert.equal(htmlText(`<a href="x" onclick='y'>&\`=`), '&lt;a href&#61;&quot;x&quot; onclick&#61;&#39;y&#39;&gt;&amp;&#96;&#61;');
    assert.equal(html`<td title="${'" onmouseover="x'}">${'<script>'}</td>`.markup, '<td title="&quot; onmouseover&#61;&quot;x">&lt;script&gt;</td>');
  });

  for (const [name, text] of HOSTILE_STRINGS) {
    it(`keeps "${name}" as text`, () => {
      const escaped = htmlText(text);
      assert.doesNotMatch(escaped, /[<>"'`]/);
      assert.doesNotMatch(escaped, /&(?!(amp|lt|gt|quot|#39|#96|#61);)/);
      assert.doesNotMatch(escaped, /[\n\r\u2028\u2029\u202e]/);
    });
  }
});

describe('the alert email', () => {
  const links = { approveUrl: 'https://approvals.example.com/decide?token=T1', rejectUrl: 'https://approvals.example.com/decide?token=T2', expiresAtMs: NOW + 72 * 3_600_000 };

  it("has the alert's fields (docs/CONTRACTS.md §11) in both parts", () => {
    const email = renderAlertEmail(parseJobRun('d', runSource()), links);
    assert.equal(email.subject, '[PENDING APPROVAL] transform_images job abc123 - Quality RED');
    for (const part of [email.text, email.html]) {
      for (const expected of ['transform_images', 'abc123', '2024-01-15 10:30:00 UTC', 'PENDING_APPROVAL', 'RED', 'drop_rate', '12.0%', '10.0%', 'null_rate', '100,000', '88,000', 'nautilus', 's3[:]//dwh-data/nautilus/', '50,000']) {
        assert.ok(part.includes(expected), `${expected} in ${part === email.text ? 'text' : 'html'}`);
      }
    }
    assert.ok(email.text.includes(`[APPROVE] ${links.approveUrl}`));
    assert.ok(email.text.includes(`[REJECT]  ${links.rejectUrl}`));
    assert.ok(email.html.includes(`href="${links.approveUrl.replace(/=/g, '&#61;')}"`));
  });

  it('keeps a hostile job document as text in both parts and the subject', () => {
    const run = parseJobRun('d', hostileJobDocument('hostile'));
    const email = renderAlertEmail(run, links);
    assert.doesNotMatch(email.subject, /[\r\n]/);
    for (const tag of tagsOf(email.html)) assert.ok(OUR_TAGS.has(tag), `tag <${tag}> comes from job data`);
    assert.equal(openingTags(email.html, 'a'), 2, 'only our two links');
    assert.doesNotMatch(email.html, /https:\/\/evil|file:\/\/\/|href="(?!https:\/\/approvals\.example\.com\/decide\?token&#61;T[12]")/);
    // In the text part no job value starts a line of its own, or carries a live URL.
    const lines = email.text.split('\n');
    assert.ok(!lines.some((line) => line.startsWith('[info]') || line.startsWith('forged')), 'no forged line');
    assert.doesNotMatch(email.text, /https:\/\/evil|file:\/\/\//);
    assert.ok(email.text.includes('evil_job'), 'the job name is there, as text');
  });

  it('defangs URLs of job data', () => {
    assert.equal(defangUrls('see https://evil.example and www.evil.example'), 'see https[:]//evil.example and www[.]evil.example');
  });

  it('prepares one email per distinct recipient, each with its own verifying links for this run', () => {
    const run = parseJobRun('d', runSource());
    const alerts = prepareAlerts(run, ['a@example.com', 'b@example.com', 'a@example.com'], {
      publicBaseUrl: 'https://approvals.example.com',
      linkTtlHours: 72,
      nowMs: NOW,
      secret: SECRET,
      runExpiryMs: null,
    });
    assert.deepEqual(alerts.map((a) => a.to), ['a@example.com', 'b@example.com']);
    for (const alert of alerts) {
      const tokens = [...alert.email.text.matchAll(/decide\?token=([^\s]+)/g)].map((m) => decodeURIComponent(m[1] ?? ''));
      assert.equal(tokens.length, 2);
      const checks = tokens.map((token) => verifyLinkToken(token, [SECRET], NOW));
      assert.deepEqual(checks.map((c) => c.ok && [c.claims.action, c.claims.recipient, c.claims.runId]), [['APPROVE', alert.to, 'abc123'], ['REJECT', alert.to, 'abc123']]);
      assert.ok(checks.every((c) => c.ok && decisionIdOfLink(c.claims) === alert.decisionId));
    }
    assert.notEqual(alerts[0]?.decisionId, alerts[1]?.decisionId);
  });
});

class FakePorts implements EmailApprovalPorts {
  runs = new Map<string, JobRun>();
  audits = new Map<string, LinkAudit>();
  published: DecisionMessage[] = [];
  nowMs = NOW;
  nonces = 0;
  signingSecrets(): Promise<readonly string[]> {
    return Promise.resolve([SECRET]);
  }
  freshRun(id: string): Promise<JobRun | null> {
    return Promise.resolve(this.runs.get(id) ?? null);
  }
  history(): Promise<readonly JobRun[]> {
    return Promise.resolve([]);
  }
  auditOf(id: string): Promise<LinkAudit | null> {
    return Promise.resolve(this.audits.get(id) ?? null);
  }
  ownIdentityArn(): Promise<string> {
    return Promise.resolve(ROLE);
  }
  proveIdentity(hash: string): Promise<IdentityProof> {
    return Promise.resolve(fakeProof(hash, ROLE, this.nowMs));
  }
  topicArn(): Promise<string> {
    return Promise.resolve('arn:aws:sns:us-east-1:123456789012:job_approvals');
  }
  publish(_topic: string, message: DecisionMessage): Promise<{ messageId: string }> {
    this.published.push(message);
    return Promise.resolve({ messageId: `m${this.published.length}` });
  }
  newPageNonce(): string {
    this.nonces += 1;
    return newLinkNonce();
  }
  now(): number {
    return this.nowMs;
  }
}

describe('the approval page', () => {
  let ports: FakePorts;
  let run: JobRun;
  beforeEach(() => {
    ports = new FakePorts();
    run = parseJobRun('doc-1', runSource());
    ports.runs.set('abc123', run);
  });

  const get = (token: string | null): ReturnType<typeof handleApprovalPage> => handleApprovalPage(ports, { method: 'GET', queryToken: token, form: null, cookieNonce: null });

  async function confirm(token: string, reason: string): Promise<Awaited<ReturnType<typeof handleApprovalPage>>> {
    const page = await get(token);
    assert.equal(page.status, 200, page.outcome);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    const evidence = /name="evidence" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    return handleApprovalPage(ports, { method: 'POST', queryToken: null, form: { token, csrf, evidence, reason }, cookieNonce: page.setPageNonce ?? null });
  }

  it('shows a confirmation page with who will be recorded, a required reason and a CSRF field; publishes nothing', async () => {
    const page = await get(createLinkToken(claims(), SECRET));
    assert.equal(page.status, 200);
    assert.ok(page.setPageNonce);
    assert.match(page.html, /<strong id="recorded-as">jsmith@example\.com<\/strong>/);
    assert.match(page.html, /<textarea id="reason" name="reason" required/);
    assert.match(page.html, /name="csrf" value="[A-Za-z0-9_-]+"/);
    assert.match(page.html, /drop_rate 12\.0% &gt; 10\.0%/);
    assert.doesNotMatch(page.html, /<script/i);
    assert.equal(ports.published.length, 0);
    assert.match(APPROVAL_PAGE_CSP, /default-src 'none'/);
    assert.match(APPROVAL_PAGE_CSP, /frame-ancestors 'none'/);
  });

  it('publishes a v2 decision on confirm: channel email, decided_by the recipient, the API role as identity, the link-derived decision_id', async () => {
    const c = claims();
    const result = await confirm(createLinkToken(c, SECRET), '  Known vendor issue.  ');
    assert.equal(result.status, 200, result.outcome);
    assert.equal(ports.published.length, 1);
    const message = ports.published[0] as DecisionMessage;
    const parsed = parseDecisionMessage(JSON.stringify(message));
    assert.ok(parsed.ok, !parsed.ok ? parsed.reason : '');
    assert.equal(message.channel, 'email');
    assert.equal(message.decided_by, 'jsmith@example.com');
    assert.equal(message.identity_arn, ROLE);
    assert.equal(message.decision, 'APPROVED');
    assert.equal(message.reason, 'Known vendor issue.');
    assert.equal(message.decision_id, decisionIdOfLink(c));
    assert.equal(message.evidence_sha256, evidenceSha256(run));
  });

  it('words a reject link as a rejection on both pages, and publishes REJECTED', async () => {
    const token = createLinkToken(claims({ action: 'REJECT' }), SECRET);
    const page = await get(token);
    assert.match(page.html, /<h1>Reject job run<\/h1>/);
    assert.match(page.html, /<button type="submit" class="reject">Confirm rejection<\/button>/);
    const result = await confirm(token, 'Broken upstream export.');
    assert.equal(result.outcome, 'published-rejected');
    assert.match(result.html, /Your rejection was sent/);
    assert.match(result.html, /You rejected run abc123 of job /);
    assert.equal((ports.published[0] as DecisionMessage).decision, 'REJECTED');
  });

  const badLinks: Array<[string, () => string, number, string]> = [
    ['malformed', () => 'not-a-token', 400, 'This link is not valid'],
    ['tampered', () => createLinkToken(claims(), 'another-secret'), 400, 'This link is not valid'],
    ['expired', () => createLinkToken(claims({ expiresAt: Math.floor(NOW / 1000) - 1 }), SECRET), 410, 'This link has expired'],
    ['unknown run', () => createLinkToken(claims({ runId: 'nope' }), SECRET), 404, 'Run not found'],
  ];
  for (const [name, token, status, title] of badLinks) {
    it(`answers a ${name} link with its page, on GET and on POST, and publishes nothing`, async () => {
      const link = token();
      const page = await get(link);
      assert.equal(page.status, status);
      assert.match(page.html, new RegExp(`<h1>${title}</h1>`));
      const nonce = newLinkNonce();
      const posted = await handleApprovalPage(ports, { method: 'POST', queryToken: null, form: { token: link, csrf: csrfValue(link, nonce, SECRET), evidence: evidenceSha256(run), reason: 'x' }, cookieNonce: nonce });
      assert.equal(posted.status, status);
      assert.equal(ports.published.length, 0);
    });
  }

  it('says a used link was used (its decision_id is audited) and publishes nothing', async () => {
    const c = claims();
    ports.audits.set(decisionIdOfLink(c), { auditStatus: 'recorded', detail: null, decision: 'APPROVED', receivedAt: '2024-01-15T10:59:00Z' });
    const page = await get(createLinkToken({ ...c, action: 'REJECT' }, SECRET));
    assert.equal(page.status, 409);
    assert.match(page.html, /already used/);
    assert.equal(ports.published.length, 0);
  });

  it('says who decided when the run was decided meanwhile, and that its window closed when the run expired', async () => {
    ports.runs.set('abc123', parseJobRun('doc-1', runSource({ approval_status: 'REJECTED', approved_by: 'bob', approval_reason: '<b>no</b>' })));
    const decided = await get(createLinkToken(claims(), SECRET));
    assert.equal(decided.status, 409);
    assert.match(decided.html, /REJECTED by bob/);
    assert.match(decided.html, /&lt;b&gt;no&lt;\/b&gt;/);
    ports.runs.set('abc123', parseJobRun('doc-1', runSource({ expires_at: '2024-01-15T10:59:00Z' })));
    const closed = await get(createLinkToken(claims(), SECRET));
    assert.equal(closed.status, 410);
    assert.equal(ports.published.length, 0);
  });

  it('refuses a POST without the page cookie, with another page nonce, or without the CSRF field', async () => {
    const token = createLinkToken(claims(), SECRET);
    const page = await get(token);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    const form = { token, csrf, evidence: evidenceSha256(run), reason: 'ok' };
    for (const [f, cookie] of [[form, null], [form, newLinkNonce()], [{ ...form, csrf: '' }, page.setPageNonce ?? null]] as const) {
      const posted = await handleApprovalPage(ports, { method: 'POST', queryToken: null, form: f, cookieNonce: cookie });
      assert.equal(posted.status, 403);
    }
    assert.equal(ports.published.length, 0);
  });

  it('shows the page again, keeping the reason as text, when the reason is empty or the run changed', async () => {
    const token = createLinkToken(claims(), SECRET);
    const empty = await confirm(token, '   ');
    assert.equal(empty.status, 400);
    assert.match(empty.html, /A reason is required/);
    const page = await get(token);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)?.[1] ?? '';
    ports.runs.set('abc123', parseJobRun('doc-1', runSource({ records_dropped: 13000 })));
    const changed = await handleApprovalPage(ports, { method: 'POST', queryToken: null, form: { token, csrf, evidence: evidenceSha256(run), reason: '</textarea><script>x</script>' }, cookieNonce: page.setPageNonce ?? null });
    assert.equal(changed.status, 409);
    assert.match(changed.html, /The run changed/);
    assert.match(changed.html, /&lt;\/textarea&gt;&lt;script&gt;/);
    assert.equal(ports.published.length, 0);
  });

  it('renders a hostile job document as text on the confirmation page', async () => {
    const doc = hostileJobDocument('hostile');
    const hostile = parseJobRun('doc-h', doc);
    ports.runs.set(hostile.jobRunId, hostile);
    const page = await get(createLinkToken(claims({ runId: hostile.jobRunId }), SECRET));
    assert.equal(page.status, 200, page.outcome);
    for (const tag of tagsOf(page.html)) assert.ok(OUR_TAGS.has(tag), `tag <${tag}> comes from job data`);
    assert.equal(openingTags(page.html, 'input'), 3);
    assert.equal(openingTags(page.html, 'form'), 1);
  });

  it('v1 decisions cannot carry a channel', () => {
    assert.throws(() => buildDecisionMessageV1({ jobName: 'j', jobRunId: 'r', decision: 'APPROVED', reason: 'r', identityArn: ROLE, evidenceSha256: '0'.repeat(64), channel: 'email' }, SECRET));
  });
});

describe('the details page model', () => {
  it('says a run was decided by email link when its recorded audit came through one, and only then', () => {
    const run = parseJobRun('doc-1', runSource({ approval_status: 'APPROVED', approved_by: 'job-owner@example.com', approval_reason: 'ok', approval_timestamp: '2024-01-15T11:00:00Z' }));
    const audit = (channel: string | undefined) =>
      parseAuditRecord('d1', { decision_id: 'd1', job_name: 'transform_images', job_run_id: 'abc123', decision: 'APPROVED', decided_by: 'job-owner@example.com', audit_status: 'recorded', timestamp: '2024-01-15T11:00:00Z', ...(channel ? { channel } : {}) });
    const details = (channel: string | undefined) =>
      buildRunDetails({ run, nowMs: NOW, ttlHours: 72, history: { state: 'loaded', value: [] }, decisions: { state: 'loaded', value: [audit(channel)] } });
    const byEmail = details('email');
    assert.equal(byEmail.approval?.byEmailLink, true);
    assert.ok(byEmail.decisions.state === 'loaded' && byEmail.decisions.value[0]?.byEmailLink === true);
    const inEditor = details(undefined);
    assert.equal(inEditor.approval?.byEmailLink, undefined);
    assert.ok(inEditor.decisions.state === 'loaded' && inEditor.decisions.value[0]?.byEmailLink === undefined);
  });
});

describe('email decisions under the approval policy', () => {
  const policy = (entry: Record<string, unknown>) => policyForJob(parseApprovalPolicy({ default: { quorum: 1, notify: ['a@example.com', 'b@example.com'], ...entry } }), 'transform_images');
  const run = { triggeredBy: 'a@example.com' };

  it('lets a notified recipient decide, and nobody the job does not notify', () => {
    assert.deepEqual(emailEligibility(policy({}), { triggeredBy: null }, 'A@example.com', 'APPROVED'), { allowed: true, personKey: 'email:a@example.com', name: 'a@example.com' });
    assert.equal(emailEligibility(policy({}), { triggeredBy: null }, 'c@example.com', 'REJECTED').allowed, false);
  });

  it('refuses every email decision where the job refuses them, and email approvals under a quorum where they do not count', () => {
    assert.equal(emailEligibility(policy({ emailDecisions: 'refused' }), { triggeredBy: null }, 'a@example.com', 'REJECTED').allowed, false);
    assert.equal(emailEligibility(policy({ emailDecisions: 'not-counted', quorum: 2 }), { triggeredBy: null }, 'a@example.com', 'APPROVED').allowed, false);
    assert.equal(emailEligibility(policy({ emailDecisions: 'not-counted', quorum: 2 }), { triggeredBy: null }, 'a@example.com', 'REJECTED').allowed, true);
    assert.equal(emailEligibility(policy({ emailDecisions: 'not-counted' }), { triggeredBy: null }, 'a@example.com', 'APPROVED').allowed, true);
  });

  it('keeps whoever triggered the run from approving it by email', () => {
    assert.equal(emailEligibility(policy({}), run, 'a@example.com', 'APPROVED').allowed, false);
    assert.equal(emailEligibility(policy({}), run, 'b@example.com', 'APPROVED').allowed, true);
  });

  it('counts email approvals once per recipient, never as the approval API role', () => {
    const p = policy({ quorum: 2 });
    const context = { jobName: 'transform_images', jobRunId: 'abc123', triggeredBy: null, evidenceSha256: 'e'.repeat(64) };
    const vote = (id: string, recipient: string) => ({
      decisionId: id, jobRunId: 'abc123', decision: 'APPROVED', auditStatus: 'awaiting-quorum', evidenceSha256: 'e'.repeat(64),
      identityArn: ROLE, reason: 'ok', timestamp: `2024-01-15T11:00:0${id}Z`, receivedAt: null, channel: 'email', decidedBy: recipient,
    });
    assert.equal(tallyApprovals(p, context, [vote('1', 'a@example.com'), vote('2', 'a@example.com')]).reached, false, 'the same recipient twice');
    const two = tallyApprovals(p, context, [vote('1', 'a@example.com'), vote('2', 'b@example.com')]);
    assert.equal(two.reached, true);
    assert.deepEqual(two.approvals.map((a) => a.decidedBy), ['a@example.com', 'b@example.com']);
    assert.equal(tallyApprovals(p, context, [vote('1', 'a@example.com'), vote('2', 'c@example.com')]).reached, false, 'a recipient the job does not notify');
  });

  it('tells the approval API role apart from its look-alikes', () => {
    const roles = ['arn:aws:iam::123456789012:role/dwh-approval-api'];
    assert.equal(isApprovalApiIdentity(ROLE, roles), true);
    assert.equal(isApprovalApiIdentity('arn:aws:sts::123456789012:assumed-role/dwh-approval-api-2/x', roles), false);
    assert.equal(isApprovalApiIdentity('arn:aws:sts::999999999999:assumed-role/dwh-approval-api/x', roles), false);
    assert.equal(isApprovalApiIdentity('arn:aws:iam::123456789012:user/dwh-approval-api', roles), false);
    assert.equal(isApprovalApiIdentity(ROLE, []), false);
  });
});
