import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuditRecord } from '../../src/core/auditRecord';
import { parseJobRun } from '../../src/core/jobRunParser';
import type { JobRun } from '../../src/core/model';
import {
  buildRunDetails,
  dropRate,
  formatBytes,
  formatShortUtc,
  formatUtc,
  panelTitle,
  runLabel,
  type HistoryModel,
  type RunDetailsInput,
  type RunDetailsModel,
} from '../../src/core/runDetailsModel';
import { pendingDoc, pendingRun, randomDocument, seededRandom } from './fixtures';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 15, 10, 30);

function input(run: JobRun, overrides: Partial<RunDetailsInput> = {}): RunDetailsInput {
  return {
    run,
    history: { state: 'loaded', value: [] },
    decisions: { state: 'loaded', value: [] },
    ttlHours: 72,
    nowMs: T0 + HOUR,
    ...overrides,
  };
}

function loadedHistory(model: RunDetailsModel): HistoryModel {
  if (model.history.state !== 'loaded') assert.fail(`history failed: ${model.history.message}`);
  return model.history.value;
}

/** An earlier run of transform_images with the given drop rate, `hoursBefore` T0. */
function earlier(index: number, dropRateText: string, extra: Record<string, unknown> = {}): JobRun {
  const failed = parseFloat(dropRateText) > 10;
  return parseJobRun(`doc-h${index}`, {
    ...pendingDoc(),
    job_run_id: `run-${index}`,
    timestamp: new Date(T0 - (index + 1) * 24 * HOUR).toISOString(),
    status: failed ? 'PENDING_APPROVAL' : 'SUCCESS',
    quality_status: failed ? 'RED' : 'GREEN',
    quality_checks: [
      { name: 'null_rate', status: 'PASS', value: '1.0%', threshold: '5.0%' },
      { name: 'drop_rate', status: failed ? 'FAIL' : 'PASS', value: dropRateText, threshold: '10.0%' },
    ],
    approval_status: failed ? 'APPROVED' : null,
    ...extra,
  });
}

