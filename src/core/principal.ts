// Who a verified caller ARN is as a *person*, for counting a quorum and for the rule that
// nobody approves their own run. The ARN is the one STS returned (never a name from the
// message). Pure.
//
// Person keys (lower-cased; IAM names are unique regardless of case):
//   IAM user                       user:NAME      the user (its path ignored)
//   SSO (AWSReservedSSO_* role)    user:SESSION   Identity Center sets the session name to
//                                                 the user's login, whatever permission set
//                                                 (role) they use: two permission sets, one person
//   role named in personalRoles    user:SESSION   the trust policy enforces session = person
//   any other assumed role         role:ACCOUNT:ROLE  the session name is chosen by whoever
//                                                 assumes the role, so it names nobody: a role
//                                                 counts once, whatever its session names
//   federated user                 federated:ACCOUNT  its name is chosen by the caller of
//                                                 GetFederationToken: once per account
//   root                           root:ACCOUNT
// Named people share one namespace on purpose: the IAM user `alice` and a personal-role
// session `alice` are taken to be the same person. That can only make a quorum harder to
// reach or a self-approval easier to refuse, never the reverse.

import { globMatches, hasControlCharacter, type IdentityKind, type JobPolicy } from './approvalPolicy';
import { parseCallerArn, type ParsedCallerArn } from './callerIdentity';

export interface Principal {
  arn: string;
  /** The policy's kind; null for a shape no policy can name (moto's default `sts::…:user/moto`). */
  kind: IdentityKind | null;
  /** What a quorum counts: one per person (see the top of the file). */
  personKey: string;
  /** The person as shown: the user name, the SSO or personal session, else "role NAME". */
  personName: string;
  /** True when `personName` is a person, not a role or an account. */
  named: boolean;
  /** The role ARN (no path) of an assumed-role or SSO session. */
  roleArn: string | null;
}

/** The principal of a caller ARN, or null when the ARN is not one (see parseCallerArn). */
export function principalOf(arn: unknown, policy: Pick<JobPolicy, 'personalRoles'>): Principal | null {
  // STS never returns blanks or control characters in an ARN; a name holding one is not a person.
  if (typeof arn !== 'string' || /\s/.test(arn) || hasControlCharacter(arn)) return null;
  let caller: ParsedCallerArn;
  try {
    caller = parseCallerArn(arn);
  } catch {
    return null;
  }
  const account = caller.account.toLowerCase();
  const name = caller.name.toLowerCase();
  const base = { arn: caller.arn, roleArn: null };
  switch (caller.kind) {
    case 'iam-user':
      return { ...base, kind: 'iam-user', personKey: `user:${name}`, personName: caller.name, named: true };
    case 'sso':
      return { ...base, kind: 'sso-user', personKey: `user:${name}`, personName: caller.name, named: true, roleArn: roleArnOf(caller) };
    case 'assumed-role': {
      const roleArn = roleArnOf(caller);
      if (policy.personalRoles.some((pattern) => globMatches(pattern, roleArn))) {
        return { ...base, kind: 'assumed-role', personKey: `user:${name}`, personName: caller.name, named: true, roleArn };
      }
      const role = (caller.roleName ?? '').toLowerCase();
      return { ...base, kind: 'assumed-role', personKey: `role:${account}:${role}`, personName: `role ${caller.roleName ?? ''}`, named: false, roleArn };
    }
    case 'federated-user':
      return { ...base, kind: 'federated-user', personKey: `federated:${account}`, personName: `federated users of ${caller.account}`, named: false };
    case 'root':
      return { ...base, kind: 'root', personKey: `root:${account}`, personName: `the root user of ${caller.account}`, named: false };
    case 'sts-user':
      return { ...base, kind: null, personKey: `sts-user:${account}:${name}`, personName: caller.name, named: false };
  }
}

/**
 * True when `triggeredBy` (a run's `triggered_by`: an ARN or a plain name) is the same
 * person as the decider. An ARN is compared by person key. A plain name is compared with the
 * decider's person name, and also with a plain role session's name: a session name proves
 * nothing, but whoever chose the trigger's name as their session name is refused all the same.
 */
export function triggeredBySamePerson(triggeredBy: string | null | undefined, decider: Principal, policy: Pick<JobPolicy, 'personalRoles'>): boolean {
  const trigger = typeof triggeredBy === 'string' ? triggeredBy.trim() : '';
  if (trigger === '') return false;
  if (trigger.toLowerCase().startsWith('arn:')) {
    const triggerer = principalOf(trigger, policy);
    if (triggerer === null) return trigger.toLowerCase() === decider.arn.toLowerCase();
    if (triggerer.personKey === decider.personKey) return true;
    // Another shape of the same name (a role session named like a user): refused as well.
    const triggerName = sessionName(triggerer);
    return triggerName !== '' && triggerName === sessionName(decider);
  }
  const name = trigger.toLowerCase();
  return name === decider.personName.toLowerCase() || name === sessionName(decider);
}

/** The last part of the ARN (user or session name), lower-cased. */
function sessionName(principal: Principal): string {
  try {
    return parseCallerArn(principal.arn).name.toLowerCase();
  } catch {
    return '';
  }
}

function roleArnOf(caller: ParsedCallerArn): string {
  return `arn:${caller.partition}:iam::${caller.account}:role/${caller.roleName ?? ''}`;
}
