// A decision is never lost: a run hidden after this window published a decision for it comes
// back into the Pending Approvals tree when the approval processor did not apply the decision.
// Against the local stack with the extension's real classes (store, backend connection,
// decision controller, tree) and the real processor code (DecisionProcessor over OpenSearch)
// run on the very message the controller published: a self-approval it refuses, a quorum vote
// it counts, and a message it never receives (the grace period).
import * as assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import * as vscode from 'vscode';
import { parseApprovalPolicy } from '../../src/core/approvalPolicy';
import { DecisionProcessor, type DecisionOutcome } from '../../src/core/decisionProcessor';
import type { JobRun } from '../../src/core/model';
import { PendingRunsStore, type PublishedFollowUp, type StoreOptions } from '../../src/core/pendingRunsStore';
import { BackendConnection } from '../../src/extension/backendConnection';
import { DecisionController } from '../../src/extension/decisionController';
import { PendingTreeProvider, type PendingNode } from '../../src/extension/pendingTree';
import { PublishedFollowUpNotifier } from '../../src/extension/publishedFollowUp';
import { OpenSearchDecisionStore } from '../../src/processor/openSearchDecisionStore';
import { StsIdentityVerifier } from '../../src/adapters/stsIdentityVerifier';
import { activated, readStackEnv, waitFor, withUserSettings } from './support';
import { pendingDoc } from '../unit/fixtures';

const JOB = 'host_followup_job';
const FORBID_SELF_APPROVAL = '{"default": {"forbidSelfApproval": true}}';

