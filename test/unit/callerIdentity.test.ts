import assert from 'node:assert/strict';
import { accountOfArn, CallerIdentityError, decidedByFromArn, parseCallerArn } from '../../src/core/callerIdentity';

describe('decidedByFromArn', () => {
  const cases: Array<[string, string, string]> = [
    ['an IAM user', 'arn:aws:iam::123456789012:user/jsmith', 'jsmith'],
    ['an IAM user with a path', 'arn:aws:iam::123456789012:user/division/team/jsmith', 'jsmith'],
    ['an assumed role', 'arn:aws:sts::123456789012:assumed-role/DataEngineer/jsmith-session', 'jsmith-session'],
    ['an SSO session', 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc123/jane@corp.com', 'jane@corp.com'],
    ['the root user', 'arn:aws:iam::123456789012:root', 'root'],
    ['a federated user', 'arn:aws:sts::123456789012:federated-user/bob', 'bob'],
    ['moto’s local STS', 'arn:aws:sts::123456789012:user/moto', 'moto'],
    ['another partition', 'arn:aws-us-gov:sts::123456789012:assumed-role/Role/alice', 'alice'],
    ['an ARN with surrounding spaces', '  arn:aws:iam::123456789012:user/jsmith \n', 'jsmith'],
  ];
  for (const [label, arn, name] of cases) {
    it(`reads ${label}`, () => {
      assert.equal(decidedByFromArn(arn), name);
    });
  }

  const garbage: Array<[string, string]> = [
    ['an empty string', ''],
    ['a user name', 'jsmith'],
    ['an S3 ARN', 'arn:aws:s3:::my-bucket'],
    ['an assumed role without a session', 'arn:aws:sts::123456789012:assumed-role/Role'],
    ['an assumed role with an empty session', 'arn:aws:sts::123456789012:assumed-role/Role/'],
    ['an IAM role (GetCallerIdentity never returns one)', 'arn:aws:iam::123456789012:role/Role'],
    ['an IAM user without a name', 'arn:aws:iam::123456789012:user/'],
  ];
  for (const [label, arn] of garbage) {
    it(`throws a clear CallerIdentityError for ${label}`, () => {
      assert.throws(() => decidedByFromArn(arn), (error: unknown) => {
        assert.ok(error instanceof CallerIdentityError);
        assert.match(error.message, /^Cannot tell who you are from the caller identity ARN/);
        assert.ok(error.message.includes(JSON.stringify(arn.trim())));
        return true;
      });
    });
  }

  it('throws for a value that is not a string at all', () => {
    assert.throws(() => decidedByFromArn(undefined as unknown as string), CallerIdentityError);
  });
});

describe('parseCallerArn', () => {
  it('tells SSO sessions from other assumed roles, and keeps the role name', () => {
    assert.deepEqual(parseCallerArn('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc123/jane@corp.com'), {
      arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc123/jane@corp.com',
      partition: 'aws',
      account: '111122223333',
      kind: 'sso',
      name: 'jane@corp.com',
      roleName: 'AWSReservedSSO_Admin_abc123',
    });
    assert.equal(parseCallerArn('arn:aws:sts::111122223333:assumed-role/Deployer/ci').kind, 'assumed-role');
    assert.equal(parseCallerArn('arn:aws:iam::111122223333:root').kind, 'root');
    assert.equal(parseCallerArn('arn:aws:sts::123456789012:user/moto').kind, 'sts-user');
  });
});

describe('accountOfArn', () => {
  it('reads the account of any ARN shape', () => {
    assert.equal(accountOfArn('arn:aws:iam::123456789012:user/jsmith'), '123456789012');
    assert.equal(accountOfArn('arn:aws:sts::123456789012:assumed-role/R/s'), '123456789012');
    assert.equal(accountOfArn('arn:aws:sns:us-east-1:123456789012:job_approvals'), '123456789012');
  });

  it('is null when there is none', () => {
    assert.equal(accountOfArn('arn:aws:s3:::bucket'), null);
    assert.equal(accountOfArn('garbage'), null);
    assert.equal(accountOfArn(''), null);
    assert.equal(accountOfArn(42 as unknown as string), null);
  });
});
