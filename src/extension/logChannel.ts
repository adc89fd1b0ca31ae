// The extension's log: every request's outcome and timing. Secrets never reach it; callers
// pass names and counts, not values.
import * as vscode from 'vscode';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('DWH Approvals', { log: true });
}

/** Runs `operation`, logging its name, outcome and duration. */
export async function timed<T>(log: Log, name: string, operation: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
  const started = Date.now();
  try {
    const result = await operation();
    log.info(`${name}: ok in ${Date.now() - started} ms${describe ? ` (${describe(result)})` : ''}`);
    return result;
  } catch (error) {
    log.warn(`${name}: failed in ${Date.now() - started} ms: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}
