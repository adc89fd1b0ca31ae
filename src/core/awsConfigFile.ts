// Reads profile names (and their regions and kinds) from the text of the user's AWS
// config and credentials files, for the profile picker. Plain INI, as the AWS CLI reads it.

export interface AwsProfileEntry {
  name: string;
  region: string | undefined;
  /** How the profile gets credentials, for the picker's description. */
  kind: 'sso' | 'assume-role' | 'credential-process' | 'static' | 'other';
}

function sections(text: string): Map<string, Map<string, string>> {
  const result = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1]) {
      const name = header[1].trim();
      current = result.get(name) ?? new Map<string, string>();
      result.set(name, current);
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (pair?.[1] && current) current.set(pair[1].trim().toLowerCase(), (pair[2] ?? '').trim());
  }
  return result;
}

function kindOf(values: Map<string, string>): AwsProfileEntry['kind'] {
  if (values.has('sso_session') || values.has('sso_start_url')) return 'sso';
  if (values.has('role_arn')) return 'assume-role';
  if (values.has('credential_process')) return 'credential-process';
  if (values.has('aws_access_key_id')) return 'static';
  return 'other';
}

/** Profiles from the config file (`[profile x]`, `[default]`) and the credentials file (`[x]`). */
export function parseAwsProfiles(configText: string, credentialsText: string): AwsProfileEntry[] {
  const profiles = new Map<string, AwsProfileEntry>();
  for (const [section, values] of sections(configText)) {
    const name = section === 'default' ? 'default' : /^profile\s+(.+)$/.exec(section)?.[1]?.trim();
    if (!name) continue; // sso-session and services sections are not profiles
    profiles.set(name, { name, region: values.get('region') || undefined, kind: kindOf(values) });
  }
  for (const [name, values] of sections(credentialsText)) {
    const existing = profiles.get(name);
    if (existing) {
      if (existing.kind === 'other') existing.kind = kindOf(values);
    } else {
      profiles.set(name, { name, region: values.get('region') || undefined, kind: kindOf(values) });
    }
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
