// The stack's reviewers: IAM users in moto, each with an access key of its own, so that
// moto's STS GetCallerIdentity answers with a distinct IAM user ARN per AWS profile (as AWS
// does), and the approval policy's "distinct people" can be shown and tested for real.
import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CREDENTIALS, REGION, STACK_USERS } from './config.mjs';
import { StackError } from './proc.mjs';

async function ensureUser(iam, userName) {
  try {
    return (await iam.send(new GetUserCommand({ UserName: userName }))).User?.Arn;
  } catch (error) {
    if (error?.name !== 'NoSuchEntityException' && error?.name !== 'NoSuchEntity') throw error;
  }
  return (await iam.send(new CreateUserCommand({ UserName: userName }))).User?.Arn;
}

/**
 * The stack's users with an access key each (idempotent). A key recorded in the previous
 * env.json that moto still lists is kept (a running editor keeps working); otherwise the
 * user's keys are replaced by a new one (moto never shows a secret again).
 * @param {string} endpoint moto's URL
 * @param {Record<string, {accessKeyId: string, secretAccessKey: string}>} previous by user name
 * @returns {Promise<Record<string, {userName: string, profile: string, arn: string, accessKeyId: string, secretAccessKey: string}>>}
 */
export async function ensureStackUsers(endpoint, previous = {}) {
  const iam = new IAMClient({ endpoint, region: REGION, credentials: { ...CREDENTIALS } });
  try {
    const users = {};
    for (const { userName, profile } of STACK_USERS) {
      const arn = await ensureUser(iam, userName);
      if (!arn) throw new StackError(`moto IAM gave no ARN for the user ${userName}`);
      const keyIds = ((await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []).map((key) => key.AccessKeyId);
      const known = previous[userName];
      if (known && keyIds.includes(known.accessKeyId)) {
        users[userName] = { userName, profile, arn, accessKeyId: known.accessKeyId, secretAccessKey: known.secretAccessKey };
        continue;
      }
      for (const keyId of keyIds) await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keyId }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey;
      if (!key?.AccessKeyId || !key.SecretAccessKey) throw new StackError(`moto IAM CreateAccessKey ${userName} returned no key`);
      users[userName] = { userName, profile, arn, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    }
    return users;
  } finally {
    iam.destroy();
  }
}
