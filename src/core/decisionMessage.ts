// The `approval_decision` message published to the job_approvals topic: building it,
// signing it (signature v2, or v1 for the record), and reading and verifying it on the
// processor's side.
//
// Signature v1 = hex HMAC-SHA256, keyed with the signing secret, over the canonical JSON
// (keys sorted, no whitespace, UTF-8) of every field of the message except `signature`.
// Signature v2 = the same HMAC (over every field but `signature`, so including the proof),
// plus `identity_proof`: an STS GetCallerIdentity request signed with the reviewer's own
// credentials, whose signed header x-dwh-decision-sha256 is decisionSha256() of the message
// (the canonical JSON without `signature` and `identity_proof`). See identityProof.ts.
// `timestamp` is written in whole seconds, "2024-01-15T11:00:00Z", like the seed's messages;
// readers also accept milliseconds ("…:00.123Z") but nothing else: UTC with a Z.

import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { parseCallerArn } from './callerIdentity';
import { canonicalJson } from './canonicalJson';
import { reasonValidationError } from './decisionReason';
import { snsPublishParameters, type SnsPublishParameters } from './snsPublish';
import { DECISION_SHA256_HEADER, identityProofShapeProblem, type IdentityProof } from './identityProof';
import type { Decision } from './model';
import { parseTimestampMs } from './timestamp';

export const DECISION_EVENT_TYPE = 'approval_decision';
/** The version new decisions are signed with. */
const SIGNATURE_VERSION = 'v2';
/** Shared-secret only: readable for the audit, refused by the processor unless configured. */
const SIGNATURE_VERSION_V1 = 'v1';
export type SignatureVersion = 'v1' | 'v2';
// The reason's rule lives apart so the details page can check a reason without node:crypto.
export { MAX_REASON_CHARS, reasonValidationError } from './decisionReason';
/** docs/CONTRACTS.md §3: the processor accepts decisions whose timestamp is within ±15 minutes of its clock. */
export const FRESHNESS_MS = 15 * 60_000;

/** The fields every version has, besides signature_version, identity_proof and signature. */
export interface DecisionFields {
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
  /**
   * How the decision was made when not in the extension: "email" = through an alert email's
   * link, published by the approval API with its own role's proof for the recipient named in
   * decided_by (v2 only). Absent for decisions made in the extension.
   */
  channel?: DecisionChannel;
}

/** The channels a decision can come through besides the extension. */
export type DecisionChannel = 'email';
export const EMAIL_CHANNEL: DecisionChannel = 'email';

export interface DecisionMessageV1 extends DecisionFields {
  signature_version: 'v1';
  /** Lower-case hex HMAC-SHA256 of canonicalForm(message). */
  signature: string;
}

export interface DecisionMessageV2 extends DecisionFields {
  signature_version: 'v2';
  /** The STS GetCallerIdentity request that proves identity_arn, bound to decisionSha256(). */
  identity_proof: IdentityProof;
  /** Lower-case hex HMAC-SHA256 of canonicalForm(message) (the proof included). */
  signature: string;
}

export type DecisionMessage = DecisionMessageV1 | DecisionMessageV2;

/** A v2 decision before its proof and signature: what decisionSha256() is computed over. */
export type DecisionDraft = DecisionFields & { signature_version: 'v2' };

export type UnsignedDecisionMessage = Omit<DecisionMessageV1, 'signature'> | Omit<DecisionMessageV2, 'signature'> | DecisionDraft;

/** Signs a GetCallerIdentity request carrying x-dwh-decision-sha256 with the reviewer's credentials. */
export type ProveIdentity = (decisionSha256: string) => Promise<IdentityProof>;

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
  /** Set by the approval API for a decision made through an email link. */
  channel?: DecisionChannel;
}

export type DecisionParseResult =
  | { ok: true; message: DecisionMessage }
  /** `fields` is the object as read, when it was one, so that it can be audited as invalid. */
  | { ok: false; reason: string; fields: Record<string, unknown> | null };

export class DecisionMessageError extends Error {
  override readonly name = 'DecisionMessageError';
}

