// The extension as VS Code sees it: installed under its id, activated lazily, and every
// command of the contract (SPEC §2) registered and contributed under its category.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'dwh-platform.dwh-approvals';
const CONTRACT_COMMANDS = [
  'dwhApprovals.refresh', 'dwhApprovals.approve', 'dwhApprovals.reject', 'dwhApprovals.showDetails',
  'dwhApprovals.selectProfile', 'dwhApprovals.selectRegion', 'dwhApprovals.filter', 'dwhApprovals.copyRunId',
  'dwhApprovals.openArtifact', 'dwhApprovals.showLog',
];

interface ContributedCommand {
  command: string;
  title?: string;
  category?: string;
}

interface Manifest {
  activationEvents?: string[];
  contributes?: { commands?: ContributedCommand[] };
}

function extension(): vscode.Extension<unknown> {
  const found = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(found, `${EXTENSION_ID} is not loaded in the extension host`);
  return found;
}

describe('activation', function () {
  it('is loaded under its published id', function () {
    assert.equal(extension().id, EXTENSION_ID);
  });

  it('does not activate on every start-up', function () {
    const manifest = extension().packageJSON as Manifest;
    assert.ok(!(manifest.activationEvents ?? []).includes('*'), 'activationEvents contains "*"');
  });

  it('activates when dwhApprovals.refresh is executed', async function () {
    await vscode.commands.executeCommand('dwhApprovals.refresh');
    assert.equal(extension().isActive, true);
  });

  it('registers every command of the contract', async function () {
    await extension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = CONTRACT_COMMANDS.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
  });

  it('contributes every command of the contract under the "DWH Approvals" category', function () {
    const contributed = (extension().packageJSON as Manifest).contributes?.commands ?? [];
    for (const id of CONTRACT_COMMANDS) {
      const command = contributed.find((c) => c.command === id);
      assert.ok(command, `${id} is not in contributes.commands`);
      assert.equal(command.category, 'DWH Approvals', `${id} has category ${String(command.category)}`);
      assert.ok(command.title, `${id} has no title`);
    }
  });
});
