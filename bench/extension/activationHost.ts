// Runs inside the real extension host (code-server), as an extensionTestsPath entry: times
// activating DWH Approvals the way VS Code does on first opening its view, and reads the
// host's own memory before and after. Writes JSON to DWH_HOST_TEST_RESULTS for the
// benchmark outside (bench/extension.bench.ts), which only sees the exit code otherwise.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

const EXTENSION_ID = 'dwh-platform.dwh-approvals';

/** src/extension/extension.ts measures activate() itself under this name on the host's performance timeline. */
const ACTIVATE_MEASURE = 'dwhApprovals.activate';

export interface ActivationSample {
  wasActiveBefore: boolean;
  /** `await extension.activate()` as this host sees it: VS Code's part, loading dist/extension.js, activate(). */
  hostActivationMs: number;
  /** Loading dist/extension.js (VS Code's own marks around its require), null when the host has none. */
  codeLoadingMs: number | null;
  /** activate() itself, from the extension's own measure; null when it made none. */
  activateMs: number | null;
  memoryBefore: NodeJS.MemoryUsage;
  memoryAfter: NodeJS.MemoryUsage;
  /** Size of the extension's main module as loaded, for the record. */
  mainBytes: number | null;
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this host`);
  const wasActiveBefore = extension.isActive;
  const memoryBefore = process.memoryUsage();
  const started = performance.now();
  await extension.activate();
  const hostActivationMs = performance.now() - started;
  const activateMs = performance.getEntriesByName(ACTIVATE_MEASURE, 'measure').at(-1)?.duration ?? null;
  const memoryAfter = process.memoryUsage();
  const main = typeof extension.packageJSON === 'object' && extension.packageJSON !== null ? (extension.packageJSON as { main?: unknown }).main : undefined;
  let mainBytes: number | null = null;
  if (typeof main === 'string') {
    try {
      mainBytes = fs.statSync(vscode.Uri.joinPath(extension.extensionUri, main).fsPath).size;
    } catch {
      mainBytes = null;
    }
  }
  const sample: ActivationSample = { wasActiveBefore, hostActivationMs, codeLoadingMs: codeLoadingMs(extension.id), activateMs, memoryBefore, memoryAfter, mainBytes };
  const file = process.env.DWH_HOST_TEST_RESULTS;
  if (!file) throw new Error('DWH_HOST_TEST_RESULTS is not set: run this through bench/extension.bench.ts');
  fs.writeFileSync(file, JSON.stringify(sample, null, 2));
}

/**
 * The extension host's own marks around loading an extension's main module
 * (code/extHost/willLoadExtensionCode/ID, didLoadExtensionCode/ID), kept in
 * globalThis.MonacoPerformanceMarks; null when this VS Code has none.
 */
function codeLoadingMs(extensionId: string): number | null {
  const marks = (globalThis as { MonacoPerformanceMarks?: { getMarks(): { name: string; startTime: number }[] } }).MonacoPerformanceMarks?.getMarks() ?? [];
  const at = (name: string) => marks.find((m) => m.name === `code/extHost/${name}/${extensionId}`)?.startTime;
  const will = at('willLoadExtensionCode');
  const did = at('didLoadExtensionCode');
  return will === undefined || did === undefined ? null : did - will;
}
