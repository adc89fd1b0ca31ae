// The end-to-end fixture: the local stack seeded for one suite, code-server with the extension
// loaded from source and the local AWS profile, and the workbench open in headless Chromium,
// with helpers that find things the way a user does (by names and roles, not by seeded data).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import type { CodeServer } from '../../scripts/lib/vscode/codeServer.mjs' with { 'resolution-mode': 'import' };
import type { SeedInfo, SeedOptions } from '../../scripts/lib/vscode/localStack.mjs' with { 'resolution-mode': 'import' };
import type { StackEnv } from '../../scripts/lib/localProfile.mjs' with { 'resolution-mode': 'import' };

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const CONTAINER_NAME = 'DWH Approvals';
export const PENDING_VIEW = 'Pending Approvals';

export interface WorkbenchOptions {
  /** Runs to seed (the indices are recreated); omit to keep whatever the stack holds. */
  seed?: SeedOptions;
  /** User settings on top of the local-stack ones. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /**
   * JavaScript run in the workbench page and in every frame (webviews too) before their own
   * scripts, from the first load on. Text, not a function: the TypeScript compiler's helpers
   * (esbuild's __name) would not exist in the page.
   */
  initScript?: string;
}

export interface TreeItemInfo {
  label: string;
  description: string;
  ariaLabel: string;
  level: number;
  expandable: boolean;
}

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  message?: string;
}

/**
 * Polls `probe` until `accept` holds for its value, like an `expect.poll`: UI state arrives
 * asynchronously, and a fixed sleep is either too short on a busy machine or wasted time.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 30_000, intervalMs = 250, message = 'condition' }: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError instanceof Error ? lastError.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}; last seen: ${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

let extensionBundled = false;

/**
 * Bundles the extension once per test process, so a run always tests the current source;
 * DWH_SKIP_BUNDLE=1 says a bundle of the current source was just made (test-all does that).
 */
function bundleExtension(): void {
  if (extensionBundled || process.env.DWH_SKIP_BUNDLE === '1') return;
  const result = spawnSync(process.execPath, ['esbuild.js'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('bundling the extension (node esbuild.js) failed');
  extensionBundled = true;
}

function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 120) || 'screenshot';
}

export class Workbench {
  private constructor(
    readonly page: Page,
    readonly stackEnv: StackEnv,
    readonly seed: SeedInfo | null,
    private readonly browser: Browser,
    private readonly server: CodeServer,
  ) {}

