// The data layer against the real local stack (OpenSearch, moto): the pending list at
// scale, publishing signed decisions through SNS to SQS, and every failure class produced
// for real and explained.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ApprovalsBackend } from '../../src/adapters/approvalsBackend';
import { StsIdentityVerifier } from '../../src/adapters/stsIdentityVerifier';
import type { IdentityProof } from '../../src/core/identityProof';
import { DEFAULT_CONNECTION_SETTINGS, type ConnectionSettings } from '../../src/core/connectionSettings';
import { publishDecision } from '../../src/core/decisionWorkflow';
import { evidenceSha256 } from '../../src/core/evidence';
import { expiryOf } from '../../src/core/expiry';
import { parseJobRun } from '../../src/core/jobRunParser';
import { DwhError, type FailureKind } from '../../src/core/failureClassification';
import { expectedSignature } from '../support/independentSignature';
import { localStack, type SeedManifest, type StackEnv } from '../support/localStack';
import { purge, receiveUpToNow, sqsClient } from '../support/queues';
import { nestedEventDoc } from '../unit/fixtures';

const TTL_HOURS = 72;

describe('data layer against the local stack', function () {
  this.timeout(300_000);
  let env: StackEnv;
  let profile: string;
  let seed: (options: Parameters<Awaited<ReturnType<typeof localStack>>['stack']['seedStack']>[0]) => Promise<SeedManifest>;
  let sqs: SQSClient;
  const backends: ApprovalsBackend[] = [];

  const settings = (overrides: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
    ...DEFAULT_CONNECTION_SETTINGS,
    profile,
    region: env.region,
    awsEndpointUrl: env.awsEndpointUrl,
    ...overrides,
  });
  const backend = (overrides: Partial<ConnectionSettings> = {}): ApprovalsBackend => {
    const created = new ApprovalsBackend(settings(overrides), () => TTL_HOURS);
    backends.push(created);
    return created;
  };
  const awsClientConfig = () => ({ region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } });

  before(async () => {
    const local = await localStack();
    env = local.env;
    profile = local.profile;
    seed = async (options) => (await local.stack.seedStack(options)).manifest;
    sqs = sqsClient(env);
  });

  after(async () => {
    await Promise.all(backends.map((b) => b.dispose()));
    sqs.destroy();
  });

  describe('reading pending runs', () => {
    let manifest: SeedManifest;
    before(async () => {
      manifest = await seed({ pending: 40, history: 6, decided: 5, messy: 4 });
    });

    it('resolves the endpoint from SSM and lists exactly the seeded pending runs, in expiry order', async () => {
      const runs = await (await backend().repository()).listPending();
      assert.equal(runs.length, manifest.pendingCount);
      assert.deepEqual(new Set(runs.map((r) => r.jobRunId)), new Set(manifest.pendingRunIds));
      for (const decided of manifest.decidedRunIds) assert.ok(!runs.some((r) => r.jobRunId === decided), `${decided} is decided`);
      assertExpiryOrder(runs);
    });

    it('fingerprints the pending runs with the cheap summary: exact documents, approximate runs, newest timestamp', async () => {
      const summary = await backend().pendingSource().summary();
      // Documents are total hits (exact); the seed's one run with two pending documents counts twice.
      const duplicates = Array.isArray(manifest.duplicateRunIds) ? manifest.duplicateRunIds.length : 0;
      assert.equal(summary.documents, manifest.pendingCount + duplicates);
      // Distinct runs come from a cardinality aggregation (HyperLogLog++): close, not exact.
      assert.ok(Math.abs(summary.approximateRuns - manifest.pendingCount) <= Math.max(1, manifest.pendingCount * 0.01), `~${summary.approximateRuns} for ${manifest.pendingCount}`);
      assert.match(summary.newestTimestamp ?? '', /^\d{4}-\d\d-\d\dT/);
    });

    it('reads one run afresh, a job history and messy documents without failing', async () => {
      const repository = await backend().repository();
      const runId = manifest.pendingRunIds[0];
      assert.ok(runId);
      const stored = await repository.getRun(runId);
      assert.equal(stored?.run.jobRunId, runId);
      assert.equal(typeof stored?.seqNo, 'number');
      const history = await repository.jobHistory(stored.run.jobName, 20);
      assert.ok(history.length > 1, 'the job has history');
      assert.ok(history.every((r) => r.jobName === stored.run.jobName));
      const upTo = stored.run.timestampMs;
      assert.ok(upTo !== null, 'the pending run has a time');
      const before = await repository.jobHistory(stored.run.jobName, 20, { upToMs: upTo });
      assert.ok(before.some((r) => r.jobRunId === stored.run.jobRunId), 'the history up to a run includes the run');
      assert.ok(before.every((r) => r.timestampMs !== null && r.timestampMs <= upTo), 'and no later run');
      // The seed decides some history runs (approved_by, approval_reason set): history shows who and why.
      const decided = [];
      for (const jobName of manifest.jobNames) {
        decided.push(...(await repository.jobHistory(jobName, 50)).filter((r) => r.approval !== null));
      }
      assert.ok(decided.length > 0, 'some history runs were decided');
      assert.ok(decided.every((r) => r.approval?.approvedBy && r.approval.reason && r.approval.timestamp), 'each with who, why and when');
      for (const messyId of manifest.messyRunIds) {
        const messy = await repository.getRun(messyId);
        assert.equal(messy?.run.jobRunId, messyId);
      }
      assert.equal(await repository.getRun('no-such-run'), null);
    });
  });

  describe('a run in the nested event format', () => {
    it('has the same evidence from the pending list (tree, palette, bulk) as read whole (details page), and a decision from the list is published', async () => {
      await seed({ pending: 3, history: 2, decided: 1, messy: 1 });
      const b = backend();
      const repository = await b.repository();
      const doc = nestedEventDoc({ job_run_id: `nested-${Date.now()}`, timestamp: new Date(Date.now() - 60_000).toISOString() });
      await repository.client.index({ index: 'job-events', body: doc, refresh: true });
      const listed = (await repository.listPending()).find((run) => run.jobRunId === doc.job_run_id);
      const whole = (await repository.getRun(String(doc.job_run_id)))?.run;
      assert.ok(listed && whole, 'the run is listed and can be read');
      // Read at all, from both: empty evidence would hash alike.
      assert.equal(listed.qualityChecks.length, 2);
      assert.equal(listed.metrics.recordsDropped, 12000);
      assert.equal(evidenceSha256(listed), evidenceSha256(whole));
      const [history] = await repository.jobHistory(whole.jobName, 1, { upToMs: whole.timestampMs ?? undefined });
      assert.equal(history?.jobRunId, doc.job_run_id);
      assert.deepEqual(history?.qualityChecks, whole.qualityChecks);
      const outcome = await publishDecision(b.decisionPorts(), { shownRun: listed, decision: 'APPROVED', reason: 'nested format, decided from the list' });
      assert.equal(outcome.kind, 'published', JSON.stringify(outcome.kind));
    });
  });

  describe('a document with "__proto__" and "constructor" keys (hostile job data)', () => {
    it('is listed (palette, bulk) and read whole as plain data, with the evidence of the document as JSON.parse reads it, and pollutes nothing', async () => {
      await seed({ pending: 3, history: 1, decided: 1, messy: 1 });
      const repository = await backend().repository();
      const runId = `hostile-keys-${Date.now()}`;
      // Written as text: a JavaScript object literal would turn "__proto__" into a prototype.
      const text = `{"job_name":"hostile_keys","job_run_id":"${runId}","status":"PENDING_APPROVAL","timestamp":"${new Date(Date.now() - 60_000).toISOString()}",`
        + '"__proto__":{"status":"APPROVED","polluted":true},"quality_status":"RED",'
        + '"quality_checks":[{"name":"row_count","status":"FAIL","value":1,"threshold":2,"__proto__":{"name":"spoofed"}}],'
        + '"artifacts":{"__proto__":{"path":"s3://b/proto/","records":5},"constructor":{"prototype":{"polluted":true},"path":"s3://b/ctor/","records":6}},'
        + '"records_read":10}';
      const indexed = await fetch(`${env.opensearchUrl}/job-events/_doc?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      assert.equal(indexed.status, 201, await indexed.text());
      const expected = parseJobRun('ignored', JSON.parse(text));
      assert.deepEqual(expected.artifacts.map((a) => a.name).sort(), ['__proto__', 'constructor'], 'the reference reads both keys as artifacts');

      const scope = await repository.scope(null);
      const listed = (await repository.listAll({ scope, selection: {}, ttlHours: TTL_HOURS })).find((run) => run.jobRunId === runId);
      const whole = (await repository.getRun(runId))?.run;
      assert.ok(listed && whole, 'the run is listed and can be read');
      assert.equal(listed.status, 'PENDING_APPROVAL');
      assert.deepEqual(listed.artifacts, expected.artifacts);
      assert.deepEqual(listed.qualityChecks, expected.qualityChecks);
      assert.equal(evidenceSha256(listed), evidenceSha256(expected));
      assert.equal(evidenceSha256(whole), evidenceSha256(expected));
      assert.equal((await repository.listPending()).filter((run) => run.jobRunId === runId).length, 1);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
      assert.equal(({} as Record<string, unknown>).status, undefined);
    });
  });

  describe('at scale', () => {
    it('returns all 5,000 pending runs, in expiry order, none twice', async () => {
      const manifest = await seed({ pending: 5000, history: 2, decided: 5, messy: 4 });
      const runs = await (await backend().repository()).listPending();
      assert.equal(runs.length, manifest.pendingCount);
      assert.equal(new Set(runs.map((r) => r.jobRunId)).size, runs.length, 'no run twice');
      assertExpiryOrder(runs);
    });
  });

  describe('publishing decisions', () => {
    let manifest: SeedManifest;
    before(async () => {
      manifest = await seed({ pending: 12, history: 3, decided: 2, messy: 1 });
    });
    beforeEach(async () => {
      await purge(sqs, env.queueUrls.tap);
      await purge(sqs, env.queueUrls.downstream);
    });

    async function decide(runIndex: number, decision: 'APPROVED' | 'REJECTED') {
      const b = backend();
      const runId = manifest.pendingRunIds[runIndex];
      assert.ok(runId);
      const shown = (await (await b.repository()).getRun(runId))?.run;
      assert.ok(shown);
      return publishDecision(b.decisionPorts(), { shownRun: shown, decision, reason: `  integration ${decision}  ` });
    }

    it('an approval arrives once on job_approvals, with the decision attribute, a signature that verifies and an identity proof STS accepts', async () => {
      const outcome = await decide(0, 'APPROVED');
      assert.equal(outcome.kind, 'published');
      const [tap, downstream] = await Promise.all([receiveUpToNow(sqs, env.queueUrls.tap), receiveUpToNow(sqs, env.queueUrls.downstream)]);
      assert.equal(tap.length, 1);
      assert.equal(downstream.length, 0, 'downstream reads effective outcomes, not decisions');
      const delivered = tap[0]!;
      assert.deepEqual(delivered.attributes.decision, { Type: 'String', Value: 'APPROVED' });
      assert.equal(delivered.message.reason, 'integration APPROVED');
      // The profile dwh-local is the stack's IAM user dwh-reviewer1: moto's STS answers with its ARN.
      assert.equal(delivered.message.decided_by, 'dwh-reviewer1');
      assert.equal(delivered.message.signature_version, 'v2');
      // The proof, sent to STS as the processor sends it, names the identity the message claims.
      const sts = new StsIdentityVerifier({ region: env.region, endpointUrl: env.awsEndpointUrl });
      try {
        const answer = await sts.verify(delivered.message.identity_proof as IdentityProof);
        assert.deepEqual(answer, { kind: 'verified', arn: delivered.message.identity_arn, account: '123456789012' });
      } finally {
        sts.destroy();
      }
      // Verify independently: the secret read straight from SSM, the canonical form written from the spec.
      const ssm = new SSMClient(awsClientConfig());
      const secret = (await ssm.send(new GetParameterCommand({ Name: env.ssm.signingSecretParameter, WithDecryption: true }))).Parameter?.Value;
      ssm.destroy();
      assert.ok(secret);
      assert.match(String(delivered.message.signature), /^[0-9a-f]{64}$/);
      assert.equal(delivered.message.signature, expectedSignature(delivered.message, secret), 'the signature verifies with the secret from SSM');
      assert.deepEqual(Object.keys(delivered.message).sort(), [
        'decided_by', 'decision', 'decision_id', 'event_type', 'evidence_sha256', 'identity_arn', 'identity_proof', 'job_name', 'job_run_id', 'reason',
        'signature', 'signature_version', 'timestamp',
      ]);
      assert.match(String(delivered.message.decision_id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('a rejection reaches the unfiltered queue only', async () => {
      const outcome = await decide(1, 'REJECTED');
      assert.equal(outcome.kind, 'published');
      const [tap, downstream] = await Promise.all([receiveUpToNow(sqs, env.queueUrls.tap), receiveUpToNow(sqs, env.queueUrls.downstream)]);
      assert.equal(tap.length, 1);
      assert.equal(tap[0]?.message.decision, 'REJECTED');
      assert.equal(downstream.length, 0);
    });

    it('a run decided meanwhile is not published, and says who decided', async () => {
      const b = backend();
      const repository = await b.repository();
      const runId = manifest.pendingRunIds[2]!;
      const stored = await repository.getRun(runId);
      assert.ok(stored);
      await repository.client.update({
        index: 'job-events',
        id: stored.run.documentId,
        refresh: true,
        body: { doc: { approval_status: 'REJECTED', approved_by: 'someone.else', approval_reason: 'bad batch', approval_timestamp: new Date().toISOString() } },
      });
      const outcome = await publishDecision(b.decisionPorts(), { shownRun: stored.run, decision: 'APPROVED', reason: 'looks fine' });
      assert.equal(outcome.kind, 'alreadyDecided');
      assert.equal(outcome.kind === 'alreadyDecided' && outcome.decidedBy, 'someone.else');
      assert.equal((await receiveUpToNow(sqs, env.queueUrls.tap)).length, 0, 'nothing published');
    });
  });

  describe('failures, produced for real, say what to do', () => {
    async function failureOf(promise: Promise<unknown>): Promise<DwhError> {
      try {
        await promise;
      } catch (error) {
        assert.ok(error instanceof DwhError, `expected a DwhError, got ${String(error)}`);
        return error;
      }
      assert.fail('expected a failure');
    }
    function expectKind(error: DwhError, kind: FailureKind, mentions: RegExp) {
      assert.equal(error.failure.kind, kind, error.failure.detail);
      assert.match(error.failure.message, mentions);
    }

    it('OpenSearch not running at the endpoint: unreachable, naming the endpoint', async () => {
      const closedPort = await freePort();
      const error = await failureOf(backend({ opensearchEndpoint: `http://127.0.0.1:${closedPort}` }).pendingSource().summary());
      expectKind(error, 'opensearch-unreachable', new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
    });

    it('OpenSearch that never answers: timeout', async () => {
      const server = net.createServer(() => undefined); // accepts and never answers
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const b = backend({ opensearchEndpoint: `http://127.0.0.1:${port}` });
        const repository = await b.repository();
        repository.requestTimeoutMs = 1500;
        expectKind(await failureOf(repository.summary()), 'opensearch-timeout', /respond|time/i);
      } finally {
        server.close();
      }
    });

    it('a missing index: names the index', async () => {
      const error = await failureOf(backend({ opensearchIndex: 'no-such-index' }).pendingSource().summary());
      expectKind(error, 'index-missing', /no-such-index/);
    });

    it('a deleted SSM parameter: names the parameter', async () => {
      const ssm = new SSMClient(awsClientConfig());
      const name = '/dwh/test/deleted-endpoint';
      await ssm.send(new PutParameterCommand({ Name: name, Value: env.opensearchUrl, Type: 'String', Overwrite: true }));
      await ssm.send(new DeleteParameterCommand({ Name: name }));
      ssm.destroy();
      const error = await failureOf(backend({ opensearchEndpointParameter: name }).pendingSource().summary());
      expectKind(error, 'parameter-missing', /\/dwh\/test\/deleted-endpoint/);
    });

    it('a deleted topic: names the topic and publishes nothing', async () => {
      const sns = new SNSClient(awsClientConfig());
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'dwh-test-deleted-topic' }));
      await sns.send(new DeleteTopicCommand({ TopicArn }));
      sns.destroy();
      const manifest = await seed({ pending: 3, history: 1, decided: 0, messy: 0 });
      const b = backend({ topicArn: TopicArn });
      const shown = (await (await b.repository()).getRun(manifest.pendingRunIds[0]!))?.run;
      assert.ok(shown);
      const error = await failureOf(publishDecision(b.decisionPorts(), { shownRun: shown, decision: 'APPROVED', reason: 'ok' }));
      expectKind(error, 'topic-missing', /dwh-test-deleted-topic/);
    });

    it('an expired SSO session (credential_process failing with the SSO message): says to run aws sso login', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-sso-'));
      const script = path.join(dir, 'expired-sso.sh');
      fs.writeFileSync(
        script,
        '#!/bin/sh\necho "Error when retrieving token from sso: Token has expired and refresh failed. To refresh this SSO session run aws sso login with the corresponding profile." >&2\nexit 255\n',
        { mode: 0o755 },
      );
      const config = path.join(dir, 'config');
      fs.writeFileSync(config, `[profile expired-sso]\nregion = ${env.region}\ncredential_process = ${script}\n`);
      const saved = { config: process.env.AWS_CONFIG_FILE, credentials: process.env.AWS_SHARED_CREDENTIALS_FILE };
      process.env.AWS_CONFIG_FILE = config;
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, 'none');
      try {
        const error = await failureOf(backend({ profile: 'expired-sso' }).callerIdentity.identity());
        expectKind(error, 'sso-expired', /aws sso login --profile expired-sso/);
      } finally {
        process.env.AWS_CONFIG_FILE = saved.config;
        process.env.AWS_SHARED_CREDENTIALS_FILE = saved.credentials;
      }
    });

    it('a profile that does not exist: no credentials, naming the profile', async () => {
      const error = await failureOf(backend({ profile: 'no-such-profile' }).callerIdentity.identity());
      expectKind(error, 'no-credentials', /no-such-profile/);
    });
  });
});

function assertExpiryOrder(runs: readonly { jobRunId: string; expiresAt: string | null; timestampMs: number | null }[]): void {
  let previous = Number.NEGATIVE_INFINITY;
  for (const run of runs) {
    const expiry = expiryOf(run, TTL_HOURS) ?? Number.POSITIVE_INFINITY;
    assert.ok(expiry >= previous, `${run.jobRunId} is out of expiry order`);
    previous = expiry;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
