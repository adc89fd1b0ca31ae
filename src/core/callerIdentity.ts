// Who is deciding, read from the ARN that STS GetCallerIdentity returns for the chosen
// profile: `decided_by` in a decision is the session name of an assumed role (for AWS SSO
// that is the user's login) or the user name of an IAM user.

export type CallerKind = 'iam-user' | 'assumed-role' | 'sso' | 'federated-user' | 'root' | 'sts-user';

export interface ParsedCallerArn {
  arn: string;
  partition: string;
  account: string;
  kind: CallerKind;
  /** The person or session: what goes into `decided_by`. */
  name: string;
  /** The role of an assumed-role or SSO session. */
  roleName: string | null;
}

export class CallerIdentityError extends Error {
  override readonly name = 'CallerIdentityError';
}

const ARN = /^arn:([^:]+):(iam|sts):[^:]*:([^:]*):(.+)$/;

/**
 * Reads a caller identity ARN. Shapes:
 *   arn:aws:iam::123:user/path/jsmith                → iam-user, jsmith
 *   arn:aws:sts::123:assumed-role/Role/session       → assumed-role, session
 *   arn:aws:sts::123:assumed-role/AWSReservedSSO_…/jane@corp.com → sso, jane@corp.com
 *   arn:aws:sts::123:federated-user/name             → federated-user, name
 *   arn:aws:iam::123:root                            → root, root
 *   arn:aws:sts::123456789012:user/moto              → sts-user, moto (moto's local STS)
 * Throws CallerIdentityError for anything else: a decision must name who made it, and a
 * guess from a malformed ARN would put a wrong name into the audit trail.
 */
export function parseCallerArn(arn: string): ParsedCallerArn {
  const text = typeof arn === 'string' ? arn.trim() : '';
  const m = ARN.exec(text);
  if (m) {
    const [, partition = '', service, account = '', resource = ''] = m;
    const parts = resource.split('/');
    const type = parts[0];
    const last = parts[parts.length - 1] ?? '';
    const base = { arn: text, partition, account };
    if (service === 'iam' && resource === 'root') {
      return { ...base, kind: 'root', name: 'root', roleName: null };
    }
    if (service === 'iam' && type === 'user' && parts.length >= 2 && last !== '') {
      return { ...base, kind: 'iam-user', name: last, roleName: null };
    }
    if (service === 'sts' && type === 'assumed-role' && parts.length === 3 && parts[1] && last !== '') {
      const roleName = parts[1];
      return { ...base, kind: roleName.startsWith('AWSReservedSSO_') ? 'sso' : 'assumed-role', name: last, roleName };
    }
    if (service === 'sts' && type === 'federated-user' && parts.length === 2 && last !== '') {
      return { ...base, kind: 'federated-user', name: last, roleName: null };
    }
    if (service === 'sts' && type === 'user' && parts.length >= 2 && last !== '') {
      return { ...base, kind: 'sts-user', name: last, roleName: null };
    }
  }
  throw new CallerIdentityError(
    `Cannot tell who you are from the caller identity ARN ${JSON.stringify(text.slice(0, 200))}: ` +
      'expected an IAM user (arn:aws:iam::ACCOUNT:user/NAME), an assumed role or SSO session ' +
      '(arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), a federated user or the root user.',
  );
}

/** The `decided_by` for a caller ARN (see parseCallerArn); throws CallerIdentityError. */
export function decidedByFromArn(arn: string): string {
  return parseCallerArn(arn).name;
}

/** The account id in an ARN ("123456789012"), or null when the ARN has none. */
export function accountOfArn(arn: string): string | null {
  if (typeof arn !== 'string') {
    return null;
  }
  const fields = arn.trim().split(':');
  if (fields.length < 6 || fields[0] !== 'arn') {
    return null;
  }
  const account = fields[4] ?? '';
  return account === '' ? null : account;
}
