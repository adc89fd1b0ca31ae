// What the Pending Approvals tree shows of runs and job groups, and the clock's diff: which
// rows and groups a 30-second tick has to redraw (only those whose text or icon moved).
import assert from 'node:assert/strict';
import type { JobRun } from '../../src/core/model';
import {
  ShownTexts,
  clockTextOf,
  jobDescription,
  runClockText,
  runIconOf,
  runShown,
} from '../../src/core/pendingDisplay';
import { expiryOf } from '../../src/core/expiry';
import { pendingRun, seededRandom } from './fixtures';

const NOW = Date.parse('2024-01-15T12:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const TTL = 72;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A run that expires `leftMs` after NOW (through expires_at). */
function expiringIn(id: string, leftMs: number, fields: Record<string, unknown> = {}): JobRun {
  return pendingRun({ job_run_id: id, timestamp: iso(NOW - 2 * HOUR), expires_at: iso(NOW + leftMs), ...fields }, `doc-${id}`);
}

describe('pendingDisplay: what a row and a group show', () => {

  it('picks the icon by urgency first, then by quality', () => {
    assert.equal(runIconOf('RED', 'overdue'), 'overdue');
    assert.equal(runIconOf('GREEN', 'urgent'), 'urgent');
    assert.equal(runIconOf('YELLOW', 'expiring'), 'expiring');
    assert.equal(runIconOf('RED', 'normal'), 'red');
    assert.equal(runIconOf('YELLOW', 'normal'), 'yellow');
    assert.equal(runIconOf(null, 'normal'), 'plain');
  });

  it('describes a run with its failing check and time left, and its job in the flat list', () => {
    const run = expiringIn('r1', 10 * MINUTE);
    assert.deepEqual(runShown(run, NOW, TTL, false), {
      description: 'drop_rate 12.0% > 10.0% · 2h ago · 10m left',
      urgency: 'urgent',
      icon: 'urgent',
      clock: '2h ago|10m left|urgent',
    });
    assert.equal(runShown(run, NOW, TTL, true).description, 'transform_images · drop_rate 12.0% > 10.0% · 2h ago · 10m left');
    const noChecks = pendingRun({ job_run_id: 'r2', timestamp: iso(NOW - HOUR), quality_checks: [] });
    assert.equal(runShown(noChecks, NOW, TTL, false).description, 'RED · 1h ago · 2d 23h left');
  });

  it('has the same clock text from runShown, runClockText and clockTextOf', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const run = expiringIn(`r${i}`, Math.floor((random() - 0.2) * 80 * HOUR), { quality_status: ['RED', 'YELLOW', 'GREEN', null][i % 4] });
      const now = NOW + Math.floor(random() * HOUR);
      const shown = runShown(run, now, TTL, i % 2 === 0);
      assert.equal(runClockText(run, now, TTL), shown.clock);
      assert.equal(clockTextOf(run.timestampMs, expiryOf(run, TTL), run.qualityStatus, now), shown.clock);
    }
  });

  it('counts a group\'s pending and urgent (or overdue) runs', () => {
    const runs = [expiringIn('a', -HOUR), expiringIn('b', 10 * MINUTE), expiringIn('c', 40 * MINUTE), expiringIn('d', 5 * HOUR)];
    assert.equal(jobDescription(runs, NOW, TTL), '4 pending · 2 urgent');
    assert.equal(jobDescription(runs.slice(2), NOW, TTL), '2 pending');
    // 26 minutes later c is urgent too (14m left).
    assert.equal(jobDescription(runs, NOW + 26 * MINUTE, TTL), '4 pending · 3 urgent');
  });
});

type Node = { kind: 'job'; jobName: string; runs: JobRun[] } | { kind: 'run'; run: JobRun };

/** Draws a grouped tree at `now` as the provider does: remembers each node's clock text. */
function draw(runs: JobRun[], now: number): { shown: ShownTexts<Node>; jobs: Map<string, Node>; rows: Map<string, Node> } {
  const shown = new ShownTexts<Node>();
  const groups = new Map<string, JobRun[]>();
  for (const run of runs) groups.set(run.jobName, [...(groups.get(run.jobName) ?? []), run]);
  const jobs = new Map<string, Node>();
  const rows = new Map<string, Node>();
  for (const [jobName, groupRuns] of groups) {
    const job: Node = { kind: 'job', jobName, runs: groupRuns };
    jobs.set(jobName, job);
    shown.remember(`job:${jobName}`, job, jobDescription(groupRuns, now, TTL));
    for (const run of groupRuns) {
      const row: Node = { kind: 'run', run };
      rows.set(run.jobRunId, row);
      shown.remember(`run:${run.jobRunId}`, row, runShown(run, now, TTL, false).clock, `job:${jobName}`);
    }
  }
  return { shown, jobs, rows };
}

function textAt(now: number): (node: Node) => string {
  return (node) => (node.kind === 'run' ? runClockText(node.run, now, TTL) : jobDescription(node.runs, now, TTL));
}