describe('published decisions the processor did not apply', function () {
  this.timeout(120_000);
  const env = () => readStackEnv();
  const indices = () => ({ events: env().indices?.events ?? 'job-events', approvals: env().indices?.approvals ?? 'job-approvals' });
  let client: Client;
  let log: vscode.LogOutputChannel;
  const created: string[] = [];
  const disposables: Array<{ dispose(): unknown }> = [];

  before(async function () {
    await activated();
    client = new Client({ node: env().opensearchUrl });
    log = vscode.window.createOutputChannel('DWH Approvals host test: follow-up', { log: true });
  });

  afterEach(function () {
    for (const disposable of disposables.splice(0).reverse()) disposable.dispose();
  });

  after(async function () {
    // Leave the stack as seeded: the runs and audits of this suite go.
    // (The local node has no _delete_by_query: search, then delete by id.)
    for (const index of created.length > 0 ? Object.values(indices()) : []) {
      const found = await client.search({ index, body: { size: 1000, _source: false, query: { terms: { job_run_id: created } } } }, { ignore: [404] });
      const hits = (found.body as { hits?: { hits?: Array<{ _id: string }> } }).hits?.hits ?? [];
      for (const hit of hits) await client.delete({ index, id: hit._id }, { ignore: [404] });
      await client.indices.refresh({ index }, { ignore: [404] });
    }
    log?.dispose();
    await client?.close();
  });

  /** A pending run of our own, triggered by `triggeredBy`, visible to searches. */
  async function pendingRun(prefix: string, triggeredBy: string | null): Promise<string> {
    const runId = `${prefix}-${randomUUID().slice(0, 8)}`;
    created.push(runId);
    await client.index({
      index: indices().events,
      refresh: true,
      body: pendingDoc({
        timestamp: new Date(Date.now() - 60_000).toISOString(),
        job_name: JOB,
        job_run_id: runId,
        ...(triggeredBy ? { triggered_by: triggeredBy } : {}),
      }),
    });
    return runId;
  }

  /** The extension's pieces as activate() wires them, over the local stack. */
  async function extensionParts(options: StoreOptions = {}) {
    const store = new PendingRunsStore(undefined, () => ({}), { followUpIntervalMs: 300, ...options });
    const connection = new BackendConnection(store, log);
    const controller = new DecisionController(connection, store, log);
    const tree = new PendingTreeProvider(store);
    const told: Array<{ warning: boolean; text: string }> = [];
    const notifier = new PublishedFollowUpNotifier(store, log, (warning, text) => {
      told.push({ warning, text });
      return Promise.resolve(undefined);
    });
    disposables.push({ dispose: () => store.dispose() }, connection, controller, tree, notifier);
    await connection.start();
    assert.equal(store.status.kind, 'ready', `the store loaded: ${JSON.stringify(store.status)}`);
    // Polling on (as by default), slowly: the follow-up runs on its own, every 300 ms here.
    store.startPolling(3600);
    return { store, connection, controller, tree, told };
  }

  async function publish(parts: Awaited<ReturnType<typeof extensionParts>>, runId: string): Promise<string> {
    await parts.store.refresh({ force: true });
    await rowIds(parts.tree); // the tree loads its rows (the store keeps only counts)
    const run: JobRun | undefined = parts.store.find(runId);
    assert.ok(run, `${runId} is in the pending list`);
    const result = await parts.controller.decide(run, 'APPROVED', 'Host test: drop rate explained by a known bad batch');
    assert.equal(result.kind, 'published', JSON.stringify(result));
    assert.ok(!(await rowIds(parts.tree)).includes(runId), 'hidden right after publishing');
    return result.kind === 'published' ? JSON.stringify(result.message) : '';
  }

  /** The real processor code, run on the published message as Lambda would run it. */
  async function processWith(parts: Awaited<ReturnType<typeof extensionParts>>, policy: string, body: string, secret?: string): Promise<DecisionOutcome> {
    const store = new OpenSearchDecisionStore(client, env().opensearchUrl, indices());
    const sts = new StsIdentityVerifier({ region: env().region, endpointUrl: env().awsEndpointUrl });
    const processor = new DecisionProcessor(
      { ...store.processorPorts(), verifyIdentityProof: (proof) => sts.verify(proof) },
      {
        secrets: { current: secret ?? (await (await parts.connection.backend.load()).parameters.signingSecret()), previous: null, previousAcceptedUntilMs: null },
        policy: parseApprovalPolicy(policy),
        allowedProofUrls: [sts.endpoint],
      },
    );
    try {
      return await processor.process(body);
    } finally {
      sts.destroy();
    }
  }

  async function rows(tree: PendingTreeProvider): Promise<Array<{ node: PendingNode; item: vscode.TreeItem }>> {
    return (await tree.getChildren()).map((node) => ({ node, item: tree.getTreeItem(node) }));
  }

  async function rowIds(tree: PendingTreeProvider): Promise<string[]> {
    return (await rows(tree)).flatMap((row) => (row.node.kind === 'run' ? [row.node.run.jobRunId] : []));
  }

  async function rowOf(tree: PendingTreeProvider, runId: string): Promise<vscode.TreeItem | undefined> {
    const row = (await rows(tree)).find((r) => r.node.kind === 'run' && r.node.run.jobRunId === runId);
    if (!row) return undefined;
    // The tooltip may be built only when the row is hovered (resolveTreeItem).
    const resolvable = tree as { resolveTreeItem?: (item: vscode.TreeItem, node: PendingNode) => vscode.TreeItem };
    return resolvable.resolveTreeItem?.call(tree, row.item, row.node) ?? row.item;
  }

  function tooltipText(item: vscode.TreeItem | undefined): string {
    const tooltip = item?.tooltip;
    return tooltip instanceof vscode.MarkdownString ? tooltip.value : String(tooltip ?? '');
  }

  it('brings back a run whose approval the processor refused, saying why, with one warning', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const parts = await extensionParts();
      const identity = await parts.connection.identity();
      // The reviewer triggered this run; the policy forbids approving one's own run.
      const runId = await pendingRun('host-refused', identity.arn);
      const message = await publish(parts, runId);

      const outcome = await processWith(parts, FORBID_SELF_APPROVAL, message);
      assert.equal(outcome.status, 'refused', JSON.stringify(outcome));
      assert.equal(outcome.runUpdated, false);

      const item = await waitFor(() => rowOf(parts.tree, runId), (found) => found !== undefined, `${runId} back in the tree`);
      assert.match(String(item?.description), /^⚠ your approval was refused by the processor: .*triggered this run/);
      assert.match(tooltipText(item), /refused by the approval processor/);
      assert.match(tooltipText(item), /⚠ Your approval \\\(published at \d\d\\:\d\d\\\)/, 'escaped Markdown, not HTML entities');
      assert.match(tooltipText(item), /cannot approve it/);
      assert.equal(item?.iconPath instanceof vscode.ThemeIcon && item.iconPath.id, 'warning');
      assert.match(item?.contextValue ?? '', /\bpending\b/, 'approve and reject are offered again');
      const entry: PublishedFollowUp | undefined = parts.store.publishedFollowUp(runId);
      assert.equal(entry?.state.kind, 'not-applied');
      assert.ok((await rowIds(parts.tree)).includes(runId), 'listed again');
      assert.equal(parts.store.hiddenRuns().length, 0, 'and counted in the badge again');

      await waitFor(() => parts.told.length, (n) => n >= 1, 'the warning');
      assert.equal(parts.told.length, 1);
      assert.equal(parts.told[0]?.warning, true);
      assert.match(parts.told[0]?.text ?? '', new RegExp(`${JOB} run ${runId} is back in Pending Approvals\\. Your approval .* was refused`));
      // Later polls and follow-ups do not tell again. Positive signal that they ran: a second
      // refused approval, found by the follow-up timer after the first was told, is told alone.
      await parts.store.refresh({ force: true });
      await parts.store.refresh({ force: false });
      const secondRunId = await pendingRun('host-refused-next', identity.arn);
      const second = await processWith(parts, FORBID_SELF_APPROVAL, await publish(parts, secondRunId));
      assert.equal(second.status, 'refused', JSON.stringify(second));
      await waitFor(() => parts.told.length, (n) => n >= 2, 'the warning about the second run');
      assert.equal(parts.told.length, 2, `told: ${JSON.stringify(parts.told)}`);
      assert.match(parts.told[1]?.text ?? '', new RegExp(`${JOB} run ${secondRunId} is back in Pending Approvals\\.`));
      assert.ok(!(parts.told[1]?.text ?? '').includes(runId), 'the first run is not told again');
      assert.ok((await rowIds(parts.tree)).includes(runId));
    });
  });

  it('shows a counted quorum vote as "awaiting quorum 1/2", not as refused', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const parts = await extensionParts();
      const runId = await pendingRun('host-quorum', null);
      const message = await publish(parts, runId);

      const outcome = await processWith(parts, `{"jobs": {"${JOB}": {"quorum": 2}}}`, message);
      assert.equal(outcome.status, 'awaiting-quorum', JSON.stringify(outcome));

      const item = await waitFor(() => rowOf(parts.tree, runId), (found) => found !== undefined, `${runId} back in the tree`);
      assert.match(String(item?.description), /^awaiting quorum 1\/2 · /);
      assert.doesNotMatch(String(item?.description), /refused/);
      assert.match(tooltipText(item), /was counted\\; the run is awaiting quorum 1\\\/2/);
      assert.notEqual(item?.iconPath instanceof vscode.ThemeIcon && item.iconPath.id, 'warning');
      await waitFor(() => parts.told.length, (n) => n >= 1, 'the notification');
      assert.equal(parts.told[0]?.warning, false, 'information, not a warning');
    });
  });

  it('brings back a run the processor has not recorded after the grace period', async function () {
    await withUserSettings({ groupBy: 'none' }, async () => {
      const parts = await extensionParts({ graceMs: 2_000 });
      const runId = await pendingRun('host-unrecorded', null);
      await publish(parts, runId);
      // Nobody processes the message.
      const item = await waitFor(() => rowOf(parts.tree, runId), (found) => found !== undefined, `${runId} back in the tree after the grace period`);
      assert.match(String(item?.description), /^⚠ approval published at \d\d:\d\d, not yet recorded by the approval processor · /);
      assert.equal(parts.store.publishedFollowUp(runId)?.state.kind, 'overdue');
      await waitFor(() => parts.told.length, (n) => n >= 1, 'the warning');
      assert.equal(parts.told[0]?.warning, true);
    });
  });
  it('after a decision refused for its signature (a rotated secret), signs the next one with the secret read again', async function () {
    const ssm = new SSMClient({ region: env().region, endpoint: env().awsEndpointUrl, credentials: env().credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const name = '/dwh/approvals/signing-secret';
    const original = (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value ?? '';
    assert.ok(original, 'the stack has a signing secret');
    try {
      await withUserSettings({ groupBy: 'none' }, async () => {
        const parts = await extensionParts();
        const runId = await pendingRun('host-rotated', null);
        const first = await publish(parts, runId); // signed with the secret read now, then cached
        const rotated = `rotated-${randomUUID()}`;
        await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: rotated, Overwrite: true }));

        // A processor that knows only the new secret (no grace) refuses it for its signature.
        const refused = await processWith(parts, '', first, rotated);
        assert.equal(refused.code, 'signature', JSON.stringify(refused));
        const item = await waitFor(() => rowOf(parts.tree, runId), (found) => found !== undefined, `${runId} back in the tree`);
        assert.match(String(item?.description), /rejected by the processor as invalid: The signature does not verify/);

        const second = await publish(parts, runId);
        const recorded = await processWith(parts, '', second, rotated);
        assert.equal(recorded.status, 'recorded', `the second decision is signed with the rotated secret: ${JSON.stringify(recorded)}`);
      });
    } finally {
      await ssm.send(new PutParameterCommand({ Name: name, Type: 'SecureString', Value: original, Overwrite: true }));
      ssm.destroy();
    }
  });
});
