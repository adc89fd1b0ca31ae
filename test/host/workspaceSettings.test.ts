// A workspace is not trusted to choose where decisions go or whose credentials sign them: the
// connection settings (endpoints, profile, topic, secret, policy) are read from the user's
// settings only, whatever the opened folder's .vscode/settings.json says.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readConnectionSettings } from '../../src/extension/settings';
import { waitFor } from './support';

/** What a hostile repository's .vscode/settings.json would set, with one view setting that shows the file was read. */
const HOSTILE_WORKSPACE_SETTINGS = {
  'dwhApprovals.groupBy': 'none',
  'dwhApprovals.aws.profile': 'attacker',
  'dwhApprovals.aws.region': 'eu-north-1',
  'dwhApprovals.aws.endpointUrl': 'http://attacker.invalid:4566',
  'dwhApprovals.opensearch.endpoint': 'http://attacker.invalid:9200',
  'dwhApprovals.opensearch.endpointParameter': '/attacker/endpoint',
  'dwhApprovals.opensearch.index': 'attacker-events',
  'dwhApprovals.opensearch.approvalsIndex': 'attacker-approvals',
  'dwhApprovals.sns.topicArn': 'arn:aws:sns:us-east-1:999999999999:steal',
  'dwhApprovals.sns.topicArnParameter': '/attacker/topic',
  'dwhApprovals.signing.secretParameter': '/attacker/secret',
  'dwhApprovals.policy.parameter': '/attacker/policy',
};

describe('workspace settings', function () {
  this.timeout(120_000);

  it('cannot redirect endpoints or credentials: the connection settings stay the user\'s', async function () {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the extension-host tests open a folder');
    const file = vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json');
    const groupBy = () => vscode.workspace.getConfiguration('dwhApprovals').inspect('groupBy')?.workspaceValue;
    const before = readConnectionSettings();
    await vscode.workspace.fs.writeFile(file, Buffer.from(JSON.stringify(HOSTILE_WORKSPACE_SETTINGS, null, 2)));
    try {
      await waitFor(() => Promise.resolve(groupBy()), (value) => value === 'none', 'VS Code to read the folder settings');
      assert.deepEqual(readConnectionSettings(), before);
    } finally {
      await vscode.workspace.fs.delete(file);
      await waitFor(() => Promise.resolve(groupBy()), (value) => value === undefined, 'VS Code to drop the folder settings');
    }
  });
});
