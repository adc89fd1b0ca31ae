// The approval policy's rules for decisions made through an alert email's link (issue 13),
// on the per-job policy of approvalPolicy.ts (its `notify` and `emailDecisions` fields). The
// processor takes such a decision only from the approval API's role (isApprovalApiIdentity),
// and then its person is the link's recipient: one the job's policy notifies, counted once
// per recipient. The ARN rules (approvers, rejecters, identity kinds) are for callers deciding
// as themselves; the API's role is never one of those people. Pure.

import type { JobPolicy } from './approvalPolicy';
import { parseCallerArn } from './callerIdentity';

export type EmailEligibility = { allowed: true; personKey: string; name: string } | { allowed: false; detail: string };

/** May the link's recipient take this decision on the run by email? */
export function emailEligibility(policy: JobPolicy, run: { triggeredBy: string | null }, recipient: string | null | undefined, decision: string): EmailEligibility {
  const who = typeof recipient === 'string' ? recipient.trim().toLowerCase() : '';
  if (policy.emailDecisions === 'refused') return { allowed: false, detail: 'This job does not take decisions by email link; decide in VS Code or with the CLI.' };
  if (who === '' || !policy.notify.some((address) => address.toLowerCase() === who)) {
    return { allowed: false, detail: `${JSON.stringify(String(recipient ?? '').slice(0, 254))} is not a recipient this job's approval policy notifies.` };
  }
  if (policy.emailDecisions === 'not-counted' && decision === 'APPROVED' && policy.quorum > 1) {
    return { allowed: false, detail: `Approvals by email link do not count towards this job's quorum of ${policy.quorum}; approve in VS Code or with the CLI.` };
  }
  if (decision === 'APPROVED' && policy.forbidSelfApproval && typeof run.triggeredBy === 'string' && run.triggeredBy.trim().toLowerCase() === who) {
    return { allowed: false, detail: `${who} triggered this run and cannot approve it.` };
  }
  return { allowed: true, personKey: `email:${who}`, name: who };
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
