// The approval policy the processor applies beyond the seeds, configurable per job name:
// a quorum of distinct approvers before a run counts as approved, and a rule that whoever
// triggered a run cannot approve it. Pure: no AWS SDK, no OpenSearch.
//
// Configuration (JSON, from an environment variable or an SSM parameter):
//   { "default": { "quorum": 1, "forbidSelfApproval": true },
//     "jobs": { "load_orders": { "quorum": 2 } } }
// A job's entry overrides only the fields it names; the rest come from "default".

import { parseCallerArn } from './callerIdentity';

export interface JobPolicy {
  /** Distinct approvers needed before the run is approved; 1 = the first approval decides. */
  quorum: number;
  /** Refuse an approval from the identity that triggered the run (`triggered_by`). */
  forbidSelfApproval: boolean;
}

export interface ApprovalPolicy {
  default: JobPolicy;
  /** Per job name; each entry is complete (merged with `default` when parsed). */
  jobs: Readonly<Record<string, JobPolicy>>;
}

export const DEFAULT_JOB_POLICY: Readonly<JobPolicy> = Object.freeze({ quorum: 1, forbidSelfApproval: true });
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = Object.freeze({ default: DEFAULT_JOB_POLICY, jobs: Object.freeze({}) });
/** A quorum above this is a typo, not a policy: no run would ever be approved. */
export const MAX_QUORUM = 20;

export class ApprovalPolicyError extends Error {
  override readonly name = 'ApprovalPolicyError';
}

/**
 * Reads a policy from its JSON text or an already parsed value. Throws ApprovalPolicyError
 * naming the first thing wrong: a processor running with a policy other than the one
 * configured would approve runs it should not, so nothing is silently ignored.
 */
