// How every surface says a span of time (core/durations): durations in their two largest
// units, ages in one or two, time left, and a run's duration in seconds.
import assert from 'node:assert/strict';
import { formatAge, formatDuration, formatSeconds, formatTimeLeft } from '../../src/core/durations';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 15, 10, 30);

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0m'],
    [59_999, '<1m'],
    [MIN, '1m'],
    [14 * MIN + 59_999, '14m'],
    [HOUR, '1h'],
    [3 * HOUR + 12 * MIN, '3h 12m'],
    [DAY - 1, '23h 59m'],
    [DAY, '1d'],
    [2 * DAY + 4 * HOUR + 59 * MIN, '2d 4h'],
    [-(3 * HOUR + 12 * MIN), '3h 12m'],
    [400 * DAY, '400d'],
    [Number.NaN, '?'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} ms as ${text}`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }
});

describe('formatAge and formatTimeLeft', () => {
  it('says the age in its largest unit, so a row moves at most once a minute in the first hour, then hourly', () => {
    assert.equal(formatAge(T0 - 30_000, T0, 1), 'just now');
    assert.equal(formatAge(T0 + MIN, T0, 1), 'just now');
    assert.equal(formatAge(T0 + 10 * MIN, T0, 1), 'in the future');
    assert.equal(formatAge(T0 - 59 * MIN, T0, 1), '59m ago');
    assert.equal(formatAge(T0 - 16 * HOUR - 59 * MIN, T0, 1), '16h ago');
    assert.equal(formatAge(T0 - 50 * HOUR, T0, 1), '2d ago');
    assert.equal(formatAge(null, T0, 1), 'unknown age');
  });

  it('says how long ago', () => {
    assert.equal(formatAge(T0, T0 + 3 * HOUR + 12 * MIN), '3h 12m ago');
    assert.equal(formatAge(T0, T0 + 30_000), 'just now');
    assert.equal(formatAge(T0, T0 - MIN), 'just now');
    assert.equal(formatAge(T0, T0 - HOUR), 'in the future');
    assert.equal(formatAge(null, T0), 'unknown age');
  });

  it('says how long is left, or by how much it is overdue', () => {
    assert.equal(formatTimeLeft(T0 + 14 * MIN, T0), '14m left');
    assert.equal(formatTimeLeft(T0, T0), 'overdue by 0m');
    assert.equal(formatTimeLeft(T0, T0 + 2 * DAY + 5 * HOUR), 'overdue by 2d 5h');
    assert.equal(formatTimeLeft(null, T0), 'no expiry');
  });
});

describe('formatSeconds', () => {
  it('formats durations in seconds', () => {
    assert.equal(formatSeconds(0), '0s');
    assert.equal(formatSeconds(0.4), '<1s');
    assert.equal(formatSeconds(42), '42s');
    assert.equal(formatSeconds(150), '2m 30s');
    assert.equal(formatSeconds(3600), '1h');
    assert.equal(formatSeconds(3725), '1h 2m');
    assert.equal(formatSeconds(2 * 86400 + 3 * 3600), '2d 3h');
    assert.equal(formatSeconds(3601), '1h', 'a zero second unit is left out');
    assert.equal(formatSeconds(-150), '-2m 30s', 'the sign is kept');
    assert.equal(formatSeconds(Number.NaN), 'NaN');
  });
});
