// The project's download cache, shared by every script (stack, demo, tests, bench).
// DWH_APPROVALS_CACHE overrides the default ~/.cache/dwh-approvals. Created if missing.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Absolute path of the cache directory (created if missing). */
export function cacheDir() {
  const fromEnv = process.env.DWH_APPROVALS_CACHE;
  const dir = fromEnv && fromEnv.trim() !== '' ? resolve(fromEnv) : join(homedir(), '.cache', 'dwh-approvals');
  mkdirSync(dir, { recursive: true });
  return dir;
}
