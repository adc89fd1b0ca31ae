import assert from 'node:assert/strict';
import {
  checkSeverity,
  failingChecks,
  formatCheck,
  formatNumber,
  formatPercent,
  parseCheckValue,
  primaryFailingCheck,
  readCheck,
  sortChecksForDisplay,
  toPercentPoints,
} from '../../src/core/checkFormat';
import type { CheckValue, QualityCheck } from '../../src/core/model';
import { pendingRun } from './fixtures';

function check(name: string, value: CheckValue, threshold: CheckValue, status: string | null = 'FAIL'): QualityCheck {
  return { name, status, value, threshold };
}

describe('parseCheckValue', () => {
  const cases: Array<[CheckValue, { numeric: number | null; isPercent: boolean; text: string }]> = [
    ['12.0%', { numeric: 12, isPercent: true, text: '12.0%' }],
    ['12%', { numeric: 12, isPercent: true, text: '12%' }],
    [' 12 % ', { numeric: 12, isPercent: true, text: '12 %' }],
    ['-3.5%', { numeric: -3.5, isPercent: true, text: '-3.5%' }],
    ['.5%', { numeric: 0.5, isPercent: true, text: '.5%' }],
    ['1,200.5%', { numeric: 1200.5, isPercent: true, text: '1,200.5%' }],
    [0.12, { numeric: 0.12, isPercent: false, text: '0.12' }],
    ['0.12', { numeric: 0.12, isPercent: false, text: '0.12' }],
    ['1,000', { numeric: 1000, isPercent: false, text: '1,000' }],
    [1000, { numeric: 1000, isPercent: false, text: '1,000' }],
    ['1e3', { numeric: 1000, isPercent: false, text: '1e3' }],
    ['n/a', { numeric: null, isPercent: false, text: 'n/a' }],
    ['%', { numeric: null, isPercent: false, text: '%' }],
    ['1,5', { numeric: null, isPercent: false, text: '1,5' }],
    ['', { numeric: null, isPercent: false, text: 'no value' }],
    [null, { numeric: null, isPercent: false, text: 'no value' }],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseCheckValue(input), expected);
    });
  }
});

describe('formatCheck', () => {
  describe('same units', () => {
    it('shows the seed example: drop_rate 12.0% > 10.0%', () => {
      assert.equal(formatCheck(check('drop_rate', '12.0%', '10.0%')), 'drop_rate 12.0% > 10.0%');
    });
    it('uses < and = as the numbers say', () => {
      assert.equal(formatCheck(check('null_rate', '2.0%', '5.0%')), 'null_rate 2.0% < 5.0%');
      assert.equal(formatCheck(check('null_rate', '5%', '5.0%')), 'null_rate 5% = 5.0%');
    });
    it('compares plain numbers as numbers, not text ("900" < 1,000)', () => {
      assert.equal(formatCheck(check('row_count', 1000, '900')), 'row_count 1,000 > 900');
      assert.equal(formatCheck(check('row_count', '1,000', '999')), 'row_count 1,000 > 999');
    });
  });

  describe('rule 2: a bare number beside a percent', () => {
    it('reads a fraction beside a percent as a fraction (0.12 vs "10.0%")', () => {
      assert.equal(formatCheck(check('drop_rate', 0.12, '10.0%')), 'drop_rate 12.0% > 10.0%');
    });
    it('works with the percent on the value side too ("12.0%" vs 0.1)', () => {
      assert.equal(formatCheck(check('drop_rate', '12.0%', 0.1)), 'drop_rate 12.0% > 10.0%');
    });
    it('reads a number above 1 as percent points (12 vs "10%")', () => {
      assert.equal(formatCheck(check('drop_rate', 12, '10%')), 'drop_rate 12.0% > 10%');
    });
    it('reads a small number as points when that is nearer the percent (0.5 vs "0.8%")', () => {
      assert.equal(formatCheck(check('error_rate', 0.5, '0.8%')), 'error_rate 0.5% < 0.8%');
    });
    it('reads zero as 0%', () => {
      assert.equal(formatCheck(check('drop_rate', 0, '5%')), 'drop_rate 0.0% < 5%');
    });
    it('takes a fraction when both readings are equally near', () => {
      // 0.1 as a fraction is 10% (10x off 1%), as points 0.1% (10x off 1%): fraction wins.
      assert.equal(toPercentPoints(0.1, 1), 10);
    });
    it('takes a fraction when there is no percent to compare with', () => {
      assert.equal(toPercentPoints(0.25, null), 25);
      assert.equal(toPercentPoints(25, null), 25);
    });
  });

  describe('rules 3-5: both sides bare numbers', () => {
    it('shows *_rate fractions as percent (0.12 vs 0.1)', () => {
      assert.equal(formatCheck(check('drop_rate', 0.12, 0.1)), 'drop_rate 12.0% > 10.0%');
      assert.equal(formatCheck(check('match_ratio', 0.97, 0.99)), 'match_ratio 97.0% < 99.0%');
    });
    it('avoids floating-point noise (0.07 is 7.0%, not 7.000000000000001%)', () => {
      assert.equal(formatCheck(check('drop_rate', 0.07, 0.1)), 'drop_rate 7.0% < 10.0%');
    });
    it('does not scale a *_rate whose numbers cannot be fractions', () => {
      assert.equal(formatCheck(check('rows_per_second_rate', 1500, 1000)), 'rows_per_second_rate 1,500 > 1,000');
    });
    it('reads *_pct numbers as percent points, even small ones', () => {
      assert.equal(formatCheck(check('drop_pct', 12, 10)), 'drop_pct 12.0% > 10.0%');
      assert.equal(formatCheck(check('drop_pct', 0.12, 0.1)), 'drop_pct 0.12% > 0.1%');
      assert.equal(formatCheck(check('null_percent', 3, 5)), 'null_percent 3.0% < 5.0%');
    });
    it('leaves other names as plain numbers', () => {
      assert.equal(formatCheck(check('duplicates', 0.12, 0.1)), 'duplicates 0.12 > 0.1');
    });
  });

  describe('missing or non-numeric sides', () => {
    it('shows text that is not a number without a sign', () => {
      assert.equal(formatCheck(check('schema_check', 'mismatch', 'strict')), 'schema_check mismatch (threshold strict)');
      assert.equal(formatCheck(check('drop_rate', 'n/a', '10%')), 'drop_rate n/a (threshold 10%)');
    });
    it('says when the value is missing', () => {
      assert.equal(formatCheck(check('drop_rate', null, '10%')), 'drop_rate no value (threshold 10%)');
    });
    it('shows only the value when there is no threshold', () => {
      assert.equal(formatCheck(check('drop_rate', '12.0%', null)), 'drop_rate 12.0%');
    });
    it('says when both are missing', () => {
      assert.equal(formatCheck(check('drop_rate', null, null)), 'drop_rate: no value');
    });
    it('keeps markup as text', () => {
      assert.equal(formatCheck(check('<b>x</b>', '<i>1</i>', '2')), '<b>x</b> <i>1</i> (threshold 2)');
    });
  });

  it('readCheck reports both sides in one unit', () => {
    assert.deepEqual(readCheck(check('drop_rate', 0.12, '10.0%')), {
      value: 12,
      threshold: 10,
      isPercent: true,
      valueText: '12.0%',
      thresholdText: '10.0%',
      sign: '>',
    });
  });
});

