#!/usr/bin/env node
// `npm run bench:cli`: how fast `dwh-approvals pending` answers, from process start to its last
// line, with 100 pending runs on the local stack (seeded here; the stack's default seed is
// restored at the end). It runs the built CLI as a user would (bin/dwh-approvals.js, the
// local profile, the endpoint and topic from SSM), SAMPLES times, and prints min/median/max.
// For scale, it also times what the seed's Python CLI would spend before its first request:
// starting Python and importing boto3 and creating its SSM client (from the moto venv, which
// has boto3; opensearch-py is not installed there, so this is a lower bound). Measures only.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as stack from '../scripts/lib/stack/index.mjs';
import { LOCAL_PROFILE, writeLocalProfile } from '../scripts/lib/localProfile.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLES = Number(process.env.SAMPLES ?? 10);
const PENDING = 100;

/** Milliseconds from spawn to the last stdout chunk; the process must exit 0. */
function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let last = started;
    let lines = 0;
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      last = process.hrtime.bigint();
      lines += chunk.toString('utf8').split('\n').length - 1;
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms: Number(last - started) / 1e6, lines });
    });
  });
}

const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
};

async function main() {
  const env = await stack.ensureStack({ log: () => {} });
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js')) || process.env.DWH_SKIP_BUNDLE !== '1') {
    if (spawnSync(process.execPath, ['esbuild.js', '--production'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) throw new Error('bundling failed');
  }
  const { manifest } = await stack.seedStack({ pending: PENDING, history: 2, decided: 0, messy: 0, log: () => {} });
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...writeLocalProfile(env),
    AWS_PROFILE: LOCAL_PROFILE,
    AWS_ENDPOINT_URL: env.awsEndpointUrl,
  };
  try {
    const cli = [];
    await timed(process.execPath, [path.join(ROOT, 'bin', 'dwh-approvals.js'), 'pending'], childEnv); // warm the OS file cache
    for (let i = 0; i < SAMPLES; i += 1) {
      const { ms, lines } = await timed(process.execPath, [path.join(ROOT, 'bin', 'dwh-approvals.js'), 'pending'], childEnv);
      if (lines !== manifest.pendingCount + 2) throw new Error(`expected ${manifest.pendingCount} runs, got ${lines - 2} lines`);
      cli.push(ms);
    }
    const python = path.join(env.cacheDir, 'moto-venv', 'bin', 'python');
    const py = [];
    if (fs.existsSync(python)) {
      for (let i = 0; i < SAMPLES; i += 1) {
        const { ms } = await timed(python, ['-c', "import boto3; boto3.client('ssm', region_name='us-east-1'); print('ready')"], { PATH: process.env.PATH, HOME: process.env.HOME });
        py.push(ms);
      }
    }
    const fmt = (s) => `${s.min.toFixed(0)} / ${s.median.toFixed(0)} / ${s.max.toFixed(0)} ms`;
    console.log(`dwh-approvals pending, ${manifest.pendingCount} runs, process start to last line (min / median / max of ${SAMPLES}): ${fmt(summary(cli))}`);
    if (py.length) console.log(`python3 + import boto3 + an SSM client, before any request (lower bound of the seed's Python CLI): ${fmt(summary(py))}`);
    fs.mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'test-results', 'bench-cli.json'), JSON.stringify({ pending: manifest.pendingCount, samples: SAMPLES, cliMs: cli, pythonBoto3ImportMs: py }, null, 2));
  } finally {
    await stack.seedStack({ log: () => {} });
  }
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exit(1);
});
