// What the reviewer's end-to-end suites share: a probe of the local stack that reads what SNS
// delivered (and checks its signature independently of the product's code), reads and edits
// run documents in OpenSearch as another system would, and the workbench gestures of a
// decision: open a run from the tree, the details page, the quick input, the modal dialog.
import * as assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseApprovalPolicy, policyForJob } from '../../src/core/approvalPolicy';
import type { FrameLocator, Locator } from 'playwright-core';
import { purge, receiveUpToNow, sqsClient, type Delivered } from '../support/queues';
import type { StackEnv } from '../support/localStack';
import { PENDING_VIEW, Workbench, eventually } from './workbench';

// ---- the stack, seen from outside the product ---------------------------------------------

/** Canonical JSON as docs/CONTRACTS.md §4 defines it, written here again so the check is independent. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().filter((k) => record[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** hex HMAC-SHA256 over the UTF-8 canonical JSON of every field but `signature`. */
export function expectedSignature(message: Record<string, unknown>, secret: string): string {
  const unsigned = { ...message };
  delete unsigned.signature;
  return createHmac('sha256', secret).update(Buffer.from(canonical(unsigned), 'utf8')).digest('hex');
}

export interface RunDocument {
  id: string;
  source: Record<string, unknown>;
}

export class StackProbe {
  readonly sqs: SQSClient;
  private secret: string | undefined;

  readonly eventsIndex: string;

  constructor(readonly env: StackEnv) {
    this.sqs = sqsClient(env);
    this.eventsIndex = (env.indices as { events?: string } | undefined)?.events ?? 'job-events';
  }

  /** Empties the queues a test reads, so it sees only what it caused. */
  async purgeQueues(...names: Array<'tap' | 'downstream' | 'processor'>): Promise<void> {
    for (const name of names) await purge(this.sqs, this.queueUrl(name));
  }

  queueUrl(name: 'tap' | 'downstream' | 'processor'): string {
    const url = this.env.queueUrls[name];
    assert.ok(url, `the stack has no ${name} queue`);
    return url;
  }

