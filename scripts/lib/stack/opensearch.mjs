// The local OpenSearch node: fetch the distribution (once, into the cache), run it as an
// unprivileged user, talk to it over plain HTTP, create the indices and bulk-load documents.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CLUSTER_NAME,
  INDICES,
  MAVEN_DEPENDENCY_PLUGIN,
  OPENSEARCH_ARTIFACT,
  OPENSEARCH_VERSION,
} from './config.mjs';
import { JOB_APPROVALS_MAPPING, JOB_EVENTS_MAPPING, indexBody } from './mappings.mjs';
import {
  StackError,
  findJava,
  isPortOpen,
  readPid,
  run,
  startService,
  userCanAccess,
  which,
  writePid,
} from './proc.mjs';

/** OpenSearch refuses to run as root; as root we run it as this system user. */
const STACK_USER = process.env.DWH_STACK_USER || 'dwhstack';
/** Where files go when the run user cannot reach the cache or the repo (e.g. both under /root). */
const SHARED_FALLBACK_DIR = '/var/lib/dwh-approvals';

function runUser() {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? STACK_USER : null;
}

// ---------------------------------------------------------------- HTTP

/**
 * One request to OpenSearch. body: object (JSON) or string (sent as is, NDJSON when ndjson).
 * Resolves { status, json, text }; rejects only when the node cannot be reached.
 */
