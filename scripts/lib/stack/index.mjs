// The local stack as functions, for scripts/stack.mjs and for tests, the demo and benches:
//   ensureStack()  start what is not running (idempotent), ensure indices and AWS resources,
//                  write .stack/env.json and return it
//   seedStack(o)   recreate both indices and load generated runs; write .stack/seed.json
//   resetAws()     after POST /moto-api/reset (or to force it): recreate the moto resources
//   stopStack(o)   stop both services; { clean: true } also deletes .stack/
//   readStackEnv() the env.json of a running stack (throws a helpful error if there is none)
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ACCOUNT_ID, CREDENTIALS, INDICES, LOCAL_APPROVAL_POLICY, REGION, SSM_PARAMETERS, ensureStackDir, stackConfig } from './config.mjs';
import { JOB_APPROVALS_MAPPING, JOB_EVENTS_MAPPING } from './mappings.mjs';
import { awsClients, ensureAwsResources, motoPids, probeMoto, resetMoto, startMoto } from './moto.mjs';
import {
  bulkIndex,
  clusterHealth,
  ensureIndices,
  nodeJavaPid,
  opensearchPids,
  osCall,
  probeOpenSearch,
  recreateIndex,
  startOpenSearch,
} from './opensearch.mjs';
import { StackError, isAlive, readPid, removeFile, sleep, stopPids, withLock, writePid } from './proc.mjs';
import { generateSeed } from './seedData.mjs';

export { StackError } from './proc.mjs';
export { generateSeed, SEED_DEFAULTS, JOB_NAMES, HTML_JOB_NAME } from './seedData.mjs';
export { stackConfig, STACK_USERS, LOCAL_APPROVAL_POLICY } from './config.mjs';
export { JOB_EVENTS_MAPPING, JOB_APPROVALS_MAPPING } from './mappings.mjs';
export { awsClients } from './moto.mjs';

const silent = () => {};

function secondsSince(t0) {
  return Math.round(performance.now() - t0) / 1000;
}

async function ensureOpenSearchRunning(cfg, log) {
  const probe = await probeOpenSearch(cfg.opensearchUrl, cfg.opensearchPort);
  if (probe.state === 'ours') {
    if (await clusterHealth(cfg.opensearchUrl, '30s')) {
      const javaPid = await nodeJavaPid(cfg.opensearchUrl);
      if (javaPid && !readPid(cfg.files.opensearchJavaPid)) writePid(cfg.files.opensearchJavaPid, javaPid);
      return { started: false, pid: readPid(cfg.files.opensearchPid), javaPid };
    }
    throw new StackError(`OpenSearch on port ${cfg.opensearchPort} answers but its cluster is red. Check ${cfg.files.opensearchLog}, or run stack down and up.`);
  }
  if (probe.state === 'foreign') {
    throw new StackError(
      `port ${cfg.opensearchPort} is used by another OpenSearch/Elasticsearch cluster ("${probe.info?.cluster_name}"). ` +
        'Stop it or set DWH_OPENSEARCH_PORT.',
    );
  }
  const recorded = readPid(cfg.files.opensearchPid);
  if (probe.state === 'starting-or-foreign') {
    if (recorded && isAlive(recorded)) {
      // Ours, still starting (another `up` started it a moment ago): wait for it.
      const deadline = Date.now() + cfg.startTimeoutMs;
      while (Date.now() < deadline) {
        if ((await probeOpenSearch(cfg.opensearchUrl, cfg.opensearchPort)).state === 'ours' && (await clusterHealth(cfg.opensearchUrl, '2s'))) {
          return { started: false, pid: recorded, javaPid: await nodeJavaPid(cfg.opensearchUrl) };
        }
        await sleep(500);
      }
    }
    throw new StackError(`port ${cfg.opensearchPort} is in use by something that is not our OpenSearch node. Free it or set DWH_OPENSEARCH_PORT.`);
  }
  if (recorded && isAlive(recorded)) {
    // Recorded and alive but not listening: it may still be starting (a crashed `up` left it).
    log(`OpenSearch process ${recorded} is not answering yet; waiting for it...`);
    const deadline = Date.now() + cfg.startTimeoutMs;
    while (Date.now() < deadline && isAlive(recorded)) {
      if ((await probeOpenSearch(cfg.opensearchUrl, cfg.opensearchPort)).state === 'ours' && (await clusterHealth(cfg.opensearchUrl, '2s'))) {
        return { started: false, pid: recorded, javaPid: await nodeJavaPid(cfg.opensearchUrl) };
      }
      await sleep(500);
    }
    log(`OpenSearch process ${recorded} never became healthy; stopping it`);
    await stopPids([recorded, readPid(cfg.files.opensearchJavaPid)].filter(Boolean), { timeoutMs: 15_000 });
  }
  removeFile(cfg.files.opensearchJavaPid);
  const { pid, javaPid } = await startOpenSearch(cfg, log);
  return { started: true, pid, javaPid };
}

