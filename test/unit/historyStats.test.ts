import assert from 'node:assert/strict';
import { checkHistories, checkHistory, medianOf } from '../../src/core/historyStats';
import type { CheckValue, JobRun } from '../../src/core/model';
import { pendingRun } from './fixtures';

const DAY = 24 * 3600_000;
const TODAY = Date.UTC(2024, 0, 15, 10, 30);

function runWith(id: string, daysAgo: number, value: CheckValue, threshold: CheckValue = '10.0%', name = 'drop_rate'): JobRun {
  return pendingRun(
    {
      job_run_id: id,
      timestamp: new Date(TODAY - daysAgo * DAY).toISOString(),
      status: 'SUCCESS',
      quality_checks: [{ name, status: 'PASS', value, threshold }],
    },
    `doc-${id}`,
  );
}

const today = pendingRun(); // drop_rate 12.0% > 10.0%, FAIL
const dropRate = today.qualityChecks.find((c) => c.name === 'drop_rate');
if (dropRate === undefined) throw new Error('fixture has no drop_rate');

/** `count` earlier runs with values cycling through `values`, newest first as OpenSearch returns them. */
function history(values: CheckValue[]): JobRun[] {
  return values.map((value, i) => runWith(`h${i}`, i + 1, value));
}

describe('checkHistory', () => {
  it('says 12.0% is the highest of the last 20 runs, with the median of the others', () => {
    const values = ['2.0%', '2.1%', '1.9%', '2.3%', '2.1%', '2.2%', '1.8%', '2.0%', '2.4%', '2.1%', '2.5%', '1.7%', '2.1%', '2.2%', '2.0%', '2.6%', '2.1%', '1.9%', '2.2%'];
    const result = checkHistory(today, dropRate, history(values));
    assert.equal(result.sentence, '12.0% is the highest of the last 20 runs; median 2.1%.');
    assert.equal(result.comparedRuns, 19);
    assert.equal(result.median, 2.1);
    assert.equal(result.isPercent, true);
    assert.equal(result.today, 12);
  });

  it('orders the series oldest to newest, with today last', () => {
    const result = checkHistory(today, dropRate, history(['3%', '2%', '1%']));
    assert.deepEqual(result.series.map((p) => [p.jobRunId, p.value, p.isToday]), [
      ['h2', 1, false],
      ['h1', 2, false],
      ['h0', 3, false],
      ['abc123', 12, true],
    ]);
  });

  it('says "lowest"', () => {
    assert.equal(checkHistory(today, dropRate, history(['20%', '15%', '30%'])).sentence, '12.0% is the lowest of the last 4 runs; median 20.0%.');
  });

  it('says "2nd highest" and "3rd highest" among five or more runs', () => {
    assert.equal(checkHistory(today, dropRate, history(['13%', '1%', '2%', '3%'])).sentence, '12.0% is the 2nd highest of the last 5 runs; median 2.5%.');
    assert.equal(checkHistory(today, dropRate, history(['13%', '14%', '2%', '3%'])).sentence, '12.0% is the 3rd highest of the last 5 runs; median 8.0%.');
  });

  it('says "2nd lowest" among five or more runs', () => {
    assert.equal(checkHistory(today, dropRate, history(['11%', '20%', '21%', '22%'])).sentence, '12.0% is the 2nd lowest of the last 5 runs; median 20.5%.');
  });

  it('says "within the usual range" otherwise, with the range', () => {
    const values = ['1%', '5%', '9%', '11%', '13%', '15%', '19%', '25%'];
    assert.equal(checkHistory(today, dropRate, history(values)).sentence, '12.0% is within the usual range of the last 9 runs (1.0% to 25.0%); median 12.0%.');
  });

  it('does not rank among a handful of runs', () => {
    assert.equal(checkHistory(today, dropRate, history(['10%', '14%'])).sentence, '12.0% is within the usual range of the last 3 runs (10.0% to 14.0%); median 12.0%.');
  });

  it('says when it ties the highest or equals every earlier run', () => {
    assert.equal(checkHistory(today, dropRate, history(['12%', '1%'])).sentence, '12.0% equals the highest of the last 3 runs; median 6.5%.');
    assert.equal(checkHistory(today, dropRate, history(['12%', '12.0%'])).sentence, '12.0% is the same as in each of the previous 2 runs.');
  });

  it('reads history written as fractions, points or percent text as one series', () => {
    const mixed = [runWith('f', 1, 0.021, 0.1), runWith('p', 2, 2.1, '10%'), runWith('t', 3, '2.1%', '10%'), runWith('n', 4, 0.021, null)];
    const result = checkHistory(today, dropRate, mixed);
    assert.deepEqual(result.series.map((p) => p.value), [2.1, 2.1, 2.1, 2.1, 12]);
    assert.equal(result.sentence, '12.0% is the highest of the last 5 runs; median 2.1%.');
  });

  it('leaves out runs without a value, or without the check', () => {
    const runs = [runWith('a', 1, null), runWith('b', 2, 'n/a'), runWith('c', 3, '1%', '10%', 'other_check'), runWith('d', 4, '3%')];
    const result = checkHistory(today, dropRate, runs);
    assert.deepEqual(result.series.map((p) => p.value), [3, null, null, null, 12]);
    assert.equal(result.comparedRuns, 1);
    assert.equal(result.sentence, '12.0% is the highest of the last 2 runs; median 3.0%.');
  });

  it('says when there are no earlier runs', () => {
    assert.equal(checkHistory(today, dropRate, []).sentence, 'No earlier runs of transform_images to compare drop_rate with.');
  });

  it('says when no earlier run has a value', () => {
    assert.equal(checkHistory(today, dropRate, [runWith('a', 1, null), runWith('b', 2, 'n/a')]).sentence, 'None of the 2 earlier runs has a value of drop_rate to compare with.');
    assert.equal(checkHistory(today, dropRate, [runWith('a', 1, null)]).sentence, 'None of the 1 earlier run has a value of drop_rate to compare with.');
  });

  it('says when today has no value', () => {
    const noValue = { ...dropRate, value: null };
    assert.equal(checkHistory(today, noValue, history(['1%'])).sentence, 'drop_rate has no value in this run to compare with earlier runs.');
  });

  it('ignores today’s own run and duplicate documents in the history', () => {
    const dup = [runWith('abc123', 0, '50%'), runWith('a', 2, '1%'), runWith('a', 1, '3%')];
    const result = checkHistory(today, dropRate, dup);
    assert.deepEqual(result.series.map((p) => [p.jobRunId, p.value]), [['a', 3], ['abc123', 12]]);
  });

  it('compares only runs up to the one shown: later runs are not its past', () => {
    // Reviewing an older run: the job ran again since, once with a far higher value.
    const runs = [runWith('later2', -2, '85%'), runWith('later1', -1, '40%'), runWith('h0', 1, '3%'), runWith('h1', 2, '1%')];
    const result = checkHistory(today, dropRate, runs);
    assert.deepEqual(result.series.map((p) => [p.jobRunId, p.value, p.isToday]), [
      ['h1', 1, false],
      ['h0', 3, false],
      ['abc123', 12, true],
    ]);
    assert.equal(result.comparedRuns, 2);
    assert.equal(result.sentence, '12.0% is the highest of the last 3 runs; median 2.0%.');
  });

  it('says there are no earlier runs when every run loaded came after the one shown', () => {
    const result = checkHistory(today, dropRate, [runWith('later', -1, '1%')]);
    assert.deepEqual(result.series.map((p) => p.jobRunId), ['abc123']);
    assert.equal(result.sentence, 'No earlier runs of transform_images to compare drop_rate with.');
  });

  it('orders the series by time whatever order the history comes in', () => {
    const runs = [runWith('c', 1, '3%'), runWith('a', 5, '1%'), runWith('d', 0.5, '4%'), runWith('b', 3, '2%')];
    assert.deepEqual(checkHistory(today, dropRate, runs).series.map((p) => p.jobRunId), ['a', 'b', 'c', 'd', 'abc123']);
  });

  it('counts a run at the same time as earlier, and leaves out runs without a time', () => {
    const untimed = pendingRun({ job_run_id: 'untimed', timestamp: null, status: 'SUCCESS', quality_checks: [{ name: 'drop_rate', status: 'PASS', value: '90%', threshold: '10%' }] });
    const result = checkHistory(today, dropRate, [untimed, runWith('same', 0, '5%'), runWith('h', 1, '1%')]);
    assert.deepEqual(result.series.map((p) => p.jobRunId), ['h', 'same', 'abc123']);
  });

  it('compares with every run when the run shown has no time', () => {
    const noTime = pendingRun({ timestamp: null });
    const check = noTime.qualityChecks.find((c) => c.name === 'drop_rate');
    assert.ok(check);
    const result = checkHistory(noTime, check, [runWith('later', -1, '20%'), runWith('h', 1, '1%')]);
    assert.deepEqual(result.series.map((p) => p.jobRunId), ['h', 'later', 'abc123']);
  });

  it('compares plain numbers as numbers', () => {
    const rows = pendingRun({ quality_checks: [{ name: 'row_count', status: 'FAIL', value: 1000, threshold: 5000 }] });
    const check = rows.qualityChecks[0];
    assert.ok(check);
    const past = [runWith('a', 1, 50000, 5000, 'row_count'), runWith('b', 2, '60,000', 5000, 'row_count'), runWith('c', 3, '5%', 5000, 'row_count')];
    const result = checkHistory(rows, check, past);
    assert.equal(result.isPercent, false);
    assert.deepEqual(result.series.map((p) => p.value), [null, 60000, 50000, 1000]);
    assert.equal(result.sentence, '1,000 is the lowest of the last 3 runs; median 55,000.');
  });
});

describe('checkHistories', () => {
  it('gives one history per failing check, failed first', () => {
    const run = pendingRun({
      quality_checks: [
        { name: 'null_rate', status: 'WARN', value: '4%', threshold: '5%' },
        { name: 'ok', status: 'PASS', value: 1, threshold: 2 },
        { name: 'drop_rate', status: 'FAIL', value: '12%', threshold: '10%' },
      ],
    });
    assert.deepEqual(checkHistories(run, []).map((h) => h.checkName), ['drop_rate', 'null_rate']);
  });
});

describe('medianOf', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    assert.equal(medianOf([3, 1, 2]), 2);
    assert.equal(medianOf([4, 1, 2, 3]), 2.5);
    assert.equal(medianOf([7]), 7);
    assert.equal(medianOf([]), null);
  });
});
