// The connection settings from the dwhApprovals section as VS Code's `inspect` gives it: the
// user's values over the defaults, nothing from any other scope (the extension passes only
// these two), empty or non-string values unset.
import assert from 'node:assert/strict';
import { DEFAULT_CONNECTION_SETTINGS, connectionSettingsFrom } from '../../src/core/connectionSettings';

describe('connection settings from the section inspected', () => {
  it('reads each nested user value, trimmed, over the defaults', () => {
    const user = {
      aws: { profile: ' reviewer ', region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:5000' },
      opensearch: { endpoint: 'https://search.example', index: 'events-2', approvalsIndex: 'audits-2', service: 'aoss' },
      sns: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals' },
      signing: { secretParameter: '/other/secret' },
      policy: { parameter: '/other/policy' },
    };
    assert.deepEqual(connectionSettingsFrom(user, {}), {
      ...DEFAULT_CONNECTION_SETTINGS,
      profile: 'reviewer',
      region: 'eu-west-1',
      awsEndpointUrl: 'http://127.0.0.1:5000',
      opensearchEndpoint: 'https://search.example',
      opensearchIndex: 'events-2',
      approvalsIndex: 'audits-2',
      opensearchService: 'aoss',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals',
      signingSecretParameter: '/other/secret',
      policyParameter: '/other/policy',
    });
  });

  it('takes the contributed defaults where the user set nothing, and the built-in ones where neither did', () => {
    const defaults = { opensearch: { index: 'contributed-index', service: 'es' }, aws: { profile: '' } };
    assert.deepEqual(connectionSettingsFrom(undefined, defaults), { ...DEFAULT_CONNECTION_SETTINGS, opensearchIndex: 'contributed-index' });
    assert.deepEqual(connectionSettingsFrom({ aws: { region: 'us-east-1' } }, defaults), { ...DEFAULT_CONNECTION_SETTINGS, opensearchIndex: 'contributed-index', region: 'us-east-1' });
  });

  it('treats empty, blank and non-string values as unset (the built-in default then), and any service but aoss as es', () => {
    const user = { aws: { profile: '   ', region: 42 }, opensearch: { index: '', endpoint: ['https://x'], service: 'AOSS' }, sns: null, signing: 'flat' };
    assert.deepEqual(connectionSettingsFrom(user, { opensearch: { index: 'contributed-index' }, aws: { region: 'eu-west-1' } }), DEFAULT_CONNECTION_SETTINGS);
  });

  it('reads only own keys of the trees (an inherited "profile" is not a setting)', () => {
    const user = Object.create({ aws: { profile: 'inherited' } }) as object;
    assert.equal(connectionSettingsFrom(user, {}).profile, undefined);
  });
});