describe('ShownTexts: what a clock tick redraws', () => {
  it('redraws nothing when no text moved', () => {
    const runs = [expiringIn('a', 3 * HOUR + 30 * SECOND), expiringIn('b', 50 * HOUR + 10 * MINUTE)];
    const { shown } = draw(runs, NOW);
    assert.deepEqual(shown.changes(textAt(NOW + 20 * SECOND)), []);
    assert.deepEqual(shown.changes(textAt(NOW + 20 * SECOND)), [], 'and again');
  });

  it('redraws exactly the rows whose time left moved, once', () => {
    const a = expiringIn('a', 3 * HOUR + 10 * SECOND, { job_name: 'j1' }); // "3h left" → "2h 59m left" at +30 s
    const b = expiringIn('b', 3 * HOUR + 50 * SECOND, { job_name: 'j1' }); // stays "3h left"
    const c = expiringIn('c', 2 * 24 * HOUR + 10 * SECOND, { job_name: 'j2' }); // "2d left" → "1d 23h left"
    const { shown, rows } = draw([a, b, c], NOW);
    assert.deepEqual(shown.changes(textAt(NOW + 30 * SECOND)), [rows.get('a'), rows.get('c')]);
    assert.deepEqual(shown.changes(textAt(NOW + 30 * SECOND)), [], 'remembered: not redrawn twice');
  });

  it('redraws a group whose urgent count changed, and leaves its rows to it', () => {
    const a = expiringIn('a', 15 * MINUTE + 10 * SECOND, { job_name: 'j1' }); // becomes urgent at +30 s
    const b = expiringIn('b', 30 * HOUR + 10 * SECOND, { job_name: 'j1' }); // its text moves too
    const c = expiringIn('c', 30 * HOUR + 10 * SECOND, { job_name: 'j2' }); // in a group that does not change
    const { shown, jobs, rows } = draw([a, b, c], NOW);
    const changed = shown.changes(textAt(NOW + 30 * SECOND));
    assert.deepEqual(changed, [jobs.get('j1'), rows.get('c')], 'the j1 group (its rows come with it) and c');
    assert.equal(jobDescription([a, b], NOW + 30 * SECOND, TTL), '2 pending · 1 urgent');
    assert.deepEqual(shown.changes(textAt(NOW + 30 * SECOND)), [], 'the rows of j1 were remembered as redrawn');
  });

  it('notices an icon change alone (expiring → urgent at the same "15m left")', () => {
    // 15 min left exactly is "expiring"; a moment later it is urgent, still shown as 14m.
    const run = expiringIn('a', 15 * MINUTE, { job_name: 'j1' });
    const { shown, rows } = draw([run], NOW);
    const changed = shown.changes(textAt(NOW + 1));
    assert.ok(changed.includes(rows.get('a') as Node) || changed.some((n) => n.kind === 'job'), 'redrawn on its own or with its group');
  });

  it('forgets everything on clear (the tree is redrawn from scratch)', () => {
    const { shown } = draw([expiringIn('a', HOUR + 10 * SECOND)], NOW);
    assert.equal(shown.size, 2);
    shown.clear();
    assert.equal(shown.size, 0);
    assert.deepEqual(shown.changes(textAt(NOW + HOUR)), []);
  });

  it('at 10,000 runs, returns exactly what a full redraw would change, and nothing on an unchanged tick', () => {
    const random = seededRandom(42);
    const jobs = ['load_orders', 'transform_images', 'aggregate_sales', 'export_reports', 'sync_customers'];
    const runs = Array.from({ length: 10_000 }, (_, i) =>
      pendingRun({ job_run_id: `run-${i}`, job_name: jobs[i % jobs.length], timestamp: iso(NOW - Math.floor(random() * 75 * HOUR)) }, `doc-${i}`),
    );
    const before = NOW;
    const after = NOW + 30 * SECOND;
    const { shown, jobs: groups, rows } = draw(runs, before);
    const changed = new Set(shown.changes(textAt(after)));
    // Brute force: every node whose full text differs between a full draw at `before` and at `after`.
    const full = (now: number) => draw(runs, now);
    const old = full(before);
    const next = full(after);
    const expectedJobs = [...groups.values()].filter((job) => job.kind === 'job' && jobDescription(job.runs, before, TTL) !== jobDescription(job.runs, after, TTL));
    const changedJobNames = new Set(expectedJobs.map((job) => (job.kind === 'job' ? job.jobName : '')));
    for (const job of expectedJobs) assert.ok(changed.has(job), 'a changed group is redrawn');
    let rowsChanged = 0;
    for (const [id, row] of rows) {
      assert.ok(row.kind === 'run');
      const moved = runShown(row.run, before, TTL, false).description !== runShown(row.run, after, TTL, false).description ||
        runShown(row.run, before, TTL, false).icon !== runShown(row.run, after, TTL, false).icon;
      if (moved) rowsChanged += 1;
      const viaGroup = changedJobNames.has(row.run.jobName);
      assert.equal(changed.has(row), moved && !viaGroup, `run ${id}: moved ${moved}, redrawn with its group ${viaGroup}`);
    }
    assert.ok(rowsChanged > 0 && rowsChanged < runs.length / 2, `some rows moved in 30 s, not most: ${rowsChanged}`);
    assert.equal(old.shown.size, next.shown.size);
    assert.deepEqual(shown.changes(textAt(after)), [], 'the same instant again: nothing');
  });
});
