// Shared by the extension-host suites: the extension under test, the local stack the runner
// seeded (DWH_STACK_DIR, inherited from the runner, names it), polling instead of sleeping,
// and user settings changed for a test and put back afterwards.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'dwh-platform.dwh-approvals';

export function extension(): vscode.Extension<unknown> {
  const found = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(found, `${EXTENSION_ID} is not loaded in the extension host`);
  return found;
}

export async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = extension();
  await ext.activate();
  return ext;
}

/** The stack directory the runner used: DWH_STACK_DIR, else the repository's `.stack`. */
export function stackDir(): string {
  return process.env.DWH_STACK_DIR?.trim() || path.join(extension().extensionUri.fsPath, '.stack');
}

export interface HostStackEnv {
  opensearchUrl: string;
  awsEndpointUrl: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  queueUrls: { tap: string; downstream: string; processor: string };
  indices?: { events?: string; approvals?: string };
}

export interface HostSeed {
  pendingRunIds: string[];
  messyRunIds: string[];
  duplicateRunIds?: string[];
}

function readJson<T>(name: string): T {
  const file = path.join(stackDir(), name);
  assert.ok(fs.existsSync(file), `${file} is missing: bring the local stack up and seed it (npm run stack:up, npm run stack:seed)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export const readStackEnv = (): HostStackEnv => readJson<HostStackEnv>('env.json');
export const readSeed = (): HostSeed => readJson<HostSeed>('seed.json');

/** Polls `read` until `done` holds (UI and network state arrive asynchronously). */
export async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether a promise has settled, without waiting for it. */
export function settledFlag(promise: Thenable<unknown>): { readonly settled: boolean } {
  const state = { settled: false };
  promise.then(() => { state.settled = true; }, () => { state.settled = true; });
  return state;
}

/**
 * Answers a quick pick or input box a command opens: repeats `answer` (a workbench command
 * such as workbench.action.acceptSelectedQuickOpenItem or closeQuickOpen) until the command
 * returns, so nothing depends on how long the extension takes to show it.
 */
export async function answerQuickInput(command: Thenable<unknown>, answer: string, what: string): Promise<void> {
  const state = settledFlag(command);
  await waitFor(async () => {
    if (!state.settled) await vscode.commands.executeCommand(answer);
    return state.settled;
  }, (settled) => settled, what);
  await command;
}

/** Sets user (global) settings for the duration of `body`, then restores what was there. */
export async function withUserSettings<T>(values: Record<string, unknown>, body: () => Promise<T>): Promise<T> {
  const config = () => vscode.workspace.getConfiguration('dwhApprovals');
  const before = new Map(Object.keys(values).map((key) => [key, config().inspect(key)?.globalValue]));
  try {
    for (const [key, value] of Object.entries(values)) await config().update(key, value, vscode.ConfigurationTarget.Global);
    return await body();
  } finally {
    for (const [key, value] of before) await config().update(key, value, vscode.ConfigurationTarget.Global);
  }
}
