// The expiry sweep against the real local stack (OpenSearch, moto), through the processor's
// Lambda handler invoked with the schedule rule's event, on a fixed clock: each policy action
// (expire by default, reject, approve; by expires_at and by timestamp + TTL), exactly once per
// run when two sweeps (two Lambda instances) race, a human decision that landed first left
// alone, and the approval_expiring announcement sent once — each read back from job-events,
// job-approvals and the outcomes topic's SQS subscription, and from the extension's own
// repository (what the tree and Recent Decisions show).
import assert from 'node:assert/strict';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ApprovalsBackend } from '../../src/adapters/approvalsBackend';
import { DEFAULT_CONNECTION_SETTINGS } from '../../src/core/connectionSettings';
import { outcomeIdOf } from '../../src/core/approvalOutcome';
import { expiryAuditId } from '../../src/core/expirySweep';
import { createLambdaHandler, type LogLine } from '../../src/processor/lambdaHandler';
import { localStack, type StackEnv } from '../support/localStack';
import { purge, receiveUpToNow, sqsClient, type Delivered } from '../support/queues';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const POLICY = { default: { quorum: 1, expiry: 'expire' }, jobs: { exp_reject_job: { expiry: 'reject' }, exp_approve_job: { expiry: 'approve', quorum: 2 } } };

