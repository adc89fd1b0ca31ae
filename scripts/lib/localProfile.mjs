// The AWS profile and the extension settings that point VS Code at the local stack, shared by
// the demo and every test tier that runs the extension. Files of our own, never ~/.aws.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './prereqs.mjs';

export const LOCAL_PROFILE = 'dwh-local';

/** The stack's directory: DWH_STACK_DIR, as scripts/lib/stack reads it, else `.stack/`. */
export function stackDir(root = repoRoot) {
  const fromEnv = process.env.DWH_STACK_DIR?.trim();
  return fromEnv ? path.resolve(fromEnv) : path.join(root, '.stack');
}

/**
 * Writes `.stack/aws/config` and `.stack/aws/credentials` with the profile `dwh-local` (the
 * stack's dummy keys: moto accepts any) and returns the variables that make the AWS SDK read them.
 */
export function writeLocalProfile(stackEnv, root = repoRoot) {
  const dir = path.join(stackDir(root), 'aws');
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'config');
  const credentials = path.join(dir, 'credentials');
  fs.writeFileSync(config, `[profile ${LOCAL_PROFILE}]\nregion = ${stackEnv.region}\noutput = json\n`);
  const keys = stackEnv.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' };
  fs.writeFileSync(credentials,
    `[${LOCAL_PROFILE}]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`,
    { mode: 0o600 });
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
