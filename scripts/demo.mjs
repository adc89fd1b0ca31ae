#!/usr/bin/env node
// `npm run demo`: the extension in a real VS Code (code-server) against the local stack, as a
// reviewer would see it. Readies the machine, brings the stack up and seeds it, bundles the
// extension, starts code-server and prints the URL to open, and the Approve / Reject links of
// the newest alert email (sent through moto's SES; the approval API answers on 127.0.0.1).
// Ctrl-C stops it all.
//   npm run demo -- --pending 40        how many pending runs to seed (the stack's default else)
//   npm run demo -- --keep-stack        leave OpenSearch and moto running afterwards
//   npm run demo -- --screenshot        also save test-results/demo/{tree,details,history,status-bar}.png
//   npm run demo -- --screenshot --screenshot-dir media/screenshots --once   the README's pictures
//   npm run demo -- --screenshot --once take the screenshot, then stop everything and exit
//   npm run demo -- --no-seed           keep the runs the stack already holds
// Port: DWH_DEMO_PORT (8080); DWH_SKIP_BUNDLE=1 serves dist/ as it is. Node builtins only up to ensureNodeModules().
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ensureCodeServer, ensureDebianPackages, ensureNodeModules, repoRoot, wantedDebianPackages,
} from './lib/prereqs.mjs';

const { values: options } = parseArgs({
  args: process.argv.slice(2)[0] === '--' ? process.argv.slice(3) : process.argv.slice(2),
  options: {
    pending: { type: 'string' },
    'keep-stack': { type: 'boolean' },
    screenshot: { type: 'boolean' },
    once: { type: 'boolean' },
    'screenshot-dir': { type: 'string' },
    'no-seed': { type: 'boolean' },
  },
});

function step(message) {
  console.log(`[demo] ${message}`);
}

/** Drags the sash beside the side bar, so run rows show their failing check and time left. */
async function widenSideBar(page, width) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 8 });
  await page.mouse.up();
  await page.mouse.move(box.x + width + 300, y);
}

/** Waits until the number of `rows` holds still for a second: the tree fills in as the store loads. */
async function waitForSteadyRows(page, rows) {
  let last = -1;
  let stableSince = Date.now();
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const count = await rows.count();
    if (count !== last) {
      last = count;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1000) {
      return;
    }
    await page.waitForTimeout(200);
  }
}

/**
 * Opens the demo in headless Chromium and keeps pictures of what a user sees, in `dir`:
 * tree.png (the Pending Approvals tree), details.png (a run's details page beside the tree),
 * history.png (the same page at its job's recent runs) and status-bar.png (the status-bar item
 * with its tooltip).
 */
async function takeScreenshots(url, launchChromium, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const saved = (name) => {
    const file = path.join(dir, name);
    step(`screenshot: ${path.relative(repoRoot, file)}`);
    return file;
  };
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1720, height: 1000 } });
    await page.goto(url);
    const container = page.locator('.part.activitybar li.action-item[role="tab"]')
      .filter({ has: page.locator('a.action-label[aria-label^="DWH Approvals"]') });
    await container.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await container.getAttribute('aria-selected')) !== 'true') await container.click();
    await widenSideBar(page, 640);
    const tree = page.locator('.part.sidebar [role="tree"][aria-label="Pending Approvals"]');
    const rows = tree.locator('.monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 60_000 });
    await waitForSteadyRows(page, rows);
    await page.screenshot({ path: saved('tree.png') });

    // A run whose failing check is RED, opened as a reviewer would: a click on its row.
    const run = rows.filter({ hasNot: page.locator('.monaco-tl-twistie.collapsible') })
      .filter({ hasText: /drop_rate \d/ }).first();
    await run.click();
    await widenSideBar(page, 560);
    const details = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await details.locator('#decided-by').waitFor({ state: 'visible', timeout: 60_000 });
    await details.locator('#history').waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: saved('details.png') });
    await details.locator('#history').evaluate((section) => section.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(300);
    await page.screenshot({ path: saved('history.png') });

    const status = page.locator('.part.statusbar .statusbar-item')
      .filter({ has: page.locator('a.statusbar-item-label[aria-label*="pending approval"]') }).first();
    await status.hover();
    await page.locator('.monaco-hover, .workbench-hover').first().waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {});
    await page.waitForTimeout(500);
    const viewport = page.viewportSize();
    await page.screenshot({ path: saved('status-bar.png'), clip: { x: 0, y: viewport.height - 260, width: 640, height: 260 } });
  } finally {
    await browser.close();
  }
}

