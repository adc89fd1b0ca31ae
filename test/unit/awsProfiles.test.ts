// The profile picker's list: the user's AWS files read by the SDK's own loader
// (src/adapters/awsProfiles.ts) from the paths in AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE,
// then interpreted by src/core/awsConfigFile.ts. Real files in a temporary directory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAwsProfiles } from '../../src/adapters/awsProfiles';
import { normalizeOpenSearchEndpoint } from '../../src/core/connectionSettings';

describe('readAwsProfiles', () => {
  const saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE };
  let dir = '';

  function useFiles(config: string | undefined, credentials: string | undefined): void {
    const configFile = join(dir, 'config');
    const credentialsFile = join(dir, 'credentials');
    rmSync(configFile, { force: true });
    rmSync(credentialsFile, { force: true });
    if (config !== undefined) writeFileSync(configFile, config);
    if (credentials !== undefined) writeFileSync(credentialsFile, credentials);
    process.env.AWS_CONFIG_FILE = configFile;
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
  }

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dwh-aws-profiles-')); });
  afterEach(() => {
    for (const [name, value] of [['AWS_CONFIG_FILE', saved.config], ['AWS_SHARED_CREDENTIALS_FILE', saved.credentials]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads profiles of every kind from both files, default first; sso-session and services sections are not profiles', async () => {
    useFiles([
      '[default]', 'region = eu-west-1', '',
      '[profile data-eng]', 'sso_session = corp', 'sso_account_id = 1', 'sso_role_name = DataEngineer', 'region = us-east-1',
      '[sso-session corp]', 'sso_start_url = https://example.invalid/start', 'sso_region = us-east-1',
      '[services local]', 'sns =', '  endpoint_url = http://127.0.0.1:1',
      '[profile prod-approver]', 'role_arn = arn:aws:iam::1:role/Approver', 'source_profile = default',
      '# a comment', '[profile tool]', 'credential_process = /usr/bin/get-creds',
      '[profile team.reader] ; a dotted name', 'region = eu-north-1',
    ].join('\n'), '[default]\naws_access_key_id = AKIA\naws_secret_access_key = x\n[ci]\naws_access_key_id = AKIB\n');
    assert.deepEqual(await readAwsProfiles(), [
      { name: 'default', region: 'eu-west-1', kind: 'static' },
      { name: 'ci', region: undefined, kind: 'static' },
      { name: 'data-eng', region: 'us-east-1', kind: 'sso' },
      { name: 'prod-approver', region: undefined, kind: 'assume-role' },
      { name: 'team.reader', region: 'eu-north-1', kind: 'other' },
      { name: 'tool', region: undefined, kind: 'credential-process' },
    ]);
  });

  it('sees an edit to the files on the next call (the loader caches unless told not to)', async () => {
    useFiles('[profile first]\nregion = us-east-1\n', undefined);
    assert.deepEqual((await readAwsProfiles()).map((p) => p.name), ['first']);
    useFiles('[profile first]\nregion = us-east-1\n[profile second]\nregion = us-west-2\n', undefined);
    assert.deepEqual((await readAwsProfiles()).map((p) => p.name), ['first', 'second']);
  });

  it('gives no profiles for missing, empty and malformed files', async () => {
    useFiles(undefined, undefined);
    assert.deepEqual(await readAwsProfiles(), []);
    useFiles('', '');
    assert.deepEqual(await readAwsProfiles(), []);
    useFiles('key = value\n[\n[profile ]\n', 'garbage');
    assert.deepEqual(await readAwsProfiles(), []);
  });
});

describe('connection settings', () => {
  it('normalises the endpoint: a host means https, a URL is kept, trailing slashes dropped', () => {
    assert.equal(normalizeOpenSearchEndpoint('search-dwh.us-east-1.es.amazonaws.com'), 'https://search-dwh.us-east-1.es.amazonaws.com');
    assert.equal(normalizeOpenSearchEndpoint(' http://127.0.0.1:9200/ '), 'http://127.0.0.1:9200');
    assert.throws(() => normalizeOpenSearchEndpoint('  '), /empty/);
    assert.throws(() => normalizeOpenSearchEndpoint('ftp://host'), /https or http/);
  });
});
