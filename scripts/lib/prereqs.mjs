// Makes a fresh clone runnable: node_modules, the Debian packages the test tiers and the demo
// need, and code-server. Node builtins only: this runs before `npm ci` has ever happened.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCodeServer } from '../install-code-server.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Debian packages every tier or the demo relies on (Chromium drives the workbench). */
const DEBIAN_PACKAGES = [
  'chromium', 'ripgrep', 'build-essential', 'pkg-config', 'libkrb5-dev', 'python3', 'python3-venv', 'unzip', 'curl',
];

/** The Debian JDK that can run OpenSearch 2.x, installed only when no `java` is on PATH. */
const DEBIAN_JDK = 'openjdk-17-jre-headless';

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

/** A JSON file's content; null when it is missing or not JSON. */
export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Why node_modules does not match package-lock.json, or null when it does. npm keeps what it
 * installed in node_modules/.package-lock.json; a lock newer than that file is compared entry by
 * entry, because `npm ci` deletes node_modules and must not run for a mere touch of the lock.
 */
function nodeModulesStaleReason(root = repoRoot) {
  const lockFile = path.join(root, 'package-lock.json');
  const hiddenFile = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(path.join(root, 'node_modules'))) return 'node_modules is missing';
  if (!fs.existsSync(hiddenFile)) return 'node_modules was not installed by npm';
  if (!fs.existsSync(lockFile)) return null;
  if (fs.statSync(lockFile).mtimeMs <= fs.statSync(hiddenFile).mtimeMs) return null;
  const lock = readJson(lockFile);
  const hidden = readJson(hiddenFile);
  if (!lock?.packages || !hidden?.packages) return 'cannot read the lock files';
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.optional || entry.link) continue;
    const installed = hidden.packages[key];
    if (!installed) return `${key.slice('node_modules/'.length)} is not installed`;
    if (installed.version !== entry.version) {
      return `${key.slice('node_modules/'.length)} is ${installed.version}, the lock wants ${entry.version}`;
    }
  }
  return null;
}

/** Runs `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules(root = repoRoot) {
  const reason = nodeModulesStaleReason(root);
  if (!reason) return false;
  console.log(`[prereqs] ${reason}: running npm ci`);
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
  return true;
}

function isInstalled(pkg) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && /install ok installed/.test(result.stdout);
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** The packages to ask apt for: the list plus a JDK when `java` is missing and `withJava` is set. */
export function wantedDebianPackages({ withJava = true } = {}) {
  const list = [...DEBIAN_PACKAGES];
  if (withJava && !hasCommand('java')) list.push(DEBIAN_JDK);
  return list;
}

/**
 * Installs the missing ones among `packages` with apt-get when running as root; otherwise says
 * which command to run and fails. Does nothing on a machine without dpkg beyond a warning.
 */
export function ensureDebianPackages(packages = wantedDebianPackages()) {
  if (!hasCommand('dpkg-query')) {
    console.warn(`[prereqs] not a Debian system: make sure these are installed: ${packages.join(' ')}`);
    return [];
  }
  const missing = packages.filter((pkg) => !isInstalled(pkg));
  if (missing.length === 0) return [];
  const install = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing Debian packages: ${missing.join(' ')}.\nInstall them with:\n  sudo sh -c '${install}'`);
  }
  console.log(`[prereqs] installing Debian packages: ${missing.join(' ')}`);
  run('sh', ['-c', install], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return missing;
}

/** Installs code-server into the cache once; returns its directory and entry point. */
export async function ensureCodeServer() {
  return installCodeServer();
}
