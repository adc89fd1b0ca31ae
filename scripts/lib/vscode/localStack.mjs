// The local stack as the VS Code tiers and the demo use it: brought up and seeded through
// scripts/stack.mjs (its own process, so its output and failures stay its own), then read
// back from `.stack/env.json` and `.stack/seed.json`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../prereqs.mjs';
import { readStackEnv } from '../localProfile.mjs';

function stack(args, { quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'stack.mjs'), ...args], {
      cwd: repoRoot, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (d) => { output += d; });
    child.stderr?.on('data', (d) => { output += d; });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`node scripts/stack.mjs ${args.join(' ')} failed (${code ?? signal})\n${output.slice(-4000)}`));
    });
  });
}

/** Starts OpenSearch and moto unless they already run; returns `.stack/env.json`. */
export async function ensureStackUp(options) {
  await stack(['up'], options);
  return readStackEnv();
}

/** Seeds fresh runs (`args` as the seed command takes them); returns `.stack/seed.json`. */
export async function seedStack(args = [], options) {
  await stack(['seed', ...args], options);
  return JSON.parse(fs.readFileSync(path.join(repoRoot, '.stack', 'seed.json'), 'utf8'));
}

export async function stopStack(options) {
  await stack(['down'], options);
}