describe('buildRunDetails', () => {
  it('shows the header of a pending run: status, quality, times, time left', () => {
    const model = buildRunDetails(input(pendingRun()));
    assert.equal(model.jobName, 'transform_images');
    assert.equal(model.jobRunId, 'abc123');
    assert.equal(model.isPending, true);
    assert.equal(model.statusText, 'PENDING_APPROVAL');
    assert.equal(model.quality, 'RED');
    assert.equal(model.ranAtText, '2024-01-15 10:30:00 UTC');
    assert.equal(model.ageText, '1h ago');
    assert.equal(model.timeLeftText, '2d 23h left');
    assert.equal(model.expiryText, '2024-01-18 10:30:00 UTC');
    assert.equal(model.expirySource, 'ttl');
    assert.equal(model.urgency, 'normal');
    assert.equal(model.approval, null);
  });

  it('marks an overdue run and one whose expires_at is near', () => {
    const overdue = buildRunDetails(input(pendingRun(), { nowMs: T0 + 73 * HOUR }));
    assert.equal(overdue.urgency, 'overdue');
    assert.equal(overdue.timeLeftText, 'overdue by 1h');
    const urgent = buildRunDetails(input(pendingRun({ expires_at: '2024-01-15T11:40:00Z' }), { nowMs: T0 + HOUR }));
    assert.equal(urgent.urgency, 'urgent');
    assert.equal(urgent.expirySource, 'expires_at');
    assert.equal(urgent.timeLeftText, '10m left');
  });

  it('lists failed checks first, with the value against the threshold', () => {
    const model = buildRunDetails(input(pendingRun()));
    assert.deepEqual(
      model.checks.map((c) => [c.name, c.severity, c.readingText]),
      [
        ['drop_rate', 'fail', '12.0% > 10.0%'],
        ['null_rate', 'pass', '2.0% < 5.0%'],
      ],
    );
    assert.equal(model.checks[0]?.text, 'drop_rate 12.0% > 10.0%');
    assert.equal(model.failedCount, 1);
  });

  it('shows metrics with the drop rate, bytes in binary units and ETL phase shares', () => {
    const model = buildRunDetails(input(pendingRun()));
    const metric = (key: string): string | undefined => model.metrics.find((m) => m.key === key)?.text;
    assert.equal(metric('records_read'), '100,000');
    assert.equal(metric('records_written'), '88,000');
    assert.equal(metric('records_dropped'), '12,000 (12.0% of records read)');
    assert.equal(metric('bytes_written'), '1.2 GiB');
    assert.equal(metric('duration_seconds'), '2m 30s');
    assert.deepEqual(
      model.phases.map((p) => [p.key, p.text, Number(p.share.toFixed(2))]),
      [
        ['extract', '30s', 0.2],
        ['transform', '1m 30s', 0.6],
        ['load', '30s', 0.2],
      ],
    );
    assert.equal(model.phasesTotalText, '2m 30s');
  });

  it('shows artifacts with their records and whether the S3 console can open them', () => {
    const model = buildRunDetails(input(pendingRun({ artifacts: { a: { path: 's3://dwh-data/a/part-0.parquet', records: 5 }, b: { path: '/local/file', records: null } } })));
    assert.deepEqual(
      model.artifacts.map((a) => [a.name, a.recordsText, a.isS3]),
      [
        ['a', '5', true],
        ['b', 'unknown', false],
      ],
    );
  });

  it('compares today’s failing check with the job’s recent runs', () => {
    const history = [pendingRun(), earlier(0, '2.1%'), earlier(1, '1.5%'), earlier(2, '3.0%'), earlier(3, '2.5%')];
    const model = buildRunDetails(input(pendingRun(), { history: { state: 'loaded', value: history } }));
    const h = loadedHistory(model);
    assert.equal(h.runCount, 5);
    assert.deepEqual(h.checkNames, ['drop_rate']);
    const chart = h.charts[0];
    assert.ok(chart);
    assert.equal(chart.sentence, '12.0% is the highest of the last 5 runs; median 2.3%.');
    assert.equal(chart.threshold, 10);
    assert.equal(chart.thresholdText, '10.0%');
    assert.deepEqual(
      chart.points.map((p) => [p.jobRunId, p.valueText, p.isToday, p.failed]),
      [
        ['run-3', '2.5%', false, false],
        ['run-2', '3.0%', false, false],
        ['run-1', '1.5%', false, false],
        ['run-0', '2.1%', false, false],
        ['abc123', '12.0%', true, true],
      ],
    );
    assert.deepEqual(
      h.rows.map((r) => [r.jobRunId, r.status, r.values[0], r.decision, r.isCurrent]),
      [
        ['abc123', 'PENDING_APPROVAL', '12.0%', 'pending', true],
        ['run-0', 'SUCCESS', '2.1%', '—', false],
        ['run-1', 'SUCCESS', '1.5%', '—', false],
        ['run-2', 'SUCCESS', '3.0%', '—', false],
        ['run-3', 'SUCCESS', '2.5%', '—', false],
      ],
    );
  });

  it('charts only the runs up to this one, and lists later ones in the table with their values', () => {
    const later = earlier(0, '85.0%', { job_run_id: 'later', timestamp: new Date(T0 + 24 * HOUR).toISOString() });
    const history = [later, pendingRun(), earlier(1, '1.5%'), earlier(2, '3.0%')];
    const h = loadedHistory(buildRunDetails(input(pendingRun(), { history: { state: 'loaded', value: history } })));
    const chart = h.charts[0];
    assert.ok(chart);
    assert.deepEqual(chart.points.map((p) => p.jobRunId), ['run-2', 'run-1', 'abc123']);
    assert.equal(chart.sentence, '12.0% is the highest of the last 3 runs; median 2.25%.');
    assert.deepEqual(
      h.rows.map((r) => [r.jobRunId, r.values[0], r.isCurrent]),
      [
        ['later', '85.0%', false],
        ['abc123', '12.0%', true],
        ['run-1', '1.5%', false],
        ['run-2', '3.0%', false],
      ],
    );
  });

  it('shows earlier failing runs and their decisions in the history', () => {
    const model = buildRunDetails(input(pendingRun(), { history: { state: 'loaded', value: [earlier(0, '15.0%')] } }));
    const h = loadedHistory(model);
    assert.equal(h.charts[0]?.points[0]?.failed, true);
    assert.equal(h.rows[1]?.decision, 'APPROVED');
  });

  it('fits a history row into few columns: a short time, the run id without its job, one outcome with who decided and why', () => {
    const approved = earlier(0, '15.0%', {
      job_run_id: 'transform_images-20240114-9143bc82',
      approved_by: 'jane',
      approval_reason: `Known vendor issue; ${'x'.repeat(200)}`,
    });
    const failedRun = earlier(1, '2.0%', { job_run_id: 'run-failed', status: 'FAILED' });
    const lastYear = earlier(2, '1.0%', { timestamp: '2023-12-31T23:59:00Z' });
    const h = loadedHistory(buildRunDetails(input(pendingRun(), { history: { state: 'loaded', value: [approved, failedRun, lastYear] } })));
    assert.deepEqual(
      h.rows.map((r) => [r.runLabel, r.shortTimeText, r.outcome, r.outcomeKind, r.valuesFailing]),
      [
        ['abc123', '15 Jan 10:30', 'PENDING', 'pending', [true]],
        ['20240114-9143bc82', '14 Jan 10:30', 'APPROVED', 'approved', [true]],
        ['run-failed', '13 Jan 10:30', 'FAILED', 'failed', [false]],
        ['run-2', '31 Dec 2023 23:59', 'SUCCESS', 'success', [false]],
      ],
    );
    const detail = h.rows[1]?.outcomeDetail ?? '';
    assert.ok(detail.startsWith('by jane: Known vendor issue; xxx'), detail);
    assert.ok(detail.length <= 120 && detail.endsWith('…'), `the reason is shortened: ${detail.length} chars`);
    assert.equal(h.rows[0]?.outcomeDetail, null);
    assert.equal(h.rows[1]?.timeText, '2024-01-14 10:30:00 UTC', 'the full time stays for the tooltip');
  });

  it('labels a run without its job name only when the id starts with it and something follows', () => {
    assert.equal(runLabel('load_orders-20240115-abc', 'load_orders'), '20240115-abc');
    assert.equal(runLabel('load_orders_2024', 'load_orders'), '2024');
    assert.equal(runLabel('load_ordersX', 'load_orders'), 'load_ordersX', 'not a separator: another name');
    assert.equal(runLabel('load_orders-', 'load_orders'), 'load_orders-');
    assert.equal(runLabel('other-1', 'load_orders'), 'other-1');
    assert.equal(runLabel('abc', ''), 'abc');
    assert.equal(runLabel(`r-${'9'.repeat(60)}`, 'x').length, 28, 'a long id is cut (its tooltip has it whole)');
  });

  it('writes short UTC times, with the year only when it differs, and nothing for an unknown time', () => {
    assert.equal(formatShortUtc(Date.UTC(2024, 0, 5, 3, 7), T0), '5 Jan 03:07');
    assert.equal(formatShortUtc(Date.UTC(2023, 11, 31, 23, 59), T0), '31 Dec 2023 23:59');
    assert.equal(formatShortUtc(Date.UTC(2024, 0, 5, 3, 7), null), '5 Jan 2024 03:07');
    assert.equal(formatShortUtc(null, T0), null);
    assert.equal(formatShortUtc(Number.NaN, T0), null);
  });

  it('adds the run itself to the history table when the history query did not return it', () => {
    const model = buildRunDetails(input(pendingRun(), { history: { state: 'loaded', value: [earlier(0, '2.0%')] } }));
    assert.deepEqual(
      loadedHistory(model).rows.map((r) => r.jobRunId),
      ['abc123', 'run-0'],
    );
  });

  it('keeps a failed history or decisions load as a message', () => {
    const model = buildRunDetails(input(pendingRun(), { history: { state: 'failed', message: 'OpenSearch is unreachable.' }, decisions: { state: 'failed', message: 'denied' } }));
    assert.deepEqual(model.history, { state: 'failed', message: 'OpenSearch is unreachable.' });
    assert.deepEqual(model.decisions, { state: 'failed', message: 'denied' });
  });

  it('lists past decisions with their reasons, marking this run’s', () => {
    const records: AuditRecord[] = [
      { decisionId: 'd1', jobName: 'transform_images', jobRunId: 'old-1', decision: 'APPROVED', decidedBy: 'jane', reason: 'Known vendor issue', timestamp: '2024-01-10T09:00:00Z', auditStatus: 'recorded', detail: null, evidenceSha256: null },
      { decisionId: 'd2', jobName: 'transform_images', jobRunId: 'abc123', decision: 'REJECTED', decidedBy: 'bob', reason: 'No', timestamp: 'garbage', auditStatus: 'superseded', detail: 'first decision wins', evidenceSha256: null },
    ];
    const model = buildRunDetails(input(pendingRun(), { decisions: { state: 'loaded', value: records } }));
    assert.equal(model.decisions.state, 'loaded');
    const rows = model.decisions.state === 'loaded' ? model.decisions.value : [];
    assert.deepEqual(
      rows.map((r) => [r.decision, r.decidedBy, r.timeText, r.reason, r.isThisRun, r.auditStatus]),
      [
        ['APPROVED', 'jane', '2024-01-10 09:00:00 UTC', 'Known vendor issue', false, 'recorded'],
        ['REJECTED', 'bob', 'garbage', 'No', true, 'superseded'],
      ],
    );
  });

  it('shows a decided run as not pending, with its approval', () => {
    const model = buildRunDetails(
      input(pendingRun({ approval_status: 'APPROVED', approved_by: 'jane', approval_reason: 'ok', approval_timestamp: '2024-01-15T11:00:00Z' })),
    );
    assert.equal(model.isPending, false);
    assert.equal(model.statusText, 'APPROVED (was PENDING_APPROVAL)', 'its decision, not the status it stopped at');
    assert.equal(model.timeLeftText, 'decided');
    assert.deepEqual(model.approval, { status: 'APPROVED', approvedBy: 'jane', reason: 'ok', timeText: '2024-01-15 11:00:00 UTC' });
  });

  it('says what a messy document is missing and keeps the parser’s problems', () => {
    const doc = pendingDoc();
    delete doc.quality_checks;
    delete doc.records_read;
    const model = buildRunDetails(input(parseJobRun('doc-x', { ...doc, status: 42, bytes_written: 'lots' })));
    assert.ok(model.missing.includes('quality_checks'), model.missing.join());
    assert.ok(model.missing.includes('records_read'));
    assert.ok(model.missing.includes('bytes_written'));
    assert.equal(model.metrics.find((m) => m.key === 'records_dropped')?.text, '12,000');
    assert.ok(model.problems.some((p) => p.includes('bytes_written')));
    assert.equal(model.checks.length, 0);
  });

  it('keeps markup in job data as text', () => {
    const html = '<img src=x onerror=alert(1)>';
    const model = buildRunDetails(input(pendingRun({ job_name: html, quality_checks: [{ name: html, status: 'FAIL', value: html, threshold: 1 }] })));
    assert.equal(model.jobName, html);
    assert.equal(model.checks[0]?.name, html);
  });

  it('never throws on random documents, and its output survives JSON (postMessage)', () => {
    const random = seededRandom(20240115);
    for (let i = 0; i < 300; i += 1) {
      const run = parseJobRun(`doc-${i}`, randomDocument(random));
      const history = [parseJobRun(`h-${i}`, randomDocument(random)), parseJobRun(`h2-${i}`, randomDocument(random)), run];
      const model = buildRunDetails(input(run, { history: { state: 'loaded', value: history } }));
      const copy = JSON.parse(JSON.stringify(model)) as RunDetailsModel;
      assert.equal(copy.jobRunId, model.jobRunId);
    }
  });
});