  /**
   * Collects what arrives in a queue about the given runs until `count` messages are there,
   * and then all that is in the queue by now (a sentinel sent after them comes back: see
   * receiveUpToNow), so a duplicate is seen too. The queues are shared with other tiers (a
   * message another test received and did not delete comes back after its visibility
   * timeout), so only these runs' messages count.
   */
  async collect(name: 'tap' | 'downstream', runIds: readonly string[], count: number, { timeoutMs = 30_000 } = {}): Promise<Delivered[]> {
    const ours = (all: Delivered[]) => all.filter((d) => runIds.includes(String(d.message.job_run_id)));
    const all: Delivered[] = [];
    const deadline = Date.now() + timeoutMs;
    do {
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${count} message(s) about ${runIds.join(', ')} in ${name}; got ${JSON.stringify(all.map((d) => d.message))}`);
      }
      all.push(...(await receiveUpToNow(this.sqs, this.queueUrl(name))));
    } while (ours(all).length < count);
    return ours(all);
  }

  /** What reached the queue about the given runs by now (for "nothing was published"). */
  async received(name: 'tap' | 'downstream', runIds: readonly string[]): Promise<Delivered[]> {
    return (await receiveUpToNow(this.sqs, this.queueUrl(name))).filter((d) => runIds.includes(String(d.message.job_run_id)));
  }

  /** The signing secret, read from SSM as the processor does (never printed). */
  async signingSecret(): Promise<string> {
    if (this.secret) return this.secret;
    const ssm = new SSMClient({ region: this.env.region, endpoint: this.env.awsEndpointUrl, credentials: this.env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    try {
      const res = await ssm.send(new GetParameterCommand({ Name: this.env.ssm.signingSecretParameter, WithDecryption: true }));
      const value = res.Parameter?.Value;
      assert.ok(value, 'the signing secret parameter is empty');
      this.secret = value;
      return value;
    } finally {
      ssm.destroy();
    }
  }

  /** Asserts a delivered decision is well formed and signed with the secret from SSM. */
  async assertSignedDecision(delivered: Delivered, expected: { runId: string; decision: 'APPROVED' | 'REJECTED'; reason: string; decidedBy?: string }): Promise<void> {
    const m = delivered.message;
    assert.equal(m.event_type, 'approval_decision');
    assert.equal(m.job_run_id, expected.runId);
    assert.equal(m.decision, expected.decision);
    assert.equal(m.reason, expected.reason.trim(), 'the reason is published trimmed');
    if (expected.decidedBy !== undefined) assert.equal(m.decided_by, expected.decidedBy);
    assert.equal(m.signature_version, 'v2');
    assert.match(String(m.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, 'timestamp is ISO 8601 UTC with Z');
    assert.ok(Math.abs(Date.parse(String(m.timestamp)) - Date.now()) < 5 * 60_000, `timestamp ${String(m.timestamp)} is now`);
    assert.match(String(m.decision_id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'decision_id is a UUID v4');
    assert.match(String(m.identity_arn), /^arn:aws:(iam|sts)::\d{12}:/, 'identity_arn is the caller ARN');
    assert.equal(typeof m.job_name, 'string');
    assert.match(String(m.signature), /^[0-9a-f]{64}$/, 'signature is hex HMAC-SHA256');
    assert.equal(m.signature, expectedSignature(m, await this.signingSecret()), 'the signature verifies with the secret from SSM');
    assert.deepEqual(delivered.attributes.decision, { Type: 'String', Value: expected.decision }, 'message attribute "decision"');
  }

  async opensearch(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.env.opensearchUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  /** Every document of the given runs in job-events. */
  async runDocuments(runIds: readonly string[]): Promise<RunDocument[]> {
    const { status, json } = await this.opensearch('POST', `/${this.eventsIndex}/_search`, {
      size: 1000,
      query: { terms: { job_run_id: runIds } },
    });
    assert.equal(status, 200, `searching ${this.eventsIndex}: ${JSON.stringify(json)}`);
    const hits = (json.hits as { hits: Array<{ _id: string; _source: Record<string, unknown> }> }).hits;
    return hits.map((hit) => ({ id: hit._id, source: hit._source }));
  }

  /** Sets fields on every document of a run, visible to searches at once (refresh=true). */
  async updateRun(runId: string, fields: Record<string, unknown>): Promise<void> {
    const docs = await this.runDocuments([runId]);
    assert.ok(docs.length > 0, `no document of ${runId}`);
    for (const doc of docs) {
      const { status, json } = await this.opensearch('POST', `/${this.eventsIndex}/_update/${encodeURIComponent(doc.id)}?refresh=true`, { doc: fields });
      assert.equal(status, 200, `updating ${doc.id}: ${JSON.stringify(json)}`);
    }
  }

  /**
   * Indexes a new pending run of `jobName` (one document, a failing drop_rate check), visible
   * to searches at once. Resolves its run id and document id (for deleteDocument).
   */
  async indexPendingRun(jobName: string, prefix: string): Promise<{ runId: string; id: string }> {
    const runId = `${prefix}-${randomUUID().slice(0, 8)}`;
    const id = `e2e-${runId}`;
    const { status, json } = await this.opensearch('PUT', `/${this.eventsIndex}/_doc/${id}?refresh=true`, {
      timestamp: new Date(Date.now() - 5 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: jobName,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '13.2%', threshold: '10.0%' }],
      records_read: 120_000,
      records_written: 104_160,
      records_dropped: 15_840,
    });
    assert.equal(status, 201, `indexing ${runId}: ${JSON.stringify(json)}`);
    return { runId, id };
  }

  /** Deletes a document of job-events, visible to searches at once. */
  async deleteDocument(id: string): Promise<void> {
    const { status, json } = await this.opensearch('DELETE', `/${this.eventsIndex}/_doc/${encodeURIComponent(id)}?refresh=true`);
    assert.ok(status === 200 || status === 404, `deleting ${id}: ${JSON.stringify(json)}`);
  }

  /**
   * The newest document of a run, read with real-time GETs: no `_refresh`, which would make an
   * update searchable sooner than OpenSearch's own schedule does for the product.
   */
  async newestDocument(runId: string): Promise<Record<string, unknown> | undefined> {
    const docs = await this.runDocuments([runId]);
    const fresh = await Promise.all(docs.map(async (doc) => {
      const { status, json } = await this.opensearch('GET', `/${this.eventsIndex}/_doc/${encodeURIComponent(doc.id)}`);
      assert.equal(status, 200, `reading ${doc.id}: ${JSON.stringify(json)}`);
      return json._source as Record<string, unknown>;
    }));
    return fresh.sort((a, b) => Date.parse(String(b.timestamp)) - Date.parse(String(a.timestamp)))[0];
  }

  close(): void {
    this.sqs.destroy();
  }
}

/** Hands out distinct well-formed pending runs of the seed, so tests never share a run. */
export class RunPool {
  private readonly taken = new Set<string>();

  constructor(private readonly docs: Map<string, Record<string, unknown>>) {}

  static async of(probe: StackProbe, runIds: readonly string[], exclude: readonly string[]): Promise<RunPool> {
    const skip = new Set(exclude);
    const docs = new Map<string, Record<string, unknown>>();
    for (const doc of await probe.runDocuments(runIds.filter((id) => !skip.has(id)))) {
      const runId = String(doc.source.job_run_id);
      const seen = docs.get(runId);
      // A run with two documents is left out: "newest counts" is another suite's concern.
      if (seen) docs.set(runId, { ...seen, __duplicate: true });
      else docs.set(runId, doc.source);
    }
    for (const [runId, doc] of docs) if (doc.__duplicate) docs.delete(runId);
    // A job the stack's approval policy gives a quorum above one (score_*) waits for a second
    // reviewer: approverRules.e2e's concern. One approval decides every run handed out here.
    const policy = parseApprovalPolicy(probe.env.approvalPolicy ?? '');
    for (const [runId, doc] of docs) if (policyForJob(policy, String(doc.job_name)).quorum > 1) docs.delete(runId);
    return new RunPool(docs);
  }

  /** A run whose checks include one with status FAIL (quality RED). */
  takeWithFailingCheck(): string {
    return this.take((doc) => Array.isArray(doc.quality_checks) && (doc.quality_checks as Array<{ status?: unknown }>).some((c) => c.status === 'FAIL'));
  }

  take(accept: (doc: Record<string, unknown>) => boolean = () => true): string {
    for (const [runId, doc] of this.docs) {
      if (this.taken.has(runId) || !accept(doc)) continue;
      this.taken.add(runId);
      return runId;
    }
    throw new Error('the seed has no more pending runs of the kind a test asked for; seed more');
  }

  /** Names of the run's checks whose status is FAIL. */
  failingCheckNames(runId: string): string[] {
    const checks = (this.docs.get(runId)?.quality_checks ?? []) as Array<{ name?: unknown; status?: unknown }>;
    return checks.filter((c) => c.status === 'FAIL').map((c) => String(c.name));
  }

  jobName(runId: string): string {
    return String(this.docs.get(runId)?.job_name);
  }
}

// ---- a suite's shared parts -------------------------------------------------------------

/** What a suite's `before` started, or a failed assertion naming what did not start. */
export function started<T>(value: T | undefined, what: string): T {
  assert.ok(value, `${what} did not start`);
  return value;
}

/** The seeded pending runs that have not left the list (`gone`: published or decided elsewhere). */
export function stillPendingIn(wb: Workbench, gone: ReadonlySet<string>): string[] {
  return (wb.seed?.pendingRunIds ?? []).filter((id) => !gone.has(id));
}

// ---- the workbench, as a reviewer uses it ------------------------------------------------

/** A row of the Pending Approvals tree by the run id it shows. */
export function runRow(wb: Workbench, runId: string): Locator {
  return wb.treeRows(PENDING_VIEW).filter({ has: wb.page.locator('.label-name', { hasText: runId }) });
}

/** The run ids the tree shows (a flat list: groupBy none). */
export async function treeRunIds(wb: Workbench): Promise<string[]> {
  return (await wb.treeItems()).filter((item) => !item.expandable).map((item) => item.label).sort();
}

/** The number the pending status-bar item shows. */
export async function statusBarCount(wb: Workbench): Promise<number | null> {
  const text = (await wb.statusBarItemNamed('pending approval').textContent())?.trim() ?? '';
  const match = /(\d+)/.exec(text);
  return match ? Number(match[1]) : null;
}

/** Waits until the tree, the badge and the status bar all show exactly `runIds`. */
export async function expectPending(wb: Workbench, runIds: readonly string[], message: string): Promise<void> {
  const expected = [...runIds].sort();
  await eventually(
    async () => ({ rows: await treeRunIds(wb), badge: await wb.viewBadgeCount(), status: await statusBarCount(wb) }),
    (seen) => JSON.stringify(seen.rows) === JSON.stringify(expected) && seen.badge === expected.length && seen.status === expected.length,
    { timeoutMs: 45_000, message },
  );
}

/** The details page of the (single) run details panel in view. */
export function detailsPage(wb: Workbench): FrameLocator {
  return wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Waits until the details page shows a run and knows who the reviewer is. */
export async function waitForDetails(wb: Workbench, runId: string): Promise<FrameLocator> {
  const page = detailsPage(wb);
  await eventually(async () => (await page.locator('#run-id').textContent({ timeout: 2_000 }))?.trim(), (id) => id === runId, {
    timeoutMs: 60_000, message: `the details page of ${runId}`,
  });
  await page.locator('#decided-by').waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

/** Clicks a run's row in the tree, which opens its details. */
export async function openFromTree(wb: Workbench, runId: string): Promise<FrameLocator> {
  const row = runRow(wb, runId);
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await row.click();
  return waitForDetails(wb, runId);
}

/** The modal dialog (showWarningMessage with modal: true) as the workbench renders it. */
export function modalDialog(wb: Workbench): Locator {
  return wb.page.locator('.monaco-dialog-box');
}

/** Waits for the modal dialog, returns its message and detail, and clicks `button`. */
export async function answerDialog(wb: Workbench, button: string): Promise<{ message: string; detail: string }> {
  const dialog = modalDialog(wb);
  await dialog.waitFor({ state: 'visible', timeout: 30_000 });
  const message = (await dialog.locator('.dialog-message-text').textContent())?.trim() ?? '';
  const detail = (await dialog.locator('.dialog-message-detail').textContent())?.trim() ?? '';
  await dialog.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^${button}$`) }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
  return { message, detail };
}

