// The local stack as the VS Code tiers and the demo use it: scripts/lib/stack's functions,
// with progress printed as `[stack] ...` unless asked to be quiet.
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

/** Whether OpenSearch and moto both answer as ours. */
export async function stackIsUp() {
  const status = await stack.stackStatus();
  return status.opensearch.state === 'ours' && status.moto.state === 'ours';
}

export async function stopStack({ quiet = false } = {}) {
  await stack.stopStack({ log: logger(quiet) });
}
