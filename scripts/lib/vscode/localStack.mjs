// The local stack as the VS Code tiers and the demo use it: scripts/lib/stack's functions,
// with progress printed as `[stack] ...` unless asked to be quiet.
import { localExtensionSettings, writeLocalProfile } from '../localProfile.mjs';
import * as stack from '../stack/index.mjs';

function logger(quiet) {
  return quiet ? () => {} : (message) => console.log(`[stack] ${message}`);
}

/** Starts OpenSearch and moto unless they already run; returns `.stack/env.json`'s content. */
export async function ensureStackUp({ quiet = false } = {}) {
  return stack.ensureStack({ log: logger(quiet) });
}

/**
 * Recreates the indices with generated runs (`{pending, history, decided, messy, seed}`, the
 * stack's defaults for what is left out); returns the manifest also written to `.stack/seed.json`.
 */
export async function seedStack(options = {}, { quiet = false } = {}) {
  const { manifest } = await stack.seedStack({ ...options, log: logger(quiet) });
  return manifest;
}

/**
 * The extension host's way to the local stack: brings it up (seeded with its defaults when `seed`),
 * writes the local AWS profile and returns the host's environment and the extension's user
 * settings for it. Without the stack, empty ones.
 */
export async function hostStackConnection({ useStack, seed }) {
  if (!useStack) return { env: {}, userSettings: {} };
  const stackEnv = await ensureStackUp();
  if (seed) await seedStack({});
  return { env: writeLocalProfile(stackEnv), userSettings: localExtensionSettings(stackEnv) };
}

/** Whether OpenSearch and moto both answer as ours. */
export async function stackIsUp() {
  const status = await stack.stackStatus();
  return status.opensearch.state === 'ours' && status.moto.state === 'ours';
}

export async function stopStack({ quiet = false } = {}) {
  await stack.stopStack({ log: logger(quiet) });
}
