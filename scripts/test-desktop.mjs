#!/usr/bin/env node
// `npm run test:desktop`: the extension-host suites (test/host/**/*.test.ts, the same bundle the
// code-server tier runs) in a desktop VS Code, through @vscode/test-electron, for engineers who
// have one. Nothing is downloaded: give the VS Code executable with `--code PATH` or
// VSCODE_EXECUTABLE (on Linux without a display, run under xvfb-run). Without one it says so and
// exits 2; `npm test -- --tier host` runs the same suites in code-server instead.
// Writes test-results/desktop.json ({passed, failed, failures}); exits 1 on a failure.
//   npm run test:desktop -- --code /usr/share/code/code [--no-stack] [--no-seed]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readJson, repoRoot } from './lib/prereqs.mjs';

const NOT_AVAILABLE = 2;

/** The VS Code executable named by `--code` or VSCODE_EXECUTABLE, or why there is none. */
function desktopExecutable(codeOption) {
  const given = codeOption || process.env.VSCODE_EXECUTABLE;
  if (!given) {
    return {
      problem: [
        'test:desktop needs a desktop VS Code, and this script downloads none (@vscode/test-electron',
        'would fetch it from the internet). Give its executable:',
        '  npm run test:desktop -- --code /path/to/code     (or VSCODE_EXECUTABLE=/path/to/code)',
        'e.g. /usr/share/code/code on Linux, or ".../Visual Studio Code.app/Contents/MacOS/Electron" on macOS.',
        'The same suites run in code-server with: npm test -- --tier host',
      ].join('\n'),
    };
  }
  const executable = path.resolve(given);
  if (!fs.existsSync(executable) || !fs.statSync(executable).isFile()) {
    return { problem: `test:desktop: no VS Code executable at ${executable} (from ${codeOption ? '--code' : 'VSCODE_EXECUTABLE'}).` };
  }
  return { executable };
}

async function main() {
  const { values } = parseArgs({
    options: { code: { type: 'string' }, 'no-stack': { type: 'boolean' }, 'no-seed': { type: 'boolean' } },
    allowPositionals: false,
  });
  const { executable, problem } = desktopExecutable(values.code);
  if (problem) {
    console.error(problem);
    return NOT_AVAILABLE;
  }
  // Imported only now: these need node_modules, and the message above must not.
  const { runTests } = await import('@vscode/test-electron');
  const { BASE_USER_SETTINGS } = await import('./lib/vscode/codeServer.mjs');
  const { bundleExtensionAndHostTests, hostSuiteFiles } = await import('./lib/vscode/extensionTests.mjs');
  const { hostStackConnection } = await import('./lib/vscode/localStack.mjs');

  const files = hostSuiteFiles();
  if (files.length === 0) throw new Error('no extension-host suites (test/host/**/*.test.ts)');
  const testsBundle = await bundleExtensionAndHostTests(files);
  const { env, userSettings } = await hostStackConnection({ useStack: !values['no-stack'], seed: !values['no-seed'] });

  // A user-data and extensions directory of its own: the engineer's VS Code profile is untouched.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-vscode-desktop-'));
  const userDataDir = path.join(root, 'user-data');
  const workspace = path.join(root, 'workspace');
  for (const dir of [path.join(userDataDir, 'User'), path.join(root, 'extensions'), workspace]) fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...BASE_USER_SETTINGS, ...userSettings }, null, 2));
  const resultFile = path.join(repoRoot, 'test-results', 'desktop.json');
  fs.rmSync(resultFile, { force: true });

  let exitCode;
  try {
    exitCode = await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: testsBundle,
      extensionTestsEnv: { ...env, DWH_HOST_TEST_RESULTS: resultFile },
      launchArgs: [workspace, '--user-data-dir', userDataDir, '--extensions-dir', path.join(root, 'extensions'), '--disable-extensions'],
    });
  } catch (error) {
    // runTests rejects when VS Code exits non-zero, which is how a failing run() ends.
    console.error(String(error?.message ?? error));
    exitCode = 1;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const result = readJson(resultFile);
  if (!result) {
    console.log(`desktop extension-host tests: no result (exit ${exitCode})`);
    return 1;
  }
  console.log(`desktop extension-host tests: ${result.passed} passed, ${result.failed} failed, ${result.pending ?? 0} skipped (exit ${exitCode})`);
  return exitCode === 0 && result.failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error.stack ?? error);
    process.exit(1);
  },
);
