// The profile picker's list, from the user's AWS config and credentials files as the SDK's
// own loader parsed them (src/adapters/awsProfiles.ts reads them; this only interprets).

export interface AwsProfileEntry {
  name: string;
  region: string | undefined;
  /** How the profile gets credentials, for the picker's description. */
  kind: 'sso' | 'assume-role' | 'credential-process' | 'static' | 'other';
}

/** Section name → its keys, as `loadSharedConfigFiles` returns each file. */
export type IniSections = Record<string, Record<string, string | undefined> | undefined>;

/**
 * The loader's config file keeps `[profile x]` as `x` and `[default]` as `default`; the other
 * section types keep their prefix and a dot (`sso-session.corp`, `services.local`).
 */
const NOT_PROFILE_SECTIONS = /^(?:sso-session|services)\./;

function kindOf(values: Record<string, string | undefined>): AwsProfileEntry['kind'] {
  if (values.sso_session || values.sso_start_url) return 'sso';
  if (values.role_arn) return 'assume-role';
  if (values.credential_process) return 'credential-process';
  if (values.aws_access_key_id) return 'static';
  return 'other';
}

/** Profiles from both files, `default` first, then by name; a name in both is one entry. */
export function awsProfilesFrom(files: { configFile: IniSections; credentialsFile: IniSections }): AwsProfileEntry[] {
  const profiles = new Map<string, AwsProfileEntry>();
  for (const [name, values = {}] of Object.entries(files.configFile)) {
    if (NOT_PROFILE_SECTIONS.test(name)) continue;
    profiles.set(name, { name, region: values.region || undefined, kind: kindOf(values) });
  }
  for (const [name, values = {}] of Object.entries(files.credentialsFile)) {
    const existing = profiles.get(name);
    if (!existing) profiles.set(name, { name, region: values.region || undefined, kind: kindOf(values) });
    else if (existing.kind === 'other') existing.kind = kindOf(values);
  }
  return [...profiles.values()].sort((a, b) => (a.name === 'default' ? -1 : b.name === 'default' ? 1 : a.name.localeCompare(b.name)));
}

/** Commercial regions offered by the region picker; any other can be typed. */
export const KNOWN_REGIONS: readonly string[] = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1',
  'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1',
  'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2',
  'me-central-1', 'af-south-1',
];
