// Profile names for the picker, read from AWS config and credentials text.
import assert from 'node:assert/strict';
import { parseAwsProfiles } from '../../src/core/awsConfigFile';
import { isFifoTopic, normalizeOpenSearchEndpoint } from '../../src/core/connectionSettings';

describe('parseAwsProfiles', () => {
  it('reads profiles of every kind from both files, default first, sso-session sections skipped', () => {
    const config = [
      '[default]', 'region = eu-west-1', '',
      '[profile data-eng]', 'sso_session = corp', 'sso_account_id = 1', 'sso_role_name = DataEngineer', 'region = us-east-1',
      '[sso-session corp]', 'sso_start_url = https://example.invalid/start', 'sso_region = us-east-1',
      '[profile prod-approver]', 'role_arn = arn:aws:iam::1:role/Approver', 'source_profile = default',
      '# a comment', '[profile tool]', 'credential_process = /usr/bin/get-creds',
    ].join('\n');
    const credentials = '[default]\naws_access_key_id = AKIA\naws_secret_access_key = x\n[ci]\naws_access_key_id = AKIB\n';
    assert.deepEqual(parseAwsProfiles(config, credentials), [
      { name: 'default', region: 'eu-west-1', kind: 'static' },
      { name: 'ci', region: undefined, kind: 'static' },
      { name: 'data-eng', region: 'us-east-1', kind: 'sso' },
      { name: 'prod-approver', region: undefined, kind: 'assume-role' },
      { name: 'tool', region: undefined, kind: 'credential-process' },
    ]);
  });

  it('tolerates empty and malformed files', () => {
    assert.deepEqual(parseAwsProfiles('', ''), []);
    assert.deepEqual(parseAwsProfiles('key = value\n[\n[profile ]\n', 'garbage'), []);
  });
});

describe('connection settings', () => {
  it('normalises the endpoint: a host means https, a URL is kept, trailing slashes dropped', () => {
    assert.equal(normalizeOpenSearchEndpoint('search-dwh.us-east-1.es.amazonaws.com'), 'https://search-dwh.us-east-1.es.amazonaws.com');
    assert.equal(normalizeOpenSearchEndpoint(' http://127.0.0.1:9200/ '), 'http://127.0.0.1:9200');
    assert.throws(() => normalizeOpenSearchEndpoint('  '), /empty/);
    assert.throws(() => normalizeOpenSearchEndpoint('ftp://host'), /https or http/);
  });

  it('knows a FIFO topic by its ARN', () => {
    assert.equal(isFifoTopic('arn:aws:sns:us-east-1:1:job_approvals.fifo'), true);
    assert.equal(isFifoTopic('arn:aws:sns:us-east-1:1:job_approvals'), false);
  });
});