describe('expiry sweep against the local stack', function () {
  this.timeout(300_000);
  let env: StackEnv;
  let runner: typeof ProcessorRunnerModule;
  let sqs: SQSClient;
  let backend: ApprovalsBackend;
  /** The fixed clock every sweep of this file runs at (moved on explicitly). */
  let now = 0;
  const logs: LogLine[] = [];
  const handlers: Array<{ close(): Promise<void> }> = [];
  const savedEnv: Record<string, string | undefined> = {};
  let counter = 0;

  /** A handler as one Lambda instance: its own cold start, the fixed clock. */
  const instance = () => {
    const handler = createLambdaHandler({
      config: { ...runner.processorEnvironment(env, {}), POLICY: JSON.stringify(POLICY) },
      log: (line) => logs.push(line),
      now: () => now,
    });
    handlers.push(handler);
    return handler;
  };
  const os = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${env.opensearchUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  /** Indexes a pending run (document id = run id), refreshed; returns its run id. */
  const pendingRun = async (job: string, fields: { expiresAtMs?: number; timestampMs?: number }): Promise<string> => {
    counter += 1;
    const runId = `${job}-${now}-${counter}`;
    await os('PUT', `/job-events/_doc/${encodeURIComponent(runId)}?refresh=true`, {
      timestamp: new Date(fields.timestampMs ?? now - 2 * HOUR).toISOString(),
      event_type: 'job_completed',
      job_name: job,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      quality_status: 'RED',
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }],
      ...(fields.expiresAtMs === undefined ? {} : { expires_at: new Date(fields.expiresAtMs).toISOString() }),
    });
    return runId;
  };
  const runDoc = async (runId: string): Promise<Record<string, unknown>> => {
    const doc = await os('GET', `/job-events/_doc/${encodeURIComponent(runId)}`);
    return (doc._source ?? {}) as Record<string, unknown>;
  };
  const audit = async (id: string): Promise<Record<string, unknown> | null> => {
    const doc = await os('GET', `/job-approvals/_doc/${encodeURIComponent(id)}`);
    return doc.found ? (doc._source as Record<string, unknown>) : null;
  };
  const sweep = async (...instances: Array<ReturnType<typeof instance>>): Promise<void> => {
    await Promise.all(instances.map((handler) => handler({ ...runner.EXPIRY_SWEEP_EVENT })));
    await os('POST', '/job-events,job-approvals/_refresh');
  };
  const outcomesTap = (): string => env.queueUrls.outcomesTap ?? assert.fail('the stack has the outcomes tap queue');
  /** Everything on the outcomes topic's tap since the last call, for these runs. */
  const published = async (runIds: readonly string[]): Promise<Delivered[]> =>
    (await receiveUpToNow(sqs, outcomesTap())).filter((d) => runIds.includes(String(d.message.job_run_id)));

  before(async () => {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) savedEnv[key] = process.env[key];
    const local = await localStack();
    env = local.env;
    process.env.AWS_ACCESS_KEY_ID = env.credentials?.accessKeyId ?? 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = env.credentials?.secretAccessKey ?? 'testing';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // Only this file's runs: an empty job-events, a fresh job-approvals.
    await local.stack.seedStack({ pending: 0, history: 0, decided: 0, messy: 0 });
    runner = await import('../../scripts/lib/processorRunner.mjs');
    sqs = sqsClient(env);
    await purge(sqs, outcomesTap());
    backend = new ApprovalsBackend({ ...DEFAULT_CONNECTION_SETTINGS, profile: local.profile, region: env.region, awsEndpointUrl: env.awsEndpointUrl }, () => 72);
    now = Math.floor(Date.now() / MINUTE) * MINUTE;
  });

  after(async () => {
    await Promise.all(handlers.map((h) => h.close()));
    await backend?.dispose();
    sqs?.destroy();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('records each policy action for runs past expiry (expires_at, or timestamp + TTL), by "system", audited and published; leaves runs not due', async () => {
    const expired = await pendingRun('exp_default_job', { expiresAtMs: now - 5 * MINUTE });
    const byTtl = await pendingRun('exp_default_job', { timestampMs: now - 73 * HOUR });
    const rejected = await pendingRun('exp_reject_job', { expiresAtMs: now - MINUTE });
    const approved = await pendingRun('exp_approve_job', { expiresAtMs: now - MINUTE });
    const notDue = await pendingRun('exp_default_job', { expiresAtMs: now + 3 * HOUR });
    const ours = [expired, byTtl, rejected, approved, notDue];

    await sweep(instance());

    const expected: Record<string, string> = { [expired]: 'EXPIRED', [byTtl]: 'EXPIRED', [rejected]: 'REJECTED', [approved]: 'APPROVED' };
    for (const [runId, status] of Object.entries(expected)) {
      const doc = await runDoc(runId);
      assert.equal(doc.approval_status, status, `${runId} is ${status}`);
      assert.equal(doc.approved_by, 'system');
      assert.match(String(doc.approval_reason), /^No decision within .* the policy for exp_\w+ is to (expire|reject|approve) at expiry\.$/);
      const recorded = await audit(expiryAuditId(runId));
      assert.ok(recorded, `the expiry of ${runId} is audited`);
      assert.equal(recorded.decided_by, 'system');
      assert.equal(recorded.decision, status);
      assert.equal(recorded.audit_status, 'recorded');
      assert.equal(typeof recorded.outcome_published_at, 'string');
      assert.deepEqual(doc.approval_decision_ids, [expiryAuditId(runId)]);
    }
    assert.equal((await runDoc(notDue)).approval_status, undefined, 'a run not due is left alone');

    const outcomes = (await published(ours)).filter((d) => d.message.event_type === 'approval_outcome');
    assert.deepEqual(
      outcomes.map((d) => [d.message.job_run_id, d.message.decision, d.attributes.decision?.Value, d.message.approved_by]).sort(),
      Object.entries(expected).map(([runId, status]) => [runId, status, status, 'system']).sort(),
      'one outcome per expired run, with the decision attribute',
    );

    // What the extension reads: the tree no longer lists them; Recent Decisions has them.
    const repository = await backend.repository();
    const pending = (await repository.listPending()).map((run) => run.jobRunId);
    assert.deepEqual(ours.filter((id) => pending.includes(id)), [notDue]);
    const decisions = await repository.recentDecisions(50);
    for (const [runId, status] of Object.entries(expected)) {
      assert.ok(decisions.some((d) => d.jobRunId === runId && d.decision === status && d.decidedBy === 'system'), `Recent Decisions shows ${runId} ${status}`);
    }
  });

  it('expires a run exactly once when two sweeps race, and a third sweep changes nothing', async () => {
    const runIds = await Promise.all(Array.from({ length: 6 }, () => pendingRun('exp_default_job', { expiresAtMs: now - 2 * MINUTE })));
    const first = instance();
    const second = instance();
    await Promise.all([first.ready(), second.ready()]);
    await sweep(first, second);
    await sweep(instance());

    for (const runId of runIds) {
      const doc = await runDoc(runId);
      assert.equal(doc.approval_status, 'EXPIRED');
      assert.deepEqual(doc.approval_decision_ids, [expiryAuditId(runId)]);
      const recorded = await audit(expiryAuditId(runId));
      assert.equal(recorded?.audit_status, 'recorded', `the expiry of ${runId} stays recorded: ${String(recorded?.audit_detail)}`);
    }
    const audits = (await os('POST', '/job-approvals/_search', { size: 100, query: { terms: { job_run_id: runIds } } })) as { hits: { hits: unknown[] } };
    assert.equal(audits.hits.hits.length, runIds.length, 'one audit per run');
    const outcomes = await published(runIds);
    assert.deepEqual(outcomes.map((d) => d.message.job_run_id).sort(), [...runIds].sort(), 'one outcome per run, however many sweeps');
    const expiredLines = logs.filter((line) => line.msg === 'run expired' && runIds.includes(String(line.job_run_id)));
    assert.equal(expiredLines.length, runIds.length, 'each run expired by one sweep only');
  });

  it('leaves a run a person decided before the sweep as they decided it', async () => {
    const runId = await pendingRun('exp_default_job', { expiresAtMs: now - MINUTE });
    await os('POST', `/job-events/_update/${encodeURIComponent(runId)}?refresh=true`, {
      doc: { approval_status: 'APPROVED', approved_by: 'alice', approval_reason: 'checked', approval_timestamp: new Date(now).toISOString() },
    });
    await sweep(instance());
    const doc = await runDoc(runId);
    assert.equal(doc.approved_by, 'alice');
    assert.equal(await audit(expiryAuditId(runId)), null, 'no expiry audit');
    assert.deepEqual(await published([runId]), []);
  });

  it('announces a run entering its last hour once (approval_expiring), however many sweeps, then expires it when its time is up', async () => {
    const soon = await pendingRun('exp_reject_job', { expiresAtMs: now + 30 * MINUTE });
    const later = await pendingRun('exp_default_job', { expiresAtMs: now + 2 * HOUR });
    await sweep(instance(), instance());
    await sweep(instance());
    now += 10 * MINUTE;
    await sweep(instance());

    const announcements = (await published([soon, later])).filter((d) => d.message.event_type === 'approval_expiring');
    assert.equal(announcements.length, 1, 'announced once');
    const [announcement] = announcements;
    assert.equal(announcement?.message.job_run_id, soon);
    assert.equal(announcement?.message.expiry_action, 'reject');
    assert.equal(announcement?.message.expires_at, new Date(now - 10 * MINUTE + 30 * MINUTE).toISOString());
    assert.equal(announcement?.attributes.event_type?.Value, 'approval_expiring');
    assert.equal(announcement?.attributes.decision, undefined, 'no decision attribute: downstream\'s decision filter skips it');
    assert.equal(typeof (await runDoc(soon)).expiry_announced_at, 'string');
    assert.equal((await runDoc(soon)).approval_status, undefined, 'still pending');

    now += 25 * MINUTE;
    await sweep(instance());
    assert.equal((await runDoc(soon)).approval_status, 'REJECTED');
    const after = await published([soon, later]);
    assert.deepEqual(after.map((d) => [d.message.job_run_id, d.message.event_type, d.message.decision]), [[soon, 'approval_outcome', 'REJECTED']]);
  });

  it('publishes the outcome of an expiry whose sweep died between the run update and the publish, once, after its claim went stale', async () => {
    const runId = await pendingRun('exp_default_job', { expiresAtMs: now - 30 * MINUTE });
    const auditId = expiryAuditId(runId);
    // What a sweep that died after its run update leaves: the run expired, the audit not marked published.
    await os('POST', `/job-events/_update/${encodeURIComponent(runId)}?refresh=true`, {
      doc: { approval_status: 'EXPIRED', approved_by: 'system', approval_reason: 'No decision (left by a dead sweep)', approval_timestamp: new Date(now - 10 * MINUTE).toISOString(), approval_decision_ids: [auditId] },
    });
    await os('PUT', `/job-approvals/_doc/${auditId}?refresh=true`, {
      timestamp: new Date(now - 10 * MINUTE).toISOString(), event_type: 'approval_expiry', job_name: 'exp_default_job', job_run_id: runId, decision: 'EXPIRED',
      decided_by: 'system', reason: 'No decision (left by a dead sweep)', decision_id: auditId, audit_status: 'recorded', received_at: new Date(now - 10 * MINUTE).toISOString(), run_document_id: runId,
    });
    await sweep(instance(), instance());
    await sweep(instance());
    const outcomes = await published([runId]);
    assert.deepEqual(outcomes.map((d) => [d.message.decision, d.message.outcome_id]), [['EXPIRED', outcomeIdOf(runId, 'EXPIRED')]], 'one outcome, the outcome_id of the run document');
    assert.equal(typeof (await audit(auditId))?.outcome_published_at, 'string');
  });
});