async function osRequest(baseUrl, method, path, body, { ndjson = false, timeoutMs = 60_000 } = {}) {
  const headers = {};
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['content-type'] = ndjson ? 'application/x-ndjson' : 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

/** Like osRequest but throws a StackError unless the status is 2xx (or listed in okStatuses). */
export async function osCall(baseUrl, method, path, body, options = {}) {
  const res = await osRequest(baseUrl, method, path, body, options);
  const ok = (res.status >= 200 && res.status < 300) || (options.okStatuses ?? []).includes(res.status);
  if (!ok) {
    throw new StackError(`OpenSearch ${method} ${path} failed with HTTP ${res.status}: ${res.text.slice(0, 2000)}`);
  }
  return res;
}

/**
 * Is a node of ours answering at baseUrl? Returns { state: 'ours'|'foreign'|'down', info }.
 * 'foreign' means something else answers on the port (another cluster name or not OpenSearch).
 */
export async function probeOpenSearch(baseUrl, port) {
  try {
    const res = await osRequest(baseUrl, 'GET', '/', undefined, { timeoutMs: 3_000 });
    if (res.status === 200 && res.json && res.json.cluster_name === CLUSTER_NAME) return { state: 'ours', info: res.json };
    if (res.status === 200 && res.json && res.json.cluster_name) return { state: 'foreign', info: res.json };
    // 503 while the node is still starting: treat as ours only if we cannot tell.
    return { state: (await isPortOpen(port)) ? 'starting-or-foreign' : 'down', info: res.json };
  } catch {
    return { state: (await isPortOpen(port)) ? 'starting-or-foreign' : 'down', info: null };
  }
}

export async function clusterHealth(baseUrl, timeout = '1s') {
  const res = await osRequest(baseUrl, 'GET', `/_cluster/health?wait_for_status=yellow&timeout=${timeout}`, undefined, {
    timeoutMs: 30_000,
  });
  if (res.status === 200 && res.json && (res.json.status === 'green' || res.json.status === 'yellow')) return res.json;
  return null;
}

/** The JVM's pid as the node reports it (the process to signal when we did not start it). */
export async function nodeJavaPid(baseUrl) {
  try {
    const res = await osRequest(baseUrl, 'GET', '/_nodes/_local/process', undefined, { timeoutMs: 3_000 });
    const nodes = res.json?.nodes ?? {};
    for (const node of Object.values(nodes)) {
      if (Number.isInteger(node?.process?.id)) return node.process.id;
    }
  } catch {
    /* not reachable */
  }
  return null;
}

// ---------------------------------------------------------------- distribution

function zipPath(cacheDir) {
  return join(cacheDir, 'downloads', `opensearch-${OPENSEARCH_VERSION}.zip`);
}

/** Download the integ-test distribution zip with Maven into the cache, once. */
async function ensureOpenSearchZip(cacheDir, log) {
  const zip = zipPath(cacheDir);
  if (existsSync(zip)) return zip;
  const mvn = which('mvn');
  if (!mvn) {
    throw new StackError(
      'Maven (mvn) is needed once, to fetch the OpenSearch distribution from Maven Central.\n' +
        'Install it, e.g.:  apt-get install -y maven',
    );
  }
  const downloads = join(cacheDir, 'downloads');
  const staging = join(downloads, `.mvn-${process.pid}`);
  mkdirSync(staging, { recursive: true });
  log(`fetching ${OPENSEARCH_ARTIFACT} with Maven (once)...`);
  try {
    await run(mvn, [
      '-B',
      '-q',
      `${MAVEN_DEPENDENCY_PLUGIN}:copy`,
      `-Dartifact=${OPENSEARCH_ARTIFACT}`,
      `-DoutputDirectory=${staging}`,
    ]);
    const fetched = readdirSync(staging).find((f) => f.endsWith('.zip'));
    if (!fetched) throw new StackError(`Maven finished but left no zip in ${staging}`);
    renameSync(join(staging, fetched), zip);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return zip;
}

/**
 * The directory the distribution is unpacked into. As root it must be readable by the run user:
 * the cache (by default under /root, mode 700) often is not, so then the distribution is
 * unpacked under /var/lib/dwh-approvals instead (root-owned, world-readable); the zip stays in
 * the cache.
 */
function opensearchHomeFor(cacheDir) {
  if (process.env.DWH_OPENSEARCH_HOME) return process.env.DWH_OPENSEARCH_HOME;
  const user = runUser();
  const base = user && !userCanAccess(user, cacheDir) ? SHARED_FALLBACK_DIR : cacheDir;
  return join(base, `opensearch-${OPENSEARCH_VERSION}`);
}

/** Unzip the distribution once (atomically: into a temp dir, then rename). */
async function ensureOpenSearchDistribution(cacheDir, log) {
  const home = opensearchHomeFor(cacheDir);
  if (existsSync(join(home, 'bin', 'opensearch'))) return home;
  if (process.env.DWH_OPENSEARCH_HOME) {
    throw new StackError(`DWH_OPENSEARCH_HOME=${home} has no bin/opensearch`);
  }
  const zip = await ensureOpenSearchZip(cacheDir, log);
  const parent = join(home, '..');
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o755);
  const tmp = join(parent, `.unzip-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`unpacking ${zip} -> ${home}`);
  try {
    if (which('unzip')) {
      await run('unzip', ['-q', '-o', zip, '-d', tmp]);
    } else {
      const py = which('python3');
      if (!py) throw new StackError('neither unzip nor python3 is available to unpack the OpenSearch zip (apt-get install -y unzip)');
      await run(py, ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zip, tmp]);
    }
    const top = readdirSync(tmp).find((d) => existsSync(join(tmp, d, 'bin', 'opensearch')));
    if (!top) throw new StackError(`unexpected layout in ${zip}: no */bin/opensearch`);
    const binDir = join(tmp, top, 'bin');
    for (const f of readdirSync(binDir)) chmodSync(join(binDir, f), 0o755);
    // Readable by the run user whatever the archive's modes or the umask.
    await run('chmod', ['-R', 'a+rX', join(tmp, top)]);
    rmSync(home, { recursive: true, force: true });
    renameSync(join(tmp, top), home);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return home;
}

// ---------------------------------------------------------------- data dir and start

/**
 * The node's own directory (config copy, data, logs): `.stack/opensearch` in the repo, or, when
 * the run user cannot reach the repo, a per-repo directory under /var/lib/dwh-approvals.
 */
function opensearchDirFor(stackDir) {
  const user = runUser();
  if (!user || userCanAccess(user, stackDir)) return join(stackDir, 'opensearch');
  const tag = createHash('sha256').update(stackDir).digest('hex').slice(0, 12);
  return join(SHARED_FALLBACK_DIR, `stack-${tag}`, 'opensearch');
}

function ensureSystemUser(user) {
  if (spawnSync('id', ['-u', user], { stdio: 'ignore' }).status === 0) return;
  const res = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user], { encoding: 'utf8' });
  if (res.status !== 0 && spawnSync('id', ['-u', user], { stdio: 'ignore' }).status !== 0) {
    throw new StackError(`could not create system user ${user} to run OpenSearch (it refuses to run as root): ${res.stderr}`);
  }
}

/**
 * Prepare the node directory: a private copy of the distribution's config (OpenSearch writes its
 * keystore there) whose jvm.options use absolute paths (the launcher cd's into the distribution,
 * where relative logs/gc.log would not be writable).
 */
function prepareNodeDir(home, nodeDir, user) {
  const dirs = { config: join(nodeDir, 'config'), data: join(nodeDir, 'data'), logs: join(nodeDir, 'logs') };
  mkdirSync(dirs.data, { recursive: true });
  mkdirSync(dirs.logs, { recursive: true });
  if (!existsSync(join(dirs.config, 'jvm.options'))) {
    cpSync(join(home, 'config'), dirs.config, { recursive: true });
    const jvmOptions = join(dirs.config, 'jvm.options');
    const text = readFileSync(jvmOptions, 'utf8')
      .replace(/-XX:HeapDumpPath=data\b/g, `-XX:HeapDumpPath=${dirs.data}`)
      .replace(/-XX:ErrorFile=logs\//g, `-XX:ErrorFile=${dirs.logs}/`)
      .replace(/file=logs\/gc\.log/g, `file=${dirs.logs}/gc.log`)
      .replace(/-Xloggc:logs\//g, `-Xloggc:${dirs.logs}/`);
    writeFileSync(jvmOptions, text);
  }
  if (user) {
    const res = spawnSync('chown', ['-R', `${user}:`, nodeDir], { encoding: 'utf8' });
    if (res.status !== 0) throw new StackError(`chown ${nodeDir} failed: ${res.stderr}`);
  }
  return dirs;
}

/**
 * Start the node detached and wait until the cluster is yellow or green.
 * Returns { pid, javaPid, nodeDir }.
 */
export async function startOpenSearch(cfg, log) {
  const java = findJava();
  const user = runUser();
  if (user) ensureSystemUser(user);
  const home = await ensureOpenSearchDistribution(cfg.cacheDir, log);
  const nodeDir = opensearchDirFor(cfg.stackDir);
  const dirs = prepareNodeDir(home, nodeDir, user);
  writeFileSync(cfg.files.dataDirPointer, `${nodeDir}\n`);

  const settings = [
    '-Ediscovery.type=single-node',
    '-Enetwork.host=127.0.0.1',
    `-Ehttp.port=${cfg.opensearchPort}`,
    // A range, so a second stack on other HTTP ports does not collide on 9300.
    '-Etransport.port=9300-9399',
    `-Ecluster.name=${CLUSTER_NAME}`,
    '-Enode.name=dwh-local',
    `-Epath.data=${dirs.data}`,
    `-Epath.logs=${dirs.logs}`,
    '-Ecluster.routing.allocation.disk.threshold_enabled=false',
  ];
  const envPairs = {
    OPENSEARCH_JAVA_HOME: java.javaHome,
    OPENSEARCH_PATH_CONF: dirs.config,
    OPENSEARCH_JAVA_OPTS: process.env.DWH_OPENSEARCH_JAVA_OPTS || '-Xms512m -Xmx512m',
    PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}`,
  };
  const bin = join(home, 'bin', 'opensearch');
  const env = { ...process.env, ...envPairs };
  delete env.JAVA_TOOL_OPTIONS;
  delete env.JAVA_OPTS;

  writeFileSync(cfg.files.opensearchLog, `--- ${new Date().toISOString()} starting OpenSearch ${OPENSEARCH_VERSION} (java ${java.major} from ${java.from})\n`, {
    flag: 'a',
  });
  const envArgs = Object.entries(envPairs).map(([k, v]) => `${k}=${v}`);
  const { pid } = await startService(
    {
      name: 'OpenSearch',
      ...(user ? { cmd: 'runuser', args: ['-u', user, '--', 'env', ...envArgs, bin, ...settings] } : { cmd: bin, args: settings }),
      cwd: nodeDir,
      env,
      pidFile: cfg.files.opensearchPid,
      logFile: cfg.files.opensearchLog,
      becomes: 'become healthy',
      timeoutMs: cfg.startTimeoutMs,
      intervalMs: 500,
      isReady: () => isOurNodeHealthy(cfg),
    },
    log,
  );
  const javaPid = await nodeJavaPid(cfg.opensearchUrl);
  if (javaPid) writePid(cfg.files.opensearchJavaPid, javaPid);
  return { pid, javaPid, nodeDir };
}

/** Is the node at cfg.opensearchUrl ours and at least yellow? Throws when the port is another cluster's. */
async function isOurNodeHealthy(cfg) {
  try {
    const probe = await osRequest(cfg.opensearchUrl, 'GET', '/', undefined, { timeoutMs: 2_000 });
    if (probe.status === 200 && probe.json?.cluster_name && probe.json.cluster_name !== CLUSTER_NAME) {
      throw new StackError(`port ${cfg.opensearchPort} is taken by another OpenSearch cluster "${probe.json.cluster_name}"; set DWH_OPENSEARCH_PORT`);
    }
    return probe.status === 200 && (await clusterHealth(cfg.opensearchUrl, '2s')) !== null;
  } catch (err) {
    if (err instanceof StackError) throw err;
    return false;
  }
}

/** Pids to stop for the node: our pid files, plus the JVM the node reports if it is ours. */
export async function opensearchPids(cfg) {
  const pids = [readPid(cfg.files.opensearchPid), readPid(cfg.files.opensearchJavaPid)];
  const probe = await probeOpenSearch(cfg.opensearchUrl, cfg.opensearchPort);
  if (probe.state === 'ours') pids.push(await nodeJavaPid(cfg.opensearchUrl));
  return pids.filter((p) => p != null);
}

// ---------------------------------------------------------------- indices and documents

async function indexExists(baseUrl, index) {
  const res = await osRequest(baseUrl, 'HEAD', `/${encodeURIComponent(index)}`);
  return res.status === 200;
}

const INDEX_MAPPINGS = { [INDICES.events]: JOB_EVENTS_MAPPING, [INDICES.approvals]: JOB_APPROVALS_MAPPING };

/**
 * Create an index with its mapping unless it exists. An existing index is kept (its documents
 * too); fields added to our mapping since it was created are added to it (PUT _mapping accepts
 * new fields; a conflicting change is reported, not forced).
 */
async function ensureIndex(baseUrl, index, mapping, log = () => {}) {
  if (!(await indexExists(baseUrl, index))) {
    const res = await osRequest(baseUrl, 'PUT', `/${index}`, indexBody(mapping));
    if (res.status === 400 && res.json?.error?.type === 'resource_already_exists_exception') return 'exists';
    if (res.status < 200 || res.status >= 300) throw new StackError(`creating index ${index} failed: HTTP ${res.status} ${res.text.slice(0, 1000)}`);
    return 'created';
  }
  const res = await osRequest(baseUrl, 'PUT', `/${index}/_mapping`, mapping);
  if (res.status < 200 || res.status >= 300) {
    log(`warning: index ${index} exists with a mapping that conflicts with ours (kept as is; \`seed\` recreates it): ${res.text.slice(0, 300)}`);
  }
  return 'exists';
}

export async function ensureIndices(baseUrl, log) {
  const result = {};
  for (const [index, mapping] of Object.entries(INDEX_MAPPINGS)) result[index] = await ensureIndex(baseUrl, index, mapping, log);
  return result;
}

/** Delete (if present) and create an index with its mapping: the only way to empty it here. */
export async function recreateIndex(baseUrl, index, mapping) {
  await osCall(baseUrl, 'DELETE', `/${index}`, undefined, { okStatuses: [404] });
  await osCall(baseUrl, 'PUT', `/${index}`, indexBody(mapping));
}

/**
 * Bulk-index documents ({_id, ...source}) in chunks of chunkSize NDJSON actions, `concurrency`
 * requests in flight. Fails loudly on the first rejected document. Ends with a refresh, so all
 * documents are searchable on return.
 */
export async function bulkIndex(baseUrl, index, documents, { chunkSize = 2000, concurrency = 2 } = {}) {
  const chunks = [];
  for (let start = 0; start < documents.length; start += chunkSize) chunks.push(documents.slice(start, start + chunkSize));
  let next = 0;
  let indexed = 0;
  const sendChunk = async (chunk) => {
    let ndjson = '';
    for (const doc of chunk) {
      const { _id, ...source } = doc;
      ndjson += `${JSON.stringify({ index: { _index: index, _id } })}\n${JSON.stringify(source)}\n`;
    }
    const res = await osCall(baseUrl, 'POST', '/_bulk', ndjson, { ndjson: true, timeoutMs: 120_000 });
    if (res.json?.errors) {
      const failed = res.json.items.map((item) => item.index ?? item.create ?? item.update).filter((r) => r?.error);
      const first = failed[0];
      throw new StackError(
        `bulk indexing into ${index} rejected ${failed.length} of ${chunk.length} documents; first: _id ${first?._id}: ` +
          `${JSON.stringify(first?.error).slice(0, 1500)}`,
      );
    }
    indexed += chunk.length;
  };
  const worker = async () => {
    while (next < chunks.length) await sendChunk(chunks[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, chunks.length)) }, worker));
  // Chunks finish in any order, so refresh once at the end instead of refresh=wait_for per chunk.
  await osCall(baseUrl, 'POST', `/${index}/_refresh`);
  return indexed;
}
