#!/usr/bin/env node
// Installs code-server (the VS Code workbench served to a browser, with the real Node extension
// host) from the npm registry into the cache, without its postinstall: that one downloads
// ripgrep from the internet. Its steps are done here by hand instead, with Debian's rg.
// Idempotent: a marker written last says the install is complete. Node builtins only.
// Usage: node scripts/install-code-server.mjs   (prints the install directory)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './lib/cache.mjs';

/** The last code-server whose install accepts Node 20; it is VS Code 1.100.3. */
const CODE_SERVER_VERSION = '4.100.3';

const NATIVE_MODULES = ['kerberos', 'node-pty', '@parcel/watcher', '@vscode/spdlog', 'native-watchdog'];
const MARKER = '.dwh-approvals-installed';

function codeServerDir(version = CODE_SERVER_VERSION) {
  return path.join(cacheDir(), `code-server-${version}`);
}

function codeServerEntry(dir = codeServerDir()) {
  return path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/**
 * node-gyp downloads Node's headers unless told where they are; the Node installed from
 * Debian-style packages ships them beside the binary, so point at those when present.
 */
function nodeHeadersEnv() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? { npm_config_nodedir: prefix } : {};
}

function step(logFile, cwd, cmd, args, extraEnv = {}) {
  fs.appendFileSync(logFile, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
  const out = fs.openSync(logFile, 'a');
  try {
    const result = spawnSync(cmd, args, {
      cwd, stdio: ['ignore', out, out],
      env: { ...process.env, npm_config_yes: 'true', npm_config_audit: 'false', npm_config_fund: 'false', ...nodeHeadersEnv(), ...extraEnv },
    });
    if (result.error) throw result.error;
    if (result.status !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${result.status}); log ${logFile}:\n${tail}`);
    }
  } finally {
    fs.closeSync(out);
  }
}

function whichRipgrep() {
  const result = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' });
  const rg = result.stdout.trim();
  if (result.status !== 0 || !rg) {
    throw new Error('ripgrep (rg) is not installed: apt-get install -y ripgrep');
  }
  return fs.realpathSync(rg);
}

function isComplete(dir, version) {
  try {
    const marker = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
    return marker.version === version && marker.node === process.versions.modules && fs.existsSync(codeServerEntry(dir));
  } catch {
    return false;
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Holds a lock directory so that two scripts started together do not install twice at once. */
async function withLock(lockDir, fn) {
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(path.join(lockDir, 'pid'), { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !processAlive(owner)) {
        fs.rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

/** Installs code-server unless it is already complete; returns `{dir, entry, version}`. */
export async function installCodeServer({ version = CODE_SERVER_VERSION, log = console.log } = {}) {
  const dir = codeServerDir(version);
  const result = { dir, entry: codeServerEntry(dir), version };
  if (isComplete(dir, version)) return result;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    if (isComplete(dir, version)) return result;
    const started = Date.now();
    log(`[code-server] installing ${version} into ${dir} (about a minute, once)`);
    const rg = whichRipgrep();
    // A half-finished earlier attempt is thrown away rather than repaired.
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const logFile = path.join(dir, 'install.log');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'code-server-host', private: true }, null, 2));

    step(logFile, dir, 'npm', ['install', '--no-save', '--ignore-scripts', `code-server@${version}`]);
    step(logFile, dir, 'npm', ['rebuild', 'argon2']);
    const vscodeDir = path.join(dir, 'node_modules', 'code-server', 'lib', 'vscode');
    step(logFile, vscodeDir, 'npm', ['install', '--omit=dev', '--ignore-scripts']);
    step(logFile, vscodeDir, 'npm', ['rebuild', ...NATIVE_MODULES]);
    const rgTarget = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
    fs.mkdirSync(path.dirname(rgTarget), { recursive: true });
    fs.copyFileSync(rg, rgTarget);
    fs.chmodSync(rgTarget, 0o755);
    // The workbench loads its modules from node_modules.asar, which only the packaged build has.
    const asar = path.join(vscodeDir, 'node_modules.asar');
    fs.rmSync(asar, { force: true });
    fs.symlinkSync('node_modules', asar);
    step(logFile, path.join(vscodeDir, 'extensions'), 'npm', ['install', '--omit=dev', '--ignore-scripts']);

    fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({
      version, node: process.versions.modules, installedAt: new Date().toISOString(),
    }));
    log(`[code-server] installed in ${Math.round((Date.now() - started) / 1000)} s`);
    return result;
  });
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  installCodeServer().then(
    ({ dir }) => console.log(dir),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
