#!/usr/bin/env node
// `npm test`: makes the machine ready (Debian packages, node_modules, code-server), then runs
// the checks (tsc, eslint, bundle) and the test tiers in order: unit, integration (local
// stack), extension host (code-server), end-to-end (the workbench in Chromium). Prints each
// tier's time and counts and closes with one line `N passed, N failed` (`, N skipped` after it
// when a test was skipped); exits 1 on a failure. Only tests count as passed: the checks are
// listed apart, and a failed check, a tier that ran no tests or skipped one, or a crash counts
// as a failure (scripts/lib/testSummary.mjs). Every tier's mocha forbids .only and skipped tests.
//   npm test -- --tier unit,integration     only these tiers (also DWH_TEST_TIERS)
//   npm test -- --keep-stack                leave the local stack running afterwards
// Node builtins only up to ensureNodeModules(): this runs on a fresh clone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ensureCodeServer, ensureDebianPackages, ensureNodeModules, readJson, repoRoot, wantedDebianPackages,
} from './lib/prereqs.mjs';
import { checksOutcome, describeOutcome, summarize, testTierOutcome, tierNotRun } from './lib/testSummary.mjs';

const TIERS = ['checks', 'unit', 'integration', 'host', 'e2e'];
const RESULTS = path.join(repoRoot, 'test-results');
const REPORTER = path.join(repoRoot, 'scripts', 'lib', 'mochaCountingReporter.mjs');
const MOCHA = path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');

/** Whether the checks just bundled the current source, so later tiers need not again. */
let bundledThisRun = false;

function selectedTiers() {
  const { values } = parseArgs({
    options: { tier: { type: 'string', multiple: true }, 'keep-stack': { type: 'boolean' } },
    allowPositionals: false,
  });
  const asked = (values.tier ?? (process.env.DWH_TEST_TIERS ? [process.env.DWH_TEST_TIERS] : []))
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = asked.filter((t) => !TIERS.includes(t));
  if (unknown.length) throw new Error(`unknown tier(s): ${unknown.join(', ')}; tiers are ${TIERS.join(', ')}`);
  return { tiers: asked.length ? TIERS.filter((t) => asked.includes(t)) : TIERS, keepStack: Boolean(values['keep-stack']) };
}

/** Runs a command with its output shown; resolves its exit code (never rejects). */
function run(cmd, args, { env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('error', (error) => {
      console.error(`${cmd}: ${error.message}`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Files under `dir` whose names end with `suffix`. */
function findFiles(dir, suffix) {
  const abs = path.join(repoRoot, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true }).map(String).filter((f) => f.endsWith(suffix));
}

async function mochaTier(name, config, files, env = {}) {
  if (files.length === 0 || !fs.existsSync(path.join(repoRoot, config))) return tierNotRun('no test files');
  const output = path.join(RESULTS, `${name}.json`);
  fs.rmSync(output, { force: true });
  const code = await run(process.execPath, [
    MOCHA, '--config', config, '--reporter', REPORTER, '--reporter-option', `output=${output}`,
  ], { env });
  return testTierOutcome(readJson(output), code, `mocha ${config}`);
}

async function checksTier() {
  const checks = [
    ['tsc --noEmit', process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.']],
    ['eslint', 'npm', ['run', '--silent', 'lint']],
    ['bundle', process.execPath, ['esbuild.js']],
    // The CloudFormation template (infra/): cfn-lint and checkov, pinned, in their cached venv.
    ['infra:check', process.execPath, [path.join(repoRoot, 'scripts', 'infra-check.mjs')]],
  ];
  const results = [];
  for (const [name, cmd, args] of checks) {
    console.log(`\n--- ${name}`);
    results.push({ name, ok: (await run(cmd, args)) === 0 });
  }
  bundledThisRun = results.some((r) => r.name === 'bundle' && r.ok);
  return checksOutcome(results);
}

async function main() {
  const { tiers, keepStack } = selectedTiers();
  const needsVsCode = tiers.includes('host') || tiers.includes('e2e');
  const needsStack = tiers.some((t) => ['integration', 'host', 'e2e'].includes(t));

  const t0 = Date.now();
  ensureDebianPackages(wantedDebianPackages({ withJava: needsStack }));
  ensureNodeModules();
  if (needsVsCode) await ensureCodeServer();
  fs.mkdirSync(RESULTS, { recursive: true });
  console.log(`[test] machine ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Imported only now: these need node_modules.
  const stack = needsStack ? await import('./lib/vscode/localStack.mjs') : null;
  const stackWasUp = stack ? await stack.stackIsUp().catch(() => false) : false;

  const runners = {
    checks: checksTier,
    unit: () => mochaTier('unit', 'test/unit/.mocharc.json', findFiles('test/unit', '.test.ts')),
    integration: async () => {
      const files = findFiles('test/integration', '.test.ts');
      if (files.length === 0) return tierNotRun('no test files');
      try {
        await stack.ensureStackUp();
        await stack.seedStack({});
      } catch (error) {
        console.error(error.stack ?? error);
        return tierNotRun(`local stack failed: ${error.message}`);
      }
      return mochaTier('integration', 'test/integration/.mocharc.json', files);
    },
    host: async () => {
      if (findFiles('test/host', '.test.ts').length === 0) return tierNotRun('no test files');
      const resultFile = path.join(RESULTS, 'host.json');
      fs.rmSync(resultFile, { force: true });
      const code = await run(process.execPath, [path.join(repoRoot, 'scripts', 'run-host-tests.mjs')]);
      return testTierOutcome(readJson(resultFile), code, 'the extension host');
    },
    e2e: () => mochaTier('e2e', 'test/e2e/.mocharc.json', findFiles('test/e2e', '.e2e.test.ts'),
      bundledThisRun ? { DWH_SKIP_BUNDLE: '1' } : {}),
  };

  const steps = [];
  for (const tier of tiers) {
    console.log(`\n=== ${tier}`);
    const started = Date.now();
    let outcome;
    try {
      outcome = await runners[tier]();
    } catch (error) {
      console.error(error.stack ?? error);
      outcome = tierNotRun(`crashed: ${error.message}`);
    }
    const seconds = (Date.now() - started) / 1000;
    steps.push({ name: tier, seconds, outcome });
    console.log(`=== ${tier}: ${describeOutcome(outcome)} in ${seconds.toFixed(1)} s`);
  }

  if (stack && !stackWasUp && !keepStack) {
    console.log('\n[test] stopping the local stack this run started (--keep-stack keeps it)');
    await stack.stopStack({ quiet: true }).catch((error) => console.error(`stack down failed: ${error.message}`));
  }

  const summary = summarize(steps);
  console.log('');
  for (const line of summary.lines) console.log(line);
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  fs.writeFileSync(path.join(RESULTS, 'summary.json'), JSON.stringify({
    steps, passed: summary.passed, failed: summary.failed, skipped: summary.skipped,
  }, null, 2));
  console.log(summary.closingLine);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.stack ?? error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
