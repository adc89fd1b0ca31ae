// The approval policy, per job: who may decide, how many distinct people must approve, and
// whether whoever triggered a run may approve it. Read by the processor (which enforces it)
// and by the extension (which shows it before anyone types a reason). Pure: no AWS SDK.
//
// Configuration (JSON, from the SSM parameter /dwh/approvals/policy or the POLICY variable):
//   { "default": { "quorum": 1, "forbidSelfApproval": true },
//     "jobs": { "load_*":      { "approvers": ["arn:aws:iam::123456789012:user/*"] },
//               "load_orders": { "quorum": 2 } } }
// Fields of an entry (each optional; a job entry overrides only the fields it names, the rest
// come from "default"):
//   quorum              distinct people who must approve (1..20); a rejection decides at once
//   forbidSelfApproval  refuse an approval from whoever triggered the run (triggered_by)
//   approvers           ARN patterns of who may approve ("*" matches any run of characters;
//                       matched case-insensitively against the STS caller ARN); default ["*"]
//   rejecters           ARN patterns of who may reject; default: the same as approvers.
//                       Separate because stopping a run is the safe action: a wider group may
//                       be allowed to reject than to approve.
//   identityKinds       which kinds of caller count: iam-user, sso-user, assumed-role,
//                       federated-user, root. Default: iam-user, sso-user, assumed-role.
//                       Never root by default; federated-user names are chosen by whoever
//                       calls GetFederationToken, so they are off by default too.
//   personalRoles       role ARN patterns (arn:aws:iam::ACCOUNT:role/NAME, no path: the
//                       session ARN carries none) whose session name is enforced to be the
//                       person, e.g. by a trust policy condition on sts:RoleSessionName or
//                       sts:SourceIdentity. Sessions of other roles count once per role.
//   expiry              what the expiry sweep records for a run past its expiry (decided by
//                       "system"): expire (default: EXPIRED), reject or approve
//   notify              email addresses that get the alert email with approve/reject links
//                       when a run of the job stops at the gate (issue 13); default none
//   emailDecisions      what a decision through such a link may do: "allowed" (it decides,
//                       and an approval counts once per recipient towards the quorum),
//                       "not-counted" (it may reject, and approve only where one approval
//                       suffices), "refused" (no alert is sent, no link decides). Default
//                       "allowed". Email decisions are not subject to approvers/rejecters
//                       (ARN patterns): their person is a recipient the job's notify lists.
// Job keys are job names or globs ("*" = any run of characters). The most specific key
// matching a job wins: an exact name first, then the glob with the most literal characters,
// then the one with fewer "*", then the alphabetically first. Entries do not cascade: one
// job entry applies, merged with "default".

import { isEmailAddress } from './emailAddress';
import type { Decision } from './model';

const EXPIRY_ACTIONS = ['expire', 'reject', 'approve'] as const;
export type ExpiryAction = (typeof EXPIRY_ACTIONS)[number];

const IDENTITY_KINDS = ['iam-user', 'sso-user', 'assumed-role', 'federated-user', 'root'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

export interface JobPolicy {
  /** Distinct people needed before the run is approved; 1 = the first approval decides. */
  quorum: number;
  /** Refuse an approval from the person who triggered the run (`triggered_by`). */
  forbidSelfApproval: boolean;
  /** ARN patterns of who may approve. */
  approvers: readonly string[];
  /** ARN patterns of who may reject; null = the same as `approvers`. */
  rejecters: readonly string[] | null;
  /** Kinds of caller identity that may decide at all. */
  identityKinds: readonly IdentityKind[];
  /** Role ARN patterns whose session names are people. */
  personalRoles: readonly string[];
  /** What the expiry sweep records when nobody decided in time (core/expirySweep.ts). */
  expiry: ExpiryAction;
  /** Who gets the alert email with approve/reject links (plain addresses). */
  notify: readonly string[];
  /** What a decision through an email link may do for this job. */
  emailDecisions: EmailDecisions;
  /** The job key of `jobs` this came from, or null for "default" (for messages). */
  matchedBy: string | null;
}

export interface ApprovalPolicy {
  default: JobPolicy;
  /** Per job name or glob; each entry is complete (merged with `default` when parsed). */
  jobs: Readonly<Record<string, JobPolicy>>;
}

const DEFAULT_IDENTITY_KINDS: readonly IdentityKind[] = Object.freeze(['iam-user', 'sso-user', 'assumed-role'] as IdentityKind[]);
const DEFAULT_JOB_POLICY: Readonly<JobPolicy> = Object.freeze({
  quorum: 1,
  forbidSelfApproval: true,
  approvers: Object.freeze(['*']),
  rejecters: null,
  identityKinds: DEFAULT_IDENTITY_KINDS,
  personalRoles: Object.freeze([]),
  expiry: 'expire',
  notify: Object.freeze([]),
  emailDecisions: 'allowed',
  matchedBy: null,
});
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = Object.freeze({ default: DEFAULT_JOB_POLICY, jobs: Object.freeze({}) });
/** A quorum above this is a typo, not a policy: no run would ever be approved. */
export const MAX_QUORUM = 20;
/** More patterns than this in one list is a generated policy gone wrong. */
const MAX_PATTERNS = 200;
const MAX_PATTERN_CHARS = 2048;
const ENTRY_FIELDS = ['quorum', 'forbidSelfApproval', 'approvers', 'rejecters', 'identityKinds', 'personalRoles', 'notify', 'emailDecisions', 'expiry'] as const;
const EMAIL_DECISIONS = ['allowed', 'not-counted', 'refused'] as const;
export type EmailDecisions = (typeof EMAIL_DECISIONS)[number];
/** More recipients than this for one job is a list gone wrong. */
const MAX_RECIPIENTS = 50;

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
    throw new ApprovalPolicyError(`The approval policy has unknown field(s): ${names(unknownTop)} (expected "default" and "jobs").`);
  }
  const base = readJobPolicy(own(value, 'default'), DEFAULT_JOB_POLICY, 'default', null);
  const rawJobs = own(value, 'jobs');
  const jobs: Record<string, JobPolicy> = Object.create(null) as Record<string, JobPolicy>;
  if (rawJobs !== undefined && rawJobs !== null) {
    if (!isPlainObject(rawJobs)) {
      throw new ApprovalPolicyError('"jobs" in the approval policy must be an object of job name (or glob) → policy.');
    }
    for (const [jobKey, entry] of Object.entries(rawJobs)) {
      if (jobKey.trim() === '' || jobKey.length > MAX_PATTERN_CHARS) {
        throw new ApprovalPolicyError(`"jobs" in the approval policy has an empty or overlong job name ${JSON.stringify(jobKey.slice(0, 80))}.`);
      }
      jobs[jobKey] = readJobPolicy(entry, base, `jobs.${jobKey}`, jobKey);
    }
  }
  return { default: base, jobs };
}