describe('details formatting', () => {
  it('formats bytes in binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(1288490189), '1.2 GiB');
    assert.equal(formatBytes(500 * 1024 ** 2), '500 MiB');
  });


  it('computes the drop rate only when it can', () => {
    assert.equal(dropRate(12000, 100000), '12.0%');
    assert.equal(dropRate(25122, 1739372), '1.44%'); // 1.4443…%
    assert.equal(dropRate(42, 1_000_000), '0.0042%');
    assert.equal(dropRate(0, 10), '0.0%');
    assert.equal(dropRate(5, 0), null);
    assert.equal(dropRate(null, 10), null);
  });

  it('formats times in UTC', () => {
    assert.equal(formatUtc(T0), '2024-01-15 10:30:00 UTC');
    assert.equal(formatUtc(null), null);
    assert.equal(formatUtc(Number.NaN), null);
  });

  it('titles a panel with the run id and a shortened job name', () => {
    assert.equal(panelTitle('abc123', 'transform_images'), 'Run abc123 · transform_images');
    assert.equal(panelTitle('abc123', undefined), 'Run abc123');
    assert.ok(panelTitle('abc123', 'x'.repeat(500)).length < 80);
  });
});

describe('the details page script', () => {
  it('never turns text into markup', () => {
    const dir = path.resolve(__dirname, '..', '..', 'src', 'webview');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|\.srcdoc/, file);
    }
  });
});
