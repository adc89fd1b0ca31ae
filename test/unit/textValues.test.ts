// The small readers the parser and the decision message share: dates, loose numbers and
// display shortening.

import assert from 'node:assert/strict';
import { MAX_DISPLAY_CHARS, truncateForDisplay } from '../../src/core/untrustedText';
import { parseLooseNumber } from '../../src/core/looseNumber';
import { isoFromMs, parseTimestampMs } from '../../src/core/timestamp';

describe('parseTimestampMs', () => {
  const valid: Array<[unknown, number]> = [
    ['2024-01-15T10:30:00Z', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15T10:30:00.123Z', Date.UTC(2024, 0, 15, 10, 30, 0, 123)],
    ['2024-01-15T10:30:00.123456Z', Date.UTC(2024, 0, 15, 10, 30, 0, 123)],
    ['2024-01-15T10:30:00+02:00', Date.UTC(2024, 0, 15, 8, 30)],
    ['2024-01-15T10:30:00-0530', Date.UTC(2024, 0, 15, 16, 0)],
    ['2024-01-15T10:30', Date.UTC(2024, 0, 15, 10, 30)],
    ['2024-01-15', Date.UTC(2024, 0, 15)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    // Date.UTC would read year 50 as 1950.
    ['0050-01-01T00:00:00Z', -60589296000000],
    [1705314600000, 1705314600000],
    ['1705314600000', 1705314600000],
  ];
  for (const [input, ms] of valid) {
    it(`reads ${JSON.stringify(input)}`, () => {
      assert.equal(parseTimestampMs(input), ms);
    });
  }

  it('reads a date without an offset as UTC, like OpenSearch, never as local time', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.equal(parseTimestampMs('2024-01-15 10:30:00'), Date.UTC(2024, 0, 15, 10, 30));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  const invalid: unknown[] = ['2024-02-30T00:00:00Z', '2023-02-29', '2024-13-01', '2024-01-15T24:00:00Z', '2024-01-15T10:60:00Z', 'yesterday', '', '15/01/2024', null, undefined, true, {}, [], Number.NaN, Number.POSITIVE_INFINITY, 1e20];
  for (const input of invalid) {
    it(`refuses ${String(JSON.stringify(input) ?? input)}`, () => {
      assert.equal(parseTimestampMs(input), null);
    });
  }

  it('isoFromMs writes ISO 8601 UTC, or null', () => {
    assert.equal(isoFromMs(0), '1970-01-01T00:00:00.000Z');
    assert.equal(isoFromMs(null), null);
    assert.equal(isoFromMs(Number.NaN), null);
  });
});

describe('parseLooseNumber', () => {
  const cases: Array<[unknown, number | null]> = [
    [12, 12],
    ['12', 12],
    [' 12.5 ', 12.5],
    ['1,000', 1000],
    ['1,234,567.89', 1234567.89],
    ['-1,000', -1000],
    ['1e3', 1000],
    ['.5', 0.5],
    ['1,5', null],
    ['1,00', null],
    ['12%', null],
    ['n/a', null],
    ['', null],
    ['Infinity', null],
    ['1e999', null],
    [Number.NaN, null],
    [true, null],
    [null, null],
    [{}, null],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${JSON.stringify(input)} as ${String(expected)}`, () => {
      assert.equal(parseLooseNumber(input), expected);
    });
  }
});

describe('truncateForDisplay', () => {
  it('leaves short text alone', () => {
    assert.equal(truncateForDisplay('short'), 'short');
    assert.equal(truncateForDisplay('x'.repeat(MAX_DISPLAY_CHARS)).length, MAX_DISPLAY_CHARS);
  });

  it('shortens long text to the limit, ellipsis included', () => {
    const out = truncateForDisplay('x'.repeat(10_000));
    assert.equal(out.length, MAX_DISPLAY_CHARS);
    assert.ok(out.endsWith('…'));
    assert.equal(truncateForDisplay('abcdef', 4), 'abc…');
  });

  it('never cuts an emoji in half', () => {
    const out = truncateForDisplay('ab🚀cd', 4);
    assert.equal(out, 'ab…');
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(out));
  });
});
