// Names, ports and paths of the local stack. Everything else in scripts/lib/stack reads them from here.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../cache.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const OPENSEARCH_VERSION = '2.19.3';
export const OPENSEARCH_ARTIFACT = `org.opensearch.distribution.integ-test-zip:opensearch:${OPENSEARCH_VERSION}:zip`;
export const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
/** The node's cluster name: how `up` recognises a node of ours already listening on the port. */
export const CLUSTER_NAME = 'dwh-approvals-local';
// Pinned: the [server] extra also carries what CloudFormation needs (cfn-lint and the parsers),
// and test/integration/infraStack.test.ts relies on which resource types 5.2's CloudFormation builds.
export const MOTO_REQUIREMENT = 'moto[server]==5.2.5';

export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';
/** moto accepts any credentials; these are the conventional dummy ones. */
export const CREDENTIALS = Object.freeze({ accessKeyId: 'testing', secretAccessKey: 'testing' });

export const TOPIC_NAME = 'dwh-local-job-approvals';
/** The processor's own topic of effective outcomes (approval_outcome); downstream subscribes here. */
export const OUTCOMES_TOPIC_NAME = 'dwh-local-approval-outcomes';
/** The pipeline's job_events topic (job_completed events); the notifier reads it. */
export const JOB_EVENTS_TOPIC_NAME = 'dwh-local-job-events';
export const QUEUES = Object.freeze({
  // The downstream orchestrator: effective outcomes (not votes), decision=APPROVED only, like
  // its subscription in production. It used to subscribe to job_approvals; `up` moves it.
  downstream: { name: 'job-approvals-downstream', topic: 'outcomes', filterPolicy: { decision: ['APPROVED'] } },
  // Every outcome, rejections included: tests read it to see what the processor published.
  outcomesTap: { name: 'approval-outcomes-tap', topic: 'outcomes', filterPolicy: null },
  // Everything on job_approvals: tests read it to see what was published.
  tap: { name: 'job-approvals-tap', topic: 'approvals', filterPolicy: null },
  // Everything on job_approvals: the approval processor consumes it.
  processor: { name: 'job-approvals-processor', topic: 'approvals', filterPolicy: null },
  // job_events for the notifier (alert emails); it ignores what is not PENDING_APPROVAL.
  notifier: { name: 'job-events-notifier', topic: 'jobEvents', filterPolicy: null },
});

/**
 * The alert emails (issue 13): the notifier's sender (verified in moto's SES), who gets the
 * alerts, and the approval API's role (its sessions are the only identity that may publish
 * channel "email" decisions; the processor is told so).
 */
export const EMAIL = Object.freeze({
  mailFrom: 'dwh-alerts@example.com',
  recipients: Object.freeze(['data-oncall@example.com', 'job-owner@example.com']),
  approvalApiRoleName: 'dwh-approval-api',
});

export const SSM_PARAMETERS = Object.freeze({
  endpointParameter: '/dwh/opensearch/endpoint',
  topicArnParameter: '/dwh/sns/job-approvals-arn',
  signingSecretParameter: '/dwh/approvals/signing-secret',
  policyParameter: '/dwh/approvals/policy',
});

/**
 * The reviewers of the local stack: IAM users in moto with access keys of their own, one AWS
 * profile each (scripts/lib/localProfile.mjs). moto's STS answers GetCallerIdentity per access
 * key, so each profile is a distinct person, as in AWS. The observer is no approver of score_*.
 */
export const STACK_USERS = Object.freeze([
  { userName: 'dwh-reviewer1', profile: 'dwh-local' },
  { userName: 'dwh-reviewer2', profile: 'dwh-local-reviewer2' },
  { userName: 'dwh-observer', profile: 'dwh-local-observer' },
]);

/**
 * The approval policy in the stack's SSM (see src/core/approvalPolicy.ts): one approval
 * decides most jobs, but score_* runs need two distinct reviewers, and only the reviewers
 * may decide them, so the demo shows progress ("1 of 2 approvals") and a non-approver.
 * Alerts go to EMAIL.recipients for every job.
 */
export const LOCAL_APPROVAL_POLICY = Object.freeze({
  // Every job's alert goes to the stack's recipients (issue 13); an email link decides as the recipient.
  default: { quorum: 1, forbidSelfApproval: true, notify: [...EMAIL.recipients] },
  jobs: {
    // Two reviewers in VS Code; an approval by email link would not count towards that quorum.
    'score_*': { quorum: 2, approvers: [`arn:aws:iam::${ACCOUNT_ID}:user/dwh-reviewer*`], emailDecisions: 'not-counted' },
  },
});

export const INDICES = Object.freeze({ events: 'job-events', approvals: 'job-approvals' });

/** Default approval TTL (hours) used for expiry when a run has no expires_at (docs/CONTRACTS.md §2). */
export const DEFAULT_TTL_HOURS = 72;

function intFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw == null || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) {
    throw new Error(`${name} must be a TCP port number, got "${raw}"`);
  }
  return n;
}

/** Resolved configuration of the stack (reads the environment each time). */
export function stackConfig() {
  const opensearchPort = intFromEnv('DWH_OPENSEARCH_PORT', 9200);
  const motoPort = intFromEnv('DWH_MOTO_PORT', 5000);
  const stackDirEnv = process.env.DWH_STACK_DIR;
  const stackDir = stackDirEnv && stackDirEnv.trim() !== '' ? resolve(stackDirEnv) : join(REPO_ROOT, '.stack');
  const startTimeoutMs = Number(process.env.DWH_STACK_START_TIMEOUT_MS) || 180_000;
  // The local approval API (scripts/approval-api-server.mjs): beside moto's port unless set.
  const approvalApiPort = intFromEnv('DWH_APPROVAL_API_PORT', motoPort + 100);
  return {
    opensearchPort,
    motoPort,
    opensearchUrl: `http://127.0.0.1:${opensearchPort}`,
    awsEndpointUrl: `http://127.0.0.1:${motoPort}`,
    approvalApiPort,
    approvalApiUrl: `http://127.0.0.1:${approvalApiPort}`,
    stackDir,
    cacheDir: cacheDir(),
    startTimeoutMs,
    files: {
      env: join(stackDir, 'env.json'),
      seed: join(stackDir, 'seed.json'),
      opensearchPid: join(stackDir, 'opensearch.pid'),
      opensearchJavaPid: join(stackDir, 'opensearch-java.pid'),
      opensearchLog: join(stackDir, 'opensearch.log'),
      motoPid: join(stackDir, 'moto.pid'),
      motoLog: join(stackDir, 'moto.log'),
      dataDirPointer: join(stackDir, 'opensearch-dir.txt'),
      lock: join(stackDir, 'stack.lock'),
    },
  };
}

export function ensureStackDir(cfg = stackConfig()) {
  mkdirSync(cfg.stackDir, { recursive: true });
  return cfg.stackDir;
}
