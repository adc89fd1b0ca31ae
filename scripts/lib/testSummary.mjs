// What scripts/test-all.mjs concludes from each step, kept pure so it is unit-tested
// (test/unit/testSummary.test.ts). Two kinds of step: a check (tsc, eslint, the bundle) that
// passes or fails, and a test tier whose mocha result counts tests. Only tests are counted as
// passed; a failed check, a tier that ran no tests, skipped any, crashed, or exited non-zero
// after passing everything counts as one failure each, so the closing line
// `N passed, N failed[, N skipped]` (CI reads it) can never say 0 failed for a run that failed.

/**
 * A test tier's outcome from the counts its reporter wrote ({passed, failed, pending}, or null
 * when it wrote none) and its exit code. `what` names the tier's runner in the notes.
 */
export function testTierOutcome(result, exitCode, what) {
  if (!result) return { kind: 'tests', passed: 0, failed: 0, skipped: 0, problems: [`${what} produced no result (exit ${exitCode})`] };
  const passed = count(result.passed);
  const failed = count(result.failed);
  const skipped = count(result.pending);
  const problems = [];
  if (passed + failed + skipped === 0) problems.push('ran no tests');
  if (skipped > 0) problems.push(`skipped ${skipped} ${skipped === 1 ? 'test' : 'tests'}`);
  if (exitCode !== 0 && failed === 0) problems.push(`${what} exited ${exitCode}`);
  return { kind: 'tests', passed, failed, skipped, problems };
}

/** A tier that could not run its tests at all (no test files, the local stack did not start). */
export function tierNotRun(reason) {
  return { kind: 'tests', passed: 0, failed: 0, skipped: 0, problems: [reason] };
}

/** The checks' outcome from `[{name, ok}]`. */
export function checksOutcome(checks) {
  return { kind: 'checks', checks: checks.map(({ name, ok }) => ({ name, ok: Boolean(ok) })), problems: [] };
}

/** Failures a step adds to the closing line: its failed tests or checks, and one per problem. */
export function failuresOf(outcome) {
  const failedChecks = outcome.kind === 'checks' ? outcome.checks.filter((c) => !c.ok).length : 0;
  return (outcome.kind === 'tests' ? outcome.failed : failedChecks) + outcome.problems.length;
}

/** One line saying how a step went, for the table at the end and after each step. */
export function describeOutcome(outcome) {
  if (outcome.kind === 'checks') {
    const ok = outcome.checks.filter((c) => c.ok).length;
    const failed = outcome.checks.filter((c) => !c.ok).map((c) => c.name);
    const notes = [...(failed.length ? [`${failed.length} failed (${failed.join(', ')})`] : []), ...outcome.problems];
    return [`${ok} ok`, ...notes].join(', ');
  }
  const counts = `${outcome.passed} passed, ${outcome.failed} failed${outcome.skipped ? `, ${outcome.skipped} skipped` : ''}`;
  return outcome.problems.length ? `${counts}: FAILED, ${outcome.problems.join('; ')}` : counts;
}

/**
 * The run's totals and the lines that close it, from `[{name, seconds, outcome}]`. `ok` is
 * whether the run passed; `closingLine` is `N passed, N failed`, with `, N skipped` when tests
 * were skipped.
 */
export function summarize(steps) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const lines = [];
  const width = Math.max(12, ...steps.map((s) => s.name.length + 1));
  for (const { name, seconds, outcome } of steps) {
    failed += failuresOf(outcome);
    if (outcome.kind === 'tests') {
      passed += outcome.passed;
      skipped += outcome.skipped;
    }
    lines.push(`${`${name}:`.padEnd(width)} ${describeOutcome(outcome)} (${seconds.toFixed(1)} s)`);
  }
  const closingLine = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  return { passed, failed, skipped, ok: failed === 0, lines, closingLine };
}

function count(value) {
  return Number.isInteger(value) && value > 0 ? value : 0;
}