  /** Brings everything up and waits until the workbench has loaded. */
  static async start(options: WorkbenchOptions = {}): Promise<Workbench> {
    const { ensureStackUp, seedStack } = await import('../../scripts/lib/vscode/localStack.mjs');
    const { localExtensionSettings, writeLocalProfile } = await import('../../scripts/lib/localProfile.mjs');
    const { launchChromium, startCodeServer, workbenchUrl } = await import('../../scripts/lib/vscode/codeServer.mjs');

    bundleExtension();
    const stackEnv = await ensureStackUp({ quiet: true });
    const seed = options.seed ? await seedStack(options.seed, { quiet: true }) : null;
    const server = await startCodeServer({
      env: writeLocalProfile(stackEnv),
      userSettings: { ...localExtensionSettings(stackEnv), ...options.settings },
    });
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 1000 } });
      if (options.initScript) await page.addInitScript({ content: options.initScript });
      await page.goto(workbenchUrl({
        port: server.port, workspaceDir: server.workspaceDir, extensionDevelopmentPath: REPO_ROOT,
      }));
      await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
      return new Workbench(page, stackEnv, seed, browser, server);
    } catch (error) {
      await browser?.close();
      await server.stop();
      throw error;
    }
  }

  /** The activity-bar entry of a view container, whose accessible name starts with its title. */
  activityBarItem(name: string = CONTAINER_NAME): Locator {
    return this.page.locator('.part.activitybar li.action-item[role="tab"]')
      .filter({ has: this.page.locator(`a.action-label[aria-label^="${name}"]`) });
  }

  /** Opens a view container from the activity bar, unless it is already open. */
  async openActivityBarContainer(name: string = CONTAINER_NAME): Promise<void> {
    const item = this.activityBarItem(name);
    await item.waitFor({ state: 'visible', timeout: 60_000 });
    if ((await item.getAttribute('aria-selected')) !== 'true') {
      await item.click();
      // Move away so the activity bar's hover does not cover the view in screenshots.
      await this.page.mouse.move((this.page.viewportSize()?.width ?? 800) / 2, 300);
    }
    await this.page.locator('.part.sidebar .composite.title h2', { hasText: name })
      .waitFor({ state: 'visible', timeout: 30_000 });
  }

  /** The number on a container's activity-bar badge, or null when it shows none. */
  async viewBadgeCount(name: string = CONTAINER_NAME): Promise<number | null> {
    const badge = this.activityBarItem(name).locator('.badge-content');
    if ((await badge.count()) === 0 || !(await badge.isVisible())) return null;
    const text = (await badge.textContent())?.trim() ?? '';
    return /^\d+$/.test(text) ? Number(text) : null;
  }

  /** The rows a tree view renders (only those in view: the list is virtualised). */
  treeRows(viewName: string = PENDING_VIEW): Locator {
    return this.page.locator(`.part.sidebar [role="tree"][aria-label="${viewName}"] .monaco-list-row[role="treeitem"]`);
  }

  /** What each rendered row of a tree view shows. */
  async treeItems(viewName: string = PENDING_VIEW): Promise<TreeItemInfo[]> {
    return this.treeRows(viewName).evaluateAll((rows) => rows.map((row) => ({
      label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
      ariaLabel: row.getAttribute('aria-label') ?? '',
      level: Number(row.getAttribute('aria-level') ?? '0'),
      expandable: row.hasAttribute('aria-expanded'),
    })));
  }

  /** The message a tree view shows above its rows (TreeView.message), if any. */
  async treeMessage(viewName: string = PENDING_VIEW): Promise<string> {
    const pane = this.page.locator('.part.sidebar .pane').filter({
      has: this.page.locator(`[role="tree"][aria-label="${viewName}"]`),
    });
    const message = pane.locator('.tree-explorer-viewlet-tree-view > .message:not(.hide)');
    return (await message.count()) > 0 ? (await message.first().textContent())?.trim() ?? '' : '';
  }

  /** A status-bar entry by what it shows (codicons render as icons, so `$(x)` is not text). */
  statusBarItem(text: RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item').filter({ hasText: text }).first();
  }

  /** A status-bar entry by its accessible name, which is its text followed by its tooltip. */
  statusBarItemNamed(name: string): Locator {
    return this.page.locator('.part.statusbar .statusbar-item')
      .filter({ has: this.page.locator(`a.statusbar-item-label[aria-label*="${name}"]`) }).first();
  }

  /**
   * Opens the command palette with F1, as a user would, and returns its input. F1 pressed
   * while focus moves between the workbench and a webview (whose frame forwards keys to the
   * workbench by message) has once not opened the palette within 10 s on a busy machine, and
   * a palette that loses focus closes: F1 is pressed again until the palette is open.
   */
  async openCommandPalette(): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    let pressed = false;
    await eventually(async () => {
      // Always once: another quick input (an input box) may be open, and F1 replaces it.
      if (!pressed || !(await input.isVisible())) await this.page.keyboard.press('F1');
      pressed = true;
      return input.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
    }, (open) => open, { timeoutMs: 60_000, message: 'the command palette to open on F1' });
    return input;
  }

  /** Runs a command by its palette title, as a user would with F1. */
  async runCommand(title: string): Promise<void> {
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    // Until the command is listed: the palette may close again before it is (see openCommandPalette).
    const input = await eventually(async () => {
      const palette = await this.openCommandPalette();
      await palette.fill(`>${title}`, { timeout: 5_000 });
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      return palette;
    }, () => true, { timeoutMs: 90_000, message: `"${title}" listed in the command palette` });
    await input.press('Enter');
  }

  /** The document inside the (single) webview panel that is open. */
  webviewFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
  }

  /** Saves a full-page screenshot as test-results/NAME.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${safeFileName(name)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.browser.close();
    await this.server.stop();
  }
}

/** For an `afterEach`: keeps a screenshot of the workbench as it was when a test failed. */
export async function screenshotOnFailure(workbench: Workbench | undefined, test: Mocha.Test | undefined): Promise<void> {
  if (!workbench || !test || test.state !== 'failed') return;
  const file = await workbench.screenshot(`failed-${test.fullTitle()}`);
  console.log(`    screenshot of the failure: ${path.relative(REPO_ROOT, file)}`);
}
