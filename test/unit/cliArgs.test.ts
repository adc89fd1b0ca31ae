// The CLI's command line: the seed's aliases, the profile chain's sources in order, the
// extension's setting names for --set, and every malformed line a usage error (exit 2).
import assert from 'node:assert/strict';
import { EXIT, UsageError, parseCli } from '../../src/cli/cliArgs';
import { DEFAULT_CONNECTION_SETTINGS } from '../../src/core/connectionSettings';

describe('the CLI command line', () => {
  it('maps the seed\'s names onto commands: dwh-pending, dwh-approve, dwh-reject', () => {
    assert.deepEqual(parseCli('dwh-pending', ['--job', 'load_orders'], {}).command, { name: 'pending', job: 'load_orders', urgent: false });
    assert.deepEqual(parseCli('dwh-approve', ['run-1', '--reason', ' ok ', '--yes'], {}).command, { name: 'decide', runId: 'run-1', decision: 'APPROVED', reason: 'ok', yes: true });
    assert.deepEqual(parseCli('dwh-reject', ['run-1'], {}).command, { name: 'decide', runId: 'run-1', decision: 'REJECTED', reason: undefined, yes: false });
    assert.deepEqual(parseCli('dwh-approvals', ['history', 'load_orders', '--limit', '5'], {}).command, { name: 'history', jobName: 'load_orders', limit: 5 });
  });

  it('takes the profile and region from the flags, then AWS_PROFILE / AWS_REGION; the endpoint from --endpoint-url, then AWS_ENDPOINT_URL', () => {
    const env = { AWS_PROFILE: 'from-env', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' };
    const fromEnv = parseCli('dwh-approvals', ['pending'], env).settings;
    assert.deepEqual([fromEnv.profile, fromEnv.region, fromEnv.awsEndpointUrl], ['from-env', 'eu-west-1', 'http://127.0.0.1:5000']);
    const fromFlags = parseCli('dwh-approvals', ['pending', '--profile', 'team', '--region', 'us-west-2', '--endpoint-url', 'http://x:1'], env).settings;
    assert.deepEqual([fromFlags.profile, fromFlags.region, fromFlags.awsEndpointUrl], ['team', 'us-west-2', 'http://x:1']);
    const none = parseCli('dwh-approvals', ['pending'], {}).settings;
    assert.deepEqual(none, DEFAULT_CONNECTION_SETTINGS, 'the extension\'s defaults: the same SSM parameter names');
  });

  it('sets the extension\'s settings by their names, with or without the dwhApprovals. prefix', () => {
    const parsed = parseCli('dwh-approvals', ['pending', '--set', 'opensearch.index=ev', '--set', 'dwhApprovals.sns.topicArnParameter=/x/y', '--set', 'opensearch.service=aoss', '--set', 'approvalTtlHours=24'], {});
    assert.equal(parsed.settings.opensearchIndex, 'ev');
    assert.equal(parsed.settings.topicArnParameter, '/x/y');
    assert.equal(parsed.settings.opensearchService, 'aoss');
    assert.equal(parsed.ttlHours, 24);
  });

  for (const [why, args] of [
    ['no command', []],
    ['an unknown command', ['aprove', 'r']],
    ['an unknown option', ['pending', '--colour']],
    ['a missing run id', ['approve']],
    ['two run ids', ['show', 'a', 'b']],
    ['an empty reason', ['approve', 'r', '--reason', '  ']],
    ['an unknown setting', ['pending', '--set', 'aws.secretKey=x']],
    ['a setting without a value', ['pending', '--set', 'opensearch.index']],
    ['a bad service', ['pending', '--set', 'opensearch.service=solr']],
    ['a bad limit', ['history', 'j', '--limit', '0']],
    ['arguments to pending', ['pending', 'extra']],
  ] as const) {
    it(`refuses ${why} as a usage error`, () => {
      assert.throws(() => parseCli('dwh-approvals', args, {}), UsageError);
    });
  }

  it('documents its exit codes as the issue asks', () => {
    assert.deepEqual(EXIT, { done: 0, failure: 1, usage: 2, notPending: 3, credentials: 4 });
  });
});
