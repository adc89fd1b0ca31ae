// What the Pending Approvals tree shows of a run and of a job group, as plain data: the
// row's description, its icon by urgency and quality, the group's "3 pending · 1 urgent",
// and the part of each that moves with the clock. The tree's 30-second clock compares that
// part with what it last drew (ShownTexts) and redraws only the rows that changed.

import { formatCheck, primaryFailingCheck } from './checkFormat';
import { formatAge, formatTimeLeft } from './durations';
import { expiryOf, urgencyOf } from './expiry';
import type { JobRun, Urgency } from './model';
import { labelText } from './untrustedText';

/** The row's icon: by urgency first, then by quality status. */
export type RunIcon = 'overdue' | 'urgent' | 'expiring' | 'red' | 'yellow' | 'plain';

export interface RunShown {
  /** "[job ·] drop_rate 12.0% > 10.0% · 5h ago · 3h 12m left" (the job only in the flat list), safe as a label. */
  description: string;
  urgency: Urgency;
  icon: RunIcon;
  /** The part of the row that moves with the clock: age, time left and icon (urgency). */
  clock: string;
}

export function runIconOf(qualityStatus: string | null, urgency: Urgency): RunIcon {
  if (urgency !== 'normal') return urgency;
  if (qualityStatus === 'RED') return 'red';
  if (qualityStatus === 'YELLOW') return 'yellow';
  return 'plain';
}

function isUrgentOrWorse(urgency: Urgency): boolean {
  return urgency === 'urgent' || urgency === 'overdue';
}

/** The clock-dependent part of a run's row, from its expiry (see runShown). */
export function clockTextOf(timestampMs: number | null, expiry: number | null, qualityStatus: string | null, now: number): string {
  const urgency = urgencyOf(expiry, now);
  return `${formatAge(timestampMs, now, 1)}|${formatTimeLeft(expiry, now)}|${runIconOf(qualityStatus, urgency)}`;
}

/** Everything the row of `run` shows at `now`, except its tooltip (built on hover). */
export function runShown(run: JobRun, now: number, ttlHours: number, flat: boolean): RunShown {
  const expiry = expiryOf(run, ttlHours);
  const urgency = urgencyOf(expiry, now);
  const check = primaryFailingCheck(run);
  const age = formatAge(run.timestampMs, now, 1);
  const timeLeft = formatTimeLeft(expiry, now);
  const icon = runIconOf(run.qualityStatus, urgency);
  return {
    // Shown as a tree item's description: the run's own text through labelText.
    description: [flat ? labelText(run.jobName) : undefined, labelText(check ? formatCheck(check) : run.qualityStatus ?? 'no checks'), age, timeLeft].filter(Boolean).join(' · '),
    urgency,
    icon,
    clock: `${age}|${timeLeft}|${icon}`,
  };
}

/** The clock-dependent part of run's row at `now`; equal to runShown(...).clock. */
export function runClockText(run: JobRun, now: number, ttlHours: number): string {
  return clockTextOf(run.timestampMs, expiryOf(run, ttlHours), run.qualityStatus, now);
}

/** A job group's description: "3 pending" or "3 pending · 1 urgent" (urgent or overdue). */
export function jobDescription(runs: readonly JobRun[], now: number, ttlHours: number): string {
  let urgent = 0;
  for (const run of runs) if (isUrgentOrWorse(urgencyOf(expiryOf(run, ttlHours), now))) urgent += 1;
  return `${runs.length} pending${urgent ? ` · ${urgent} urgent` : ''}`;
}

/**
 * What the tree last drew of each node, by key ("run:<id>", "job:<name>"): the node itself
 * (the very object the tree holds, so that a redraw can name it) and the clock-dependent text
 * it was drawn with. `changes` re-reads every text and returns the nodes whose text moved.
 */
export class ShownTexts<N> {
  private readonly shown = new Map<string, { node: N; text: string; parent: string | undefined }>();

  get size(): number {
    return this.shown.size;
  }

  /** The node was drawn (again) with `text`; `parent` is its parent's key, if it has one. */
  remember(key: string, node: N, text: string, parent?: string): void {
    this.shown.set(key, { node, text, parent });
  }

  /** The tree is redrawn from scratch: forget everything until it is drawn again. */
  clear(): void {
    this.shown.clear();
  }

  /**
   * The nodes whose text `textNow` differs from the one they were drawn with, in the order
   * they were drawn, and remembers the new texts. A node whose parent changed too is left
   * out: redrawing a parent redraws its children.
   */
  changes(textNow: (node: N) => string): N[] {
    const changedKeys = new Set<string>();
    const changed: Array<{ node: N; parent: string | undefined }> = [];
    for (const [key, entry] of this.shown) {
      const text = textNow(entry.node);
      if (text === entry.text) continue;
      entry.text = text;
      changedKeys.add(key);
      changed.push(entry);
    }
    return changed.filter((entry) => entry.parent === undefined || !changedKeys.has(entry.parent)).map((entry) => entry.node);
  }
}
