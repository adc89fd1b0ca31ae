// The summary `npm test` closes with (scripts/lib/testSummary.mjs) cannot be fooled: it counts
// tests only, shows skipped ones, and fails a tier that ran none or skipped any. And every
// tier's mocha (the three .mocharc files, the extension host's runner) really fails a run of
// no tests, a skipped test or a focused (exclusive) test: real mocha runs in a child process,
// with the counting reporter test-all reads. The specs it runs are fixtures written to a
// temporary directory, not tests of this suite; their modifiers are spelled through FOCUS and
// SKIP below so that this file itself holds no focused or skipped test for a reader or a lint
// to mistake for one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type * as TestSummaryModule from '../../scripts/lib/testSummary.mjs' with { 'resolution-mode': 'import' };

/** The mocha modifiers the fixture specs use (see the header). */
const FOCUS = 'only';
const SKIP = 'skip';

const ROOT = resolve(__dirname, '..', '..');
const MOCHA = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const REPORTER = join(ROOT, 'scripts', 'lib', 'mochaCountingReporter.mjs');
const CLOSING_LINE = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

describe('the test summary', function () {
  let summary: typeof TestSummaryModule;

  before(async function () {
    summary = await import('../../scripts/lib/testSummary.mjs');
  });

  const step = (name: string, outcome: TestSummaryModule.StepOutcome): TestSummaryModule.Step => ({ name, seconds: 1, outcome });

  it('counts tests only: the checks are listed apart', function () {
    const result = summary.summarize([
      step('checks', summary.checksOutcome([{ name: 'tsc', ok: true }, { name: 'eslint', ok: true }, { name: 'bundle', ok: true }])),
      step('unit', summary.testTierOutcome({ passed: 5, failed: 0, pending: 0 }, 0, 'mocha')),
    ]);
    assert.equal(result.closingLine, '5 passed, 0 failed');
    assert.equal(result.ok, true);
    assert.match(result.lines[0] ?? '', /^checks: +3 ok \(1\.0 s\)$/);
    assert.match(result.lines[1] ?? '', /^unit: +5 passed, 0 failed \(1\.0 s\)$/);
  });

  it('counts a failed check as a failure, naming it', function () {
    const result = summary.summarize([
      step('checks', summary.checksOutcome([{ name: 'tsc', ok: true }, { name: 'eslint', ok: false }, { name: 'bundle', ok: true }])),
      step('unit', summary.testTierOutcome({ passed: 5, failed: 0, pending: 0 }, 0, 'mocha')),
    ]);
    assert.equal(result.closingLine, '5 passed, 1 failed');
    assert.equal(result.ok, false);
    assert.match(result.lines[0] ?? '', /2 ok, 1 failed \(eslint\)/);
  });

  it('fails a tier that ran no tests, or had no test files', function () {
    for (const outcome of [summary.testTierOutcome({ passed: 0, failed: 0, pending: 0 }, 0, 'mocha'), summary.tierNotRun('no test files')]) {
      const result = summary.summarize([step('integration', outcome)]);
      assert.equal(result.ok, false);
      assert.equal(result.closingLine, '0 passed, 1 failed');
      assert.match(result.lines[0] ?? '', /FAILED, (ran no tests|no test files)/);
    }
  });

  it('shows skipped tests and fails their tier', function () {
    const result = summary.summarize([
      step('unit', summary.testTierOutcome({ passed: 7, failed: 0, pending: 2 }, 0, 'mocha')),
      step('host', summary.testTierOutcome({ passed: 3, failed: 0, pending: 0 }, 0, 'the extension host')),
    ]);
    assert.equal(result.closingLine, '10 passed, 1 failed, 2 skipped');
    assert.equal(result.ok, false);
    assert.match(result.lines[0] ?? '', /7 passed, 0 failed, 2 skipped: FAILED, skipped 2 tests/);
  });

  it('fails a tier that wrote no result, or exited non-zero with every test passed', function () {
    const none = summary.summarize([step('host', summary.testTierOutcome(null, 1, 'the extension host'))]);
    assert.equal(none.closingLine, '0 passed, 1 failed');
    assert.match(none.lines[0] ?? '', /the extension host produced no result \(exit 1\)/);
    const crashed = summary.summarize([step('e2e', summary.testTierOutcome({ passed: 4, failed: 0, pending: 0 }, 1, 'mocha'))]);
    assert.equal(crashed.closingLine, '4 passed, 1 failed');
    const failing = summary.summarize([step('e2e', summary.testTierOutcome({ passed: 4, failed: 2, pending: 0 }, 1, 'mocha'))]);
    assert.equal(failing.closingLine, '4 passed, 2 failed', 'failed tests are not counted twice');
  });

  it('closes with `N passed, N failed` (and `, N skipped`) whatever happened', function () {
    const outcomes = [
      summary.checksOutcome([{ name: 'tsc', ok: false }]),
      summary.testTierOutcome(null, 'timeout', 'x'),
      summary.testTierOutcome({ passed: 1, failed: 1, pending: 1 }, 1, 'x'),
      summary.tierNotRun('local stack failed: port in use'),
    ];
    for (let n = 0; n <= outcomes.length; n += 1) {
      const result = summary.summarize(outcomes.slice(0, n).map((o, i) => step(`t${i}`, o)));
      assert.match(result.closingLine, CLOSING_LINE);
      assert.equal(result.ok, n === 0, result.closingLine);
    }
  });
});

