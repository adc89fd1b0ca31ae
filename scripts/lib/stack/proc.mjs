// Process helpers for the local stack: run a command, start a detached service, stop it by pid,
// find java and python. Node builtins only.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, closeSync, existsSync, openSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** An error whose message is meant for the person running the script (no stack trace printed). */
export class StackError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StackError';
  }
}

/** Run a command to completion; resolves with its output, rejects with the output's tail. */
export function run(cmd, args, { cwd, env, quiet = true } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const collect = (chunk) => {
      out += chunk.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (!quiet) process.stderr.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (err) => reject(new StackError(`could not run ${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new StackError(`${cmd} ${args.join(' ')} exited with ${code}:\n${tailText(out, 30)}`));
    });
  });
}

function tailText(text, lines) {
  return text.split('\n').slice(-lines).join('\n');
}

export function tailFile(file, lines = 40) {
  try {
    const text = readFileSync(file, 'utf8');
    return tailText(text.slice(-64_000), lines);
  } catch {
    return '(no log)';
  }
}

/** Find an executable on PATH. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * Is the process alive? A zombie counts as dead: on this machine pid 1 does not reap orphans,
 * so a stopped service can linger as a zombie that `kill(pid, 0)` still reports.
 */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code === 'EPERM') return true;
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

export function readPid(file) {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function writePid(file, pid) {
  writeFileSync(file, `${pid}\n`);
}

export function removeFile(file) {
  rmSync(file, { force: true });
}

/**
 * Start a long-running service detached from this process (own session and process group),
 * stdout and stderr appended to logFile. Returns its pid.
 */
export function spawnDetached(cmd, args, { cwd, env, logFile }) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
    if (!child.pid) throw new StackError(`could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Start a service detached (spawnDetached), record its pid and wait until `isReady()` returns
 * something, asking every intervalMs. Throws with the tail of its log when it exits first (its
 * pid file removed) or is not ready within timeoutMs (then stopped too when `stopIfLate`);
 * `becomes` says what it is waited on for. Resolves { pid, ready: what isReady returned }.
 */
export async function startService({ name, cmd, args, cwd, env, pidFile, logFile, becomes, timeoutMs, intervalMs, isReady, stopIfLate = false }, log = () => {}) {
  const pid = spawnDetached(cmd, args, { cwd, env, logFile });
  writePid(pidFile, pid);
  log(`${name} starting (pid ${pid}), waiting for it to ${becomes}...`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(pid)) {
      removeFile(pidFile);
      throw new StackError(`${name} exited during startup. Last lines of ${logFile}:\n${tailFile(logFile, 40)}`);
    }
    const ready = await isReady();
    if (ready) return { pid, ready };
    if (Date.now() > deadline) {
      if (stopIfLate) {
        await stopPids([pid], { timeoutMs: 5_000 });
        removeFile(pidFile);
      }
      const state = stopIfLate ? 'stopped' : `pid ${pid} still running`;
      throw new StackError(`${name} did not ${becomes} within ${Math.round(timeoutMs / 1000)} s (${state}). Last lines of ${logFile}:\n${tailFile(logFile, 40)}`);
    }
    await sleep(intervalMs);
  }
}

function signal(pid, sig, group) {
  try {
    process.kill(group ? -pid : pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stop processes: SIGTERM to each one's process group (our services are group leaders) and to
 * the process itself, SIGKILL after timeoutMs. Returns the pids that were alive.
 */
export async function stopPids(pids, { timeoutMs = 20_000 } = {}) {
  const alive = [...new Set(pids.filter((p) => isAlive(p)))];
  if (alive.length === 0) return [];
  for (const pid of alive) {
    signal(pid, 'SIGTERM', true);
    signal(pid, 'SIGTERM', false);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive.some((p) => isAlive(p))) await sleep(200);
  for (const pid of alive.filter((p) => isAlive(p))) {
    signal(pid, 'SIGKILL', true);
    signal(pid, 'SIGKILL', false);
  }
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && alive.some((p) => isAlive(p))) await sleep(100);
  return alive;
}

/** Pids whose command line contains every one of the given parts (from /proc). */
export function findPidsByCmdline(parts) {
  const found = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((part) => args.some((a) => a.includes(part))) && isAlive(pid)) found.push(pid);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Is something accepting TCP connections on 127.0.0.1:port? */
export function isPortOpen(port, timeoutMs = 1000) {
  return new Promise((resolvePromise) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open) => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function javaMajor(javaBin) {
  const res = spawnSync(javaBin, ['-version'], { encoding: 'utf8' });
  if (res.status !== 0) return null;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${res.stderr}${res.stdout}`);
  if (!m) return null;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

/**
 * Find a Java 11+ runtime: OPENSEARCH_JAVA_HOME, JAVA_HOME, then `java` on PATH.
 * Returns { javaHome, javaBin, major }; throws a StackError telling how to install one.
 */
export function findJava() {
  const candidates = [];
  for (const name of ['OPENSEARCH_JAVA_HOME', 'JAVA_HOME']) {
    const home = process.env[name];
    if (home && home.trim() !== '') candidates.push({ javaHome: home, javaBin: join(home, 'bin', 'java'), from: name });
  }
  const onPath = which('java');
  if (onPath) {
    const real = realpathSync(onPath);
    candidates.push({ javaHome: dirname(dirname(real)), javaBin: real, from: 'PATH' });
  }
  for (const c of candidates) {
    if (!existsSync(c.javaBin)) continue;
    const major = javaMajor(c.javaBin);
    if (major != null && major >= 11) return { ...c, major };
  }
  throw new StackError(
    'Java 11 or newer is needed to run OpenSearch 2.x and none was found ' +
      '(looked at OPENSEARCH_JAVA_HOME, JAVA_HOME and `java` on PATH).\n' +
      'Install one, e.g.:  apt-get install -y openjdk-17-jre-headless\n' +
      'or point OPENSEARCH_JAVA_HOME at an existing JDK/JRE.',
  );
}

/** Find python3 with a working venv module (and ensurepip, which Debian splits into python3-venv). */
export function findPython() {
  const py = process.env.DWH_PYTHON || which('python3');
  if (!py) {
    throw new StackError('python3 is needed to run moto and was not found on PATH.\nInstall it, e.g.:  apt-get install -y python3 python3-venv');
  }
  const res = spawnSync(py, ['-c', 'import sys, venv, ensurepip; assert sys.version_info >= (3, 9)'], { encoding: 'utf8' });
  if (res.error) {
    throw new StackError(`could not run ${py}: ${res.error.message}\nInstall Python, e.g.:  apt-get install -y python3 python3-venv`);
  }
  if (res.status !== 0) {
    throw new StackError(
      `${py} cannot create virtual environments (the venv/ensurepip modules are missing, or Python is older than 3.9).\n` +
        'Install them, e.g.:  apt-get install -y python3-venv',
    );
  }
  return py;
}

/** Would `user` be able to enter (and read) dir? Used to decide where OpenSearch's files can live. */
export function userCanAccess(user, dir) {
  if (!user) return true;
  const res = spawnSync('runuser', ['-u', user, '--', 'test', '-x', dir, '-a', '-r', dir], { stdio: 'ignore' });
  return res.status === 0;
}

/**
 * Run fn while holding an exclusive lock file (created with O_EXCL, holding our pid). Concurrent
 * `up`/`seed` calls from several processes (tests, demo, a terminal) wait for each other instead of
 * both starting a node. A lock whose holder has died is taken over.
 */
export async function withLock(lockFile, fn, { timeoutMs = 600_000, onWait } = {}) {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const holder = readPid(lockFile);
      if (holder == null || !isAlive(holder)) {
        // Stale (holder died, or the file is being written this instant: re-check once).
        await sleep(50);
        const again = readPid(lockFile);
        if (again == null || !isAlive(again)) rmSync(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new StackError(`timed out waiting for ${lockFile} (held by pid ${holder})`);
      if (!announced && onWait) onWait(holder);
      announced = true;
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (readPid(lockFile) === process.pid) rmSync(lockFile, { force: true });
  }
}
