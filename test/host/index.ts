// Runs the extension-host suites inside a real VS Code (code-server; desktop VS Code with
// `npm run test:desktop`), where `vscode` is the real API. scripts/run-host-tests.mjs (and
// scripts/test-desktop.mjs) bundle this with a generated entry that hands over
// every test/host/**/*.test.ts; the counts go to a JSON file because the runner outside
// only sees the exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** One suite file, loaded lazily so that mocha's globals exist when its body runs. */
export interface HostSuite {
  file: string;
  load: () => unknown;
}

export interface HostTestResult {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
}

function resultFile(): string {
  return process.env.DWH_HOST_TEST_RESULTS ?? path.resolve(__dirname, '..', '..', '..', 'test-results', 'host.json');
}

/**
 * Runs the given suites with mocha's spec reporter, as the other tiers' .mocharc do: `.only`
 * and skipped tests are failures, and so is a run of no tests. Rejects when any test failed.
 */
export async function run(suites: HostSuite[]): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', forbidOnly: true, forbidPending: true, failZero: true,
  });
  for (const suite of suites) {
    mocha.suite.emit('pre-require', globalThis, suite.file, mocha);
    mocha.suite.emit('require', suite.load(), suite.file, mocha);
    mocha.suite.emit('post-require', globalThis, suite.file, mocha);
  }
  const result: HostTestResult = { passed: 0, failed: 0, pending: 0, failures: [] };
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', () => { result.passed += 1; });
    runner.on('pending', () => { result.pending += 1; });
    runner.on('fail', (test, error: unknown) => {
      result.failed += 1;
      const message = error instanceof Error ? error.stack ?? error.message : String(error);
      result.failures.push({ title: test.fullTitle(), error: message.slice(0, 4000) });
    });
  });
  const file = resultFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  if (result.failed > 0) throw new Error(`${result.failed} extension-host test(s) failed`);
  if (failures > 0) throw new Error('the extension-host run failed (no tests ran?)');
}
