// Typed access, for TypeScript tests, to the local stack the project's scripts run
// (scripts/lib/stack): its env.json, seeding, and the profile files for the SDK.
import type { StackEnv } from '../../scripts/lib/localProfile.mjs' with { 'resolution-mode': 'import' };
import type { SeedInfo, SeedOptions } from '../../scripts/lib/vscode/localStack.mjs' with { 'resolution-mode': 'import' };

export type { StackEnv, SeedOptions };
/** What a seeding wrote to `.stack/seed.json`. */
export type SeedManifest = SeedInfo;

interface StackModule {
  ensureStack(options?: { log?: (message: string) => void }): Promise<StackEnv>;
  readStackEnv(): StackEnv;
  seedStack(options?: SeedOptions): Promise<{ manifest: SeedManifest; timings: Record<string, number> }>;
  resetAws(options?: { reset?: boolean }): Promise<StackEnv>;
  readSigningSecret(env?: StackEnv): Promise<string | null>;
}

interface ProfileModule {
  writeLocalProfile(env: StackEnv): { AWS_CONFIG_FILE: string; AWS_SHARED_CREDENTIALS_FILE: string };
  LOCAL_PROFILE: string;
}

// The scripts are plain ESM without declarations; this is the one place that types them.
const STACK_MODULE = '../../scripts/lib/stack/index.mjs';
const PROFILE_MODULE = '../../scripts/lib/localProfile.mjs';

export async function stackModule(): Promise<StackModule> {
  return (await import(STACK_MODULE)) as StackModule;
}

/** Brings the stack up (a no-op when it is), points the SDK at the local profile files. */
export async function localStack(): Promise<{ env: StackEnv; stack: StackModule; profile: string }> {
  const stack = await stackModule();
  const env = await stack.ensureStack();
  const profiles = (await import(PROFILE_MODULE)) as ProfileModule;
  Object.assign(process.env, profiles.writeLocalProfile(env));
  return { env, stack, profile: profiles.LOCAL_PROFILE };
}
