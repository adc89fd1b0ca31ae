// Types of localStack.mjs, for the TypeScript end-to-end fixture that imports it.
import type { StackEnv } from '../localProfile.mjs';

/** `.stack/seed.json`; the stack's seed command may add more fields. */
export interface SeedInfo {
  pendingCount: number;
  pendingRunIds: string[];
  [key: string]: unknown;
}
export interface StackCommandOptions {
  quiet?: boolean;
}
export function ensureStackUp(options?: StackCommandOptions): Promise<StackEnv>;
export function seedStack(args?: string[], options?: StackCommandOptions): Promise<SeedInfo>;
export function stopStack(options?: StackCommandOptions): Promise<void>;
