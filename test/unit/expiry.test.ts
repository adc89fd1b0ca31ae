import assert from 'node:assert/strict';
import { compareByExpiry, DEFAULT_TTL_HOURS, expiryOf, urgencyOf } from '../../src/core/expiry';
import { pendingRun } from './fixtures';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 15, 10, 30);

describe('expiryOf', () => {
  it('is timestamp + 72 h by default', () => {
    assert.equal(DEFAULT_TTL_HOURS, 72);
    assert.equal(expiryOf(pendingRun()), T0 + 72 * HOUR);
  });

  it('uses the ttl setting', () => {
    assert.equal(expiryOf(pendingRun(), 24), T0 + 24 * HOUR);
    assert.equal(expiryOf(pendingRun(), 0.5), T0 + 30 * MIN);
  });

  it('lets expires_at win over the ttl', () => {
    assert.equal(expiryOf(pendingRun({ expires_at: '2024-01-15T11:00:00Z' }), 72), Date.UTC(2024, 0, 15, 11));
  });

  it('falls back to the default for a broken ttl setting', () => {
    assert.equal(expiryOf(pendingRun(), Number.NaN), T0 + 72 * HOUR);
    assert.equal(expiryOf(pendingRun(), -5), T0 + 72 * HOUR);
  });

  it('is null without timestamp or expires_at', () => {
    assert.equal(expiryOf(pendingRun({ timestamp: null })), null);
    assert.equal(expiryOf(pendingRun({ timestamp: 'garbage' })), null);
  });

  it('uses expires_at even without a timestamp', () => {
    assert.equal(expiryOf(pendingRun({ timestamp: null, expires_at: '2024-01-16T00:00:00Z' })), Date.UTC(2024, 0, 16));
  });
});

describe('urgencyOf', () => {
  const expiry = T0;
  const cases: Array<[string, number, string]> = [
    ['long before', expiry - 2 * HOUR, 'normal'],
    ['exactly 1 h before', expiry - HOUR, 'normal'],
    ['1 ms under 1 h before', expiry - HOUR + 1, 'expiring'],
    ['exactly 15 min before', expiry - 15 * MIN, 'expiring'],
    ['1 ms under 15 min before', expiry - 15 * MIN + 1, 'urgent'],
    ['1 ms before', expiry - 1, 'urgent'],
    ['at expiry', expiry, 'overdue'],
    ['after expiry', expiry + DAY, 'overdue'],
  ];
  for (const [label, now, urgency] of cases) {
    it(`is ${urgency} ${label}`, () => {
      assert.equal(urgencyOf(expiry, now), urgency);
    });
  }
  it('is normal when the expiry is unknown', () => {
    assert.equal(urgencyOf(null, T0), 'normal');
  });
});


describe('compareByExpiry', () => {
  it('sorts soonest first, unknown expiry last, ties by job_run_id then document id', () => {
    const runs = [
      pendingRun({ job_run_id: 'none', timestamp: null }, 'd1'),
      pendingRun({ job_run_id: 'late', timestamp: '2024-01-16T00:00:00Z' }, 'd2'),
      pendingRun({ job_run_id: 'b', timestamp: '2024-01-15T00:00:00Z' }, 'd3'),
      pendingRun({ job_run_id: 'a', timestamp: '2024-01-15T00:00:00Z' }, 'd5'),
      pendingRun({ job_run_id: 'a', timestamp: '2024-01-15T00:00:00Z' }, 'd4'),
      pendingRun({ job_run_id: 'explicit', expires_at: '2024-01-15T01:00:00Z' }, 'd6'),
      pendingRun({ job_run_id: 'also-none', timestamp: null }, 'd7'),
    ];
    const sorted = [...runs].sort((x, y) => compareByExpiry(x, y, 72));
    assert.deepEqual(
      sorted.map((r) => `${r.jobRunId}/${r.documentId}`),
      ['explicit/d6', 'a/d4', 'a/d5', 'b/d3', 'late/d2', 'also-none/d7', 'none/d1'],
    );
  });

  it('sorts by code units, not locale ("B" before "a")', () => {
    const a = pendingRun({ job_run_id: 'a' });
    const B = pendingRun({ job_run_id: 'B' });
    assert.ok(compareByExpiry(B, a) < 0);
    assert.equal(compareByExpiry(a, a), 0);
  });
});
