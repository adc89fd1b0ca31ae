// The `approval_decision` message published to the job_approvals topic: building it,
// signing it (signature v1), and reading and verifying it on the processor's side.
//
// Signature v1 = hex HMAC-SHA256, keyed with the signing secret, over the canonical JSON
// (keys sorted, no whitespace, UTF-8) of every field of the message except `signature`.
// `timestamp` is written in whole seconds, "2024-01-15T11:00:00Z", like the seed's messages;
// readers also accept milliseconds ("…:00.123Z") but nothing else: UTC with a Z.

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { parseCallerArn } from './callerIdentity';
import { canonicalJson } from './canonicalJson';
import { reasonValidationError } from './decisionReason';
import type { Decision } from './model';
import { parseTimestampMs } from './timestamp';

export const DECISION_EVENT_TYPE = 'approval_decision';
export const SIGNATURE_VERSION = 'v1';
// The reason's rule lives apart so the details page can check a reason without node:crypto.
export { MAX_REASON_CHARS, reasonValidationError } from './decisionReason';
/** SPEC: the processor accepts decisions whose timestamp is within ±15 minutes of its clock. */
export const FRESHNESS_MS = 15 * 60_000;

export interface DecisionMessage {
  event_type: 'approval_decision';
  job_name: string;
  job_run_id: string;
  /** ISO 8601 UTC ending in Z. */
  timestamp: string;
  decision: Decision;
  decided_by: string;
  /** Trimmed, non-empty, at most MAX_REASON_CHARS characters. */
  reason: string;
  /** UUID v4, lower case: the idempotency key (and FIFO deduplication id). */
  decision_id: string;
  /** The caller identity ARN from STS GetCallerIdentity. */
  identity_arn: string;
  /** evidenceSha256() of the run as the reviewer saw it. */
  evidence_sha256: string;
  signature_version: 'v1';
  /** Lower-case hex HMAC-SHA256 of canonicalForm(message). */
  signature: string;
}

export type UnsignedDecisionMessage = Omit<DecisionMessage, 'signature'>;

/** The HMAC key; a string is used as its UTF-8 bytes. */
export type SigningSecret = string | Uint8Array;

export interface DecisionInput {
  jobName: string;
  jobRunId: string;
  decision: Decision;
  /** Trimmed here; must be non-empty after trimming. */
  reason: string;
  identityArn: string;
  evidenceSha256: string;
  /** Defaults to decidedByFromArn(identityArn). */
  decidedBy?: string;
  /** Defaults to a new crypto.randomUUID(); pass the old one to retry a failed publish. */
  decisionId?: string;
  /** Defaults to now. */
  timestamp?: Date | number;
}

export type DecisionParseResult =
  | { ok: true; message: DecisionMessage }
  /** `fields` is the object as read, when it was one, so that it can be audited as invalid. */
  | { ok: false; reason: string; fields: Record<string, unknown> | null };

export class DecisionMessageError extends Error {
  override readonly name = 'DecisionMessageError';
}

const FIELDS: ReadonlyArray<keyof DecisionMessage> = [
  'event_type',
  'job_name',
  'job_run_id',
  'timestamp',
  'decision',
  'decided_by',
  'reason',
  'decision_id',
  'identity_arn',
  'evidence_sha256',
  'signature_version',
  'signature',
];
const UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Builds and signs a decision. Throws DecisionMessageError when a field is invalid. */
export function buildDecisionMessage(input: DecisionInput, secret: SigningSecret): DecisionMessage {
  const reasonError = reasonValidationError(input.reason);
  if (reasonError !== null) {
    throw new DecisionMessageError(reasonError);
  }
  let decidedBy = input.decidedBy;
  if (decidedBy === undefined) {
    try {
      decidedBy = parseCallerArn(input.identityArn).name;
    } catch (error) {
      throw new DecisionMessageError(error instanceof Error ? error.message : String(error));
    }
  }
  const unsigned: UnsignedDecisionMessage = {
    event_type: DECISION_EVENT_TYPE,
    job_name: input.jobName,
    job_run_id: input.jobRunId,
    timestamp: formatDecisionTimestamp(input.timestamp ?? Date.now()),
    decision: input.decision,
    decided_by: decidedBy,
    reason: input.reason.trim(),
    decision_id: input.decisionId ?? randomUUID(),
    identity_arn: input.identityArn,
    evidence_sha256: input.evidenceSha256,
    signature_version: SIGNATURE_VERSION,
  };
  const problem = fieldProblem(unsigned, false);
  if (problem !== null) {
    throw new DecisionMessageError(problem);
  }
  return { ...unsigned, signature: signMessage(unsigned, secret) };
}