export function parseApprovalPolicy(input: unknown): ApprovalPolicy {
  let value = input;
  if (typeof input === 'string') {
    if (input.trim() === '') return DEFAULT_APPROVAL_POLICY;
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new ApprovalPolicyError(`The approval policy is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!isPlainObject(value)) {
    throw new ApprovalPolicyError('The approval policy must be a JSON object like {"default": {"quorum": 1}, "jobs": {}}.');
  }
  const unknownTop = Object.keys(value).filter((key) => key !== 'default' && key !== 'jobs');
  if (unknownTop.length > 0) {
    throw new ApprovalPolicyError(`The approval policy has unknown field(s): ${unknownTop.join(', ')} (expected "default" and "jobs").`);
  }
  const base = readJobPolicy(own(value, 'default'), DEFAULT_JOB_POLICY, 'default');
  const rawJobs = own(value, 'jobs');
  const jobs: Record<string, JobPolicy> = Object.create(null) as Record<string, JobPolicy>;
  if (rawJobs !== undefined && rawJobs !== null) {
    if (!isPlainObject(rawJobs)) {
      throw new ApprovalPolicyError('"jobs" in the approval policy must be an object of job name → policy.');
    }
    for (const [jobName, entry] of Object.entries(rawJobs)) {
      jobs[jobName] = readJobPolicy(entry, base, `jobs.${jobName}`);
    }
  }
  return { default: base, jobs };
}

/** The policy for one job: its own entry, else the default. */
export function policyForJob(policy: ApprovalPolicy, jobName: string): JobPolicy {
  return Object.prototype.hasOwnProperty.call(policy.jobs, jobName) ? (policy.jobs[jobName] ?? policy.default) : policy.default;
}

/** Who an approval counts for: the identity ARN, else decided_by; lower-cased, trimmed. Null when neither. */
export function approverKey(decision: { identity_arn?: unknown; decided_by?: unknown }): string | null {
  for (const candidate of [decision.identity_arn, decision.decided_by]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate.trim().toLowerCase();
  }
  return null;
}

/**
 * True when `triggeredBy` (the run's `triggered_by`: an ARN or a name) names the deciding
 * identity: the same identity ARN, the same decided_by, or an ARN whose user or session name
 * is the decided_by (the same person through another role still triggered the run).
 * Case-insensitive, because IAM names are unique regardless of case.
 */
export function isSelfApproval(triggeredBy: string | null | undefined, decision: { identity_arn: string; decided_by: string }): boolean {
  const trigger = norm(triggeredBy);
  if (trigger === '') return false;
  const arn = norm(decision.identity_arn);
  const decidedBy = norm(decision.decided_by);
  if (trigger === arn || trigger === decidedBy) return true;
  const triggerName = nameOfArn(trigger);
  if (triggerName !== null && (triggerName === decidedBy || triggerName === nameOfArn(arn))) return true;
  return false;
}

/** One approval as the tally sees it: a decision already audited, or the one being processed. */
export interface Vote {
  decisionId: string;
  /** approverKey() of the decision. */
  approver: string;
  /** decided_by, for approved_by and messages. */
  decidedBy: string;
  reason: string;
  /** The decision's timestamp (ISO); orders the approvers. */
  timestamp: string;
  /** When the processor received it (ISO); orders decisions made in the same second. */
  receivedAt?: string;
}

export interface QuorumTally {
  quorum: number;
  /** One vote per distinct approver (their earliest), in decision order. */
  approvers: Vote[];
  reached: boolean;
  /** The current vote's approver had already approved; it does not count again. */
  duplicate: boolean;
}

/**
 * Counts distinct approvers among earlier votes and the current one. Votes with the same
 * decisionId count once (the current decision's own audit may be among the earlier votes).
 */
export function tallyQuorum(earlier: readonly Vote[], current: Vote, quorum: number): QuorumTally {
  const others = earlier.filter((vote) => vote.decisionId !== current.decisionId);
  const duplicate = others.some((vote) => vote.approver === current.approver);
  const byApprover = new Map<string, Vote>();
  for (const vote of [...others, current].sort(compareVotes)) {
    if (!byApprover.has(vote.approver)) byApprover.set(vote.approver, vote);
  }
  const approvers = [...byApprover.values()];
  return { quorum, approvers, reached: approvers.length >= quorum, duplicate };
}

/** "2 of 3 approvals (alice, bob)". */
export function describeTally(tally: QuorumTally): string {
  const names = tally.approvers.map((vote) => vote.decidedBy).join(', ');
  return `${tally.approvers.length} of ${tally.quorum} distinct approvals (${names})`;
}

function compareVotes(a: Vote, b: Vote): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  const [ra, rb] = [a.receivedAt ?? '', b.receivedAt ?? ''];
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.decisionId < b.decisionId ? -1 : a.decisionId > b.decisionId ? 1 : 0;
}

function readJobPolicy(raw: unknown, base: JobPolicy, where: string): JobPolicy {
  if (raw === undefined || raw === null) return { ...base };
  if (!isPlainObject(raw)) {
    throw new ApprovalPolicyError(`"${where}" in the approval policy must be an object like {"quorum": 2}.`);
  }
  // `expiry` is the expiry sweep's (core/expirySweep.ts reads it from the same JSON).
  const unknown = Object.keys(raw).filter((key) => key !== 'quorum' && key !== 'forbidSelfApproval' && key !== 'expiry');
  if (unknown.length > 0) {
    throw new ApprovalPolicyError(`"${where}" in the approval policy has unknown field(s): ${unknown.join(', ')} (expected quorum, forbidSelfApproval, expiry).`);
  }
  const quorum = own(raw, 'quorum');
  const forbid = own(raw, 'forbidSelfApproval');
  if (quorum !== undefined && !(typeof quorum === 'number' && Number.isInteger(quorum) && quorum >= 1 && quorum <= MAX_QUORUM)) {
    throw new ApprovalPolicyError(`"${where}.quorum" must be a whole number from 1 to ${MAX_QUORUM}; got ${JSON.stringify(quorum)}.`);
  }
  if (forbid !== undefined && typeof forbid !== 'boolean') {
    throw new ApprovalPolicyError(`"${where}.forbidSelfApproval" must be true or false; got ${JSON.stringify(forbid)}.`);
  }
  return {
    quorum: typeof quorum === 'number' ? quorum : base.quorum,
    forbidSelfApproval: typeof forbid === 'boolean' ? forbid : base.forbidSelfApproval,
  };
}

function norm(value: string | null | undefined): string {
  return typeof value === 'string' ? value.trim().toLowerCase() : '';
}

function nameOfArn(text: string): string | null {
  if (!text.startsWith('arn:')) return null;
  try {
    return parseCallerArn(text).name.toLowerCase();
  } catch {
    return null;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}
