// Who gets the alert email for a job, and what a decision made through its link may do.
// Read by the notifier (recipients) and the processor (the rules), per job, from JSON:
//   { "default": { "notify": ["data-oncall@example.com"], "emailDecisions": "allowed" },
//     "jobs": { "load_orders": { "notify": ["orders-owner@example.com"], "emailDecisions": "not-counted" } } }
// emailDecisions:
//   allowed      an email link approves or rejects like any reviewer; an approval counts once
//                towards the quorum, as the recipient
//   not-counted  an email link may reject, and may approve only where one approval suffices
//                (quorum 1); under a larger quorum its approval is refused, not counted
//   refused      email links decide nothing for this job, and the notifier sends no alert
// A job's entry overrides only the fields it names. Kept apart from approvalPolicy.ts (the
// reviewers' policy) so that both can change independently; the processor applies both.

import { parseCallerArn } from './callerIdentity';
import { isEmailAddress } from './emailLinkToken';

export type EmailDecisions = 'allowed' | 'not-counted' | 'refused';

export interface JobEmailPolicy {
  notify: readonly string[];
  emailDecisions: EmailDecisions;
}

export interface EmailPolicy {
  default: JobEmailPolicy;
  jobs: Readonly<Record<string, JobEmailPolicy>>;
}

export const DEFAULT_JOB_EMAIL_POLICY: JobEmailPolicy = Object.freeze({ notify: Object.freeze([]), emailDecisions: 'allowed' });
export const DEFAULT_EMAIL_POLICY: EmailPolicy = Object.freeze({ default: DEFAULT_JOB_EMAIL_POLICY, jobs: Object.freeze({}) });
const MAX_RECIPIENTS = 50;
const DECISIONS: readonly EmailDecisions[] = ['allowed', 'not-counted', 'refused'];

export class EmailPolicyError extends Error {
  override readonly name = 'EmailPolicyError';
}

/** Reads the policy from JSON text or a parsed value; throws EmailPolicyError naming what is wrong. Empty text = the default. */
export function parseEmailPolicy(input: unknown): EmailPolicy {
  let value = input;
  if (typeof input === 'string') {
    if (input.trim() === '') return DEFAULT_EMAIL_POLICY;
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new EmailPolicyError(`The email policy is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (!isObject(value)) throw new EmailPolicyError('The email policy must be a JSON object like {"default": {"notify": []}, "jobs": {}}.');
  const extra = Object.keys(value).filter((key) => key !== 'default' && key !== 'jobs');
  if (extra.length > 0) throw new EmailPolicyError(`The email policy has unknown field(s): ${extra.join(', ')}.`);
  const base = readEntry(value.default, DEFAULT_JOB_EMAIL_POLICY, 'default');
  const jobs: Record<string, JobEmailPolicy> = Object.create(null) as Record<string, JobEmailPolicy>;
  if (value.jobs !== undefined && value.jobs !== null) {
    if (!isObject(value.jobs)) throw new EmailPolicyError('"jobs" in the email policy must be an object of job name → entry.');
    for (const [job, entry] of Object.entries(value.jobs)) jobs[job] = readEntry(entry, base, `jobs.${job}`);
  }
  return { default: base, jobs };
}

export function emailPolicyForJob(policy: EmailPolicy, jobName: string): JobEmailPolicy {
  return Object.prototype.hasOwnProperty.call(policy.jobs, jobName) ? (policy.jobs[jobName] ?? policy.default) : policy.default;
}

/**
 * Why an email decision may not be taken for this job, in words for the audit; null when it
 * may. `quorum` is the reviewers' policy's quorum for the job.
 */
export function emailDecisionRefusal(policy: JobEmailPolicy, decision: string, quorum: number): string | null {
  if (policy.emailDecisions === 'refused') return 'This job does not take decisions by email link; decide in VS Code or with the CLI.';
  if (policy.emailDecisions === 'not-counted' && decision === 'APPROVED' && quorum > 1) {
    return `Approvals by email link do not count towards this job's quorum of ${quorum}; approve in VS Code or with the CLI.`;
  }
  return null;
}

function readEntry(raw: unknown, base: JobEmailPolicy, where: string): JobEmailPolicy {
  if (raw === undefined || raw === null) return { ...base };
  if (!isObject(raw)) throw new EmailPolicyError(`"${where}" in the email policy must be an object.`);
  const extra = Object.keys(raw).filter((key) => key !== 'notify' && key !== 'emailDecisions');
  if (extra.length > 0) throw new EmailPolicyError(`"${where}" has unknown field(s): ${extra.join(', ')} (expected notify, emailDecisions).`);
  let notify = base.notify;
  if (raw.notify !== undefined) {
    if (!Array.isArray(raw.notify) || raw.notify.length > MAX_RECIPIENTS || !raw.notify.every((address) => isEmailAddress(address))) {
      throw new EmailPolicyError(`"${where}.notify" must be a list of at most ${MAX_RECIPIENTS} plain email addresses.`);
    }
    notify = [...new Set(raw.notify)];
  }
  let emailDecisions = base.emailDecisions;
  if (raw.emailDecisions !== undefined) {
    if (!DECISIONS.includes(raw.emailDecisions as EmailDecisions)) {
      throw new EmailPolicyError(`"${where}.emailDecisions" must be one of ${DECISIONS.join(', ')}; got ${JSON.stringify(raw.emailDecisions)}.`);
    }
    emailDecisions = raw.emailDecisions as EmailDecisions;
  }
  return { notify, emailDecisions };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when a verified caller ARN is a session of one of the approval API's roles
 * (`arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`; a session ARN carries no path, so the
 * partition, account and name are compared), or is one of `roleArns` itself.
 */
export function isApprovalApiIdentity(verifiedArn: string, roleArns: readonly string[]): boolean {
  let caller;
  try {
    caller = parseCallerArn(verifiedArn);
  } catch {
    return false;
  }
  return roleArns.some((roleArn) => {
    if (roleArn === verifiedArn) return true;
    const m = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
    return m !== null && caller.kind === 'assumed-role' && caller.partition === m[1] && caller.account === m[2] && caller.roleName === m[3];
  });
}