/** "2024-01-15T11:00:00Z": UTC, whole seconds. */
export function formatDecisionTimestamp(when: Date | number): string {
  const ms = when instanceof Date ? when.getTime() : when;
  if (!Number.isFinite(ms)) {
    throw new DecisionMessageError('The decision time is not a valid date.');
  }
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** The text that is signed: the canonical JSON of every field except `signature`. */
export function canonicalForm(message: UnsignedDecisionMessage | DecisionMessage): string {
  const fields: Record<string, unknown> = { ...message };
  delete fields.signature;
  return canonicalJson(fields);
}

/** Lower-case hex HMAC-SHA256 of canonicalForm(fields). Throws when the secret is empty. */
export function signMessage(fields: UnsignedDecisionMessage | DecisionMessage, secret: SigningSecret): string {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (key.length === 0) {
    // An empty key signs just as well, so a missing secret would go unnoticed until then.
    throw new DecisionMessageError('The signing secret is empty.');
  }
  return createHmac('sha256', key).update(canonicalForm(fields), 'utf8').digest('hex');
}

/**
 * True when `message.signature` is the v1 signature of the rest of the message. Compares in
 * constant time, and answers false (never throws) for a signature of the wrong length or
 * alphabet, another signature version, or an empty secret.
 */
export function verifyMessageSignature(message: DecisionMessage, secret: SigningSecret): boolean {
  try {
    if (message.signature_version !== SIGNATURE_VERSION || typeof message.signature !== 'string') {
      return false;
    }
    if (!SHA256_HEX.test(message.signature)) {
      return false;
    }
    const expected = Buffer.from(signMessage(message, secret), 'hex');
    const actual = Buffer.from(message.signature, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

/** Reads a message body as the processor receives it, checking every field; no signature check. */
export function parseDecisionMessage(json: string): DecisionParseResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'The message is not JSON.', fields: null };
  }
  return validateDecisionMessage(value);
}

/** As parseDecisionMessage, for a value already parsed from JSON. */
export function validateDecisionMessage(value: unknown): DecisionParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'The message is not a JSON object.', fields: null };
  }
  const fields = value as Record<string, unknown>;
  // A v1 message has exactly these fields: an extra one could not be verified by a reader
  // that does not know it, so it is refused rather than ignored.
  const unexpected = Object.keys(fields).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unexpected.length > 0) {
    return { ok: false, reason: `Unexpected field(s): ${unexpected.slice(0, 5).join(', ')}.`, fields };
  }
  const problem = fieldProblem(fields, true);
  if (problem !== null) {
    return { ok: false, reason: problem, fields };
  }
  return { ok: true, message: fields as unknown as DecisionMessage };
}

/** True when the decision was made within ±toleranceMs of `nowMs`. */
export function isDecisionFresh(message: Pick<DecisionMessage, 'timestamp'>, nowMs: number, toleranceMs: number = FRESHNESS_MS): boolean {
  const ms = parseTimestampMs(message.timestamp);
  return ms !== null && Math.abs(nowMs - ms) <= toleranceMs;
}

/** SNS Publish parameters besides TopicArn, per SPEC (attribute `decision`; FIFO ids). */
export function publishParameters(message: DecisionMessage, topicArn: string): {
  Message: string;
  MessageAttributes: { decision: { DataType: 'String'; StringValue: Decision } };
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
} {
  const params = {
    Message: canonicalJson(message),
    MessageAttributes: { decision: { DataType: 'String' as const, StringValue: message.decision } },
  };
  return topicArn.endsWith('.fifo')
    ? { ...params, MessageGroupId: message.job_run_id, MessageDeduplicationId: message.decision_id }
    : params;
}

/** The first thing wrong with the fields of a message, in words; null when nothing is. */
function fieldProblem(fields: Record<string, unknown> | UnsignedDecisionMessage, withSignature: boolean): string | null {
  const f = fields as Record<string, unknown>;
  for (const key of FIELDS) {
    if (key === 'signature' && !withSignature) continue;
    if (f[key] === undefined || f[key] === null) return `${key} is missing.`;
    if (typeof f[key] !== 'string') return `${key} is not text.`;
  }
  const s = f as Record<keyof DecisionMessage, string>;
  if (s.event_type !== DECISION_EVENT_TYPE) return `event_type is not ${DECISION_EVENT_TYPE}.`;
  if (s.job_name.trim() === '') return 'job_name is empty.';
  if (s.job_run_id.trim() === '') return 'job_run_id is empty.';
  if (!UTC_TIMESTAMP.test(s.timestamp) || parseTimestampMs(s.timestamp) === null) {
    return 'timestamp is not an ISO 8601 UTC time ending in Z.';
  }
  if (s.decision !== 'APPROVED' && s.decision !== 'REJECTED') return 'decision is neither APPROVED nor REJECTED.';
  if (s.decided_by.trim() === '') return 'decided_by is empty.';
  if (s.reason !== s.reason.trim()) return 'reason is not trimmed.';
  const reasonError = reasonValidationError(s.reason);
  if (reasonError !== null) return reasonError;
  if (!UUID_V4.test(s.decision_id)) return 'decision_id is not a lower-case UUID v4.';
  try {
    parseCallerArn(s.identity_arn);
  } catch {
    return 'identity_arn is not an IAM user, assumed-role, federated-user or root ARN.';
  }
  if (!SHA256_HEX.test(s.evidence_sha256)) return 'evidence_sha256 is not a lower-case hex SHA-256.';
  if (s.signature_version !== SIGNATURE_VERSION) return `signature_version is not ${SIGNATURE_VERSION}.`;
  if (withSignature && !SHA256_HEX.test(s.signature)) return 'signature is not a lower-case hex HMAC-SHA256.';
  return null;
}
