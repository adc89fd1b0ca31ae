// Deciding through an alert email's link, as one use case over ports (the approvalApi
// Lambda in src/approvals is its shell). A GET never decides: it checks the link and shows
// the confirmation page. A POST from that page (CSRF-checked) checks everything again, looks
// the run up afresh, and publishes a v2 decision: decided_by = the link's recipient,
// identity_arn and proof = the approval API's own role, channel "email", and a decision_id
// derived from the link, so that the processor consumes the link with its first decision.
//
// Every refusal is a page of its own and publishes nothing: a link that is not one or was
// altered (400), expired (410), already used (409), for a run that is gone (404), decided
// meanwhile or no longer waiting (409), past the run's own expiry (410); a form not sent from
// our page (403). The CSRF check: the page sets a random page nonce in a SameSite=Strict,
// HttpOnly cookie and puts HMAC(csrf key, token, nonce) in a hidden field; another site can
// neither read the cookie nor make the browser send it, nor compute the field without the key.

import { confirmationPage, messagePage } from './approvalPage';
import { buildDecisionMessage, EMAIL_CHANNEL, type DecisionMessage } from './decisionMessage';
import { reasonValidationError } from './decisionReason';
import { csrfMatches, csrfValue, decisionIdOfLink, LINK_DECISION, verifyLinkToken, type LinkClaims } from './emailLinkToken';
import { evidenceSha256 } from './evidence';
import { DEFAULT_TTL_HOURS, expiryOf } from './expiry';
import { checkHistories } from './historyStats';
import type { IdentityProof } from './identityProof';
import { DECISION_WORDS, type JobRun } from './model';
import { isPending } from './pendingQuery';
import { formatUtc } from './runDetailsModel';

/** What the approval API knows of a link's decision from the audit index. */
export interface LinkAudit {
  auditStatus: string;
  detail: string | null;
  decision: string | null;
  receivedAt: string | null;
}

export interface EmailApprovalPorts {
  /** The current signing secret first (it signs), then any others still accepted for links. */
  signingSecrets(): Promise<readonly string[]>;
  freshRun(jobRunId: string): Promise<JobRun | null>;
  /** The job's recent runs; rejects when they cannot be read (the page says so). */
  history(jobName: string): Promise<readonly JobRun[]>;
  /** The audit document of this decision_id, null when there is none. */
  auditOf(decisionId: string): Promise<LinkAudit | null>;
  /** The approval API's own identity (its role's ARN from STS). */
  ownIdentityArn(): Promise<string>;
  /** Signs the STS GetCallerIdentity proof with the API's own role credentials. */
  proveIdentity(decisionSha256: string): Promise<IdentityProof>;
  topicArn(): Promise<string>;
  publish(topicArn: string, message: DecisionMessage): Promise<{ messageId: string }>;
  newPageNonce(): string;
  now(): number;
}

export interface ApprovalPageRequest {
  method: string;
  /** GET: the token from the query string. */
  queryToken: string | null;
  /** POST: the form fields. */
  form: Readonly<Record<string, string>> | null;
  /** The page nonce from our cookie, if the browser sent it. */
  cookieNonce: string | null;
}

export interface ApprovalPageResponse {
  status: number;
  html: string;
  /** A new page nonce to set in the CSRF cookie. */
  setPageNonce?: string;
  /** What happened, for the log (never the token). */
  outcome: string;
  /** The published message, when one was. */
  published?: DecisionMessage;
}

type LinkState =
  | { ok: true; claims: LinkClaims; run: JobRun; decisionId: string; secrets: readonly string[] }
  | { ok: false; response: ApprovalPageResponse };

export async function handleApprovalPage(ports: EmailApprovalPorts, request: ApprovalPageRequest): Promise<ApprovalPageResponse> {
  if (request.method === 'GET' || request.method === 'HEAD') return showConfirmation(ports, request.queryToken);
  if (request.method === 'POST') return decide(ports, request);
  return { status: 405, html: messagePage('Not allowed', 'bad', ['Open the link from the email.']), outcome: 'method-not-allowed' };
}

async function showConfirmation(ports: EmailApprovalPorts, token: string | null, extra: { reason?: string; notice?: string; status?: number } = {}): Promise<ApprovalPageResponse> {
  const state = await checkLink(ports, token);
  if (!state.ok) return state.response;
  const { claims, run, secrets } = state;
  const histories = await ports.history(run.jobName).then(
    (history) => checkHistories(run, history),
    () => null,
  );
  const pageNonce = ports.newPageNonce();
  const html = confirmationPage({
    run,
    action: claims.action,
    recipient: claims.recipient,
    histories,
    token: token ?? '',
    csrf: csrfValue(token ?? '', pageNonce, secrets[0] ?? ''),
    evidence: evidenceSha256(run),
    linkExpiresAtMs: claims.expiresAt * 1000,
    ...(extra.reason === undefined ? {} : { reason: extra.reason }),
    ...(extra.notice === undefined ? {} : { notice: extra.notice }),
  });
  return { status: extra.status ?? 200, html, setPageNonce: pageNonce, outcome: extra.notice ? 'confirmation-again' : 'confirmation' };
}

