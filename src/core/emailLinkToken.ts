// The token an alert email's Approve / Reject link carries (docs/CONTRACTS.md §11). It names the run, the action, the recipient it was sent to, when it
// expires and a random nonce, and is authenticated with an HMAC keyed by a key DERIVED from
// the signing secret for this one purpose, so that no token can ever pass for a decision
// signature (keyed with the secret itself, over canonical JSON) or for a CSRF token (another
// derived key), and no decision signature for a token.
//
// Wire form:  dwh1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(tokenKey, "dwh1." + claims))>
// The MAC is checked (constant time) before the claims are parsed. A token is single use:
// the decision it makes gets a decision_id derived from the nonce (decisionIdOfToken), and
// the processor consumes a decision_id once; the page checks the audit for it first.
// Both links of one email share the nonce, so one email yields at most one decision.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SigningSecret } from './decisionMessage';
import { isEmailAddress } from './emailAddress';
import type { Decision } from './model';

export { isEmailAddress } from './emailAddress';

export type LinkAction = 'APPROVE' | 'REJECT';
export const LINK_DECISION: Record<LinkAction, Decision> = { APPROVE: 'APPROVED', REJECT: 'REJECTED' };

export interface LinkClaims {
  /** job_run_id */
  runId: string;
  action: LinkAction;
  /** The address the email was sent to: recorded as decided_by. */
  recipient: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** base64url of 16 random bytes; shared by the two links of one email. */
  nonce: string;
}

export type TokenCheck =
  | { ok: true; claims: LinkClaims }
  /** malformed: not a token at all; tampered: its MAC does not verify; expired: genuine but past its time. */
  | { ok: false; problem: 'malformed' | 'tampered' }
  | { ok: false; problem: 'expired'; claims: LinkClaims };

/** The default (docs/CONTRACTS.md §11): a link is good for 72 hours (and never beyond the run's own expiry). */
export const DEFAULT_LINK_TTL_HOURS = 72;
const TOKEN_PREFIX = 'dwh1';
/** Longer than any token we issue; a longer one is refused before any work is done. */
export const MAX_TOKEN_CHARS = 2048;
const MAX_RUN_ID_CHARS = 512;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const NONCE = /^[A-Za-z0-9_-]{22}$/;

const TOKEN_KEY_LABEL = 'dwh-approvals/email-link-token/v1';
const CSRF_KEY_LABEL = 'dwh-approvals/approval-page-csrf/v1';
const DECISION_ID_LABEL = 'dwh-approvals/email-decision-id/v1';

class LinkTokenError extends Error {
  override readonly name = 'LinkTokenError';
}

/** A purpose-bound key: HMAC-SHA256(secret, label). Throws when the secret is empty. */
function derivedKey(secret: SigningSecret, label: string): Buffer {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (key.length === 0) throw new LinkTokenError('The signing secret is empty.');
  return createHmac('sha256', key).update(label, 'utf8').digest();
}

/** A new nonce for one email (both of its links). */
export function newLinkNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The token for one link. Throws LinkTokenError when a claim is unusable. */
export function createLinkToken(claims: LinkClaims, secret: SigningSecret): string {
  const problem = claimsProblem(claims);
  if (problem !== null) throw new LinkTokenError(problem);
  const body = Buffer.from(JSON.stringify({ r: claims.runId, a: claims.action, t: claims.recipient, e: claims.expiresAt, n: claims.nonce }), 'utf8').toString('base64url');
  const signed = `${TOKEN_PREFIX}.${body}`;
  return `${signed}.${mac(signed, secret).toString('base64url')}`;
}

/**
 * Checks a token against the current secret and any others still accepted (a rotation's
 * previous secret): the MAC first, in constant time, then the claims, then the expiry.
 */