async function ensureMotoRunning(cfg, log) {
  const state = await probeMoto(cfg.awsEndpointUrl, cfg.motoPort);
  if (state === 'ours') return { started: false, pid: readPid(cfg.files.motoPid) ?? motoPids(cfg)[0] ?? null };
  if (state === 'foreign') {
    throw new StackError(`port ${cfg.motoPort} is in use by something that is not moto. Free it or set DWH_MOTO_PORT.`);
  }
  const recorded = readPid(cfg.files.motoPid);
  if (recorded && isAlive(recorded)) await stopPids([recorded], { timeoutMs: 5_000 });
  const { pid } = await startMoto(cfg, log);
  return { started: true, pid };
}

function buildEnv(cfg, aws, pids) {
  return {
    opensearchUrl: cfg.opensearchUrl,
    awsEndpointUrl: cfg.awsEndpointUrl,
    region: REGION,
    accountId: ACCOUNT_ID,
    // moto accepts any credentials; these dummy ones are what the scripts use.
    credentials: { ...CREDENTIALS },
    topicArn: aws.topicArn,
    topicName: aws.topicName,
    outcomesTopicArn: aws.outcomesTopicArn,
    jobEventsTopicArn: aws.jobEventsTopicArn,
    email: { ...aws.email, approvalApiUrl: cfg.approvalApiUrl, approvalApiPort: cfg.approvalApiPort },
    queueUrls: aws.queueUrls,
    queueArns: aws.queueArns,
    ssm: { ...SSM_PARAMETERS },
    // The reviewers (IAM users in moto) with their access keys and profiles: moto's dummy keys.
    users: aws.users,
    approvalPolicy: JSON.stringify(LOCAL_APPROVAL_POLICY),
    indices: { ...INDICES },
    ports: { opensearch: cfg.opensearchPort, moto: cfg.motoPort },
    pids,
    logs: { opensearch: cfg.files.opensearchLog, moto: cfg.files.motoLog },
    stackDir: cfg.stackDir,
    cacheDir: cfg.cacheDir,
    updatedAt: new Date().toISOString(),
  };
}

function writeEnv(cfg, env) {
  writeFileSync(cfg.files.env, `${JSON.stringify(env, null, 2)}\n`);
}

/**
 * Bring the stack up (idempotent). Starts OpenSearch and moto if they are not already answering
 * (both in parallel), then ensures indices and AWS resources and writes .stack/env.json.
 * @param {{log?: (msg: string) => void}} [options]
 * @returns {Promise<object>} the env.json content (plus a non-persisted `timings`/`started`)
 */
export async function ensureStack({ log = silent } = {}) {
  const cfg = stackConfig();
  ensureStackDir(cfg);
  return withLock(cfg.files.lock, () => ensureStackLocked(cfg, log), { onWait: (pid) => log(`waiting for another stack command (pid ${pid})...`) });
}

async function ensureStackLocked(cfg, log) {
  const t0 = performance.now();
  const [os, moto] = await Promise.all([ensureOpenSearchRunning(cfg, log), ensureMotoRunning(cfg, log)]);
  const tServices = secondsSince(t0);
  const indices = await ensureIndices(cfg.opensearchUrl, log);
  const aws = await ensureAwsResources(cfg, previousUsers(cfg));
  const env = buildEnv(cfg, aws, { opensearch: os.pid ?? null, opensearchJava: os.javaPid ?? null, moto: moto.pid ?? null });
  writeEnv(cfg, env);
  const timings = { services: tServices, total: secondsSince(t0) };
  return { ...env, started: { opensearch: os.started, moto: moto.started }, indicesState: indices, signingSecretState: aws.secret, timings };
}

/** The reviewers' keys of the last env.json (kept while moto still has them), by user name. */
function previousUsers(cfg) {
  try {
    return JSON.parse(readFileSync(cfg.files.env, 'utf8')).users ?? {};
  } catch {
    return {};
  }
}

/** The env.json of the stack; throws a StackError telling to run `npm run stack:up` if missing. */
export function readStackEnv() {
  const cfg = stackConfig();
  if (!existsSync(cfg.files.env)) {
    throw new StackError(`no ${cfg.files.env}: the local stack is not up. Run: npm run stack:up`);
  }
  return JSON.parse(readFileSync(cfg.files.env, 'utf8'));
}

/**
 * Reset moto (POST /moto-api/reset) unless { reset: false }, then recreate the topic,
 * subscriptions, queues and SSM parameters (a new signing secret) and rewrite env.json.
 */
export async function resetAws({ reset = true } = {}) {
  const cfg = stackConfig();
  ensureStackDir(cfg);
  return withLock(cfg.files.lock, () => resetAwsLocked(cfg, reset));
}

async function resetAwsLocked(cfg, reset) {
  const keep = reset ? {} : previousUsers(cfg);
  if (reset) await resetMoto(cfg.awsEndpointUrl);
  const aws = await ensureAwsResources(cfg, keep);
  let previous = {};
  try {
    previous = readStackEnv();
  } catch {
    /* first write */
  }
  const env = { ...buildEnv(cfg, aws, previous.pids ?? {}), pids: previous.pids ?? {} };
  writeEnv(cfg, env);
  return env;
}

