import assert from 'node:assert/strict';
import { MAX_DISPLAY_CHARS } from '../../src/core/untrustedText';
import { MAX_CHECKS, MAX_PATH_CHARS, MAX_PROBLEMS, MISSING_JOB_NAME, MISSING_JOB_RUN_ID, parseJobRun } from '../../src/core/jobRunParser';
import type { JobRun } from '../../src/core/model';
import { pendingDoc, randomDocument, randomJson, seededRandom } from './fixtures';

function problemsMatching(run: JobRun, pattern: RegExp): string[] {
  return run.problems.filter((p) => pattern.test(p));
}

describe('parseJobRun', () => {
  describe('a well-formed document', () => {
    const run = parseJobRun('doc-1', pendingDoc());

    it('reads every field', () => {
      assert.equal(run.documentId, 'doc-1');
      assert.equal(run.jobName, 'transform_images');
      assert.equal(run.jobRunId, 'abc123');
      assert.equal(run.timestamp, '2024-01-15T10:30:00.000Z');
      assert.equal(run.timestampMs, Date.UTC(2024, 0, 15, 10, 30));
      assert.equal(run.eventType, 'job_completed');
      assert.equal(run.status, 'PENDING_APPROVAL');
      assert.equal(run.failureType, 'QUALITY');
      assert.equal(run.qualityStatus, 'RED');
      assert.deepEqual(run.qualityChecks, [
        { name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' },
        { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' },
      ]);
      assert.equal(run.artifactsAvailable, true);
      assert.deepEqual(run.artifacts, [
        { name: 'nautilus', path: 's3://dwh-data/nautilus/transformed_images/year=2024/month=01/day=15/', records: 50000 },
        { name: 'savedproject', path: 's3://dwh-data/savedproject/transformed_images/year=2024/month=01/day=15/', records: 38000 },
      ]);
      assert.deepEqual(run.metrics, {
        recordsRead: 100000,
        recordsWritten: 88000,
        recordsDropped: 12000,
        bytesWritten: 1288490189,
        durationSeconds: 150,
        extractDurationSeconds: 30,
        transformDurationSeconds: 90,
        loadDurationSeconds: 30,
      });
      assert.equal(run.approval, null);
      assert.equal(run.expiresAt, null);
      assert.equal(run.errorType, null);
      assert.equal(run.errorMessage, null);
      assert.equal(run.triggeredBy, null);
    });

    it('has no problems to report', () => {
      assert.deepEqual(run.problems, []);
    });
  });

  describe('missing identity', () => {
    it('uses placeholders and says job_name and job_run_id are missing', () => {
      const run = parseJobRun('d', pendingDoc({ job_name: undefined, job_run_id: null }));
      assert.equal(run.jobName, MISSING_JOB_NAME);
      assert.equal(run.jobRunId, MISSING_JOB_RUN_ID);
      assert.ok(run.problems.includes('job_name is missing.'));
      assert.ok(run.problems.includes('job_run_id is missing.'));
    });

    it('treats an empty or blank id as missing', () => {
      const run = parseJobRun('d', pendingDoc({ job_run_id: '   ' }));
      assert.equal(run.jobRunId, MISSING_JOB_RUN_ID);
      assert.deepEqual(problemsMatching(run, /job_run_id/), ['job_run_id is empty.']);
    });

    it('reads a numeric id as its text', () => {
      const run = parseJobRun('d', pendingDoc({ job_run_id: 12345 }));
      assert.equal(run.jobRunId, '12345');
    });

    it('refuses an object as an id and says so', () => {
      const run = parseJobRun('d', pendingDoc({ job_name: { first: 'a' } }));
      assert.equal(run.jobName, MISSING_JOB_NAME);
      assert.deepEqual(problemsMatching(run, /job_name/), ['job_name is an object, not text.']);
    });

    it('keeps a very long id whole, since a shortened id would name another run', () => {
      const id = 'r'.repeat(5000);
      const run = parseJobRun('d', pendingDoc({ job_run_id: id }));
      assert.equal(run.jobRunId, id);
      assert.deepEqual(problemsMatching(run, /job_run_id/), ['job_run_id is unusually long (5000 characters).']);
    });
  });

  describe('wrong types', () => {
    it('reads numbers written as text, with thousands separators', () => {
      const run = parseJobRun('d', pendingDoc({ records_read: '100,000', records_written: '88000', records_dropped: ' 12000 ', duration_seconds: '1.5e2' }));
      assert.equal(run.metrics.recordsRead, 100000);
      assert.equal(run.metrics.recordsWritten, 88000);
      assert.equal(run.metrics.recordsDropped, 12000);
      assert.equal(run.metrics.durationSeconds, 150);
      assert.deepEqual(run.problems, []);
    });

    it('leaves a metric that is not a number empty and quotes it', () => {
      const run = parseJobRun('d', pendingDoc({ records_read: 'n/a', bytes_written: true, records_dropped: [1] }));
      assert.equal(run.metrics.recordsRead, null);
      assert.equal(run.metrics.bytesWritten, null);
      assert.equal(run.metrics.recordsDropped, null);
      assert.ok(run.problems.includes('records_read is not a number: "n/a".'));
      assert.ok(run.problems.includes('bytes_written is not a number: true.'));
      assert.ok(run.problems.includes('records_dropped is not a number: [1].'));
    });

    it('does not take "1,5" (a European decimal?) for a number', () => {
      const run = parseJobRun('d', pendingDoc({ records_read: '1,5' }));
      assert.equal(run.metrics.recordsRead, null);
    });

    it('reads booleans written as text or 0/1', () => {
      assert.equal(parseJobRun('d', pendingDoc({ artifacts_available: 'true' })).artifactsAvailable, true);
      assert.equal(parseJobRun('d', pendingDoc({ artifacts_available: 'FALSE' })).artifactsAvailable, false);
      assert.equal(parseJobRun('d', pendingDoc({ artifacts_available: 1 })).artifactsAvailable, true);
      assert.equal(parseJobRun('d', pendingDoc({ artifacts_available: 'no' })).artifactsAvailable, false);
      const odd = parseJobRun('d', pendingDoc({ artifacts_available: 'maybe' }));
      assert.equal(odd.artifactsAvailable, null);
      assert.ok(odd.problems.includes('artifacts_available is not true or false: "maybe".'));
    });

    it('upper-cases and trims status words, since they are compared with fixed words', () => {
      const run = parseJobRun('d', pendingDoc({ status: ' pending_approval ', quality_status: 'red' }));
      assert.equal(run.status, 'PENDING_APPROVAL');
      assert.equal(run.qualityStatus, 'RED');
    });

    it('shows an object where text was expected as its JSON, and says so', () => {
      const run = parseJobRun('d', pendingDoc({ failure_type: { kind: 'QUALITY' } }));
      assert.equal(run.failureType, '{"kind":"QUALITY"}');
      assert.ok(run.problems.includes('failure_type is an object, not text; it is shown as JSON.'));
    });

    it('reads epoch milliseconds as a timestamp, as OpenSearch does', () => {
      const ms = Date.UTC(2024, 0, 15, 10, 30);
      assert.equal(parseJobRun('d', pendingDoc({ timestamp: ms })).timestampMs, ms);
      assert.equal(parseJobRun('d', pendingDoc({ timestamp: String(ms) })).timestampMs, ms);
    });

    it('says when the timestamp is missing or not a date', () => {
      const missing = parseJobRun('d', pendingDoc({ timestamp: undefined }));
      assert.equal(missing.timestampMs, null);
      assert.equal(missing.timestamp, null);
      assert.equal(problemsMatching(missing, /timestamp is missing/).length, 1);
      const bad = parseJobRun('d', pendingDoc({ timestamp: 'yesterday' }));
      assert.equal(bad.timestampMs, null);
      assert.ok(bad.problems.includes('timestamp is not a date: "yesterday".'));
    });
  });

  describe('quality_checks', () => {
    it('takes a single object as a one-check list', () => {
      const run = parseJobRun('d', pendingDoc({ quality_checks: { name: 'drop_rate', status: 'fail', value: 0.12, threshold: 0.1 } }));
      assert.deepEqual(run.qualityChecks, [{ name: 'drop_rate', status: 'FAIL', value: 0.12, threshold: 0.1 }]);
      assert.ok(run.problems.includes('quality_checks is a single check, not a list.'));
    });

    it('skips entries that are not objects, and names them', () => {
      const run = parseJobRun('d', pendingDoc({ quality_checks: ['drop_rate', null, 7, { name: 'ok', status: 'PASS', value: 1, threshold: 2 }] }));
      assert.equal(run.qualityChecks.length, 1);
      assert.deepEqual(problemsMatching(run, /quality check/), [
        'quality check 1 is text, not a check; it is skipped.',
        'quality check 2 is null, not a check; it is skipped.',
        'quality check 3 is a number, not a check; it is skipped.',
      ]);
    });

    it('accepts number, string and null values and thresholds', () => {
      const run = parseJobRun('d', pendingDoc({ quality_checks: [{ name: 'a', status: 'FAIL', value: 12, threshold: null }, { name: 'b', status: 'WARN', value: '1,000', threshold: '900' }] }));
      assert.deepEqual(
        run.qualityChecks.map((c) => [c.value, c.threshold]),
        [[12, null], ['1,000', '900']],
      );
    });

    it('names a check without a name', () => {
      const run = parseJobRun('d', pendingDoc({ quality_checks: [{ status: 'FAIL', value: 1 }] }));
      assert.equal(run.qualityChecks[0]?.name, '(unnamed check 1)');
      assert.ok(run.problems.includes('quality check 1 has no name.'));
    });

    it('says what quality_checks is when it is not a list', () => {
      const run = parseJobRun('d', pendingDoc({ quality_checks: 'drop_rate failed' }));
      assert.deepEqual(run.qualityChecks, []);
      assert.ok(run.problems.includes('quality_checks is text, not a list of checks.'));
    });

    it('is empty without a problem when quality_checks is missing', () => {
      const run = parseJobRun('d', pendingDoc({ quality_checks: undefined }));
      assert.deepEqual(run.qualityChecks, []);
      assert.deepEqual(run.problems, []);
    });

    it(`keeps at most ${MAX_CHECKS} checks`, () => {
      const checks = Array.from({ length: MAX_CHECKS + 50 }, (_, i) => ({ name: `c${i}`, status: 'PASS', value: i, threshold: 1000 }));
      const run = parseJobRun('d', pendingDoc({ quality_checks: checks }));
      assert.equal(run.qualityChecks.length, MAX_CHECKS);
      assert.ok(run.problems.includes(`quality_checks lists ${MAX_CHECKS + 50} checks; only the first ${MAX_CHECKS} are shown.`));
    });

    it('names the check and the artifact in each note about their parts', () => {
      const long = 'x'.repeat(5000);
      const run = parseJobRun('d', pendingDoc({
        quality_checks: [{ name: { n: 1 }, status: ['FAIL'], value: { v: 1 }, threshold: { t: 2 } }],
        artifacts: { out: { path: long, records: 'lots' }, raw: long },
      }));
      for (const note of [
        'The name of quality check 1 is an object, not text; it is shown as JSON.',
        'The status of check {"n":1} is a list, not text; it is shown as JSON.',
        'The value of check {"n":1} is an object, not text; it is shown as JSON.',
        'The threshold of check {"n":1} is an object, not text; it is shown as JSON.',
        `The path of artifact out is 5000 characters long; only the first ${MAX_PATH_CHARS} are shown.`,
        'The records of artifact out is not a number: "lots".',
        `The path of artifact raw is 5000 characters long; only the first ${MAX_PATH_CHARS} are shown.`,
      ]) assert.ok(run.problems.includes(note), `${note}\nin ${JSON.stringify(run.problems, null, 1)}`);
    });

    it('reads the nested quality object of an unflattened event', () => {
      const run = parseJobRun('d', pendingDoc({ quality_status: undefined, quality_checks: undefined, quality: { status: 'YELLOW', checks: [{ name: 'x', status: 'WARN', value: 1, threshold: 2 }] } }));
      assert.equal(run.qualityStatus, 'YELLOW');
      assert.equal(run.qualityChecks[0]?.name, 'x');
    });
  });

  describe('artifacts', () => {
    it('says when an artifact is not {path, records} but still lists its name', () => {
      const run = parseJobRun('d', pendingDoc({ artifacts: { a: 42, b: null, c: { path: 's3://x/', records: 'many' } } }));
      assert.deepEqual(run.artifacts, [
        { name: 'a', path: null, records: null },
        { name: 'b', path: null, records: null },
        { name: 'c', path: 's3://x/', records: null },
      ]);
      assert.ok(run.problems.includes('artifact a is a number, not {path, records}.'));
      assert.ok(run.problems.includes('The records of artifact c is not a number: "many".'));
    });

    it('reads a bare string as the path', () => {
      const run = parseJobRun('d', pendingDoc({ artifacts: { a: 's3://bucket/key/' } }));
      assert.deepEqual(run.artifacts, [{ name: 'a', path: 's3://bucket/key/', records: null }]);
    });

    it('reads a list of named artifacts, and says it is a list', () => {
      const run = parseJobRun('d', pendingDoc({ artifacts: [{ name: 'n', path: 'p', records: 3 }, 'loose'] }));
      assert.deepEqual(run.artifacts, [
        { name: 'n', path: 'p', records: 3 },
        { name: '(artifact 2)', path: 'loose', records: null },
      ]);
      assert.ok(run.problems.includes('artifacts is a list, not an object of named artifacts.'));
    });

    it('says when artifacts is neither', () => {
      const run = parseJobRun('d', pendingDoc({ artifacts: 'see s3' }));
      assert.deepEqual(run.artifacts, []);
      assert.ok(run.problems.includes('artifacts is text, not an object of named artifacts.'));
    });
  });

  describe('approval', () => {
    it('is null while approval_status is absent or null', () => {
      assert.equal(parseJobRun('d', pendingDoc()).approval, null);
      assert.equal(parseJobRun('d', pendingDoc({ approval_status: undefined })).approval, null);
    });

    it('is read when approval_status is present', () => {
      const run = parseJobRun('d', pendingDoc({ approval_status: 'approved', approved_by: 'jsmith', approval_reason: 'Known vendor issue', approval_timestamp: '2024-01-15T11:00:00Z' }));
      assert.deepEqual(run.approval, { status: 'APPROVED', approvedBy: 'jsmith', reason: 'Known vendor issue', timestamp: '2024-01-15T11:00:00.000Z' });
    });

    it('is present for an empty approval_status, as OpenSearch exists would say', () => {
      const run = parseJobRun('d', pendingDoc({ approval_status: '' }));
      assert.equal(run.approval?.status, '(empty)');
      assert.ok(run.problems.includes('approval_status is empty.'));
    });

    it('keeps an unreadable approval_timestamp as text and says so', () => {
      const run = parseJobRun('d', pendingDoc({ approval_status: 'REJECTED', approval_timestamp: 'soon' }));
      assert.equal(run.approval?.timestamp, 'soon');
      assert.ok(run.problems.includes('approval_timestamp is not a date: "soon".'));
    });
  });

  describe('expires_at and other optional fields', () => {
    it('reads a valid expires_at', () => {
      assert.equal(parseJobRun('d', pendingDoc({ expires_at: '2024-01-16T00:00:00+02:00' })).expiresAt, '2024-01-15T22:00:00.000Z');
    });

    it('ignores an invalid expires_at and says the default applies', () => {
      const run = parseJobRun('d', pendingDoc({ expires_at: 'never' }));
      assert.equal(run.expiresAt, null);
      assert.ok(run.problems.includes('expires_at is not a date: "never"; the default expiry is used.'));
    });

    it('reads error fields, flat or nested', () => {
      const flat = parseJobRun('d', pendingDoc({ error_type: 'SchemaError', error_message: 'column x missing' }));
      assert.deepEqual([flat.errorType, flat.errorMessage], ['SchemaError', 'column x missing']);
      const nested = parseJobRun('d', pendingDoc({ error: { type: 'IOError', message: 'disk full' } }));
      assert.deepEqual([nested.errorType, nested.errorMessage], ['IOError', 'disk full']);
      const text = parseJobRun('d', pendingDoc({ error: 'boom' }));
      assert.equal(text.errorMessage, 'boom');
    });

    it('reads triggered_by', () => {
      assert.equal(parseJobRun('d', pendingDoc({ triggered_by: 'airflow' })).triggeredBy, 'airflow');
    });
  });

  describe('markup and long text', () => {
    it('keeps HTML verbatim as text: it is never rendered as markup, so it is not altered', () => {
      const html = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;';
      const run = parseJobRun('d', pendingDoc({ job_name: html, error_message: html, quality_checks: [{ name: html, status: 'FAIL', value: html, threshold: '<b>1</b>' }] }));
      assert.equal(run.jobName, html);
      assert.equal(run.errorMessage, html);
      assert.deepEqual(run.qualityChecks[0], { name: html, status: 'FAIL', value: html, threshold: '<b>1</b>' });
    });

    it(`shortens a 10,000-character display string to ${MAX_DISPLAY_CHARS} with an ellipsis, and notes it`, () => {
      const long = 'x'.repeat(10_000);
      const run = parseJobRun('d', pendingDoc({ failure_type: long, quality_checks: [{ name: long, status: 'FAIL', value: long, threshold: 1 }] }));
      assert.equal(run.failureType?.length, MAX_DISPLAY_CHARS);
      assert.ok(run.failureType?.endsWith('…'));
      assert.equal(run.qualityChecks[0]?.name.length, MAX_DISPLAY_CHARS);
      assert.equal(typeof run.qualityChecks[0]?.value === 'string' ? run.qualityChecks[0].value.length : -1, MAX_DISPLAY_CHARS);
      assert.ok(run.problems.includes(`failure_type is 10000 characters long; only the first ${MAX_DISPLAY_CHARS} are shown.`));
    });

    it('gives error_message more room than a label', () => {
      const run = parseJobRun('d', pendingDoc({ error_message: 'e'.repeat(3000) }));
      assert.equal(run.errorMessage?.length, 3000);
    });

    it(`lists at most ${MAX_PROBLEMS} problems, then says there are more`, () => {
      const checks = Array.from({ length: 150 }, () => 'not a check');
      const run = parseJobRun('d', pendingDoc({ quality_checks: checks }));
      assert.equal(run.problems.length, MAX_PROBLEMS + 1);
      assert.equal(run.problems[MAX_PROBLEMS], '…and more problems not listed.');
    });
  });

  describe('documents that are not objects', () => {
    const shapes: Array<[string, unknown]> = [['null', null], ['undefined', undefined], ['a number', 42], ['text', 'text'], ['a boolean', true], ['an empty list', []], ['a list holding a document', [pendingDoc()]]];
    for (const [label, source] of shapes) {
      it(`reads ${label} as an empty run with one problem`, () => {
        const run = parseJobRun('d', source);
        assert.equal(run.jobName, MISSING_JOB_NAME);
        assert.equal(run.jobRunId, MISSING_JOB_RUN_ID);
        assert.equal(run.problems.length, 1);
        assert.match(run.problems[0] ?? '', /^The document is .*, not an object/);
      });
    }
  });

  describe('hostile and exotic inputs', () => {
    it('does not read fields inherited from Object.prototype', () => {
      const run = parseJobRun('d', JSON.parse('{"job_name":"j","job_run_id":"r","artifacts":{"constructor":{"path":"p","records":1}}}'));
      assert.equal(run.status, null);
      assert.deepEqual(run.artifacts, [{ name: 'constructor', path: 'p', records: 1 }]);
    });

    it('treats an own "__proto__" key as plain data', () => {
      const run = parseJobRun('d', JSON.parse('{"__proto__":{"status":"PENDING_APPROVAL"},"job_name":"j","job_run_id":"r"}'));
      assert.equal(run.status, null);
      assert.equal(({} as Record<string, unknown>).status, undefined);
    });

    it('survives a getter that throws, reporting it as a problem', () => {
      const source = { job_name: 'j' };
      Object.defineProperty(source, 'job_run_id', { enumerable: true, get: () => { throw new Error('boom'); } });
      const run = parseJobRun('d', source);
      assert.equal(run.jobRunId, MISSING_JOB_RUN_ID);
      assert.deepEqual(run.problems, ['The document could not be read: boom']);
    });

    it('survives BigInt and cyclic values', () => {
      const cyclic: Record<string, unknown> = { name: 'c' };
      cyclic.self = cyclic;
      const run = parseJobRun('d', { job_name: 'j', job_run_id: 'r', failure_type: cyclic, error_message: 10n });
      assert.equal(run.failureType, '[object Object]');
      assert.equal(run.errorMessage, '[object BigInt]');
    });
  });

  describe('fuzz', () => {
    function assertWellFormed(run: JobRun): void {
      assert.equal(typeof run.jobName, 'string');
      assert.equal(typeof run.jobRunId, 'string');
      assert.ok(Array.isArray(run.qualityChecks));
      assert.ok(Array.isArray(run.artifacts));
      assert.ok(Array.isArray(run.problems));
      for (const check of run.qualityChecks) {
        assert.equal(typeof check.name, 'string');
        for (const v of [check.value, check.threshold]) {
          assert.ok(v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)));
        }
      }
      for (const value of Object.values(run.metrics)) {
        assert.ok(value === null || Number.isFinite(value));
      }
      assert.ok(run.timestampMs === null || Number.isFinite(run.timestampMs));
      // Everything parsed must survive the trip to the webview.
      assert.doesNotThrow(() => JSON.stringify(run));
    }

    it('never throws for 500 random JSON values', () => {
      const random = seededRandom(20240115);
      for (let i = 0; i < 500; i += 1) {
        const source = JSON.parse(JSON.stringify(randomJson(random, 5) ?? null)) as unknown;
        assertWellFormed(parseJobRun(`fuzz-${i}`, source));
      }
    });

    it('never throws for 500 documents whose known fields hold random JSON', () => {
      const random = seededRandom(72);
      for (let i = 0; i < 500; i += 1) {
        assertWellFormed(parseJobRun(`fuzz-${i}`, randomDocument(random)));
      }
    });
  });
});
