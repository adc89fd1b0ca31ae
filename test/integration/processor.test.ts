// The approval processor against the real local stack (OpenSearch, moto): the Lambda
// handler called in-process with SQS- and SNS-shaped events built from decisions signed
// with the secret read from SSM, and once end to end through SNS → SQS → the runner.
// Nothing is stubbed; failures are produced by pointing the handler at a closed port or
// at a proxy that drops chosen requests on their way to the real OpenSearch.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsBatchResponse } from '../../src/processor/lambdaHandler';
import { createLambdaHandler, type LogLine } from '../../src/processor/lambdaHandler';
import { GetParameterHistoryCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { outcomeIdOf } from '../../src/core/approvalOutcome';
import { buildDecisionMessageV1, messageSha256, publishParameters, type DecisionMessage } from '../../src/core/decisionMessage';
import { createReviewer, decisionBy, type Reviewer } from '../support/reviewers';
import { evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import { localStack, type SeedManifest, type StackEnv } from '../support/localStack';
import { startFaultyProxy, type FaultyProxy, type ProxiedRequest } from '../support/faultyProxy';
import { purge, receiveUpToNow, sqsClient } from '../support/queues';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

type RunnerModule = typeof ProcessorRunnerModule;

// Three reviewers, each an IAM user with access keys of their own in moto, whose STS answers
// GetCallerIdentity per access key: decisions carry v2 identity proofs signed with their keys.
let ALICE = '';
let BOB = '';
let CAROL = '';
/** A job no shared policy names, so that a runner started by someone else treats it as the default. */
const JOB = 'processor_it_orders';

interface Doc {
  _seq_no: number;
  _source: Record<string, unknown>;
}

describe('approval processor against the local stack', function () {
  this.timeout(300_000);
  let env: StackEnv;
  let secret: string;
  let manifest: SeedManifest;
  let runner: RunnerModule;
  const handlers: Array<{ close(): Promise<void> }> = [];
  const logs: LogLine[] = [];
  const savedEnv: Record<string, string | undefined> = {};
  let counter = 0;

  const handlerFor = (overrides: Record<string, string> = {}) => {
    const handler = createLambdaHandler({ config: { ...runner.processorEnvironment(env, {}), ...overrides }, log: (line) => logs.push(line) });
    handlers.push(handler);
    return handler;
  };

  const os = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${env.opensearchUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const runDoc = async (id: string): Promise<Doc> => {
    const { status, json } = await os('GET', `/job-events/_doc/${encodeURIComponent(id)}`);
    assert.equal(status, 200, `run document ${id} exists`);
    return json as unknown as Doc;
  };
  const audit = async (id: string): Promise<Record<string, unknown> | null> => {
    const { status, json } = await os('GET', `/job-approvals/_doc/${encodeURIComponent(id)}`);
    return status === 200 ? (json._source as Record<string, unknown>) : null;
  };
  const auditsOfRun = async (runId: string): Promise<Array<Record<string, unknown>>> => {
    await os('POST', '/job-approvals/_refresh');
    const { json } = await os('POST', '/job-approvals/_search', { size: 100, query: { term: { job_run_id: runId } } });
    return ((json.hits as { hits: Array<{ _source: Record<string, unknown> }> }).hits ?? []).map((hit) => hit._source);
  };

  /** A fresh pending run, indexed and visible; its document id is its run id. */
  const createRun = async (overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
    counter += 1;
    const runId = `${JOB}-${Date.now()}-${counter}-${randomUUID().slice(0, 8)}`;
    const source: Record<string, unknown> = {
      timestamp: new Date(Date.now() - 30 * 60_000).toISOString(),
      event_type: 'job_completed',
      job_name: JOB,
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
      quality_status: 'RED',
      quality_checks: [
        { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' },
        { name: 'row_count', status: 'PASS', value: 88000, threshold: 50000 },
      ],
      artifacts_available: true,
      artifacts: { rejected_rows: { path: `s3://dwh-data/${JOB}/${runId}/rejected.parquet`, records: 12000 } },
      records_read: 100000,
      records_written: 88000,
      records_dropped: 12000,
      approval_status: null,
      approved_by: null,
      approval_reason: null,
      approval_timestamp: null,
      ...overrides,
    };
    const { status } = await os('PUT', `/job-events/_doc/${encodeURIComponent(runId)}?refresh=true`, source);
    assert.ok(status === 201 || status === 200, `run ${runId} indexed`);
    return source;
  };

  const reviewers = new Map<string, Reviewer>();
  /** A v2 decision signed with the keys of `signedBy` (default: the identity it names). */
  const sign = (
    run: Record<string, unknown>,
    options: { identityArn?: string; signedBy?: string; decision?: 'APPROVED' | 'REJECTED'; reason?: string; at?: number; decisionId?: string; proofSignedAt?: Date; secret?: string } = {},
  ): Promise<DecisionMessage> => {
    const claimArn = options.identityArn ?? ALICE;
    const signer = reviewers.get(options.signedBy ?? claimArn);
    assert.ok(signer, `a reviewer with the keys of ${options.signedBy ?? claimArn}`);
    return decisionBy(
      signer,
      env,
      {
        jobName: String(run.job_name),
        jobRunId: String(run.job_run_id),
        decision: options.decision ?? 'APPROVED',
        reason: options.reason ?? 'Drop rate elevated by a known bad upstream batch; acceptable.',
        claimArn,
        evidenceSha256: evidenceSha256(parseJobRun(String(run.job_run_id), run)),
        timestamp: options.at ?? Date.now(),
        ...(options.decisionId ? { decisionId: options.decisionId } : {}),
      },
      options.secret ?? secret,
      options.proofSignedAt ? { proofSignedAt: options.proofSignedAt } : {},
    );
  };

  /** An SQS event of these bodies, sent now unless a body says when ({body, sentAtMs}). */
  const sqsEvent = (...bodies: Array<string | { body: string; sentAtMs: number }>) => ({
    Records: bodies.map((given) => ({
      messageId: randomUUID(),
      receiptHandle: 'not-used-in-process',
      body: typeof given === 'string' ? given : given.body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(typeof given === 'string' ? Date.now() : given.sentAtMs) },
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${env.region}:123456789012:job-approvals-processor`,
      awsRegion: env.region,
    })),
  });
  const snsEnvelope = (message: DecisionMessage): string =>
    JSON.stringify({
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: env.topicArn,
      Message: JSON.stringify(message),
      Timestamp: new Date().toISOString(),
      SignatureVersion: '1',
      MessageAttributes: { decision: { Type: 'String', Value: message.decision } },
    });
  const snsEvent = (message: DecisionMessage) => ({
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${env.topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: env.topicArn,
          Message: JSON.stringify(message),
          Timestamp: new Date().toISOString(),
          MessageAttributes: { decision: { Type: 'String', Value: message.decision } },
        },
      },
    ],
  });
  const noFailures = (response: SqsBatchResponse | undefined): void => {
    assert.deepEqual(response, { batchItemFailures: [] });
  };

  before(async () => {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']) savedEnv[key] = process.env[key];
    const local = await localStack();
    env = local.env;
    // The handler uses the SDK's default credential chain, as in Lambda: the environment.
    process.env.AWS_ACCESS_KEY_ID = env.credentials?.accessKeyId ?? 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = env.credentials?.secretAccessKey ?? 'testing';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    manifest = (await local.stack.seedStack({})).manifest;
    const read = await local.stack.readSigningSecret(env);
    assert.ok(read, 'the stack holds a signing secret');
    secret = read;
    runner = await import('../../scripts/lib/processorRunner.mjs');
    for (const name of ['alice', 'bob', 'carol']) {
      const reviewer = await createReviewer(env, name);
      reviewers.set(reviewer.arn, reviewer);
    }
    [ALICE, BOB, CAROL] = [...reviewers.keys()] as [string, string, string];
  });

  after(async () => {
    await Promise.all(handlers.map((h) => h.close()));
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('records an approval: the run carries it and the audit document says recorded', async () => {
    const run = await createRun();
    const message = await sign(run);
    noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));

    const { _source: updated } = await runDoc(String(run.job_run_id));
    assert.equal(updated.approval_status, 'APPROVED');
    assert.equal(updated.approved_by, 'alice');
    assert.equal(updated.approval_reason, message.reason);
    assert.equal(updated.approval_timestamp, message.timestamp);
    assert.deepEqual(updated.approval_decision_ids, [message.decision_id]);

    const doc = await audit(message.decision_id);
    assert.ok(doc, 'audit document with id = decision_id');
    assert.equal(doc.audit_status, 'recorded');
    assert.equal(doc.event_type, 'approval_decision');
    assert.equal(doc.job_name, JOB);
    assert.equal(doc.job_run_id, run.job_run_id);
    assert.equal(doc.decision, 'APPROVED');
    assert.equal(doc.decided_by, 'alice');
    assert.equal(doc.reason, message.reason);
    assert.equal(doc.timestamp, message.timestamp);
    assert.equal(doc.identity_arn, ALICE);
    assert.equal(doc.evidence_sha256, message.evidence_sha256);
    assert.equal(doc.original_quality_status, 'RED');
    assert.deepEqual(doc.original_quality_checks, run.quality_checks);
    assert.ok(typeof doc.received_at === 'string' && Math.abs(Date.parse(doc.received_at) - Date.now()) < 60_000);
  });

  it('treats a replayed message as a no-op: one audit document, the run unchanged', async () => {
    const run = await createRun();
    const message = await sign(run, { decision: 'REJECTED', reason: 'Drop rate too high; rerun after the upstream fix.' });
    const handler = handlerFor();
    noFailures(await handler(sqsEvent(JSON.stringify(message))));
    const before = await runDoc(String(run.job_run_id));
    noFailures(await handler(sqsEvent(JSON.stringify(message), JSON.stringify(message))));
    noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));
    const after = await runDoc(String(run.job_run_id));
    assert.equal(after._seq_no, before._seq_no, 'the run was not written again');
    assert.equal(after._source.approval_status, 'REJECTED');
    const audits = await auditsOfRun(String(run.job_run_id));
    assert.equal(audits.length, 1);
    assert.equal(audits[0]?.audit_status, 'recorded');
  });

  it('audits a tampered reason as invalid and leaves the run alone', async () => {
    const run = await createRun();
    const before = await runDoc(String(run.job_run_id));
    const tampered = JSON.stringify({ ...(await sign(run)), reason: 'Approved by the CFO, no review needed.' });
    noFailures(await handlerFor()(sqsEvent(tampered)));
    const after = await runDoc(String(run.job_run_id));
    assert.equal(after._seq_no, before._seq_no);
    assert.equal(after._source.approval_status, null);
    const doc = await audit(`invalid-${createHash('sha256').update(tampered).digest('hex')}`);
    assert.ok(doc, 'the invalid message is audited under invalid-<sha256 of the body>');
    assert.equal(doc.audit_status, 'invalid');
    assert.match(String(doc.audit_detail), /identity_proof is bound to another decision/);
    assert.equal(doc.reason, 'Approved by the CFO, no review needed.');
  });

  it('audits a stale decision as invalid and leaves the run alone', async () => {
    const run = await createRun();
    const message = await sign(run, { at: Date.now() - 20 * 60_000 });
    noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));
    assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
    const doc = await audit(message.decision_id);
    assert.equal(doc?.audit_status, 'invalid');
    assert.match(String(doc?.audit_detail), /Stale/);
  });

  it('accepts a stale decision when FRESHNESS_MINUTES allows it', async () => {
    const run = await createRun();
    const message = await sign(run, { at: Date.now() - 20 * 60_000 });
    noFailures(await handlerFor({ FRESHNESS_MINUTES: '30' })(sqsEvent(JSON.stringify(message))));
    assert.equal((await audit(message.decision_id))?.audit_status, 'recorded');
  });

  it('audits garbage, a decision for an unknown run and one with missing fields as invalid', async () => {
    const unknown = await sign({ job_name: JOB, job_run_id: `no-such-run-${randomUUID()}`, status: 'PENDING_APPROVAL' });
    const missing = JSON.stringify({ event_type: 'approval_decision', job_name: JOB, job_run_id: 'x', decision: 'APPROVED' });
    noFailures(await handlerFor()(sqsEvent('not json at all', JSON.stringify(unknown), missing)));
    const garbage = await audit(`invalid-${createHash('sha256').update('not json at all').digest('hex')}`);
    assert.equal(garbage?.audit_status, 'invalid');
    assert.match(String(garbage?.audit_detail), /not JSON/);
    const unknownDoc = await audit(unknown.decision_id);
    assert.equal(unknownDoc?.audit_status, 'invalid');
    assert.match(String(unknownDoc?.audit_detail), /No run with job_run_id/);
    const missingDoc = await audit(`invalid-${createHash('sha256').update(missing).digest('hex')}`);
    assert.equal(missingDoc?.audit_status, 'invalid');
    assert.match(String(missingDoc?.audit_detail), /missing/);
  });

  it('lets exactly one of two racing decisions win, 20 rounds out of 20; the other is audited as superseded', async () => {
    const first = handlerFor();
    const second = handlerFor();
    for (let round = 0; round < 20; round += 1) {
      const run = await createRun();
      const approve = await sign(run, { identityArn: ALICE });
      const reject = await sign(run, { identityArn: BOB, decision: 'REJECTED', reason: 'Not acceptable.' });
      // Even rounds: two Lambda instances at once; odd rounds: both in one batch.
      const responses =
        round % 2 === 0
          ? await Promise.all([first(sqsEvent(JSON.stringify(approve))), second(sqsEvent(JSON.stringify(reject)))])
          : [await first(sqsEvent(JSON.stringify(approve), JSON.stringify(reject)))];
      responses.forEach(noFailures);
      const [a, b] = [await audit(approve.decision_id), await audit(reject.decision_id)];
      const statuses = [a?.audit_status, b?.audit_status].sort();
      assert.deepEqual(statuses, ['recorded', 'superseded'], `round ${round}`);
      const winner = a?.audit_status === 'recorded' ? approve : reject;
      const loser = winner === approve ? b : a;
      const { _source: decided } = await runDoc(String(run.job_run_id));
      assert.deepEqual(decided.approval_decision_ids, [winner.decision_id], `round ${round}: the run carries the winner`);
      assert.equal(decided.approval_status, winner.decision);
      assert.match(String(loser?.audit_detail), new RegExp(`already ${winner.decision}`));
    }
  });

  it('refuses an approval from the identity that triggered the run', async () => {
    const run = await createRun({ triggered_by: 'arn:aws:sts::123456789012:assumed-role/PipelineRunner/alice' });
    const message = await sign(run, { identityArn: ALICE });
    noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));
    assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
    const doc = await audit(message.decision_id);
    assert.equal(doc?.audit_status, 'refused');
    assert.match(String(doc?.audit_detail), /triggered this run/);
  });

  it('refuses a decision when the run’s evidence changed after it was reviewed', async () => {
    const run = await createRun();
    const message = await sign(run);
    const checks = [
      { name: 'drop_rate', status: 'FAIL', value: '19.5%', threshold: '10.0%' },
      { name: 'row_count', status: 'PASS', value: 88000, threshold: 50000 },
    ];
    const { status } = await os('POST', `/job-events/_update/${encodeURIComponent(String(run.job_run_id))}?refresh=true`, { doc: { quality_checks: checks } });
    assert.equal(status, 200);
    noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));
    assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
    const doc = await audit(message.decision_id);
    assert.equal(doc?.audit_status, 'refused');
    assert.match(String(doc?.audit_detail), /changed after it was reviewed/);
  });

  describe('with a quorum of 2 for the job', () => {
    const policy = JSON.stringify({ default: { quorum: 1, forbidSelfApproval: true }, jobs: { [JOB]: { quorum: 2 } } });

    it('does not approve when the same approver approves twice', async () => {
      const handler = handlerFor({ POLICY: policy });
      const run = await createRun();
      const one = await sign(run, { identityArn: ALICE });
      const again = await sign(run, { identityArn: ALICE, reason: 'Still fine, approving again.' });
      noFailures(await handler(sqsEvent(JSON.stringify(one))));
      noFailures(await handler(sqsEvent(JSON.stringify(again))));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
      assert.equal((await audit(one.decision_id))?.audit_status, 'awaiting-quorum');
      const second = await audit(again.decision_id);
      assert.equal(second?.audit_status, 'awaiting-quorum');
      assert.match(String(second?.audit_detail), /already approved/);
    });

    it('approves with two distinct approvers and lists both', async () => {
      const handler = handlerFor({ POLICY: policy });
      const run = await createRun();
      const alice = await sign(run, { identityArn: ALICE });
      const bob = await sign(run, { identityArn: BOB, reason: 'Agreed: known upstream issue.' });
      noFailures(await handler(sqsEvent(JSON.stringify(alice))));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
      noFailures(await handler(sqsEvent(JSON.stringify(bob))));
      const { _source: decided } = await runDoc(String(run.job_run_id));
      assert.equal(decided.approval_status, 'APPROVED');
      assert.equal(decided.approved_by, 'alice, bob');
      assert.deepEqual(decided.approval_decision_ids, [alice.decision_id, bob.decision_id]);
      assert.equal((await audit(alice.decision_id))?.audit_status, 'awaiting-quorum');
      assert.equal((await audit(bob.decision_id))?.audit_status, 'recorded');
    });

    it('approves when two distinct approvers decide at the same moment, 10 rounds out of 10', async () => {
      const first = handlerFor({ POLICY: policy });
      const second = handlerFor({ POLICY: policy });
      for (let round = 0; round < 10; round += 1) {
        const run = await createRun();
        const a = await sign(run, { identityArn: ALICE });
        const b = await sign(run, { identityArn: BOB });
        (await Promise.all([first(sqsEvent(JSON.stringify(a))), second(sqsEvent(JSON.stringify(b)))])).forEach(noFailures);
        const { _source: decided } = await runDoc(String(run.job_run_id));
        assert.equal(decided.approval_status, 'APPROVED', `round ${round}`);
        // Signed in the same second: the order of equal times is by decision id.
        assert.deepEqual(String(decided.approved_by).split(', ').sort(), ['alice', 'bob']);
        assert.deepEqual([...(decided.approval_decision_ids as string[])].sort(), [a.decision_id, b.decision_id].sort());
      }
    });

    it('is decided at once by a rejection', async () => {
      const handler = handlerFor({ POLICY: policy });
      const run = await createRun();
      noFailures(await handler(sqsEvent(JSON.stringify(await sign(run, { identityArn: ALICE })))));
      noFailures(await handler(sqsEvent(JSON.stringify(await sign(run, { identityArn: CAROL, decision: 'REJECTED', reason: 'No.' })))));
      const { _source: decided } = await runDoc(String(run.job_run_id));
      assert.equal(decided.approval_status, 'REJECTED');
      assert.equal(decided.approved_by, 'carol');
    });
  });

  it('accepts an SNS event and an SQS body holding the SNS envelope', async () => {
    const handler = handlerFor();
    const viaSns = await createRun();
    const snsMessage = await sign(viaSns);
    assert.equal(await handler(snsEvent(snsMessage)), undefined, 'an SNS invocation returns nothing when it succeeds');
    assert.equal((await audit(snsMessage.decision_id))?.audit_status, 'recorded');
    assert.equal((await runDoc(String(viaSns.job_run_id)))._source.approval_status, 'APPROVED');

    const viaEnvelope = await createRun();
    const enveloped = await sign(viaEnvelope, { decision: 'REJECTED', reason: 'Rejected through the envelope.' });
    noFailures(await handler(sqsEvent(snsEnvelope(enveloped))));
    assert.equal((await audit(enveloped.decision_id))?.audit_status, 'recorded');
    assert.equal((await runDoc(String(viaEnvelope.job_run_id)))._source.approval_status, 'REJECTED');
    const line = logs.find((l) => l.decision_id === enveloped.decision_id);
    assert.equal(line?.shape, 'sqs-sns-envelope');
  });

  describe('who decided, proven (signature v2), and a decision_id consumed once', () => {
    it('refuses a decision naming bob whose proof alice signed, and a v1 message, without touching the run', async () => {
      const run = await createRun();
      const spoofed = await sign(run, { identityArn: BOB, signedBy: ALICE });
      const v1 = buildDecisionMessageV1(
        {
          jobName: JOB,
          jobRunId: String(run.job_run_id),
          decision: 'APPROVED',
          reason: 'Old extension.',
          identityArn: BOB,
          evidenceSha256: evidenceSha256(parseJobRun(String(run.job_run_id), run)),
        },
        secret,
      );
      noFailures(await handlerFor()(sqsEvent(JSON.stringify(spoofed), JSON.stringify(v1))));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
      assert.equal(await audit(spoofed.decision_id), null, 'the spoofed decision_id is not consumed');
      const spoofAudit = await audit(`invalid-${createHash('sha256').update(JSON.stringify(spoofed)).digest('hex')}`);
      assert.equal(spoofAudit?.audit_status, 'invalid');
      assert.equal(spoofAudit?.audit_code, 'identity-mismatch');
      assert.match(String(spoofAudit?.audit_detail), new RegExp(`signed by "${ALICE}", but the decision names "${BOB}"`));
      const v1Audit = await audit(`invalid-${createHash('sha256').update(JSON.stringify(v1)).digest('hex')}`);
      assert.equal(v1Audit?.audit_code, 'signature-v1-refused');
      // The same v1 message is accepted by a processor configured for it.
      noFailures(await handlerFor({ ACCEPT_SIGNATURE_V1: 'true' })(sqsEvent(JSON.stringify(v1))));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approved_by, 'bob');
    });

    it('audits a proof too old for STS with the decide-again verdict, before sending it', async () => {
      const run = await createRun();
      const signedAt = Date.now() - 16 * 60_000;
      const old = await sign(run, { at: signedAt, proofSignedAt: new Date(signedAt) });
      // Sent on time (a backed-up queue drained late): fresh, but the proof is past STS's 15 minutes.
      noFailures(await handlerFor()(sqsEvent({ body: JSON.stringify(old), sentAtMs: signedAt + 1000 })));
      const doc = await audit(`invalid-${createHash('sha256').update(JSON.stringify(old)).digest('hex')}`);
      assert.equal(doc?.audit_code, 'identity-proof-expired');
      assert.match(String(doc?.audit_detail), /^Identity proof expired: decide again\. It was signed 16 minutes before/);
      assert.equal(doc?.decision_id, old.decision_id, 'the extension finds it by the decision_id it claims');
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
    });

    it('audits another message under a consumed decision_id as invalid under its own key; the first audit is untouched', async () => {
      const [first, second] = [await createRun(), await createRun()];
      const original = await sign(first, { identityArn: ALICE });
      noFailures(await handlerFor()(sqsEvent(JSON.stringify(original))));
      const before = await audit(original.decision_id);
      assert.equal(before?.audit_status, 'recorded');
      assert.equal(before?.message_sha256, messageSha256(original));
      const reuse = await sign(second, { identityArn: BOB, decisionId: original.decision_id });
      noFailures(await handlerFor()(sqsEvent(JSON.stringify(reuse))));
      assert.deepEqual(await audit(original.decision_id), before, 'the first audit is untouched');
      const conflict = await audit(`conflict-${messageSha256(reuse)}`);
      assert.equal(conflict?.audit_status, 'invalid');
      assert.equal(conflict?.audit_code, 'decision-id-conflict');
      assert.equal(conflict?.job_run_id, second.job_run_id);
      assert.equal((await runDoc(String(second.job_run_id)))._source.approval_status, null);
    });

    it('changes nothing when a recorded decision is delivered again after the run got a newer pending document', async () => {
      const run = await createRun();
      const message = await sign(run);
      noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));
      const recordedAudit = await audit(message.decision_id);
      // The pipeline re-emits the run: a newer PENDING_APPROVAL document, same checks.
      const newerId = `${String(run.job_run_id)}-rerun`;
      const newer = { ...run, timestamp: new Date().toISOString() };
      assert.equal((await os('PUT', `/job-events/_doc/${encodeURIComponent(newerId)}?refresh=true`, newer)).status, 201);
      noFailures(await handlerFor()(sqsEvent(JSON.stringify(message))));
      const { _source: after } = await runDoc(newerId);
      assert.equal(after.approval_status, null, 'the newer document is not approved by the replay');
      assert.deepEqual(await audit(message.decision_id), recordedAudit);
    });

    it('counts only verified votes: a flood of junk audits naming the run does not hide the real ones', async () => {
      const policy = JSON.stringify({ jobs: { [JOB]: { quorum: 2 } } });
      const run = await createRun();
      const runId = String(run.job_run_id);
      const junk = Array.from({ length: 1100 }, (_, i) => ({
        timestamp: new Date(Date.now() - 3_600_000 + i).toISOString(),
        event_type: 'approval_decision',
        job_run_id: runId,
        decision: 'APPROVED',
        decided_by: `junk-${i}`,
        identity_arn: `arn:aws:iam::123456789012:user/junk-${i}`,
        audit_status: 'invalid',
        audit_code: 'signature',
        received_at: new Date().toISOString(),
      }));
      const bulk = junk.map((doc, i) => `${JSON.stringify({ index: { _id: `junk-${runId}-${i}` } })}\n${JSON.stringify(doc)}\n`).join('');
      const res = await fetch(`${env.opensearchUrl}/job-approvals/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
      assert.equal(((await res.json()) as { errors: boolean }).errors, false);
      const handler = handlerFor({ POLICY: policy });
      noFailures(await handler(sqsEvent(JSON.stringify(await sign(run, { identityArn: ALICE })))));
      noFailures(await handler(sqsEvent(JSON.stringify(await sign(run, { identityArn: BOB, reason: 'Agreed.' })))));
      assert.equal((await runDoc(runId))._source.approval_status, 'APPROVED');
    });
  });

  describe('signing-secret rotation', () => {
    let ssm: SSMClient;
    let rotatedAtMs = 0;

    before(async () => {
      ssm = new SSMClient({ region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      await ssm.send(new PutParameterCommand({ Name: env.ssm.signingSecretParameter, Type: 'SecureString', Value: `rotated-${randomUUID()}`, Overwrite: true }));
      const history = await ssm.send(new GetParameterHistoryCommand({ Name: env.ssm.signingSecretParameter, WithDecryption: true }));
      const newest = (history.Parameters ?? []).reduce((a, b) => ((b.Version ?? 0) > (a.Version ?? 0) ? b : a));
      rotatedAtMs = newest.LastModifiedDate?.getTime() ?? Number.NaN;
      assert.ok(Number.isFinite(rotatedAtMs), 'SSM says when the new version was written');
    });

    after(async () => {
      // Back to the secret every other test (and the extension) signs with: it is current again.
      await ssm.send(new PutParameterCommand({ Name: env.ssm.signingSecretParameter, Type: 'SecureString', Value: secret, Overwrite: true }));
      ssm.destroy();
    });

    it('accepts a decision signed with the previous secret within the grace, and refuses it after', async () => {
      const within = await createRun();
      const signedWithOld = await sign(within);
      noFailures(await handlerFor({ SECRET_ROTATION_GRACE_MINUTES: '60' })(sqsEvent(JSON.stringify(signedWithOld))));
      assert.equal((await audit(signedWithOld.decision_id))?.audit_status, 'recorded');

      const graceMinutes = 0.02; // 1.2 s
      await waitFor(() => Promise.resolve(Date.now() > rotatedAtMs + graceMinutes * 60_000 ? true : null), 30_000);
      const after = await createRun();
      const late = await sign(after);
      noFailures(await handlerFor({ SECRET_ROTATION_GRACE_MINUTES: String(graceMinutes) })(sqsEvent(JSON.stringify(late))));
      const doc = await audit(`invalid-${createHash('sha256').update(JSON.stringify(late)).digest('hex')}`);
      assert.equal(doc?.audit_code, 'signature');
      assert.equal((await runDoc(String(after.job_run_id)))._source.approval_status, null);
    });
  });

  describe('effective outcomes', () => {
    let sqs: SQSClient;
    before(async () => {
      sqs = sqsClient(env);
      await purge(sqs, String(env.queueUrls.outcomesTap));
    });
    after(() => sqs.destroy());

    it('publishes one approval_outcome per outcome (quorum met, rejected), none for a vote, a refusal or a replay', async () => {
      const policy = JSON.stringify({ jobs: { [JOB]: { quorum: 2 } } });
      const handler = handlerFor({ POLICY: policy });
      const [quorumRun, rejectedRun, refusedRun] = [await createRun(), await createRun(), await createRun({ triggered_by: ALICE })];
      const vote = await sign(quorumRun, { identityArn: ALICE });
      const deciding = await sign(quorumRun, { identityArn: BOB, reason: 'Agreed.' });
      noFailures(await handler(sqsEvent(JSON.stringify(vote))));
      noFailures(await handler(sqsEvent(JSON.stringify(deciding))));
      noFailures(await handler(sqsEvent(JSON.stringify(deciding))));
      noFailures(await handler(sqsEvent(JSON.stringify(await sign(rejectedRun, { identityArn: CAROL, decision: 'REJECTED', reason: 'No.' })))));
      noFailures(await handler(sqsEvent(JSON.stringify(await sign(refusedRun, { identityArn: ALICE })))));

      const ours = new Set([quorumRun.job_run_id, rejectedRun.job_run_id, refusedRun.job_run_id]);
      const outcomes = (await receiveUpToNow(sqs, String(env.queueUrls.outcomesTap))).filter((d) => ours.has(d.message.job_run_id));
      assert.deepEqual(
        outcomes.map((d) => [d.message.event_type, d.message.job_run_id, d.message.decision, d.attributes.decision?.Value]).sort(),
        [
          ['approval_outcome', quorumRun.job_run_id, 'APPROVED', 'APPROVED'],
          ['approval_outcome', rejectedRun.job_run_id, 'REJECTED', 'REJECTED'],
        ].sort(),
      );
      const approved = outcomes.find((d) => d.message.decision === 'APPROVED')?.message;
      assert.equal(approved?.approved_by, 'alice, bob');
      assert.deepEqual(approved?.decision_ids, [vote.decision_id, deciding.decision_id]);
      assert.equal(approved?.outcome_id, outcomeIdOf(String(approved?.run_document_id), 'APPROVED'));
      assert.equal(approved?.run_document_id, quorumRun.job_run_id, 'the run document that carries it');
      assert.ok((await audit(deciding.decision_id))?.outcome_published_at, 'the audit says the outcome went out');
      // Downstream (the orchestrator's queue, decision=APPROVED) got the approval from the outcomes topic.
      const downstream = (await receiveUpToNow(sqs, env.queueUrls.downstream)).filter((d) => ours.has(d.message.job_run_id));
      assert.deepEqual(downstream.map((d) => [d.message.event_type, d.message.job_run_id]), [['approval_outcome', quorumRun.job_run_id]]);
    });
  });

  describe('when OpenSearch fails', () => {
    let proxy: FaultyProxy;

    before(async () => {
      proxy = await startFaultyProxy(env.opensearchUrl);
    });

    after(async () => {
      await proxy.close();
    });

    afterEach(() => {
      proxy.clear();
    });

    it('reports every record of the batch as a batch item failure when OpenSearch is unreachable, and throws for SNS', async () => {
      const port = await closedPort();
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: `http://127.0.0.1:${port}`, OPENSEARCH_TIMEOUT_MS: '2000' });
      const run = await createRun();
      const good = JSON.stringify(await sign(run));
      const event = sqsEvent(good, 'garbage that would be audited as invalid');
      const response = await handler(event);
      assert.deepEqual(
        response?.batchItemFailures.map((f) => f.itemIdentifier).sort(),
        event.Records.map((r) => r.messageId).sort(),
      );
      await assert.rejects(handler(snsEvent(await sign(run))), /could not be processed/);
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null);
      // Delivered again once OpenSearch is back, the same messages are processed normally.
      noFailures(await handlerFor()(sqsEvent(good)));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, 'APPROVED');
    });

    it('reports only the records that failed', async () => {
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url, OPENSEARCH_TIMEOUT_MS: '5000' });
      const [ok1, poisoned, ok2] = [await createRun(), await createRun(), await createRun()];
      proxy.dropWhen((request) => request.body.includes(String(poisoned.job_run_id)) || request.path.includes(String(poisoned.job_run_id)));
      const event = sqsEvent(JSON.stringify(await sign(ok1)), JSON.stringify(await sign(poisoned)), JSON.stringify(await sign(ok2)));
      const response = await handler(event);
      assert.deepEqual(response?.batchItemFailures, [{ itemIdentifier: event.Records[1]?.messageId }]);
      assert.ok(proxy.dropped > 0);
      assert.equal((await runDoc(String(ok1.job_run_id)))._source.approval_status, 'APPROVED');
      assert.equal((await runDoc(String(ok2.job_run_id)))._source.approval_status, 'APPROVED');
      assert.equal((await runDoc(String(poisoned.job_run_id)))._source.approval_status, null);
    });

    it('finishes on redelivery a decision whose audit was written but whose run update failed', async () => {
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url, OPENSEARCH_TIMEOUT_MS: '5000' });
      const run = await createRun();
      const message = await sign(run);
      proxy.dropWhen((request) => request.path.startsWith(`/job-events/_update/${encodeURIComponent(String(run.job_run_id))}`));
      const event = sqsEvent(JSON.stringify(message));
      assert.deepEqual(await handler(event), { batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId }] });
      assert.equal((await audit(message.decision_id))?.audit_status, 'recorded', 'the audit was written first');
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, null, 'the run update never arrived');

      proxy.clear();
      noFailures(await handler(sqsEvent(JSON.stringify(message))));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, 'APPROVED');
      assert.equal((await auditsOfRun(String(run.job_run_id))).length, 1);
      const line = logs.filter((l) => l.decision_id === message.decision_id).pop();
      assert.equal(line?.resumed, true);
      assert.equal(line?.run_updated, true);
    });
  });

  describe('a batch of records', () => {
    let proxy: FaultyProxy;
    /** The requests the handler sent to OpenSearch while `work` ran. */
    const requestsDuring = async (work: () => Promise<void>): Promise<ProxiedRequest[]> => {
      const before = proxy.forwarded.length;
      await work();
      return proxy.forwarded.slice(before);
    };

    before(async () => {
      proxy = await startFaultyProxy(env.opensearchUrl);
    });

    after(async () => {
      await proxy.close();
    });

    afterEach(() => {
      proxy.clear();
    });

    it('costs as many OpenSearch requests for 10 decisions as for one: one read of the runs, one bulk of audits, one bulk of run updates', async () => {
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url });
      const one = await createRun();
      const oneMessage = await sign(one);
      const single = await requestsDuring(async () => noFailures(await handler(sqsEvent(JSON.stringify(oneMessage)))));
      const runs = await Promise.all(Array.from({ length: 10 }, () => createRun()));
      const messages = await Promise.all(runs.map((run) => sign(run)));
      const batch = await requestsDuring(async () => noFailures(await handler(sqsEvent(...messages.map((m) => JSON.stringify(m))))));
      for (const run of runs) assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, 'APPROVED');
      for (const message of messages) assert.equal((await audit(message.decision_id))?.audit_status, 'recorded');
      assert.equal(batch.length, single.length, `${batch.map((r) => `${r.method} ${r.path.split('?')[0] ?? ''}`).join(', ')}`);
      const creates = batch.filter((r) => r.path.startsWith('/job-approvals/_bulk'));
      assert.ok(creates.some((r) => messages.every((m) => r.body.includes(`"create":{"_id":"${m.decision_id}"`))), 'every audit in one bulk create');
      const updates = batch.filter((r) => r.path.startsWith('/job-events/_bulk'));
      assert.equal(updates.length, 1, 'one bulk of run updates');
      for (const run of runs) assert.ok(updates[0]?.body.includes(`"_id":"${String(run.job_run_id)}"`));
    });

    it('gives a run to the decision sent first when two decisions for it are in one batch, in whatever order the batch holds them; the other is superseded', async () => {
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url });
      for (const firstInBatch of ['approve', 'reject'] as const) {
        const run = await createRun();
        const sentAt = Date.now();
        const approve = { body: JSON.stringify(await sign(run, { identityArn: ALICE })), sentAtMs: sentAt - 2_000 };
        const reject = { body: JSON.stringify(await sign(run, { identityArn: BOB, decision: 'REJECTED', reason: 'Not acceptable.' })), sentAtMs: sentAt - 1_000 };
        noFailures(await handler(firstInBatch === 'approve' ? sqsEvent(approve, reject) : sqsEvent(reject, approve)));
        const [approveId, rejectId] = [approve, reject].map((r) => (JSON.parse(r.body) as DecisionMessage).decision_id) as [string, string];
        const { _source: decided } = await runDoc(String(run.job_run_id));
        assert.equal(decided.approval_status, 'APPROVED', `batch starting with ${firstInBatch}: the approval was sent first`);
        assert.deepEqual(decided.approval_decision_ids, [approveId]);
        assert.equal((await audit(approveId))?.audit_status, 'recorded');
        const loser = await audit(rejectId);
        assert.equal(loser?.audit_status, 'superseded');
        assert.match(String(loser?.audit_detail), /already APPROVED by alice/);
      }
    });

    it('takes the same decision twice in one batch once, and a second message under its decision_id as a conflict', async () => {
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url });
      const run = await createRun();
      const message = await sign(run);
      const body = JSON.stringify(message);
      noFailures(await handler(sqsEvent(body, body)));
      assert.equal((await runDoc(String(run.job_run_id)))._source.approval_status, 'APPROVED');
      assert.deepEqual((await runDoc(String(run.job_run_id)))._source.approval_decision_ids, [message.decision_id]);
      assert.equal((await auditsOfRun(String(run.job_run_id))).length, 1, 'one audit');
      const lines = logs.filter((l) => l.decision_id === message.decision_id);
      assert.deepEqual(lines.map((l) => l.replay).sort(), [false, true], 'one processed it, the other found it done');
      // Delivered again beside a new decision: its create in the same bulk finds the audit there.
      const fresh = await createRun();
      const freshMessage = await sign(fresh);
      noFailures(await handler(sqsEvent(body, JSON.stringify(freshMessage))));
      assert.equal(logs.filter((l) => l.decision_id === message.decision_id).pop()?.replay, true, 'a replay beside a new decision is a replay');
      assert.equal(logs.filter((l) => l.decision_id === freshMessage.decision_id).pop()?.replay, false);
      assert.equal((await auditsOfRun(String(run.job_run_id))).length, 1, 'still one audit');

      const other = await createRun();
      const original = await sign(other, { identityArn: ALICE });
      const reuse = await sign(other, { identityArn: BOB, decision: 'REJECTED', reason: 'Same id, other body.', decisionId: original.decision_id });
      noFailures(await handler(sqsEvent(JSON.stringify(original), JSON.stringify(reuse))));
      const { _source: decided } = await runDoc(String(other.job_run_id));
      assert.equal(decided.approval_status, 'APPROVED');
      assert.equal((await audit(original.decision_id))?.decided_by, 'alice', 'the first message keeps the id');
      const conflict = await audit(`conflict-${messageSha256(reuse)}`);
      assert.equal(conflict?.audit_code, 'decision-id-conflict');
      assert.equal(conflict?.audit_status, 'invalid');
    });

    it('fails back only the record whose audit create failed in the bulk, and finishes it on redelivery, once', async () => {
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url });
      const [ok1, poisoned, ok2] = [await createRun(), await createRun(), await createRun()];
      const messages = [await sign(ok1), await sign(poisoned), await sign(ok2)];
      const poisonedId = messages[1]?.decision_id ?? '';
      // OpenSearch creates all three audits; its answer is changed to say the poisoned one
      // was rejected for a passing reason (as a bulk item under load is, with 429 or 503).
      proxy.rewriteWhen(
        (request) => request.path.startsWith('/job-approvals/_bulk') && request.body.includes(`"create":{"_id":"${poisonedId}"`),
        (answer) => {
          const json = JSON.parse(answer) as { errors: boolean; items: Array<{ create?: { _id: string; status: number; error?: unknown } }> };
          json.errors = true;
          for (const item of json.items) {
            if (item.create?._id === poisonedId) Object.assign(item.create, { status: 503, error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' } });
          }
          return JSON.stringify(json);
        },
      );
      const event = sqsEvent(...messages.map((m) => JSON.stringify(m)));
      assert.deepEqual(await handler(event), { batchItemFailures: [{ itemIdentifier: event.Records[1]?.messageId }] });
      assert.equal((await runDoc(String(ok1.job_run_id)))._source.approval_status, 'APPROVED');
      assert.equal((await runDoc(String(ok2.job_run_id)))._source.approval_status, 'APPROVED');
      assert.equal((await runDoc(String(poisoned.job_run_id)))._source.approval_status, null, 'the failed record did not go on to the run');
      assert.equal((await audit(poisonedId))?.audit_status, 'recorded', 'its audit did land');

      proxy.clear();
      noFailures(await handler(sqsEvent(JSON.stringify(messages[1]))));
      assert.deepEqual((await runDoc(String(poisoned.job_run_id)))._source.approval_decision_ids, [poisonedId]);
      assert.equal((await auditsOfRun(String(poisoned.job_run_id))).length, 1);
      const line = logs.filter((l) => l.decision_id === poisonedId).pop();
      assert.equal(line?.resumed, true);
      assert.equal(line?.run_updated, true);
    });

    it('keeps quorum tallies apart in a batch mixing the runs of two jobs with their own quorums', async () => {
      const JOB_B = `${JOB}_second`;
      const policy = JSON.stringify({ default: { quorum: 1, forbidSelfApproval: true }, jobs: { [JOB]: { quorum: 2 }, [JOB_B]: { quorum: 3 } } });
      const handler = handlerFor({ OPENSEARCH_ENDPOINT: proxy.url, POLICY: policy });
      const [a1, a2] = [await createRun(), await createRun()];
      const [b1, b2] = [await createRun({ job_name: JOB_B }), await createRun({ job_name: JOB_B })];
      const sent = Date.now() - 5_000;
      const votes = [
        [a1, ALICE],
        [b1, ALICE],
        [a2, ALICE],
        [b1, BOB],
        [a1, BOB],
        [b2, CAROL],
        [b1, CAROL],
      ] as const;
      const signed = await Promise.all(votes.map(([run, who]) => sign(run, { identityArn: who })));
      noFailures(await handler(sqsEvent(...signed.map((m, i) => ({ body: JSON.stringify(m), sentAtMs: sent + i * 10 })))));
      const status = async (run: Record<string, unknown>) => (await runDoc(String(run.job_run_id)))._source;
      assert.equal((await status(a1)).approval_status, 'APPROVED', 'job A, quorum 2: alice and bob');
      assert.equal((await status(a1)).approved_by, 'alice, bob');
      assert.equal((await status(a2)).approval_status, null, 'job A, quorum 2: alice alone');
      assert.equal((await status(b1)).approval_status, 'APPROVED', 'job B, quorum 3: alice, bob and carol');
      assert.equal((await status(b1)).approved_by, 'alice, bob, carol');
      assert.equal((await status(b2)).approval_status, null, 'job B, quorum 3: carol alone');
      const statuses = await Promise.all(signed.map(async (m) => (await audit(m.decision_id))?.audit_status));
      assert.deepEqual(statuses, ['awaiting-quorum', 'awaiting-quorum', 'awaiting-quorum', 'awaiting-quorum', 'recorded', 'awaiting-quorum', 'recorded']);
      assert.match(String((await audit(signed[3]?.decision_id ?? ''))?.audit_detail), /2 of 3/);
    });
  });

  describe('through SNS, SQS and the runner', () => {
    let sns: SNSClient;
    let sqs: SQSClient;
    let startedHere = false;

    before(async () => {
      const clientConfig = { region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } };
      sns = new SNSClient(clientConfig);
      sqs = new SQSClient(clientConfig);
      // Decisions other tests published are not ours to process.
      if (!runner.processorRunnerStatus().running) await purge(sqs, env.queueUrls.processor);
      // A runner already running is kept only if it runs the bundle of the current sources.
      startedHere = !(await runner.startProcessorRunner(env)).alreadyRunning;
      assert.equal(runner.processorRunnerStatus().bundleSha256, runner.bundleSha256(), 'the runner runs the bundle of the current sources');
    });

    after(async () => {
      if (startedHere) await runner.stopProcessorRunner();
      sns.destroy();
      sqs.destroy();
    });

    it('processes a published decision for a seeded pending run, once, and logs it without the secret', async () => {
      const runId = manifest.pendingRunIds.find((id) => !manifest.messyRunIds.includes(id));
      assert.ok(runId, 'the seed has a pending run');
      const { _source: run } = await runDoc(await documentIdOf(runId));
      const message = await sign(run, { identityArn: CAROL, reason: 'Reviewed end to end through SNS and SQS.' });
      const publish = () => sns.send(new PublishCommand({ TopicArn: env.topicArn, ...publishParameters(message, env.topicArn) }));
      await publish();
      const doc = await waitFor(() => audit(message.decision_id), 30_000);
      assert.equal(doc.audit_status, 'recorded');
      const decided = await waitFor(async () => {
        const { _source } = await runDoc(await documentIdOf(runId));
        return _source.approval_status ? _source : null;
      }, 10_000);
      assert.equal(decided.approval_status, 'APPROVED');
      assert.equal(decided.approved_by, 'carol');

      await publish();
      const decisionLines = () => readFileSync(runner.processorRunnerStatus().logFile, 'utf8').split('\n').filter((line) => line.includes(message.decision_id));
      const lines = await waitFor(() => Promise.resolve(decisionLines().length >= 2 ? decisionLines() : null), 30_000);
      assert.match(lines[1] ?? '', /"replay":true/);
      assert.equal((await auditsOfRun(runId)).filter((a) => a.decision_id === message.decision_id).length, 1);
      assert.ok(!readFileSync(runner.processorRunnerStatus().logFile, 'utf8').includes(secret), 'the log never holds the secret');
    });
  });

  async function documentIdOf(runId: string): Promise<string> {
    const { json } = await os('POST', '/job-events/_search', { size: 1, query: { term: { job_run_id: runId } }, sort: [{ timestamp: 'desc' }] });
    const id = (json.hits as { hits: Array<{ _id: string }> }).hits[0]?._id;
    assert.ok(id, `run ${runId} is in job-events`);
    return id;
  }
});

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`not there after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
