#!/usr/bin/env node
// The extension-host tier: bundles the extension and test/host/**/*.test.ts, brings up the
// local stack, and runs the suites inside code-server's real extension host with the local
// AWS profile. Writes test-results/host.json ({passed, failed, failures}); exits 1 on failure.
// The stack is seeded with its defaults first, so the suites see the same runs every time.
// Usage: node scripts/run-host-tests.mjs [--no-stack] [--no-seed]
import fs from 'node:fs';
import path from 'node:path';
import { ensureCodeServer, repoRoot } from './lib/prereqs.mjs';
import { bundleExtensionAndHostTests, hostSuiteFiles, runExtensionTests } from './lib/vscode/extensionTests.mjs';
import { hostStackConnection } from './lib/vscode/localStack.mjs';

const resultFile = path.join(repoRoot, 'test-results', 'host.json');

function writeResult(result) {
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(result, null, 2));
}

async function main() {
  const files = hostSuiteFiles();
  if (files.length === 0) {
    console.log('no extension-host suites (test/host/**/*.test.ts)');
    writeResult({ passed: 0, failed: 0, pending: 0, failures: [] });
    return 0;
  }
  await ensureCodeServer();
  const testsBundle = await bundleExtensionAndHostTests(files);
  const { env, userSettings } = await hostStackConnection({ useStack: !process.argv.includes('--no-stack'), seed: !process.argv.includes('--no-seed') });
  const { exitCode, result } = await runExtensionTests({ testsBundle, resultFile, env, userSettings });
  if (!result) {
    // The host never wrote its counts: the run itself failed (activation crash, timeout).
    writeResult({ passed: 0, failed: 1, pending: 0, failures: [{ title: 'extension host', error: `no result; exit ${exitCode}` }] });
    console.log(`extension-host tests: no result (exit ${exitCode})`);
    return 1;
  }
  console.log(`extension-host tests: ${result.passed} passed, ${result.failed} failed, ${result.pending ?? 0} skipped (exit ${exitCode})`);
  return exitCode === 0 && result.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.stack ?? error);
    writeResult({ passed: 0, failed: 1, pending: 0, failures: [{ title: 'extension host', error: String(error.message ?? error) }] });
    process.exit(1);
  },
);
