// The run details panel in a real extension host against the seeded local stack: one tab
// per run, titled with the run id and (once loaded from OpenSearch) the job name, reused
// when the run is shown again, and a messy document with an HTML job name opens as text.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';

const EXTENSION_ID = 'dwh-platform.dwh-approvals';
const VIEW_TYPE = 'dwhApprovals.details';
const HTML_JOB_NAME = '<img src=x onerror=alert(1)>';

interface SeedManifest {
  pendingRunIds: string[];
  messyRunIds: string[];
}

function readSeed(extension: vscode.Extension<unknown>): SeedManifest {
  // The host inherits the runner's environment, so DWH_STACK_DIR names the stack in use.
  const stackDir = process.env.DWH_STACK_DIR?.trim() || vscode.Uri.joinPath(extension.extensionUri, '.stack').fsPath;
  const file = vscode.Uri.joinPath(vscode.Uri.file(stackDir), 'seed.json').fsPath;
  assert.ok(fs.existsSync(file), `${file} is missing: seed the local stack first (npm run stack:seed)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SeedManifest;
}

/** Tabs of details panels (the workbench prefixes the view type it reports). */
function detailsTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(VIEW_TYPE));
}

function tabsOf(runId: string): vscode.Tab[] {
  return detailsTabs().filter((tab) => tab.label === `Run ${runId}` || tab.label.startsWith(`Run ${runId} · `));
}

async function waitFor<T>(read: () => T, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('run details panel', function () {
  let seed: SeedManifest;

  before(async function () {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    await extension.activate();
    seed = readSeed(extension);
    assert.ok(seed.pendingRunIds.length > 0, 'the seed has no pending runs');
    assert.ok(seed.messyRunIds.length > 0, 'the seed has no messy runs');
  });

  afterEach(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('activates for a details panel restored after a window reload', function () {
    // VS Code calls the panel serializer only once the extension is active; without this event a
    // reload would leave the restored tabs blank until something else activated it.
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    const events = (extension?.packageJSON as { activationEvents?: string[] } | undefined)?.activationEvents ?? [];
    assert.ok(events.includes(`onWebviewPanel:${VIEW_TYPE}`), `activationEvents: ${events.join(', ')}`);
  });

  it('opens a panel for a pending run, titled with its run id and job name', async function () {
    const runId = seed.pendingRunIds[0] ?? '';
    await vscode.commands.executeCommand('dwhApprovals.showDetails', runId);
    const tabs = await waitFor(() => tabsOf(runId), (t) => t.length === 1, `a details tab for ${runId}`);
    assert.ok(tabs[0]?.isActive, 'the new panel is not the active tab');
    // The job name comes from the run read afresh from OpenSearch.
    await waitFor(() => tabsOf(runId)[0]?.label ?? '', (label) => label.startsWith(`Run ${runId} · `), 'the job name in the title');
  });

  it('reveals the open panel when the same run is shown again', async function () {
    const runId = seed.pendingRunIds[0] ?? '';
    await vscode.commands.executeCommand('dwhApprovals.showDetails', runId);
    await waitFor(() => tabsOf(runId), (t) => t.length === 1, `a details tab for ${runId}`);
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await vscode.commands.executeCommand('dwhApprovals.showDetails', runId);
    await waitFor(() => tabsOf(runId)[0]?.isActive ?? false, (active) => active, 'the panel to become active again');
    assert.equal(tabsOf(runId).length, 1);
    assert.equal(detailsTabs().length, 1);
  });

  it('opens one panel per run, also from a tree node', async function () {
    const [first, second] = seed.pendingRunIds;
    assert.ok(first && second, 'the seed needs two pending runs');
    await vscode.commands.executeCommand('dwhApprovals.showDetails', first);
    await vscode.commands.executeCommand('dwhApprovals.showDetails', { kind: 'run', run: { jobRunId: second, jobName: 'x' } });
    await waitFor(() => detailsTabs().length, (n) => n === 2, 'two details tabs');
    assert.equal(tabsOf(first).length, 1);
    assert.equal(tabsOf(second).length, 1);
  });

  it('opens the messy run with an HTML job name, showing the name as text', async function () {
    const runId = seed.messyRunIds[0] ?? '';
    await vscode.commands.executeCommand('dwhApprovals.showDetails', runId);
    const label = await waitFor(() => tabsOf(runId)[0]?.label ?? '', (l) => l.includes(' · '), 'the messy run to load');
    assert.equal(label, `Run ${runId} · ${HTML_JOB_NAME}`);
  });

  it('opens every messy run without throwing', async function () {
    for (const runId of seed.messyRunIds) {
      await vscode.commands.executeCommand('dwhApprovals.showDetails', runId);
    }
    await waitFor(() => detailsTabs().length, (n) => n === seed.messyRunIds.length, 'a tab per messy run');
  });
});