export function verifyLinkToken(token: unknown, secrets: readonly SigningSecret[], nowMs: number): TokenCheck {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX || !BASE64URL.test(parts[1] ?? '') || !BASE64URL.test(parts[2] ?? '')) {
    return { ok: false, problem: 'malformed' };
  }
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2] ?? '', 'base64url');
  const genuine = secrets.some((secret) => {
    const expected = mac(signed, secret);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!genuine) return { ok: false, problem: 'tampered' };
  const claims = readClaims(parts[1] ?? '');
  // A genuine MAC over unreadable claims is not something we issue: treat it as tampered.
  if (claims === null) return { ok: false, problem: 'tampered' };
  if (nowMs >= claims.expiresAt * 1000) return { ok: false, problem: 'expired', claims };
  return { ok: true, claims };
}

/**
 * The decision_id a link's decision carries: a UUID v4 derived from the email's nonce, run
 * and recipient (not the action), so that a second use of either link of one email is the
 * same decision_id, which the processor has already consumed.
 */
export function decisionIdOfLink(claims: Pick<LinkClaims, 'nonce' | 'runId' | 'recipient'>): string {
  const bytes = createHash('sha256').update(`${DECISION_ID_LABEL}\0${claims.nonce}\0${claims.runId}\0${claims.recipient}`, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** When a link made now for a run expiring at `runExpiryMs` must expire (seconds): the earlier of the two. */
export function linkExpiry(nowMs: number, runExpiryMs: number | null, ttlHours: number = DEFAULT_LINK_TTL_HOURS): number {
  const byTtl = nowMs + ttlHours * 3_600_000;
  const until = runExpiryMs !== null && runExpiryMs < byTtl ? runExpiryMs : byTtl;
  return Math.floor(until / 1000);
}

/**
 * The approval page's CSRF value for one rendering: HMAC(csrfKey, token, page nonce). The page
 * nonce goes to a SameSite=Strict, HttpOnly cookie and this value to a hidden form field; a
 * POST is taken only when the field is the MAC of its token and the cookie's nonce.
 */
export function csrfValue(token: string, pageNonce: string, secret: SigningSecret): string {
  return createHmac('sha256', derivedKey(secret, CSRF_KEY_LABEL)).update(`${token}\0${pageNonce}`, 'utf8').digest('base64url');
}

/** True when `given` is csrfValue(token, pageNonce) under one of `secrets`; constant time. */
export function csrfMatches(given: unknown, token: string, pageNonce: unknown, secrets: readonly SigningSecret[]): boolean {
  if (typeof given !== 'string' || typeof pageNonce !== 'string' || !NONCE.test(pageNonce) || !BASE64URL.test(given)) return false;
  const actual = Buffer.from(given, 'base64url');
  return secrets.some((secret) => {
    const expected = Buffer.from(csrfValue(token, pageNonce, secret), 'base64url');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  });
}

function mac(signed: string, secret: SigningSecret): Buffer {
  return createHmac('sha256', derivedKey(secret, TOKEN_KEY_LABEL)).update(signed, 'utf8').digest();
}

function readClaims(body: string): LinkClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const claims = { runId: v.r, action: v.a, recipient: v.t, expiresAt: v.e, nonce: v.n } as LinkClaims;
  return claimsProblem(claims) === null ? claims : null;
}

function claimsProblem(claims: LinkClaims): string | null {
  const c = claims as unknown as Record<string, unknown>;
  if (typeof c.runId !== 'string' || c.runId.trim() === '' || c.runId.length > MAX_RUN_ID_CHARS) return 'The run id is missing or too long.';
  if (c.action !== 'APPROVE' && c.action !== 'REJECT') return 'The action is neither APPROVE nor REJECT.';
  if (typeof c.recipient !== 'string' || !isEmailAddress(c.recipient)) return 'The recipient is not an email address.';
  if (typeof c.expiresAt !== 'number' || !Number.isSafeInteger(c.expiresAt) || c.expiresAt <= 0) return 'The expiry is not a time.';
  if (typeof c.nonce !== 'string' || !NONCE.test(c.nonce)) return 'The nonce is not 16 bytes of base64url.';
  return null;
}
