// Every command of the contract, run the way VS Code runs it, against the seeded local stack:
// each does its job or refuses cleanly, and none throws (a throwing command shows the user
// "command ... resulted in an error"). What needs typing (a reason, a filter) is answered
// with the workbench's own quick-input commands; what cannot be typed here (the filter's
// text) is covered by the end-to-end suites and by the class-level suites beside this one.
// What a command did is read where it shows: the extension's log, OpenSearch's requests
// (through a proxy), the terminal's command, the clipboard and the settings.
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startFaultyProxy, type ProxiedRequest } from '../support/faultyProxy';
import { purge, receiveUpToNow, sqsClient } from '../support/queues';
import type { StackEnv } from '../support/localStack';
import { activated, answerQuickInput, readSeed, readStackEnv, settledFlag, waitFor, withUserSettings } from './support';

const CLOSE = 'workbench.action.closeQuickOpen';
const ACCEPT = 'workbench.action.acceptSelectedQuickOpenItem';

function outputEditorShown(): boolean {
  return vscode.window.visibleTextEditors.some((editor) => editor.document.uri.scheme === 'output');
}

/** The extension's log as its output editor shows it, once it contains `marker`. */
async function logWith(marker: string): Promise<string> {
  return waitFor(async () => {
    await vscode.commands.executeCommand('dwhApprovals.showLog');
    return vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'output')?.document.getText() ?? '';
  }, (text) => text.includes(marker), `"${marker}" in the DWH Approvals log`);
}

/**
 * A read of the pending list: the overview the tree shows (groups and their counts, one
 * aggregation by job_name), not the cheap summary, a page, a history or an audit lookup.
 */
function isPendingListRead(request: ProxiedRequest): boolean {
  return request.path.includes('/_search') && request.body.includes('"jobs":{"terms":{"field":"job_name"');
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
    const proxy = await startFaultyProxy(env.opensearchUrl);
    try {
      // Every read of the pending list through the proxy waits until the test releases it.
      proxy.holdWhen(isPendingListRead);
      await withUserSettings({ 'opensearch.endpoint': proxy.url }, async () => {
        // The window reconnects and loads on its own: a read of the list is held, a load under way.
        await waitFor(() => proxy.held.length, (n) => n >= 1, 'the reconnected window to read the pending list');
        const readsBefore = proxy.heldTotal;
        const refresh = vscode.commands.executeCommand('dwhApprovals.refresh');
        const refreshed = settledFlag(refresh);
        // A command that did not wait for the read would have settled before this one, run after it.
        await vscode.commands.executeCommand('dwhApprovals.copyRunId');
        assert.equal(refreshed.settled, false, 'refresh resolved while the pending runs were still being read');

        proxy.release();
        // Refresh reloads: the list is read again after the read that was under way.
        await waitFor(() => proxy.heldTotal, (n) => n > readsBefore, 'refresh to read the pending list again');
        proxy.clear();
        await refresh;
        assert.ok(proxy.forwarded.filter(isPendingListRead).length >= 2, 'both reads reached OpenSearch');
        // Two in a row share or queue requests; neither throws.
        await Promise.all([vscode.commands.executeCommand('dwhApprovals.refresh'), vscode.commands.executeCommand('dwhApprovals.refresh')]);
      });
    } finally {
      proxy.clear();
      await proxy.close();
    }
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
    const refused = ['javascript:alert(1)', '<img src=x onerror=alert(2)>', 'https://example.invalid/bucket/key', 's3:/bucket-without-key'];
    for (const value of refused) await vscode.commands.executeCommand('dwhApprovals.openArtifact', value);
    await vscode.commands.executeCommand('dwhApprovals.openArtifact');
    await vscode.commands.executeCommand('dwhApprovals.openArtifact', 42);
    // A command logged after them: the log has everything they logged by then.
    const marker = `no-such-run-${randomUUID()}`;
    await vscode.commands.executeCommand('dwhApprovals.showDetails', marker);
    const log = await logWith(`Details of ${marker}: opened`);
    const opened = log.split('\n').filter((line) => /Opening .* in the S3 console/.test(line) && refused.some((value) => line.includes(value)));
    assert.deepEqual(opened, [], 'none of them was opened in the S3 console');
  });

  it('dwhApprovals.ssoLogin (the fix for an expired SSO session) runs aws sso login for the profile in a terminal', async function () {
    // An `aws` first on the terminal's PATH that writes down its arguments; the terminal's
    // shell is bash without the machine's rc files (which may put a real aws first).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-fake-aws-'));
    const argsFile = path.join(dir, 'args');
    fs.writeFileSync(path.join(dir, 'aws'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}.part' && mv '${argsFile}.part' '${argsFile}'\n`, { mode: 0o755 });
    const terminalSettings = () => vscode.workspace.getConfiguration('terminal.integrated');
    const shellSettings: Record<string, unknown> = {
      'profiles.linux': { 'dwh-host-test': { path: 'bash', args: ['--norc', '--noprofile'] } },
      'defaultProfile.linux': 'dwh-host-test',
      'env.linux': { PATH: `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}` },
    };
    const settingsBefore = Object.fromEntries(Object.keys(shellSettings).map((key) => [key, terminalSettings().inspect(key)?.globalValue]));
    const before = new Set(vscode.window.terminals);
    let terminal: vscode.Terminal | undefined;
    try {
      for (const [key, value] of Object.entries(shellSettings)) await terminalSettings().update(key, value, vscode.ConfigurationTarget.Global);
      // A profile name the shell would split or expand unless it is quoted.
      const profile = "dwh host's $HOME test";
      await vscode.commands.executeCommand('dwhApprovals.ssoLogin', profile);
      terminal = await waitFor(() => vscode.window.terminals.find((t) => !before.has(t)), (t) => t !== undefined, 'a new terminal');
      assert.equal(terminal?.name, 'AWS SSO login');
      const args = await waitFor(() => (fs.existsSync(argsFile) ? fs.readFileSync(argsFile, 'utf8') : ''), (text) => text !== '', 'the terminal to run aws', 60_000);
      assert.deepEqual(args.replace(/\n$/, '').split('\n'), ['sso', 'login', '--profile', profile]);
    } finally {
      terminal?.dispose();
      for (const [key, value] of Object.entries(settingsBefore)) await terminalSettings().update(key, value, vscode.ConfigurationTarget.Global);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