/** The policy for one job: its most specific matching entry (see the top of the file), else the default. */
export function policyForJob(policy: ApprovalPolicy, jobName: string): JobPolicy {
  const key = jobKeyFor(policy, jobName);
  return key === null ? policy.default : (policy.jobs[key] ?? policy.default);
}

/** The key of `jobs` that applies to the job, or null when only "default" does. */
export function jobKeyFor(policy: ApprovalPolicy, jobName: string): string | null {
  if (typeof jobName !== 'string') return null;
  if (Object.prototype.hasOwnProperty.call(policy.jobs, jobName) && !jobName.includes('*')) return jobName;
  let best: string | null = null;
  for (const key of Object.keys(policy.jobs)) {
    if (!key.includes('*') || !globMatches(key, jobName, false)) continue;
    if (best === null || moreSpecific(key, best)) best = key;
  }
  return best;
}

/** Who may take this decision under the policy: its approvers or its rejecters. */
export function patternsFor(policy: JobPolicy, decision: Decision): readonly string[] {
  return decision === 'APPROVED' ? policy.approvers : (policy.rejecters ?? policy.approvers);
}

/**
 * `*` matches any run of characters (none included), everything else itself. Linear-time
 * (no backtracking blow-up on hostile input). ARNs are compared ignoring case: IAM user and
 * role names are unique regardless of case.
 */
