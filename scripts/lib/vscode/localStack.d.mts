// Types of localStack.mjs, for the TypeScript end-to-end fixture that imports it.
import type { StackEnv } from '../localProfile.mjs';

/** How many runs of each kind to seed; the stack's defaults fill in the rest. */
export interface SeedOptions {
  pending?: number;
  history?: number;
  decided?: number;
  messy?: number;
  seed?: number;
  /** The clock the seed counts ages and expiries from (ISO 8601); now else. */
  now?: string;
}

/** `.stack/seed.json`: what was seeded, computed with docs/CONTRACTS.md §2's definitions. */
export interface SeedInfo {
  pendingCount: number;
  pendingRunIds: string[];
  decidedRunIds: string[];
  messyRunIds: string[];
  urgentRunIds: string[];
  expiringRunIds: string[];
  overdueRunIds: string[];
  jobNames: string[];
  [key: string]: unknown;
}

export interface QuietOption {
  quiet?: boolean;
}

export function ensureStackUp(options?: QuietOption): Promise<StackEnv>;
export function seedStack(options?: SeedOptions, logOptions?: QuietOption): Promise<SeedInfo>;
export function stackIsUp(): Promise<boolean>;
export function stopStack(options?: QuietOption): Promise<void>;
