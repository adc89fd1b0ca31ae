// Mocha's spec reporter for people, plus a small JSON file of counts for scripts/test-all.mjs:
// `--reporter scripts/lib/mochaCountingReporter.mjs --reporter-option output=FILE`.
// The file is written when the run ends, so a tier that crashes before leaves no file.
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

const { Spec } = Mocha.reporters;
const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

export default class CountingReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const output = options?.reporterOption?.output ?? options?.reporterOptions?.output;
    const result = { passed: 0, failed: 0, pending: 0, failures: [] };
    runner.on(EVENT_TEST_PASS, () => { result.passed += 1; });
    runner.on(EVENT_TEST_PENDING, () => { result.pending += 1; });
    runner.on(EVENT_TEST_FAIL, (test, error) => {
      result.failed += 1;
      result.failures.push({ title: test.fullTitle(), error: String(error?.message ?? error).slice(0, 2000) });
    });
    runner.once(EVENT_RUN_END, () => {
      if (!output) return;
      fs.mkdirSync(path.dirname(output), { recursive: true });
      fs.writeFileSync(output, JSON.stringify(result, null, 2));
    });
  }
}