async function decide(ports: EmailApprovalPorts, request: ApprovalPageRequest): Promise<ApprovalPageResponse> {
  const form = request.form ?? {};
  const token = form.token ?? null;
  const secrets = await ports.signingSecrets();
  if (token === null || !csrfMatches(form.csrf, token, request.cookieNonce, secrets)) {
    return {
      status: 403,
      html: messagePage('Open the link again', 'bad', [
        'This form was not sent from the confirmation page, or the page is too old. Nothing was decided.',
        'Open the link from the email again.',
      ]),
      outcome: 'csrf',
    };
  }
  const state = await checkLink(ports, token);
  if (!state.ok) return state.response;
  const { claims, run, decisionId } = state;
  const reason = typeof form.reason === 'string' ? form.reason : '';
  const evidence = evidenceSha256(run);
  if (form.evidence !== evidence) {
    return showConfirmation(ports, token, { reason, notice: 'The run changed after this page was opened (its checks, metrics or artifacts). Review it again below.', status: 409 });
  }
  const reasonError = reasonValidationError(reason);
  if (reasonError !== null) return showConfirmation(ports, token, { reason, notice: reasonError, status: 400 });

  const [identityArn, topicArn] = await Promise.all([ports.ownIdentityArn(), ports.topicArn()]);
  const message = await buildDecisionMessage(
    {
      jobName: run.jobName,
      jobRunId: run.jobRunId,
      decision: LINK_DECISION[claims.action],
      reason,
      decidedBy: claims.recipient,
      identityArn,
      evidenceSha256: evidence,
      decisionId,
      timestamp: ports.now(),
      channel: EMAIL_CHANNEL,
    },
    secrets[0] ?? '',
    (hash) => ports.proveIdentity(hash),
  );
  await ports.publish(topicArn, message);
  const decision = LINK_DECISION[claims.action];
  const word = DECISION_WORDS[decision];
  return {
    status: 200,
    html: messagePage(`Your ${word.noun} was sent`, 'ok', [
      `You ${word.past} run ${run.jobRunId} of job ${run.jobName} as ${claims.recipient}.`,
      'The approval processor records it within a few seconds; the run then leaves the pending list. This link is now used.',
    ]),
    outcome: `published-${decision.toLowerCase()}`,
    published: message,
  };
}

/** Everything a link must pass on GET and again on POST, in this order. */
async function checkLink(ports: EmailApprovalPorts, token: string | null): Promise<LinkState> {
  const secrets = await ports.signingSecrets();
  const now = ports.now();
  const check = verifyLinkToken(token, secrets, now);
  if (!check.ok) {
    if (check.problem === 'expired') {
      return refusal(410, 'expired', 'This link has expired', [
        `It expired at ${formatUtc(check.claims.expiresAt * 1000) ?? ''}. Nothing was decided.`,
        'Decide in VS Code or with the CLI, or wait for a new alert.',
      ]);
    }
    return refusal(400, check.problem, 'This link is not valid', [
      'The link is incomplete or was altered, so it cannot decide anything. Nothing was decided.',
      'Open the link exactly as it is in the email (some mail programs break long links), or decide in VS Code.',
    ]);
  }
  const claims = check.claims;
  const decisionId = decisionIdOfLink(claims);
  const audit = await ports.auditOf(decisionId);
  if (audit !== null) {
    const when = audit.receivedAt ? ` at ${formatUtc(Date.parse(audit.receivedAt)) ?? audit.receivedAt}` : '';
    return refusal(409, 'used', 'This link was already used', [
      `A ${audit.decision === 'REJECTED' ? 'rejection' : 'decision'} from this email was received${when}: ${audit.auditStatus}${audit.detail ? ` (${audit.detail})` : ''}.`,
      'Each email decides once. Nothing else was decided.',
    ]);
  }
  const run = await ports.freshRun(claims.runId);
  if (run === null) {
    return refusal(404, 'not-found', 'Run not found', [`No run ${claims.runId} exists any more. Nothing was decided.`]);
  }
  if (run.approval !== null) {
    const a = run.approval;
    return refusal(409, 'decided-meanwhile', 'Already decided', [
      `Run ${run.jobRunId} was ${a.status}${a.approvedBy ? ` by ${a.approvedBy}` : ''}${a.timestamp ? ` at ${formatUtc(Date.parse(a.timestamp)) ?? a.timestamp}` : ''}.`,
      a.reason ? `Their reason: ${a.reason}` : 'Nothing was decided by this link.',
    ]);
  }
  if (!isPending(run)) {
    return refusal(409, 'not-pending', 'No longer waiting for approval', [`Run ${run.jobRunId} is ${run.status ?? 'of unknown status'} now. Nothing was decided.`]);
  }
  const runExpiry = expiryOf(run, DEFAULT_TTL_HOURS);
  if (runExpiry !== null && now >= runExpiry) {
    return refusal(410, 'run-expired', "The run's approval window has closed", [
      `Run ${run.jobRunId} had to be decided by ${formatUtc(runExpiry) ?? ''}. Nothing was decided.`,
    ]);
  }
  return { ok: true, claims, run, decisionId, secrets };
}

function refusal(status: number, outcome: string, title: string, paragraphs: string[]): LinkState {
  return { ok: false, response: { status, html: messagePage(title, status === 410 || status === 409 ? 'info' : 'bad', paragraphs), outcome } };
}