/**
 * Recreate job-events and job-approvals (delete_by_query is not available in this distribution)
 * and load generated documents. Options as generateSeed plus { chunkSize, log }.
 * @returns {Promise<{manifest: object, timings: object}>}
 */
export async function seedStack(options = {}) {
  const cfg = stackConfig();
  ensureStackDir(cfg);
  const log = options.log ?? silent;
  return withLock(cfg.files.lock, () => seedStackLocked(cfg, options), { onWait: (pid) => log(`waiting for another stack command (pid ${pid})...`) });
}

async function seedStackLocked(cfg, options) {
  const { log = silent, chunkSize = 2000, ...genOptions } = options;
  const env = readStackEnv();
  const t0 = performance.now();
  const { documents, manifest } = generateSeed(genOptions);
  const tGenerate = secondsSince(t0);
  const t1 = performance.now();
  await recreateIndex(env.opensearchUrl, env.indices.events, JOB_EVENTS_MAPPING);
  await recreateIndex(env.opensearchUrl, env.indices.approvals, JOB_APPROVALS_MAPPING);
  await bulkIndex(env.opensearchUrl, env.indices.events, documents, { chunkSize });
  await osCall(env.opensearchUrl, 'POST', `/${env.indices.events},${env.indices.approvals}/_refresh`);
  const tIndex = secondsSince(t1);
  const count = (await osCall(env.opensearchUrl, 'GET', `/${env.indices.events}/_count`)).json?.count;
  if (count !== documents.length) {
    throw new StackError(`seeded ${documents.length} documents but ${env.indices.events} holds ${count}`);
  }
  log(`indexed ${documents.length} documents in ${tIndex} s (generated in ${tGenerate} s)`);
  writeFileSync(cfg.files.seed, `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, timings: { generate: tGenerate, index: tIndex, total: secondsSince(t0) } };
}

/**
 * Stop OpenSearch and moto: SIGTERM, SIGKILL after a timeout. Cache and data are kept;
 * { clean: true } also deletes .stack/ (and the node's data dir if it lives elsewhere).
 */
export async function stopStack({ clean = false, log = silent } = {}) {
  const cfg = stackConfig();
  ensureStackDir(cfg);
  return withLock(cfg.files.lock, () => stopStackLocked(cfg, clean, log), { onWait: (pid) => log(`waiting for another stack command (pid ${pid})...`) });
}

async function stopStackLocked(cfg, clean, log) {
  const osP = await opensearchPids(cfg);
  const motoP = motoPids(cfg);
  const stoppedOs = await stopPids(osP, { timeoutMs: 30_000 });
  const stoppedMoto = await stopPids(motoP, { timeoutMs: 10_000 });
  log(stoppedOs.length ? `stopped OpenSearch (pids ${stoppedOs.join(', ')})` : 'OpenSearch was not running');
  log(stoppedMoto.length ? `stopped moto (pids ${stoppedMoto.join(', ')})` : 'moto was not running');
  for (const f of [cfg.files.opensearchPid, cfg.files.opensearchJavaPid, cfg.files.motoPid]) removeFile(f);
  if (clean) {
    let nodeDir = null;
    try {
      nodeDir = readFileSync(cfg.files.dataDirPointer, 'utf8').trim();
    } catch {
      /* none */
    }
    if (nodeDir && !nodeDir.startsWith(`${cfg.stackDir}/`) && nodeDir.startsWith('/var/lib/dwh-approvals/')) {
      rmSync(dirname(nodeDir), { recursive: true, force: true });
    }
    rmSync(cfg.stackDir, { recursive: true, force: true });
    log(`deleted ${cfg.stackDir}`);
  } else if (existsSync(cfg.files.env)) {
    removeFile(cfg.files.env);
  }
  return { opensearch: stoppedOs, moto: stoppedMoto };
}

/** A quick look at what is running (for `stack.mjs status`). */
export async function stackStatus() {
  const cfg = stackConfig();
  const os = await probeOpenSearch(cfg.opensearchUrl, cfg.opensearchPort);
  const health = os.state === 'ours' ? await clusterHealth(cfg.opensearchUrl, '1s') : null;
  const moto = await probeMoto(cfg.awsEndpointUrl, cfg.motoPort);
  return {
    opensearch: { url: cfg.opensearchUrl, state: os.state, health: health?.status ?? null },
    moto: { url: cfg.awsEndpointUrl, state: moto },
    envFile: existsSync(cfg.files.env) ? cfg.files.env : null,
  };
}

/** Read the signing secret from SSM (for tests/processor wiring; never print it). */
export async function readSigningSecret(env = readStackEnv()) {
  const { ssm, sns, sqs } = awsClients(env.awsEndpointUrl);
  try {
    const res = await ssm.send(new GetParameterCommand({ Name: env.ssm.signingSecretParameter, WithDecryption: true }));
    return res.Parameter?.Value ?? null;
  } finally {
    ssm.destroy();
    sns.destroy();
    sqs.destroy();
  }
}
