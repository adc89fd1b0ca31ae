// The extension's log: every request's outcome and timing. Secrets never reach it; callers
// pass names and counts, not values. Every entry is written through core/untrustedText's
// logLine, so job data, identities and error texts in it stay on their one line, visible.
import * as vscode from 'vscode';
import { logLine } from '../core/untrustedText';

/** The log as the extension writes it: one sanitised line per entry. */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  show(): void;
  dispose(): void;
}

/** A Log over `channel` (the extension's own output channel unless given). */
export function createLog(channel: vscode.LogOutputChannel = vscode.window.createOutputChannel('DWH Approvals', { log: true })): Log {
  return {
    info: (message) => channel.info(logLine(message)),
    warn: (message) => channel.warn(logLine(message)),
    error: (message) => channel.error(logLine(message)),
    show: () => channel.show(),
    dispose: () => channel.dispose(),
  };
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