const FIELDS: ReadonlyArray<keyof DecisionMessageV1> = [
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

/**
 * Builds a v2 decision: the draft, its identity proof (`prove`, given the draft's hash) and
 * the HMAC. Throws DecisionMessageError when a field is invalid or the proof is not bound
 * to this decision; rejects with whatever `prove` throws.
 */
export async function buildDecisionMessage(input: DecisionInput, secret: SigningSecret, prove: ProveIdentity): Promise<DecisionMessageV2> {
  const draft = draftDecision(input);
  const hash = decisionSha256(draft);
  const proof = await prove(hash);
  return signDecision(draft, proof, secret);
}

/** The fields of a v2 decision, checked; no proof, no signature yet. */
export function draftDecision(input: DecisionInput): DecisionDraft {
  const draft: DecisionDraft = { ...unsignedFields(input), signature_version: SIGNATURE_VERSION };
  const problem = fieldProblem(draft, 'draft');
  if (problem !== null) throw new DecisionMessageError(problem);
  return draft;
}

/** The draft with its proof and HMAC; throws DecisionMessageError when the proof is not the draft's. */
export function signDecision(draft: DecisionDraft, proof: IdentityProof, secret: SigningSecret): DecisionMessageV2 {
  const shapeProblem = identityProofShapeProblem(proof);
  if (shapeProblem !== null) throw new DecisionMessageError(shapeProblem);
  if (proof.headers[DECISION_SHA256_HEADER] !== decisionSha256(draft)) {
    throw new DecisionMessageError('The identity proof is bound to another decision.');
  }
  const unsigned: Omit<DecisionMessageV2, 'signature'> = { ...draft, signature_version: SIGNATURE_VERSION, identity_proof: proof };
  return { ...unsigned, signature: signMessage(unsigned, secret) };
}

/**
 * Builds and signs a v1 decision (shared secret only). Nothing in this repository sends v1
 * any more; it remains for tests and tools that show the processor refusing it.
 */
export function buildDecisionMessageV1(input: DecisionInput, secret: SigningSecret): DecisionMessageV1 {
  const unsigned: Omit<DecisionMessageV1, 'signature'> = { ...unsignedFields(input), signature_version: SIGNATURE_VERSION_V1 };
  const problem = fieldProblem(unsigned, 'draft');
  if (problem !== null) {
    throw new DecisionMessageError(problem);
  }
  return { ...unsigned, signature: signMessage(unsigned, secret) };
}

function unsignedFields(input: DecisionInput): DecisionFields {
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
  return {
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
    ...(input.channel === undefined ? {} : { channel: input.channel }),
  };
}

/**
 * What a v2 identity proof is bound to: hex SHA-256 of the canonical JSON of the message
 * without `signature` and `identity_proof`.
 */
export function decisionSha256(message: UnsignedDecisionMessage | DecisionMessage): string {
  const fields: Record<string, unknown> = { ...message };
  delete fields.signature;
  delete fields.identity_proof;
  return createHash('sha256').update(canonicalJson(fields), 'utf8').digest('hex');
}

/**
 * The message as a whole (every field, signature and proof included): the hash an audit
 * stores, by which a decision_id is consumed by the message it was first seen with.
 */
export function messageSha256(message: DecisionMessage): string {
  return createHash('sha256').update(canonicalJson(message), 'utf8').digest('hex');
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
 * True when `message.signature` is the HMAC of the rest of the message (v1 or v2; for v2 this
 * says nothing about the identity proof). Compares in constant time, and answers false (never
 * throws) for a signature of the wrong length or alphabet, an unknown signature version, or
 * an empty secret.
 */
export function verifyMessageSignature(message: DecisionMessage, secret: SigningSecret): boolean {
  try {
    const version: unknown = message.signature_version;
    if ((version !== SIGNATURE_VERSION && version !== SIGNATURE_VERSION_V1) || typeof message.signature !== 'string') {
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
  // A message has exactly its version's fields: an extra one could not be verified by a
  // reader that does not know it, so it is refused rather than ignored.
  const known: readonly string[] = fields.signature_version === SIGNATURE_VERSION ? [...FIELDS, 'identity_proof', 'channel'] : FIELDS;
  const unexpected = Object.keys(fields).filter((key) => !known.includes(key));
  if (unexpected.length > 0) {
    return { ok: false, reason: `Unexpected field(s): ${unexpected.slice(0, 5).join(', ')}.`, fields };
  }
  const problem = fieldProblem(fields, 'message');
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

/** SNS Publish parameters besides TopicArn (docs/CONTRACTS.md §3: attribute `decision`; FIFO ids). */
export function publishParameters(message: DecisionMessage, topicArn: string): SnsPublishParameters<'decision', Decision> {
  return snsPublishParameters(message, { name: 'decision', value: message.decision }, { topicArn, deduplicationId: message.decision_id });
}

/**
 * The first thing wrong with the fields of a message (or of a draft: no signature, no proof),
 * in words; null when nothing is.
 */
function fieldProblem(fields: Record<string, unknown> | UnsignedDecisionMessage, what: 'draft' | 'message'): string | null {
  const withSignature = what === 'message';
  const f = fields as Record<string, unknown>;
  for (const key of FIELDS) {
    if (key === 'signature' && !withSignature) continue;
    if (f[key] === undefined || f[key] === null) return `${key} is missing.`;
    if (typeof f[key] !== 'string') return `${key} is not text.`;
  }
  const s = f as Record<keyof DecisionMessageV1, string>;
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
  if (s.signature_version !== SIGNATURE_VERSION && s.signature_version !== SIGNATURE_VERSION_V1) {
    return `signature_version is neither ${SIGNATURE_VERSION} nor ${SIGNATURE_VERSION_V1}.`;
  }
  if (f.channel !== undefined && f.channel !== EMAIL_CHANNEL) return `channel is not ${EMAIL_CHANNEL}.`;
  if (f.channel !== undefined && s.signature_version !== SIGNATURE_VERSION) return `channel needs signature ${SIGNATURE_VERSION}.`;
  if (withSignature && !SHA256_HEX.test(s.signature)) return 'signature is not a lower-case hex HMAC-SHA256.';
  if (withSignature && s.signature_version === SIGNATURE_VERSION) {
    const proofProblem = identityProofShapeProblem(f.identity_proof);
    if (proofProblem !== null) return proofProblem;
    const proof = f.identity_proof as IdentityProof;
    if (proof.headers[DECISION_SHA256_HEADER] !== decisionSha256(fields as DecisionMessage)) {
      return 'identity_proof is bound to another decision (x-dwh-decision-sha256 is not the hash of this message).';
    }
  }
  return null;
}
