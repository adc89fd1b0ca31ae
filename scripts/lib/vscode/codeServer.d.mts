// Types of codeServer.mjs, for the TypeScript end-to-end fixture that imports it.
import type { Browser } from 'playwright-core';

export interface CodeServer {
  url: string;
  port: number;
  workspaceDir: string;
  dataDir: string;
  logFile: string;
  exited: Promise<number | string>;
  stop(): Promise<void>;
}
export interface StartCodeServerOptions {
  workspaceDir?: string;
  userSettings?: Record<string, unknown>;
  env?: Record<string, string>;
  port?: number;
  dataDir?: string;
  log?: (text: string) => void;
  readyTimeoutMs?: number;
}
export const BASE_USER_SETTINGS: Record<string, unknown>;
export const CHROMIUM_ARGS: string[];
export function freePort(): Promise<number>;
export function startCodeServer(options?: StartCodeServerOptions): Promise<CodeServer>;
export function remoteUri(port: number, absolutePath: string): string;
export function workbenchUrl(options: {
  port: number;
  workspaceDir: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
}): string;
export function launchChromium(options?: { headless?: boolean; args?: string[] }): Promise<Browser>;