describe('formatPercent and formatNumber', () => {
  it('gives one decimal, or two when the value has them', () => {
    assert.equal(formatPercent(12), '12.0%');
    assert.equal(formatPercent(12.34), '12.34%');
    assert.equal(formatPercent(0.012), '0.012%');
    assert.equal(formatPercent(100 / 3), '33.33%');
    assert.equal(formatPercent(-2.5), '-2.5%');
  });

  it('shows at most two decimals, and two significant digits below 0.1%', () => {
    assert.equal(formatPercent(1.4443), '1.44%');
    assert.equal(formatPercent(12.000000000000002), '12.0%');
    assert.equal(formatPercent(0.12), '0.12%');
    assert.equal(formatPercent(0.05), '0.05%');
    assert.equal(formatPercent(0.0042), '0.0042%');
    assert.equal(formatPercent(0.012345), '0.012%');
    assert.equal(formatPercent(0), '0.0%');
    assert.equal(formatPercent(Number.NaN), 'NaN%');
  });

  it('shortens percent text written with more than two decimals, and keeps other text as written', () => {
    assert.equal(formatCheck(check('drop_rate', '1.4443%', '1.0%')), 'drop_rate 1.44% > 1.0%');
    assert.equal(formatCheck(check('drop_rate', '12%', '10.00%')), 'drop_rate 12% > 10.00%');
    assert.equal(formatCheck(check('drop_rate', 0.014443, '1%')), 'drop_rate 1.44% > 1%');
    assert.equal(formatCheck(check('drop_rate', 0.014443, 0.01)), 'drop_rate 1.44% > 1.0%');
  });

  it('groups thousands and keeps tiny numbers visible', () => {
    assert.equal(formatNumber(100000), '100,000');
    assert.equal(formatNumber(1.5), '1.5');
    assert.equal(formatNumber(1e-7), '1e-7');
  });
});

describe('failing checks', () => {
  const statuses = ['PASS', 'WARN', 'FAIL', 'YELLOW', 'RED', null, 'ERROR', 'weird'];
  const run = pendingRun({ quality_checks: statuses.map((status, i) => ({ name: `c${i}`, status, value: i, threshold: 1 })) });

  it('lists failed checks (FAIL, RED, ERROR) before warnings (WARN, YELLOW), each in document order', () => {
    assert.deepEqual(
      failingChecks(run).map((c) => `${c.name}:${c.status ?? ''}`),
      ['c2:FAIL', 'c4:RED', 'c6:ERROR', 'c1:WARN', 'c3:YELLOW'],
    );
  });

  it('picks the first failed check as the primary one', () => {
    assert.equal(primaryFailingCheck(run)?.name, 'c2');
  });

  it('falls back to a warning, then to null', () => {
    assert.equal(primaryFailingCheck(pendingRun({ quality_checks: [{ name: 'w', status: 'warn', value: 1, threshold: 2 }] }))?.name, 'w');
    assert.equal(primaryFailingCheck(pendingRun({ quality_checks: [{ name: 'p', status: 'PASS', value: 1, threshold: 2 }] })), null);
    assert.equal(primaryFailingCheck(pendingRun({ quality_checks: [] })), null);
  });

  it('names the seed run’s drop_rate check', () => {
    const seed = pendingRun();
    const primary = primaryFailingCheck(seed);
    assert.ok(primary);
    assert.equal(formatCheck(primary), 'drop_rate 12.0% > 10.0%');
  });

  it('sorts every check for display: failed, warnings, unknown, passed', () => {
    assert.deepEqual(
      sortChecksForDisplay(run.qualityChecks).map((c) => c.name),
      ['c2', 'c4', 'c6', 'c1', 'c3', 'c5', 'c7', 'c0'],
    );
  });

  it('reads severities case-insensitively', () => {
    assert.equal(checkSeverity('failed'), 'fail');
    assert.equal(checkSeverity(' Warning '), 'warn');
    assert.equal(checkSeverity('green'), 'pass');
    assert.equal(checkSeverity(null), 'unknown');
  });
});