export function quickInput(wb: Workbench): { widget: Locator; input: Locator; rows: Locator; message: Locator } {
  const widget = wb.page.locator('.quick-input-widget');
  return {
    widget,
    input: widget.locator('.quick-input-box input'),
    rows: widget.locator('.quick-input-list .monaco-list-row'),
    message: widget.locator('.quick-input-message'),
  };
}

/** Waits until no finite CSS animation runs (a menu fading in), so a screenshot shows the result. */
export async function animationsDone(wb: Workbench): Promise<void> {
  await wb.page.waitForFunction(
    () => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
    undefined,
    { timeout: 10_000 },
  );
}

/** Ticks the first item of a multi-select quick pick (Enter alone accepts only ticked items). */
export async function checkFirstPick(wb: Workbench): Promise<void> {
  const checkbox = quickInput(wb).rows.first().locator('[role="checkbox"]');
  await checkbox.click();
  await eventually(() => checkbox.getAttribute('aria-checked'), (checked) => checked === 'true', { message: 'the pick to be ticked' });
}

/** Runs a palette command and waits for the quick input it opens to have the given title. */
export async function runCommandExpectingInput(wb: Workbench, command: string, title: string | RegExp): Promise<void> {
  await wb.runCommand(command);
  await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
}

/** Back to a clean workbench between tests: no dialog, no quick input, editors closed, no toasts. */
export async function tidy(wb: Workbench): Promise<void> {
  const page = wb.page;
  for (let i = 0; i < 3; i++) {
    if (await modalDialog(wb).isVisible()) await page.keyboard.press('Escape');
    if (await quickInput(wb).widget.isVisible()) await page.keyboard.press('Escape');
  }
  await wb.runCommand('View: Close All Editors');
  await wb.runCommand('Notifications: Clear All Notifications');
}