async function main() {
  ensureDebianPackages(wantedDebianPackages());
  ensureNodeModules();
  await ensureCodeServer();
  // Imported only now: these need node_modules.
  const { ensureStackUp, seedStack, stopStack } = await import('./lib/vscode/localStack.mjs');
  const { launchChromium, startCodeServer, workbenchUrl } = await import('./lib/vscode/codeServer.mjs');
  const { localExtensionSettings, writeLocalProfile, stackDir } = await import('./lib/localProfile.mjs');

  const stackEnv = await ensureStackUp();
  if (!options['no-seed']) {
    const pending = options.pending === undefined ? undefined : Number(options.pending);
    if (pending !== undefined && !(Number.isInteger(pending) && pending >= 0)) {
      throw new Error(`--pending must be a non-negative integer, got "${options.pending}"`);
    }
    const seed = await seedStack(pending === undefined ? {} : { pending });
    step(`seeded ${seed.pendingCount} pending runs`);
  }

  if (process.env.DWH_SKIP_BUNDLE !== '1') {
    step('bundling the extension');
    const bundle = spawnSync(process.execPath, ['esbuild.js'], { cwd: repoRoot, stdio: 'inherit' });
    if (bundle.status !== 0) throw new Error('bundling the extension (node esbuild.js) failed');
  }

  const workspaceDir = path.join(stackDir(), 'demo-workspace');
  fs.mkdirSync(workspaceDir, { recursive: true });
  const port = Number(process.env.DWH_DEMO_PORT || 8080);
  const server = await startCodeServer({
    port,
    workspaceDir,
    dataDir: path.join(stackDir(), 'demo-vscode'),
    env: writeLocalProfile(stackEnv),
    userSettings: localExtensionSettings(stackEnv),
  });
  const url = workbenchUrl({ port: server.port, workspaceDir, extensionDevelopmentPath: repoRoot });

  // Alert emails (issue 13): the approval API on 127.0.0.1, and an alert for the newest pending run.
  const emailLinks = await import('./lib/emailLinks.mjs');
  const api = await emailLinks.startApprovalApiServer(stackEnv, { restart: true });
  step(`approval API for email links at ${api.url} (pid ${api.pid})`);
  const alert = await emailLinks.sendNewestAlert(stackEnv);

  let processor = null;
  const processorScript = path.join(repoRoot, 'scripts', 'processor-runner.mjs');
  if (fs.existsSync(processorScript)) {
    processor = spawn(process.execPath, [processorScript], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    step(`approval processor running (pid ${processor.pid})`);
  }

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    step(`${signal}: stopping`);
    if (processor && processor.exitCode === null) processor.kill('SIGTERM');
    await emailLinks.stopApprovalApiServer();
    await server.stop();
    if (!options['keep-stack']) {
      step('stopping the local stack (--keep-stack keeps it)');
      await stopStack();
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  void server.exited.then((code) => {
    if (stopping) return;
    console.error(`[demo] code-server exited (${code}); see ${server.logFile}`);
    process.exit(1);
  });

  if (options.screenshot) {
    await takeScreenshots(url, launchChromium, path.resolve(repoRoot, options['screenshot-dir'] ?? 'test-results/demo'));
  }
  if (options.once) {
    await stop('--once');
    return;
  }

  console.log('\nDWH Approvals demo is running. Open this URL in a browser (it loads the extension from source):');
  console.log(`\n  ${url}\n`);
  if (alert) {
    console.log(`The newest alert (run ${alert.runId}, sent through moto's SES to ${[...new Set(alert.recipients)].join(', ')}); its links for ${alert.email.destinations.join(', ')}:`);
    console.log(`\n  Approve: ${alert.links.approve}\n  Reject:  ${alert.links.reject}\n`);
  }
  console.log(`VS Code data: ${server.dataDir}; log: ${server.logFile}`);
  console.log('Press Ctrl-C to stop.');
  // Stays up until a signal arrives; the listeners above end the process.
  await new Promise(() => {});
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exit(1);
});
