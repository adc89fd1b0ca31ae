import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { evidenceOf, evidenceSha256 } from '../../src/core/evidence';
import { parseJobRun } from '../../src/core/jobRunParser';
import { pendingDoc, pendingRun } from './fixtures';

describe('evidenceSha256', () => {
  const base = evidenceSha256(pendingRun());

  it('is lower-case hex SHA-256', () => {
    assert.match(base, /^[0-9a-f]{64}$/);
  });

  it('is the SHA-256 of a hand-written canonical JSON of what the reviewer sees', () => {
    const run = pendingRun({
      quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: 0.1 }],
      artifacts: { b: { path: 's3://b/', records: 2 }, a: { path: null, records: '1,000' } },
      records_read: 100, records_written: 88, records_dropped: 12, bytes_written: null, duration_seconds: 1.5,
      extract_duration_seconds: null, transform_duration_seconds: null, load_duration_seconds: null,
    });
    const expected =
      '{"artifacts":[{"name":"a","path":null,"records":1000},{"name":"b","path":"s3://b/","records":2}],' +
      '"evidence_version":1,' +
      '"metrics":{"bytes_written":null,"duration_seconds":1.5,"extract_duration_seconds":null,"load_duration_seconds":null,"records_dropped":12,"records_read":100,"records_written":88,"transform_duration_seconds":null},' +
      '"quality_checks":[{"name":"drop_rate","status":"FAIL","threshold":0.1,"value":"12.0%"}],' +
      '"quality_status":"RED"}';
    assert.equal(evidenceSha256(run), createHash('sha256').update(expected, 'utf8').digest('hex'));
  });

  it('is stable across parses of the same document, and across document ids', () => {
    const text = JSON.stringify(pendingDoc());
    assert.equal(evidenceSha256(parseJobRun('x', JSON.parse(text))), base);
    assert.equal(evidenceSha256(parseJobRun('y', JSON.parse(text))), base);
  });

  it('does not depend on the order of artifacts in the object', () => {
    const doc = pendingDoc();
    const artifacts = doc.artifacts as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(artifacts).reverse());
    assert.equal(evidenceSha256(pendingRun({ artifacts: reversed })), base);
  });

  it('does not change with what the reviewer is not shown as evidence (status, approval, timestamps)', () => {
    assert.equal(evidenceSha256(pendingRun({ timestamp: '2025-01-01T00:00:00Z', status: 'SUCCESS', event_type: 'x', triggered_by: 'cron' })), base);
  });

  const changes: Array<[string, Record<string, unknown>]> = [
    ['a check value', { quality_checks: [{ name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' }, { name: 'drop_rate', status: 'FAIL', value: '12.1%', threshold: '10.0%' }] }],
    ['a check value from text to a number', { quality_checks: [{ name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' }, { name: 'drop_rate', status: 'FAIL', value: 12, threshold: '10.0%' }] }],
    ['a check threshold', { quality_checks: [{ name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' }, { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '11.0%' }] }],
    ['a check status', { quality_checks: [{ name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' }, { name: 'drop_rate', status: 'WARN', value: '12.0%', threshold: '10.0%' }] }],
    ['the order of checks', { quality_checks: [{ name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' }, { name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' }] }],
    ['a metric', { records_dropped: 12001 }],
    ['quality_status', { quality_status: 'YELLOW' }],
    ['an artifact path', { artifacts: { nautilus: { path: 's3://elsewhere/', records: 50000 }, savedproject: { path: 's3://dwh-data/savedproject/transformed_images/year=2024/month=01/day=15/', records: 38000 } } }],
    ['an artifact count', { artifacts: { nautilus: { path: 's3://dwh-data/nautilus/transformed_images/year=2024/month=01/day=15/', records: 50001 }, savedproject: { path: 's3://dwh-data/savedproject/transformed_images/year=2024/month=01/day=15/', records: 38000 } } }],
  ];
  for (const [label, overrides] of changes) {
    it(`changes when ${label} changes`, () => {
      assert.notEqual(evidenceSha256(pendingRun(overrides)), base);
    });
  }

  it('hashes a run with nothing in it', () => {
    const empty = parseJobRun('d', null);
    assert.match(evidenceSha256(empty), /^[0-9a-f]{64}$/);
    assert.deepEqual(evidenceOf(empty).quality_checks, []);
  });
});
