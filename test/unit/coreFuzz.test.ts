// Everything downstream of the parser must cope with whatever a messy document parsed to:
// formatting, sorting, expiry, history and the evidence hash never throw.

import assert from 'node:assert/strict';
import { failingChecks, formatCheck, readCheck, sortChecksForDisplay } from '../../src/core/checkFormat';
import { evidenceSha256 } from '../../src/core/evidence';
import { formatAge, formatTimeLeft } from '../../src/core/durations';
import { compareByExpiry, expiryOf, sortByExpiry, urgencyOf } from '../../src/core/expiry';
import { checkHistories } from '../../src/core/historyStats';
import { parseJobRun } from '../../src/core/jobRunParser';
import { collapseNewestPerRun, isPending } from '../../src/core/pendingQuery';
import { randomDocument, seededRandom } from './fixtures';

describe('the core on random documents', () => {
  const random = seededRandom(4242);
  const runs = Array.from({ length: 500 }, (_, i) => parseJobRun(`fuzz-${i}`, randomDocument(random)));
  const now = Date.UTC(2024, 0, 16);

  it('formats every check of 500 random runs as text', () => {
    for (const run of runs) {
      for (const check of sortChecksForDisplay(run.qualityChecks)) {
        assert.equal(typeof formatCheck(check), 'string');
        const reading = readCheck(check);
        assert.ok(reading.sign === null || ['>', '<', '='].includes(reading.sign));
      }
      assert.ok(failingChecks(run).length <= run.qualityChecks.length);
    }
  });

  it('computes expiry, urgency and time texts for them', () => {
    for (const run of runs) {
      const expiry = expiryOf(run, 72);
      assert.ok(expiry === null || Number.isFinite(expiry));
      assert.ok(['overdue', 'urgent', 'expiring', 'normal'].includes(urgencyOf(expiry, now)));
      assert.equal(typeof formatTimeLeft(expiry, now), 'string');
      assert.equal(typeof formatAge(run.timestampMs, now), 'string');
      assert.equal(typeof isPending(run), 'boolean');
    }
  });

  it('sorts them with each expiry worked out once in the order compareByExpiry gives', () => {
    for (const ttlHours of [72, 1]) {
      const expected = [...runs].sort((a, b) => compareByExpiry(a, b, ttlHours));
      assert.deepEqual(sortByExpiry([...runs].reverse(), ttlHours).map((run) => run.documentId), expected.map((run) => run.documentId));
    }
  });

  it('sorts them by expiry consistently (antisymmetric, total)', () => {
    const sorted = [...runs].sort((a, b) => compareByExpiry(a, b));
    for (let i = 1; i < sorted.length; i += 1) {
      const a = sorted[i - 1];
      const b = sorted[i];
      assert.ok(a && b && compareByExpiry(a, b) <= 0);
    }
    const first = runs[0];
    const second = runs[1];
    assert.ok(first && second);
    assert.equal(Math.sign(compareByExpiry(first, second)), -Math.sign(compareByExpiry(second, first)));
  });

  it('hashes their evidence', () => {
    for (const run of runs) {
      assert.match(evidenceSha256(run), /^[0-9a-f]{64}$/);
    }
  });

  it('compares their failing checks with each other as history', () => {
    const history = collapseNewestPerRun(runs.slice(0, 100));
    for (const run of runs.slice(100, 200)) {
      for (const item of checkHistories(run, history)) {
        assert.equal(typeof item.sentence, 'string');
        assert.ok(item.sentence.length > 0);
        assert.equal(item.series.at(-1)?.isToday, true);
      }
    }
  });
});
