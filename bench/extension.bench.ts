// Extension benchmark in the real VS Code (code-server, headless Chromium):
//   --activation K   K fresh extension hosts, each timing `await extension.activate()` from
//                    inside the host (bench/extension/activationHost.ts)
//   --tree           the user's path: open the workbench, click the DWH Approvals activity-bar
//                    entry (which activates the extension), and time until the status bar and
//                    the view badge show the seeded count and the tree shows run rows; then
//                    the extension host's resident memory, found by process ancestry
// Each sample gets a code-server of its own, so every click is a cold first open.
//   node --import tsx bench/extension.bench.ts --activation 3 | --tree --manifest SEED.json
//        [--samples 3] [--group-by job|none] [--profile] [--idle-cpu-seconds S]
//        [--extension-path DIR] [--out FILE]
// --profile adds one open with CPU profilers on the extension host and the page (reported
// apart, not in the timings); Node 20 needs --experimental-websocket for it.
// --idle-cpu-seconds S: in the first sample, the host's CPU time over S idle seconds after
// the view filled (the view redraws every 30 s, so S > 30 includes one redraw); then the
// baseline: a second code-server with the same settings and no extension loaded, its host's
// CPU over a window of the same length starting at the same time after the workbench was
// opened (VS Code's own start-up work then falls in both windows alike).
// DIR is an extension folder with a bundle in dist/ (bench/run.mjs stages a production
// build there); the stack must hold the runs of SEED.json (bench/run.mjs seeds it and
// writes the manifest); the tree samples check that it still does, before and after.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import type * as CodeServerModule from '../scripts/lib/vscode/codeServer.mjs' with { 'resolution-mode': 'import' };
import type * as LocalProfileModule from '../scripts/lib/localProfile.mjs' with { 'resolution-mode': 'import' };
import type { StackEnv } from '../scripts/lib/localProfile.mjs' with { 'resolution-mode': 'import' };
import { CONTAINER_NAME, PENDING_VIEW, REPO_ROOT, eventually } from '../test/e2e/workbench';
import type { ActivationSample } from './extension/activationHost';
import { stackModule, type SeedManifest } from '../test/support/localStack';
import { InspectorSession, summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpuProfile';
import { cpuTimeMs, extensionHostsOf, residentMemory, type ProcessInfo } from './lib/processTree';
import { StackChangedError, assertSeedIntact, exitCodeFor } from './lib/seedCheck';
import { stats } from './lib/stats';

const log = (message: string) => console.log(`[bench:ext] ${message}`);

interface ExtensionTestsModule {
  runExtensionTests(options: {
    testsBundle: string;
    resultFile: string;
    env?: Record<string, string>;
    userSettings?: Record<string, unknown>;
    timeoutMs?: number;
    log?: (text: string) => void;
    extensionDevelopmentPath?: string;
  }): Promise<{ exitCode: unknown; result: unknown }>;
}

// Plain ESM scripts without declarations for this one; typed here, where it is used.
const EXTENSION_TESTS_MODULE = '../scripts/lib/vscode/extensionTests.mjs';

interface Harness {
  codeServer: typeof CodeServerModule;
  profile: typeof LocalProfileModule;
  stackEnv: StackEnv;
}

async function harness(): Promise<Harness> {
  const codeServer: typeof CodeServerModule = await import('../scripts/lib/vscode/codeServer.mjs');
  const profile: typeof LocalProfileModule = await import('../scripts/lib/localProfile.mjs');
  return { codeServer, profile, stackEnv: (await stackModule()).readStackEnv() };
}

function settingsFor(h: Harness, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // The product's default poll interval: the tests' 5 s would add refreshes to the timing.
  return { ...h.profile.localExtensionSettings(h.stackEnv), 'dwhApprovals.refreshIntervalSeconds': 60, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Activation, from inside the host.

async function activationSamples(h: Harness, extensionPath: string, samples: number): Promise<ActivationSample[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-host-'));
  try {
    const testsBundle = path.join(work, 'activationHost.js');
    await esbuild.build({
      entryPoints: [path.join(REPO_ROOT, 'bench', 'extension', 'activationHost.ts')],
      outfile: testsBundle,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      logLevel: 'error',
    });
    const extensionTests = (await import(EXTENSION_TESTS_MODULE)) as ExtensionTestsModule;
    const results: ActivationSample[] = [];
    for (let i = 0; i < samples; i++) {
      const resultFile = path.join(work, `activation-${i}.json`);
      const { exitCode, result } = await extensionTests.runExtensionTests({
        testsBundle,
        resultFile,
        env: h.profile.writeLocalProfile(h.stackEnv),
        userSettings: settingsFor(h),
        extensionDevelopmentPath: extensionPath,
        timeoutMs: 120_000,
        log: (text) => log(`host: ${text}`),
      });
      if (exitCode !== 0 || !result) throw new Error(`activation sample ${i + 1} failed (exit ${String(exitCode)})`);
      const sample = result as ActivationSample;
      const span = (ms: number | null) => (ms === null ? '—' : `${ms.toFixed(1)} ms`);
      log(
        `activation ${i + 1}/${samples}: activate() ${span(sample.activateMs)}, loading dist/extension.js ${span(sample.codeLoadingMs)}, ` +
          `whole activation in the host ${span(sample.hostActivationMs)}${sample.wasActiveBefore ? ' (was already active!)' : ''}`,
      );
      results.push(sample);
    }
    return results;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Opening the view to a filled tree, in the workbench page.

interface Marks {
  click?: number;
  /** The Pending Approvals tree is in the page (the view is visible). */
  view?: number;
  /** The first job group row with its count (groupBy job). */
  firstGroupRow?: number;
  /** The click that expands a group, and the first run row under it. */
  expandClick?: number;
  firstChildRow?: number;
  statusItem?: number;
  statusCount?: number;
  badgeCount?: number;
  firstRunRow?: number;
}

interface TreeSample {
  workbenchLoadMs: number;
  /** From the click to each milestone, measured with the page's own clock. */
  statusItemMs: number | null;
  statusCountMs: number | null;
  badgeCountMs: number | null;
  firstRunRowMs: number | null;
  filledMs: number | null;
  /** From the view being visible to groups (or rows), badge and status bar all shown. */
  filledAfterViewMs: number | null;
  /** Expanding the group whose count is nearest 1,000: click to its first run row (groupBy job). */
  expandGroup: { jobName: string; count: number; ms: number } | null;
  statusLabel: string;
  hostPid: number;
  hostRssBeforeKb: number;
  hostRssAfterKb: number;
  hostPeakKb: number;
  rendererHeapUsedBytes: number | null;
  /**
   * CPU the extension host used while the loaded view sat idle (the first sample only, when
   * asked), and the baseline: the host of a code-server without the extension over a window
   * as long, as long after the workbench was opened (`ageMs`, `baselineAgeMs`).
   */
  idleCpu?: IdleCpu;
  /** The extension's own log lines with a duration (activation, adapters' load, each request), up to filled. */
  extensionSpans: string[];
  /** Only in the profiled sample: where the CPU time between click and filled went. */
  profile?: { extensionHost: ProfileSummary; workbench: ProfileSummary };
}

export interface IdleCpu {
  windowMs: number;
  cpuMs: number;
  ageMs: number;
  baselineWindowMs: number;
  baselineCpuMs: number;
  baselineAgeMs: number;
}

declare global {
  interface Window {
    __dwhBench?: { marks: Marks; statusLabel: string; done: boolean };
  }
}

/**
 * Watches the workbench DOM from inside the page: the time of the click on the activity
 * bar, then of the status-bar item appearing, it and the badge showing `expected` runs, and
 * the first run row in the Pending Approvals tree. No locator round trips in the timing.
 */
async function installWatcher(page: Page, expected: number, grouped: boolean): Promise<void> {
  // A script string, not a function: tsx would wrap a function's inner helpers in its own
  // `__name` calls, which do not exist in the page.
  const settings = JSON.stringify({ count: expected, container: CONTAINER_NAME, view: PENDING_VIEW, grouped });
  await page.evaluate(`(${WATCHER_SCRIPT})(${settings})`);
}

const WATCHER_SCRIPT = String.raw`function ({ count, container, view, grouped }) {
  const state = { marks: {}, statusLabel: '', done: false };
  window.__dwhBench = state;
  const mark = (name) => {
    if (state.marks[name] === undefined) state.marks[name] = performance.now();
  };
  const countPattern = new RegExp('(^|[^0-9])' + count + ' runs? pending approval');
  const check = () => {
    const status = Array.from(document.querySelectorAll('.part.statusbar .statusbar-item')).find(
      (item) => item.id.endsWith('dwhApprovals.status') || /pending approval|DWH Approvals/.test(item.getAttribute('aria-label') || ''),
    );
    if (status) {
      mark('statusItem');
      state.statusLabel = status.getAttribute('aria-label') || '';
      if (countPattern.test(state.statusLabel)) mark('statusCount');
    }
    const badge = Array.from(document.querySelectorAll('.part.activitybar li.action-item[role="tab"] .badge')).find((b) =>
      (b.getAttribute('aria-label') || '').startsWith(container),
    );
    if (badge && countPattern.test(badge.getAttribute('aria-label') || '')) mark('badgeCount');
    if (document.querySelector('.part.sidebar [role="tree"][aria-label="' + view + '"]')) mark('view');
    const rows = document.querySelectorAll('.part.sidebar [role="tree"][aria-label="' + view + '"] .monaco-list-row[role="treeitem"]');
    for (const row of Array.from(rows)) {
      const label = row.getAttribute('aria-label') || '';
      if (/ run [^,]+, /.test(label)) {
        mark('firstRunRow');
        if (state.marks.expandClick !== undefined && row.getAttribute('aria-level') === '2') mark('firstChildRow');
      }
      if (row.getAttribute('aria-level') === '1' && /: (about )?[0-9]+ pending/.test(label)) mark('firstGroupRow');
    }
    const shown = grouped ? state.marks.firstGroupRow : state.marks.firstRunRow;
    if (state.marks.statusCount !== undefined && state.marks.badgeCount !== undefined && shown !== undefined) state.done = true;
  };
  document.addEventListener('mousedown', () => {
    if (state.marks.click === undefined) mark('click');
    else if (state.done) mark('expandClick');
  }, { capture: true });
  new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
}`;

async function treeSample(h: Harness, extensionPath: string, expected: number, groupBy: string, profile = false, idleCpuSeconds = 0): Promise<TreeSample> {
  const { startCodeServer, launchChromium, workbenchUrl, freePort } = h.codeServer;
  const inspectPort = profile ? await freePort() : undefined;
  const server = await startCodeServer({
    env: h.profile.writeLocalProfile(h.stackEnv),
    userSettings: settingsFor(h, { 'dwhApprovals.groupBy': groupBy }),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const loadStarted = Date.now();
    const url = new URL(workbenchUrl({ port: server.port, workspaceDir: server.workspaceDir, extensionDevelopmentPath: extensionPath }));
    if (inspectPort !== undefined) {
      // The web workbench's payload key for `--inspect-extensions`: the host gets an inspector.
      const payload = JSON.parse(url.searchParams.get('payload') ?? '[]') as [string, string][];
      url.searchParams.set('payload', JSON.stringify([...payload, ['inspect-extensions', String(inspectPort)]]));
    }
    await page.goto(url.toString());
    const item = page
      .locator('.part.activitybar li.action-item[role="tab"]')
      .filter({ has: page.locator(`a.action-label[aria-label^="${CONTAINER_NAME}"]`) });
    await item.waitFor({ state: 'visible', timeout: 90_000 });
    const workbenchLoadMs = Date.now() - loadStarted;
    // The extension host starts with the workbench; let it and the workbench settle first,
    // so the click measures our extension, not VS Code's own start-up.
    const hosts = await eventually(() => Promise.resolve(extensionHostsOf(server.dataDir)), (found) => found.length > 0, {
      timeoutMs: 60_000,
      message: 'the extension host of this code-server',
    });
    await page.waitForTimeout(3000);
    const host = newest(extensionHostsOf(server.dataDir)) ?? newest(hosts)!;
    const before = residentMemory(host.pid);
    if (!before) throw new Error(`extension host ${host.pid} is gone`);
    const preActive = await page.locator('.part.statusbar .statusbar-item[aria-label*="pending approval"]').count();
    if (preActive > 0) throw new Error('the extension was active before the click; the timing would not include activation');

    await installWatcher(page, expected, groupBy === 'job');
    const profiler = inspectPort !== undefined ? await startProfiling(page, inspectPort) : undefined;
    const clickedAt = performance.now();
    await item.click();
    const state = await waitUntilFilled(page, expected);
    // The profiles are summarised from the click on (as this process saw it) to their stop.
    const profiles = profiler ? await profiler.stop(extensionPath, performance.now() - clickedAt) : undefined;
    const expandGroup = groupBy === 'job' ? await expandGroupNear(page, 1000) : null;
    // Settle: the memory a reviewer's host keeps while the view is open, not a transient.
    await page.waitForTimeout(3000);
    const extensionSpans = extensionLogSpans(server.dataDir);
    const after = residentMemory(host.pid);
    if (!after) throw new Error(`extension host ${host.pid} exited`);
    // The view open and idle: the store polls (a cheap summary) and redraws every 30 s.
    let loadedIdle: { windowMs: number; cpuMs: number; ageMs: number } | undefined;
    if (idleCpuSeconds > 0) {
      const ageMs = Date.now() - loadStarted;
      const loaded = await idleCpuOf(page, host.pid, idleCpuSeconds);
      if (loaded) loadedIdle = { ...loaded, ageMs };
    }
    const stillHosts = extensionHostsOf(server.dataDir);
    if (stillHosts.length !== 1) log(`note: ${stillHosts.length} extension hosts under this code-server (${stillHosts.map((p) => p.pid).join(', ')}); measured ${host.pid}`);
    // Chromium's non-standard performance.memory: the workbench page's JS heap.
    const rendererHeapUsedBytes = await page.evaluate<number | null>('performance.memory ? performance.memory.usedJSHeapSize : null');
    const since = (mark: number | undefined) => (mark === undefined || state.marks.click === undefined ? null : round(mark - state.marks.click));
    const milestones = [state.marks.statusCount, state.marks.badgeCount, groupBy === 'job' ? state.marks.firstGroupRow : state.marks.firstRunRow];
    return {
      workbenchLoadMs,
      statusItemMs: since(state.marks.statusItem),
      statusCountMs: since(state.marks.statusCount),
      badgeCountMs: since(state.marks.badgeCount),
      firstRunRowMs: since(state.marks.firstRunRow),
      filledMs: milestones.every((m) => m !== undefined) ? since(Math.max(...milestones.map((m) => m ?? Number.NaN))) : null,
      filledAfterViewMs:
        milestones.every((m) => m !== undefined) && state.marks.view !== undefined ? round(Math.max(...milestones.map((m) => m ?? Number.NaN)) - state.marks.view) : null,
      expandGroup,
      statusLabel: state.statusLabel,
      hostPid: host.pid,
      hostRssBeforeKb: before.rssKb,
      hostRssAfterKb: after.rssKb,
      hostPeakKb: after.peakKb,
      rendererHeapUsedBytes,
      ...(loadedIdle ? { idleCpu: { ...loadedIdle, baselineWindowMs: 0, baselineCpuMs: 0, baselineAgeMs: 0 } } : {}),
      extensionSpans,
      ...(profiles ? { profile: profiles } : {}),
    };
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * The idle CPU baseline: a code-server with the same settings whose workbench loads no
 * extension of ours (no extensionDevelopmentPath), its extension host's CPU over `seconds`
 * from `ageMs` after the workbench was opened, as the loaded host's window was.
 */
async function idleHostWithoutExtension(h: Harness, groupBy: string, ageMs: number, seconds: number): Promise<{ windowMs: number; cpuMs: number; ageMs: number }> {
  const { startCodeServer, launchChromium, workbenchUrl } = h.codeServer;
  const server = await startCodeServer({
    env: h.profile.writeLocalProfile(h.stackEnv),
    userSettings: settingsFor(h, { 'dwhApprovals.groupBy': groupBy }),
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const loadStarted = Date.now();
    await page.goto(workbenchUrl({ port: server.port, workspaceDir: server.workspaceDir }));
    await page.locator('.part.activitybar').waitFor({ state: 'visible', timeout: 90_000 });
    const hosts = await eventually(() => Promise.resolve(extensionHostsOf(server.dataDir)), (found) => found.length > 0, {
      timeoutMs: 60_000,
      message: 'the extension host of the code-server without the extension',
    });
    if ((await page.locator(`.part.activitybar a.action-label[aria-label^="${CONTAINER_NAME}"]`).count()) > 0) {
      throw new Error('the baseline workbench shows DWH Approvals: the extension is loaded there');
    }
    const host = newest(hosts)!;
    const wait = ageMs - (Date.now() - loadStarted);
    if (wait > 0) await page.waitForTimeout(wait); // reach the loaded window's age, not waiting for a condition
    const startedAge = Date.now() - loadStarted;
    const idle = await idleCpuOf(page, host.pid, seconds);
    if (!idle) throw new Error(`the baseline extension host ${host.pid} is gone`);
    return { ...idle, ageMs: startedAge };
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** The CPU time `pid` uses while the page sits idle for `seconds`; undefined when the process is gone. */
async function idleCpuOf(page: Page, pid: number, seconds: number): Promise<{ windowMs: number; cpuMs: number } | undefined> {
  const cpuBefore = cpuTimeMs(pid);
  const started = performance.now();
  await page.waitForTimeout(seconds * 1000);
  const cpuAfter = cpuTimeMs(pid);
  if (cpuBefore === null || cpuAfter === null) return undefined;
  return { windowMs: Math.round(performance.now() - started), cpuMs: Math.round(cpuAfter - cpuBefore) };
}

/**
 * The extension's log lines that carry a duration ("Activated in 4.2 ms", "Pending overview:
 * ok in 120 ms", ...), from its output channel's file in this code-server's logs: the spans
 * inside the extension behind the page's timings.
 */
function extensionLogSpans(dataDir: string): string[] {
  const logs = path.join(dataDir, 'user-data', 'logs');
  const files = fs.existsSync(logs) ? (fs.readdirSync(logs, { recursive: true }) as string[]).filter((f) => f.endsWith('DWH Approvals.log')) : [];
  return files
    .flatMap((f) => fs.readFileSync(path.join(logs, f), 'utf8').split('\n'))
    .filter((line) => / in [0-9.]+ ms/.test(line))
    .map((line) => line.replace(/^\S+ \S+ /, ''));
}

/** CPU profiles of the extension host (its inspector) and of the workbench page, 1 ms sampling. */
async function startProfiling(
  page: Page,
  inspectPort: number,
): Promise<{ stop(extensionPath: string, lastMs: number): Promise<{ extensionHost: ProfileSummary; workbench: ProfileSummary }> }> {
  const host = await InspectorSession.connect(inspectPort);
  const renderer = await page.context().newCDPSession(page);
  await host.send('Profiler.enable');
  await host.send('Profiler.setSamplingInterval', { interval: 1000 });
  await renderer.send('Profiler.enable');
  await renderer.send('Profiler.setSamplingInterval', { interval: 1000 });
  await host.send('Profiler.start');
  await renderer.send('Profiler.start');
  return {
    async stop(extensionPath: string, lastMs: number) {
      const [hostProfile, pageProfile] = await Promise.all([
        host.send<{ profile: CpuProfile }>('Profiler.stop'),
        renderer.send('Profiler.stop') as Promise<{ profile: CpuProfile }>,
      ]);
      host.close();
      await renderer.detach();
      const ours = `${extensionPath}/dist/`;
      return {
        extensionHost: summarizeProfile(
          hostProfile.profile,
          (url) => (url.includes(ours) ? 'DWH Approvals (dist/)' : url.includes('/lib/vscode/') ? 'VS Code extension host' : url.startsWith('node:') ? 'Node.js' : 'other'),
          { lastMs },
        ),
        workbench: summarizeProfile(pageProfile.profile, (url) => (url.includes('/static/') || url.includes('vscode') ? 'VS Code workbench' : 'other'), { lastMs }),
      };
    },
  };
}

/**
 * Expands the job group whose count is nearest `target` (its row says "N pending"), and
 * returns the time from that click to its first run row, with the page's own clock.
 */
async function expandGroupNear(page: Page, target: number): Promise<{ jobName: string; count: number; ms: number } | null> {
  const groups = await page.locator('.part.sidebar [role="tree"] .monaco-list-row[aria-level="1"]').evaluateAll((rows) =>
    rows.map((row) => ({ label: row.querySelector('.label-name')?.textContent?.trim() ?? '', count: Number(/([0-9]+) pending/.exec(row.getAttribute('aria-label') ?? '')?.[1] ?? NaN) })),
  );
  const group = groups.filter((g) => Number.isFinite(g.count)).sort((a, b) => Math.abs(a.count - target) - Math.abs(b.count - target))[0];
  if (!group) return null;
  await page.locator('.part.sidebar [role="tree"] .monaco-list-row[aria-level="1"]').filter({ has: page.locator('.label-name', { hasText: group.label }) }).first().click();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const marks = await page.evaluate<Marks>('window.__dwhBench.marks');
    if (marks.expandClick !== undefined && marks.firstChildRow !== undefined) return { jobName: group.label, count: group.count, ms: round(marks.firstChildRow - marks.expandClick) };
    if (Date.now() > deadline) throw new Error(`expanding ${group.label} showed no run within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Polls the watcher's state (its marks carry the page's own times, so the polling interval
 * does not enter the figures). Fails early when the status bar settles on another count:
 * the shared stack was reseeded by someone else, and waiting longer would measure nothing.
 */
async function waitUntilFilled(page: Page, expected: number): Promise<{ marks: Marks; statusLabel: string }> {
  const deadline = Date.now() + 180_000;
  let otherCountSince: number | undefined;
  for (;;) {
    const state = await page.evaluate<{ marks: Marks; statusLabel: string; done: boolean }>('window.__dwhBench');
    if (state.done) return state;
    const shown = /(\d+) runs? pending approval/.exec(state.statusLabel)?.[1];
    if (shown !== undefined && Number(shown) !== expected) {
      otherCountSince ??= Date.now();
      if (Date.now() - otherCountSince > 10_000) {
        throw new StackChangedError(`the status bar shows "${state.statusLabel}", not ${expected} runs: the shared stack holds other data (reseeded meanwhile?)`);
      }
    } else {
      otherCountSince = undefined;
    }
    if (Date.now() > deadline) {
      const shot = path.join(REPO_ROOT, 'test-results', `bench-tree-${expected}-timeout.png`);
      await page.screenshot({ path: shot }).catch(() => undefined);
      throw new Error(`the view did not show ${expected} runs within 180 s; page state ${JSON.stringify(state)}; screenshot ${shot}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function newest(processes: ProcessInfo[]): ProcessInfo | undefined {
  return [...processes].sort((a, b) => b.pid - a.pid)[0];
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// ---------------------------------------------------------------------------------------------

/** Set once the seed is known, so a failure can be told apart from the stack changing. */
let recheckSeed: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      activation: { type: 'string' },
      tree: { type: 'boolean', default: false },
      manifest: { type: 'string' },
      samples: { type: 'string', default: '3' },
      'group-by': { type: 'string', default: 'job' },
      profile: { type: 'boolean', default: false },
      'idle-cpu-seconds': { type: 'string', default: '0' },
      'extension-path': { type: 'string', default: REPO_ROOT },
      out: { type: 'string' },
    },
    strict: true,
  });
  const extensionPath = path.resolve(values['extension-path']);
  if (!fs.existsSync(path.join(extensionPath, 'dist', 'extension.js'))) throw new Error(`${extensionPath}/dist/extension.js is missing: bundle first`);
  const h = await harness();
  const result: Record<string, unknown> = { extensionPath };

  if (values.activation !== undefined) {
    const samples = Number(values.activation);
    if (!Number.isInteger(samples) || samples <= 0) throw new Error('--activation takes a positive number of samples');
    const runs = await activationSamples(h, extensionPath, samples);
    result.activation = {
      samples: runs,
      activateMs: stats(runs.map((r) => r.activateMs).filter((v): v is number => v !== null)),
      codeLoadingMs: stats(runs.map((r) => r.codeLoadingMs).filter((v): v is number => v !== null)),
      hostActivationMs: stats(runs.map((r) => r.hostActivationMs)),
      hostRssBeforeKb: stats(runs.map((r) => r.memoryBefore.rss / 1024)),
      hostRssAfterKb: stats(runs.map((r) => r.memoryAfter.rss / 1024)),
      heapUsedDeltaKb: stats(runs.map((r) => (r.memoryAfter.heapUsed - r.memoryBefore.heapUsed) / 1024)),
      anyWasActiveBefore: runs.some((r) => r.wasActiveBefore),
    };
  }

  if (values.tree) {
    if (!values.manifest) throw new Error('--tree needs --manifest FILE, the seed the stack holds (bench/run.mjs writes it)');
    const manifest = JSON.parse(fs.readFileSync(values.manifest, 'utf8')) as SeedManifest;
    const expected = manifest.pendingCount;
    recheckSeed = () => assertSeedIntact(h.stackEnv, manifest, 'during the benchmark');
    const samples = Number(values.samples);
    const groupBy = values['group-by'];
    const idleCpuSeconds = Number(values['idle-cpu-seconds']);
    if (!Number.isFinite(idleCpuSeconds) || idleCpuSeconds < 0) throw new Error('--idle-cpu-seconds takes a number of seconds');
    const runs: TreeSample[] = [];
    for (let i = 0; i < samples; i++) {
      await assertSeedIntact(h.stackEnv, manifest, `before tree sample ${i + 1}`);
      const sample = await treeSample(h, extensionPath, expected, groupBy, false, i === 0 ? idleCpuSeconds : 0);
      await assertSeedIntact(h.stackEnv, manifest, `after tree sample ${i + 1}`);
      if (sample.idleCpu) {
        const baseline = await idleHostWithoutExtension(h, groupBy, sample.idleCpu.ageMs, idleCpuSeconds);
        sample.idleCpu = { ...sample.idleCpu, baselineWindowMs: baseline.windowMs, baselineCpuMs: baseline.cpuMs, baselineAgeMs: baseline.ageMs };
      }
      log(
        `tree ${expected} (groupBy ${groupBy}) ${i + 1}/${samples}: filled ${sample.filledMs} ms after the click ` +
          `(status ${sample.statusCountMs}, badge ${sample.badgeCountMs}, first run row ${sample.firstRunRowMs}); ` +
          `host RSS ${(sample.hostRssBeforeKb / 1024).toFixed(0)} → ${(sample.hostRssAfterKb / 1024).toFixed(0)} MB (peak ${(sample.hostPeakKb / 1024).toFixed(0)})` +
          (sample.idleCpu
            ? `; idle host CPU ${sample.idleCpu.cpuMs} ms in ${sample.idleCpu.windowMs} ms from ${(sample.idleCpu.ageMs / 1000).toFixed(0)} s after opening, ` +
              `a host without the extension ${sample.idleCpu.baselineCpuMs} ms in ${sample.idleCpu.baselineWindowMs} ms from ${(sample.idleCpu.baselineAgeMs / 1000).toFixed(0)} s`
            : ''),
      );
      for (const span of sample.extensionSpans) log(`  extension: ${span}`);
      runs.push(sample);
    }
    // One more open with CPU profilers attached: where the time goes, kept out of the timings.
    let profiled: TreeSample | undefined;
    if (values.profile) {
      await assertSeedIntact(h.stackEnv, manifest, 'before the profiled sample');
      profiled = await treeSample(h, extensionPath, expected, groupBy, true);
      await assertSeedIntact(h.stackEnv, manifest, 'after the profiled sample');
      log(`tree ${expected} (groupBy ${groupBy}) profiled: filled ${profiled.filledMs} ms; host ${JSON.stringify(profiled.profile?.extensionHost.categories)}`);
    }
    const numbers = (pick: (s: TreeSample) => number | null) => stats(runs.map(pick).filter((v): v is number => v !== null));
    result.tree = {
      pending: expected,
      groupBy,
      samples: runs,
      filledMs: numbers((s) => s.filledMs),
      filledAfterViewMs: numbers((s) => s.filledAfterViewMs),
      expandGroupMs: numbers((s) => s.expandGroup?.ms ?? null),
      expandGroup: runs.find((s) => s.expandGroup)?.expandGroup ?? null,
      statusItemMs: numbers((s) => s.statusItemMs),
      statusCountMs: numbers((s) => s.statusCountMs),
      badgeCountMs: numbers((s) => s.badgeCountMs),
      firstRunRowMs: numbers((s) => s.firstRunRowMs),
      hostRssBeforeKb: numbers((s) => s.hostRssBeforeKb),
      hostRssAfterKb: numbers((s) => s.hostRssAfterKb),
      hostPeakKb: numbers((s) => s.hostPeakKb),
      rendererHeapUsedBytes: numbers((s) => s.rendererHeapUsedBytes),
      ...(profiled ? { profiled } : {}),
      ...(runs[0]?.idleCpu ? { idleCpu: runs[0].idleCpu } : {}),
    };
  }

  if (values.out) {
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}

main().catch(async (error: unknown) => {
  const { code, message } = await exitCodeFor(error, recheckSeed);
  console.error(`[bench:ext] error: ${message}`);
  process.exitCode = code;
});
