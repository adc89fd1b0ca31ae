// The extension as VS Code sees it: installed under its id, activated lazily (only by its
// views, commands and details panels, never at start-up), and every command of the contract
// (docs/CONTRACTS.md §10) registered and contributed under its category. This suite runs first (files in
// name order), before any other suite activates the extension.
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

  it('does not activate on start-up: only a view, a command or a details panel activates it', function () {
    // Activation events VS Code fires for something the user opens or runs; "*",
    // onStartupFinished, workspaceContains:, onLanguage: and the like fire without that.
    const onDemand = /^(onView|onCommand|onWebviewPanel):/;
    const manifest = extension().packageJSON as Manifest;
    const eager = (manifest.activationEvents ?? []).filter((event) => !onDemand.test(event));
    assert.deepEqual(eager, [], `activationEvents that fire without the user asking: ${eager.join(', ')}`);
    assert.equal(extension().isActive, false, 'the extension is active before anything asked for it');
  });

  it('activates when dwhApprovals.refresh is executed', async function () {
    assert.equal(extension().isActive, false, 'already active: this test cannot see refresh activate it');
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