export function globMatches(pattern: string, text: string, ignoreCase = true): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const t = ignoreCase ? text.toLowerCase() : text;
  const parts = p.split('*');
  if (parts.length === 1) return p === t;
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (t.length < first.length + last.length || !t.startsWith(first) || !t.endsWith(last)) return false;
  let at = first.length;
  const end = t.length - last.length;
  for (let i = 1; i < parts.length - 1; i += 1) {
    const part = parts[i] ?? '';
    if (part === '') continue;
    const found = t.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

function moreSpecific(a: string, b: string): boolean {
  const literal = (key: string) => key.replace(/\*/g, '').length;
  const stars = (key: string) => key.split('*').length - 1;
  if (literal(a) !== literal(b)) return literal(a) > literal(b);
  if (stars(a) !== stars(b)) return stars(a) < stars(b);
  return a < b;
}

function readJobPolicy(raw: unknown, base: JobPolicy, where: string, matchedBy: string | null): JobPolicy {
  if (raw === undefined || raw === null) return { ...base, matchedBy };
  if (!isPlainObject(raw)) {
    throw new ApprovalPolicyError(`"${where}" in the approval policy must be an object like {"quorum": 2}.`);
  }
  const unknown = Object.keys(raw).filter((key) => !(ENTRY_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new ApprovalPolicyError(`"${where}" in the approval policy has unknown field(s): ${names(unknown)} (expected ${ENTRY_FIELDS.join(', ')}).`);
  }
  const quorum = own(raw, 'quorum');
  const forbid = own(raw, 'forbidSelfApproval');
  if (quorum !== undefined && !(typeof quorum === 'number' && Number.isInteger(quorum) && quorum >= 1 && quorum <= MAX_QUORUM)) {
    throw new ApprovalPolicyError(`"${where}.quorum" must be a whole number from 1 to ${MAX_QUORUM}; got ${shown(quorum)}.`);
  }
  if (forbid !== undefined && typeof forbid !== 'boolean') {
    throw new ApprovalPolicyError(`"${where}.forbidSelfApproval" must be true or false; got ${shown(forbid)}.`);
  }
  const approvers = readPatterns(own(raw, 'approvers'), `${where}.approvers`, 'arn-or-any');
  const rejecters = readPatterns(own(raw, 'rejecters'), `${where}.rejecters`, 'arn-or-any');
  const personalRoles = readPatterns(own(raw, 'personalRoles'), `${where}.personalRoles`, 'role-arn');
  const kinds = readKinds(own(raw, 'identityKinds'), `${where}.identityKinds`);
  const expiry = own(raw, 'expiry');
  if (expiry !== undefined && !(EXPIRY_ACTIONS as readonly unknown[]).includes(expiry)) {
    throw new ApprovalPolicyError(`"${where}.expiry" must be one of ${EXPIRY_ACTIONS.join(', ')}; got ${shown(expiry)}.`);
  }
  return {
    quorum: typeof quorum === 'number' ? quorum : base.quorum,
    forbidSelfApproval: typeof forbid === 'boolean' ? forbid : base.forbidSelfApproval,
    approvers: approvers ?? base.approvers,
    // A job that names its approvers but not its rejecters: its rejecters are its approvers.
    rejecters: rejecters !== undefined ? rejecters : approvers !== undefined ? null : base.rejecters,
    identityKinds: kinds ?? base.identityKinds,
    personalRoles: personalRoles ?? base.personalRoles,
    expiry: (expiry as ExpiryAction | undefined) ?? base.expiry,
    notify: readRecipients(own(raw, 'notify'), `${where}.notify`) ?? base.notify,
    emailDecisions: readEmailDecisions(own(raw, 'emailDecisions'), `${where}.emailDecisions`) ?? base.emailDecisions,
    matchedBy,
  };
}

function readRecipients(raw: unknown, where: string): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length > MAX_RECIPIENTS || !raw.every((address) => isEmailAddress(address))) {
    throw new ApprovalPolicyError(`"${where}" must be a list of at most ${MAX_RECIPIENTS} plain email addresses.`);
  }
  return Object.freeze([...new Set(raw)]);
}

function readEmailDecisions(raw: unknown, where: string): EmailDecisions | undefined {
  if (raw === undefined) return undefined;
  const value = EMAIL_DECISIONS.find((d) => d === raw);
  if (value === undefined) throw new ApprovalPolicyError(`"${where}" must be one of ${EMAIL_DECISIONS.join(', ')}; got ${shown(raw)}.`);
  return value;
}

function readPatterns(raw: unknown, where: string, shape: 'arn-or-any' | 'role-arn'): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length > MAX_PATTERNS) {
    throw new ApprovalPolicyError(`"${where}" must be a list (at most ${MAX_PATTERNS}) of ARN patterns like "arn:aws:iam::123456789012:user/*".`);
  }
  return Object.freeze(
    raw.map((item, index) => {
      if (typeof item !== 'string' || item.trim() === '' || item.length > MAX_PATTERN_CHARS || hasControlCharacter(item)) {
        throw new ApprovalPolicyError(`"${where}[${index}]" must be a non-empty ARN pattern; got ${shown(item)}.`);
      }
      const pattern = item.trim();
      if (shape === 'arn-or-any' && pattern !== '*' && !/^arn:[^:]*:(iam|sts):/i.test(pattern)) {
        throw new ApprovalPolicyError(`"${where}[${index}]" must be "*" or an IAM/STS ARN pattern (arn:aws:iam::… or arn:aws:sts::…); got ${shown(pattern)}.`);
      }
      if (shape === 'role-arn' && !/^arn:[^:]*:iam::[^:]*:role\/[^/]+$/i.test(pattern)) {
        throw new ApprovalPolicyError(`"${where}[${index}]" must be a role ARN pattern without a path, like "arn:aws:iam::123456789012:role/DataReviewer"; got ${shown(pattern)}.`);
      }
      return pattern;
    }),
  );
}

function readKinds(raw: unknown, where: string): readonly IdentityKind[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) throw new ApprovalPolicyError(`"${where}" must be a list of ${IDENTITY_KINDS.join(', ')}.`);
  const kinds: IdentityKind[] = [];
  for (const item of raw) {
    const kind = IDENTITY_KINDS.find((k) => k === item);
    if (kind === undefined) throw new ApprovalPolicyError(`"${where}" holds ${shown(item)}; the kinds are ${IDENTITY_KINDS.join(', ')}.`);
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return Object.freeze(kinds);
}

/** True when the text holds a C0 control character or DEL (no ARN or job glob does). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function names(keys: readonly string[]): string {
  return keys.map((key) => JSON.stringify(key.slice(0, 80))).join(', ');
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}