describe('every tier\'s mocha', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'dwh-mocha-'));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const tierConfigs = ['unit', 'integration', 'e2e'].map((tier) => join(ROOT, 'test', tier, '.mocharc.json'));

  it('forbids focused and skipped tests and fails a run of none, in each .mocharc', function () {
    for (const file of tierConfigs) {
      const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      assert.equal(config['forbid-only'], true, `${file}: forbid-only`);
      assert.equal(config['forbid-pending'], true, `${file}: forbid-pending`);
      assert.equal(config['fail-zero'], true, `${file}: fail-zero`);
    }
  });

  /** Runs real mocha over one spec file with a tier's options, as test-all does; its counts and exit code. */
  function runMocha(name: string, spec: string, tierConfig: string) {
    const { 'forbid-only': forbidOnly, 'forbid-pending': forbidPending, 'fail-zero': failZero } = JSON.parse(readFileSync(tierConfig, 'utf8')) as Record<string, unknown>;
    const config = join(dir, `${name}.mocharc.json`);
    writeFileSync(config, JSON.stringify({ spec: join(dir, `${name}.spec.cjs`), 'forbid-only': forbidOnly, 'forbid-pending': forbidPending, 'fail-zero': failZero }));
    writeFileSync(join(dir, `${name}.spec.cjs`), spec);
    const output = join(dir, `${name}.json`);
    const child = spawnSync(process.execPath, [MOCHA, '--config', config, '--reporter', REPORTER, '--reporter-option', `output=${output}`], { encoding: 'utf8' });
    let result: TestSummaryModule.MochaCounts | null = null;
    try {
      result = JSON.parse(readFileSync(output, 'utf8')) as TestSummaryModule.MochaCounts;
    } catch {
      // No counts written: mocha stopped before running (a forbidden focused test).
    }
    return { status: child.status ?? 1, result, output: `${child.stdout}${child.stderr}` };
  }

  it('fails a tier whose spec holds no test, a skipped test or a focused test, with each tier\'s options', async function () {
    const summary = await import('../../scripts/lib/testSummary.mjs');
    const specs = {
      empty: '',
      skipped: `describe('s', () => { it('runs', () => {}); it.${SKIP}('is skipped', () => {}); });`,
      skippedAtRunTime: `describe('s', () => { it('skips itself', function () { this.${SKIP}(); }); });`,
      only: `describe('s', () => { it.${FOCUS}('alone', () => {}); it('other', () => {}); });`,
    };
    for (const tierConfig of tierConfigs) {
      for (const [name, spec] of Object.entries(specs)) {
        const { status, result, output } = runMocha(name, spec, tierConfig);
        const outcome = summary.testTierOutcome(result, status, 'mocha');
        assert.ok(summary.failuresOf(outcome) > 0, `${tierConfig}, ${name}: the tier fails (exit ${status}, ${JSON.stringify(result)})\n${output}`);
        assert.notEqual(status, 0, `${tierConfig}, ${name}: mocha exits non-zero`);
        // For the reason the tier's options give, not because the fixture itself is broken.
        const reason = { empty: /No test files found|0 passing/, skipped: /Pending test forbidden/, skippedAtRunTime: /Pending test forbidden/, only: /forbidden by --forbid-only/ }[name];
        assert.match(output, reason ?? /$^/, `${tierConfig}, ${name}: mocha says why`);
      }
      const passing = runMocha('passing', "describe('s', () => { it('runs', () => {}); });", tierConfig);
      assert.equal(passing.status, 0, passing.output);
      assert.equal(summary.failuresOf(summary.testTierOutcome(passing.result, passing.status, 'mocha')), 0);
    }
  });

  it('fails the extension host\'s run of no tests, a skipped test or a focused test (test/host/index.ts)', function () {
    const cases = {
      empty: { spec: '', expected: /no tests ran/ },
      skipped: { spec: `it('runs', () => {}); it.${SKIP}('is skipped', () => {});`, expected: /1 extension-host test\(s\) failed/ },
      only: { spec: `it.${FOCUS}('alone', () => {}); it('other', () => {});`, expected: /only/i },
    };
    for (const [name, { spec, expected }] of Object.entries(cases)) {
      const specFile = join(dir, `host-${name}.spec.cjs`);
      writeFileSync(specFile, spec);
      const resultFile = join(dir, `host-${name}.json`);
      const script = [
        `const { run } = require(${JSON.stringify(join(ROOT, 'test', 'host', 'index.ts'))});`,
        `run([{ file: ${JSON.stringify(specFile)}, load: () => require(${JSON.stringify(specFile)}) }])`,
        '  .then(() => { console.log("RUN RESOLVED"); }, (error) => { console.log(`RUN REJECTED: ${error.message}`); process.exitCode = 1; });',
      ].join('\n');
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: ROOT, encoding: 'utf8', env: { ...process.env, DWH_HOST_TEST_RESULTS: resultFile },
      });
      const output = `${child.stdout}${child.stderr}`;
      assert.match(output, /RUN REJECTED: /, `${name}: the host run fails\n${output}`);
      assert.match(output, expected, `${name}\n${output}`);
      assert.notEqual(child.status, 0);
    }
  });
});
