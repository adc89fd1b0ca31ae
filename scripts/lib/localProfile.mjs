// The AWS profile and the extension settings that point VS Code at the local stack, shared by
// the demo and every test tier that runs the extension. Files of our own, never ~/.aws.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './prereqs.mjs';

export const LOCAL_PROFILE = 'dwh-local';
/** A second reviewer (another IAM user, another person) and a user who approves no score_* run. */
export const SECOND_REVIEWER_PROFILE = 'dwh-local-reviewer2';
export const OBSERVER_PROFILE = 'dwh-local-observer';

/** The stack's directory: DWH_STACK_DIR, as scripts/lib/stack reads it, else `.stack/`. */
export function stackDir(root = repoRoot) {
  const fromEnv = process.env.DWH_STACK_DIR?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(root, '.stack');
}

/**
 * Writes `.stack/aws/config` and `.stack/aws/credentials` with a profile per reviewer of the
 * stack (env.json's `users`: IAM users in moto with keys of their own; `dwh-local` is the
 * first reviewer) and returns the variables that make the AWS SDK read them. A stack without
 * users (an older env.json) gets `dwh-local` with the stack's dummy keys.
 */
export function writeLocalProfile(stackEnv, root = repoRoot) {
  const dir = path.join(stackDir(root), 'aws');
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'config');
  const credentials = path.join(dir, 'credentials');
  const fallback = stackEnv.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const users = Object.values(stackEnv.users ?? {});
  const profiles = users.length > 0 ? users : [{ profile: LOCAL_PROFILE, ...fallback }];
  fs.writeFileSync(config, profiles.map((p) => `[profile ${p.profile}]\nregion = ${stackEnv.region}\noutput = json\n`).join('\n'));
  fs.writeFileSync(
    credentials,
    profiles.map((p) => `[${p.profile}]\naws_access_key_id = ${p.accessKeyId}\naws_secret_access_key = ${p.secretAccessKey}\n`).join('\n'),
    { mode: 0o600 },
  );
  return { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: credentials };
}

/**
 * The user settings the demo and the tests give the extension. The OpenSearch endpoint and the
 * topic are left out on purpose: the extension finds them in SSM, through moto, as in production.
 */
export function localExtensionSettings(stackEnv) {
  return {
    'dwhApprovals.aws.profile': LOCAL_PROFILE,
    'dwhApprovals.aws.region': stackEnv.region,
    'dwhApprovals.aws.endpointUrl': stackEnv.awsEndpointUrl,
    'dwhApprovals.refreshIntervalSeconds': 5,
  };
}
