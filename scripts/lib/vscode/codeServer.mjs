// A real VS Code for tests and the demo: code-server (the workbench served to a browser, with
// the real Node extension host) and the headless Chromium that drives it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { installCodeServer } from '../../install-code-server.mjs';
import { repoRoot } from '../prereqs.mjs';

const HOST = '127.0.0.1';
const READY = /HTTP server listening/;

/** Settings that keep first-run dialogs and telemetry out of the way. */
export const BASE_USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  // The demo's and tests' workspaces live inside this repository: no offer to open it.
  'git.openRepositoryInParentFolders': 'never',
  // code-server offers every port a process starts listening on ("Your application running on
  // port N is available"): a service started mid-test (or another stack on the machine) would
  // put that notification over the workbench.
  'remote.autoForwardPorts': false,
};

/** Chromium flags for a machine with no GPU and no internet. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/**
 * The settings among `settings` that this repository's package.json declares machine-scoped.
 * code-server's window is a remote one: VS Code takes machine-scoped settings from the
 * machine's settings file there, and once anything writes the user settings it re-reads them
 * without their machine-scoped keys. So those go to both files, and survive a test that
 * changes another setting.
 */
function machineScopedSettings(settings, manifest = path.join(repoRoot, 'package.json')) {
  let properties = {};
  try {
    properties = JSON.parse(fs.readFileSync(manifest, 'utf8')).contributes?.configuration?.properties ?? {};
  } catch {
    return {};
  }
  return Object.fromEntries(Object.entries(settings).filter(([key]) => properties[key]?.scope === 'machine'));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function killGroup(child, signal) {
  try {
    // Detached: the child leads its own process group (code-server's wrapper, its server
    // process and the extension hosts), so one signal reaches all of them.
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts code-server on 127.0.0.1 with a user-data and extensions directory of its own.
 * `env` is added to code-server's environment, which the extension host inherits.
 * Resolves once it logs that it listens; `stop()` ends it and everything it started.
 */
export async function startCodeServer({
  workspaceDir, userSettings = {}, env = {}, port, dataDir, log = () => {}, readyTimeoutMs = 60_000,
} = {}) {
  const { entry } = await installCodeServer();
  const chosenPort = port ?? await freePort();
  const ownDataDir = !dataDir;
  const root = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-vscode-'));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  const workspace = workspaceDir ?? path.join(root, 'workspace');
  for (const dir of [path.join(userDataDir, 'User'), path.join(userDataDir, 'Machine'), extensionsDir, workspace]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...BASE_USER_SETTINGS, ...userSettings }, null, 2));
  fs.writeFileSync(path.join(userDataDir, 'Machine', 'settings.json'), JSON.stringify(machineScopedSettings(userSettings), null, 2));
  const configFile = path.join(root, 'code-server.yaml');
  fs.writeFileSync(configFile, `bind-addr: ${HOST}:${chosenPort}\nauth: none\ncert: false\n`);
  const logFile = path.join(root, 'code-server.log');
  const logStream = fs.createWriteStream(logFile);

  const child = spawn(process.execPath, [
    entry, '--config', configFile, '--auth', 'none', '--bind-addr', `${HOST}:${chosenPort}`,
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    workspace,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });

  let exited = false;
  const killOnExit = () => { if (!exited) killGroup(child, 'SIGKILL'); };
  process.on('exit', killOnExit);

  await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(new Error(`code-server did not start within ${readyTimeoutMs} ms; log ${logFile}:\n${seen.slice(-2000)}`));
    }, readyTimeoutMs);
    const onData = (chunk) => {
      const text = chunk.toString();
      logStream.write(text);
      log(text);
      if (seen.length < 100_000) seen += text;
      if (READY.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      reject(new Error(`code-server exited (${code ?? signal}) before it listened; log ${logFile}:\n${seen.slice(-2000)}`));
    });
  });
  const exitedPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      resolve(code ?? signal);
    });
  });

  const url = `http://${HOST}:${chosenPort}/`;
  return {
    url,
    port: chosenPort,
    workspaceDir: workspace,
    dataDir: root,
    logFile,
    /** Settles with the exit code (or signal) when code-server ends, for whatever reason. */
    exited: exitedPromise,
    async stop() {
      process.off('exit', killOnExit);
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
        // The extension hosts may outlive the server by a moment.
        killGroup(child, 'SIGKILL');
      }
      logStream.end();
      if (ownDataDir && !process.env.DWH_KEEP_VSCODE_DATA) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A path on the code-server machine as the workbench addresses it. */
export function remoteUri(port, absolutePath) {
  return `vscode-remote://${HOST}:${port}${path.resolve(absolutePath)}`;
}

/**
 * The workbench URL that opens `workspaceDir` with the extension at `extensionDevelopmentPath`
 * loaded from source, and, when given, runs the tests exported by `extensionTestsPath`.
 */
export function workbenchUrl({ port, workspaceDir, extensionDevelopmentPath, extensionTestsPath }) {
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remoteUri(port, extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(port, extensionTestsPath)]);
  payload.push(['skipWelcome', 'true']);
  const query = [`folder=${encodeURIComponent(path.resolve(workspaceDir))}`];
  query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `http://${HOST}:${port}/?${query.join('&')}`;
}

/** Debian's Chromium through playwright-core (its own browser download is not reachable). */
export function launchChromium({ headless = true, args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless,
    args: [...CHROMIUM_ARGS, ...args],
  });
}
