// Types of testSummary.mjs, for its unit tests.

/** What a mocha reporter wrote for a tier: test counts. */
export interface MochaCounts {
  passed?: number;
  failed?: number;
  pending?: number;
}

export interface TestsOutcome {
  kind: 'tests';
  passed: number;
  failed: number;
  skipped: number;
  /** Why the tier failed besides its failed tests (each counts one failure). */
  problems: string[];
}

export interface ChecksOutcome {
  kind: 'checks';
  checks: Array<{ name: string; ok: boolean }>;
  problems: string[];
}

export type StepOutcome = TestsOutcome | ChecksOutcome;

export interface Step {
  name: string;
  seconds: number;
  outcome: StepOutcome;
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  ok: boolean;
  lines: string[];
  closingLine: string;
}

export function testTierOutcome(result: MochaCounts | null, exitCode: number | string, what: string): TestsOutcome;
export function tierNotRun(reason: string): TestsOutcome;
export function checksOutcome(checks: Array<{ name: string; ok: boolean }>): ChecksOutcome;
export function failuresOf(outcome: StepOutcome): number;
export function describeOutcome(outcome: StepOutcome): string;
export function summarize(steps: Step[]): Summary;
