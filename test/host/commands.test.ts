// Every command of the contract, run the way VS Code runs it, against the seeded local stack:
// each does its job or refuses cleanly, and none throws (a throwing command shows the user
// "command ... resulted in an error"). What needs typing (a reason, a filter) is answered
// with the workbench's own quick-input commands; what cannot be typed here is covered by the
// end-to-end suites and by the class-level suites beside this one.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { purge, receiveUpToNow, sqsClient } from '../support/queues';
import type { StackEnv } from '../support/localStack';
import { activated, answerQuickInput, readSeed, readStackEnv, waitFor, withUserSettings } from './support';

const CLOSE = 'workbench.action.closeQuickOpen';
const ACCEPT = 'workbench.action.acceptSelectedQuickOpenItem';

function outputEditorShown(): boolean {
  return vscode.window.visibleTextEditors.some((editor) => editor.document.uri.scheme === 'output');
}

describe('commands', function () {
  this.timeout(120_000);
  let env: StackEnv;
  let seed: ReturnType<typeof readSeed>;
  let sqs: ReturnType<typeof sqsClient>;

  /** Runs that stay pending in this suite (other suites open the first ones). */
  function aPendingRun(): string {
    const skip = new Set([...seed.messyRunIds, ...(seed.duplicateRunIds ?? [])]);
    const runId = [...seed.pendingRunIds].reverse().find((id) => !skip.has(id));
    assert.ok(runId, 'the seed has no well-formed pending run');
    return runId;
  }

  /** Nothing about these runs reached the topic by now (the tap queue is shared with other tiers). */
  async function nothingPublished(runIds: string[]): Promise<void> {
    const delivered = (await receiveUpToNow(sqs, env.queueUrls.tap)).filter((d) => runIds.includes(String(d.message.job_run_id)));
    assert.deepEqual(delivered.map((d) => d.message), [], 'nothing was published to the topic');
  }

  before(async function () {
    await activated();
    env = readStackEnv() as unknown as StackEnv;
    seed = readSeed();
    sqs = sqsClient(env);
    await purge(sqs, env.queueUrls.tap);
  });

  afterEach(async function () {
    await vscode.commands.executeCommand(CLOSE);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(function () {
    sqs?.destroy();
  });

  it('dwhApprovals.refresh reloads and resolves once the pending runs are read', async function () {
    const started = Date.now();
    await vscode.commands.executeCommand('dwhApprovals.refresh');
    // Two in a row share or queue requests; neither throws.
    await Promise.all([vscode.commands.executeCommand('dwhApprovals.refresh'), vscode.commands.executeCommand('dwhApprovals.refresh')]);
    assert.ok(Date.now() - started < 30_000, 'refresh took more than 30 s against the local stack');
  });

  it('dwhApprovals.refresh does not throw when OpenSearch cannot be reached', async function () {
    await withUserSettings({ 'opensearch.endpoint': 'http://127.0.0.1:9' }, async () => {
      await vscode.commands.executeCommand('dwhApprovals.refresh');
    });
    await vscode.commands.executeCommand('dwhApprovals.refresh');
  });

  it('dwhApprovals.copyRunId puts the run id on the clipboard, from an id or a tree node', async function () {
    const runId = aPendingRun();
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('dwhApprovals.copyRunId', runId);
    assert.equal(await vscode.env.clipboard.readText(), runId);
    await vscode.commands.executeCommand('dwhApprovals.copyRunId', { kind: 'run', run: { jobRunId: `${runId}-node`, jobName: 'x' } });
    assert.equal(await vscode.env.clipboard.readText(), `${runId}-node`);
    // A job row or nothing copies nothing.
    await vscode.commands.executeCommand('dwhApprovals.copyRunId', { kind: 'job', jobName: 'x', runs: [] });
    await vscode.commands.executeCommand('dwhApprovals.copyRunId');
    assert.equal(await vscode.env.clipboard.readText(), `${runId}-node`);
  });

  it('dwhApprovals.showDetails with a run id opens that run in a webview tab', async function () {
    const runId = aPendingRun();
    await vscode.commands.executeCommand('dwhApprovals.showDetails', runId);
    const tab = await waitFor(
      () => vscode.window.tabGroups.activeTabGroup.activeTab,
      (t) => t?.input instanceof vscode.TabInputWebview && t.label.startsWith(`Run ${runId}`),
      `the details tab of ${runId}`,
    );
    assert.ok(tab?.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('dwhApprovals.details'));
  });

  it('dwhApprovals.showDetails without an argument offers a pick, and Escape opens nothing', async function () {
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.showDetails'), CLOSE, 'the run pick to close');
    const webviews = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
    assert.equal(webviews.length, 0);
  });

  it('dwhApprovals.showLog shows the DWH Approvals output channel', async function () {
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await waitFor(() => outputEditorShown(), (shown) => !shown, 'the panel to close');
    await vscode.commands.executeCommand('dwhApprovals.showLog');
    const editor = await waitFor(
      () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'output'),
      (e) => e !== undefined,
      'an output editor',
    );
    const text = editor?.document.getText() ?? '';
    assert.match(text, /Connection: profile /, 'the channel is the extension\'s log');
    assert.doesNotMatch(text, /secretAccessKey|aws_secret_access_key|testing:testing/i, 'no credential in the log');
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('dwhApprovals.approve and reject refuse a run that is not pending, publishing nothing', async function () {
    const unknown = 'no-such-run-20240101-00000000';
    await vscode.commands.executeCommand('dwhApprovals.approve', unknown);
    await vscode.commands.executeCommand('dwhApprovals.reject', unknown);
    await nothingPublished([unknown]);
  });

  it('dwhApprovals.approve and reject publish nothing when the reason prompt is dismissed', async function () {
    const runId = aPendingRun();
    await withUserSettings({ confirmDecisions: false }, async () => {
      await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.approve', runId), CLOSE, 'the reason prompt to close');
      await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.reject', runId), CLOSE, 'the reason prompt to close');
    });
    await nothingPublished([runId]);
  });

  it('dwhApprovals.approve from the palette offers a pick of pending runs; Escape decides nothing', async function () {
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.approve'), CLOSE, 'the run pick to close');
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.reject'), CLOSE, 'the run pick to close');
    await nothingPublished(seed.pendingRunIds);
  });

  it('dwhApprovals.filter keeps the filter when its prompt is accepted unchanged or dismissed', async function () {
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.filter'), ACCEPT, 'the filter prompt to be accepted');
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.filter'), CLOSE, 'the filter prompt to close');
  });

  it('dwhApprovals.selectRegion and selectProfile change nothing when dismissed, and write user settings when picked', async function () {
    const config = () => vscode.workspace.getConfiguration('dwhApprovals');
    const region = config().inspect<string>('aws.region')?.globalValue;
    const profile = config().inspect<string>('aws.profile')?.globalValue;
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.selectRegion'), CLOSE, 'the region pick to close');
    await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.selectProfile'), CLOSE, 'the profile pick to close');
    assert.equal(config().inspect('aws.region')?.globalValue, region);
    assert.equal(config().inspect('aws.profile')?.globalValue, profile);

    await withUserSettings({ 'aws.region': 'eu-west-1', 'aws.profile': 'someone-else' }, async () => {
      // The first entries: "From the profile" and "Default credential chain", both stored as "".
      await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.selectRegion'), ACCEPT, 'the region pick to be accepted');
      assert.equal(config().inspect('aws.region')?.globalValue, '');
      await answerQuickInput(vscode.commands.executeCommand('dwhApprovals.selectProfile'), ACCEPT, 'the profile pick to be accepted');
      assert.equal(config().inspect('aws.profile')?.globalValue, '');
    });
    assert.equal(config().inspect('aws.region')?.globalValue, region);
    assert.equal(config().inspect('aws.profile')?.globalValue, profile);
    await vscode.commands.executeCommand('dwhApprovals.refresh');
  });

  it('dwhApprovals.openArtifact refuses what is not an S3 path and ignores a missing argument', async function () {
    await vscode.commands.executeCommand('dwhApprovals.openArtifact', 'javascript:alert(1)');
    await vscode.commands.executeCommand('dwhApprovals.openArtifact', '<img src=x onerror=alert(2)>');
    await vscode.commands.executeCommand('dwhApprovals.openArtifact');
    await vscode.commands.executeCommand('dwhApprovals.openArtifact', 42);
  });

  it('dwhApprovals.ssoLogin (the fix for an expired SSO session) runs aws sso login for the profile in a terminal', async function () {
    const before = new Set(vscode.window.terminals);
    await vscode.commands.executeCommand('dwhApprovals.ssoLogin', 'dwh-host-test');
    const terminal = await waitFor(() => vscode.window.terminals.find((t) => !before.has(t)), (t) => t !== undefined, 'a new terminal');
    assert.equal(terminal?.name, 'AWS SSO login');
    terminal?.dispose();
  });
});
