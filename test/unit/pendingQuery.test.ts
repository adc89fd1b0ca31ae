import assert from 'node:assert/strict';
import type { JobRun } from '../../src/core/model';
import {
  collapseNewestPerRun,
  excludeSuperseded,
  isPending,
  jobHistoryQuery,
  MAX_RUN_IDS_PER_QUERY,
  PENDING_SOURCE_FIELDS,
  pendingRunsQuery,
  pendingSummaryQuery,
  readPendingSummary,
  recentDecisionsQuery,
  runByIdQuery,
  supersededRunsQuery,
} from '../../src/core/pendingQuery';
import { evidenceSha256 } from '../../src/core/evidence';
import { NESTED_FIELD_PATHS, parseJobRun, sourceFields } from '../../src/core/jobRunParser';
import { nestedEventDoc, pendingDoc, pendingRun } from './fixtures';

const PENDING_QUERY = {
  bool: {
    filter: [{ term: { status: 'PENDING_APPROVAL' } }, { exists: { field: 'job_run_id' } }],
    must_not: [{ exists: { field: 'approval_status' } }],
  },
};

describe('pendingRunsQuery', () => {
  it('asks for pending documents newest first, with a deterministic tie-break', () => {
    assert.deepEqual(pendingRunsQuery({ pageSize: 100 }), {
      size: 100,
      track_total_hits: false,
      _source: [...PENDING_SOURCE_FIELDS],
      query: PENDING_QUERY,
      sort: [{ timestamp: 'desc' }, { job_run_id: 'asc' }],
    });
  });

  it('pages with search_after', () => {
    const body = pendingRunsQuery({ pageSize: 2, searchAfter: [1705314600000, 'abc123'] });
    assert.deepEqual(body.search_after, [1705314600000, 'abc123']);
  });

  it('ignores an empty search_after and clamps the page size to the result window', () => {
    assert.equal('search_after' in pendingRunsQuery({ searchAfter: [] }), false);
    assert.equal(pendingRunsQuery({ pageSize: 1e9 }).size, 10_000);
    assert.equal(pendingRunsQuery({ pageSize: -3 }).size, 0);
    assert.equal(pendingRunsQuery().size, 500);
  });

  it('fetches what the tree shows, including what pending-ness and expiry depend on', () => {
    for (const field of ['job_name', 'job_run_id', 'timestamp', 'status', 'approval_status', 'expires_at', 'quality_status', 'quality_checks']) {
      assert.ok(PENDING_SOURCE_FIELDS.includes(field), field);
    }
    assert.deepEqual(pendingRunsQuery({ sourceFields: ['job_run_id'] })._source, ['job_run_id']);
  });

  it('is plain JSON', () => {
    const body = pendingRunsQuery({ searchAfter: [1, 'a'] });
    assert.deepEqual(JSON.parse(JSON.stringify(body)), body);
  });
});

describe('pendingSummaryQuery and readPendingSummary', () => {
  it('counts without fetching documents', () => {
    assert.deepEqual(pendingSummaryQuery(), {
      size: 0,
      track_total_hits: true,
      query: PENDING_QUERY,
      aggs: {
        pending_runs: { cardinality: { field: 'job_run_id', precision_threshold: 40000 } },
        newest_timestamp: { max: { field: 'timestamp' } },
        oldest_timestamp: { min: { field: 'timestamp' } },
      },
    });
  });

  it('reads a response as OpenSearch 2.x returns it', () => {
    const response = {
      took: 3,
      timed_out: false,
      hits: { total: { value: 12, relation: 'eq' }, max_score: null, hits: [] },
      aggregations: {
        pending_runs: { value: 10 },
        newest_timestamp: { value: 1705314600000, value_as_string: '2024-01-15T10:30:00.000Z' },
        oldest_timestamp: { value: 1705300000000, value_as_string: '2024-01-15T06:26:40.000Z' },
      },
    };
    assert.deepEqual(readPendingSummary(response), { documents: 12, runs: 10, newestTimestampMs: 1705314600000, oldestTimestampMs: 1705300000000 });
  });

  it('reads an empty index (max is null) and a legacy numeric total', () => {
    assert.deepEqual(readPendingSummary({ hits: { total: 0 }, aggregations: { pending_runs: { value: 0 }, newest_timestamp: { value: null } } }), { documents: 0, runs: 0, newestTimestampMs: null, oldestTimestampMs: null });
    assert.deepEqual(readPendingSummary(undefined), { documents: 0, runs: 0, newestTimestampMs: null, oldestTimestampMs: null });
  });
});

describe('runByIdQuery', () => {
  it('asks for the newest document of the run with its sequence number and primary term', () => {
    assert.deepEqual(runByIdQuery('abc123'), {
      size: 1,
      seq_no_primary_term: true,
      query: { bool: { filter: [{ term: { job_run_id: 'abc123' } }] } },
      sort: [{ timestamp: 'desc' }],
    });
  });

  it('passes a hostile id through as a term value, never as query syntax', () => {
    const id = '" OR *:* <script>';
    assert.deepEqual(runByIdQuery(id).query, { bool: { filter: [{ term: { job_run_id: id } }] } });
  });
});

describe('jobHistoryQuery', () => {
  it('asks for the job’s latest runs, one document per run, optionally without the run under review', () => {
    const body = jobHistoryQuery('transform_images', 20, { excludeRunId: 'abc123' });
    assert.deepEqual(body.query, { bool: { filter: [{ term: { job_name: 'transform_images' } }], must_not: [{ term: { job_run_id: 'abc123' } }] } });
    assert.equal(body.size, 20);
    assert.deepEqual(body.collapse, { field: 'job_run_id' });
    assert.deepEqual(body.sort, [{ timestamp: 'desc' }, { job_run_id: 'asc' }]);
    assert.ok(Array.isArray(body._source) && body._source.includes('quality_checks'));
    assert.equal('must_not' in (jobHistoryQuery('j').query as { bool: object }).bool, false);
  });

  it('asks only for runs up to a time when given one', () => {
    const body = jobHistoryQuery('transform_images', 20, { upToMs: Date.UTC(2024, 0, 15, 10, 30) });
    assert.deepEqual(body.query, {
      bool: { filter: [{ term: { job_name: 'transform_images' } }, { range: { timestamp: { lte: '2024-01-15T10:30:00.000Z' } } }] },
    });
    assert.deepEqual(jobHistoryQuery('j', 20, { upToMs: Number.NaN }).query, { bool: { filter: [{ term: { job_name: 'j' } }] } });
  });
});

describe('supersededRunsQuery', () => {
  it('finds, per candidate run, its newest document that is not pending', () => {
    assert.deepEqual(supersededRunsQuery(['a', 'b', 'a']), {
      size: 2,
      _source: ['job_run_id', 'timestamp', 'status', 'approval_status', 'approved_by', 'approval_timestamp'],
      query: {
        bool: {
          filter: [{ terms: { job_run_id: ['a', 'b'] } }],
          should: [{ bool: { must_not: [{ term: { status: 'PENDING_APPROVAL' } }] } }, { exists: { field: 'approval_status' } }],
          minimum_should_match: 1,
        },
      },
      sort: [{ timestamp: 'desc' }],
      collapse: { field: 'job_run_id' },
    });
  });

  it('refuses more ids than one query should carry', () => {
    const ids = Array.from({ length: MAX_RUN_IDS_PER_QUERY + 1 }, (_, i) => `r${i}`);
    assert.throws(() => supersededRunsQuery(ids), RangeError);
    assert.doesNotThrow(() => supersededRunsQuery(ids.slice(1)));
  });
});

describe('recentDecisionsQuery', () => {
  it('asks for the latest decisions', () => {
    assert.deepEqual(recentDecisionsQuery(30), { size: 30, query: { match_all: {} }, sort: [{ timestamp: 'desc' }] });
  });
});

function key(jobRunId: string, timestamp: string | null, documentId: string): JobRun {
  return pendingRun({ job_run_id: jobRunId, timestamp }, documentId);
}

describe('collapseNewestPerRun', () => {
  it('keeps the newest document of each run, in first-seen order', () => {
    const hits = [key('a', '2024-01-15T10:00:00Z', 'a1'), key('b', '2024-01-15T09:00:00Z', 'b1'), key('a', '2024-01-15T11:00:00Z', 'a2'), key('c', null, 'c1'), key('c', '2024-01-01T00:00:00Z', 'c2')];
    assert.deepEqual(collapseNewestPerRun(hits).map((r) => r.documentId), ['a2', 'b1', 'c2']);
  });

  it('keeps the first of equal timestamps (the query’s order) and a dated document over an undated one', () => {
    const hits = [key('a', '2024-01-15T10:00:00Z', 'first'), key('a', '2024-01-15T10:00:00Z', 'second'), key('a', null, 'undated')];
    assert.deepEqual(collapseNewestPerRun(hits).map((r) => r.documentId), ['first']);
  });

  it('handles an empty list', () => {
    assert.deepEqual(collapseNewestPerRun([]), []);
  });
});

describe('excludeSuperseded', () => {
  const pending = [key('a', '2024-01-15T10:00:00Z', 'a'), key('b', '2024-01-15T10:00:00Z', 'b'), key('c', '2024-01-15T10:00:00Z', 'c'), key('d', '2024-01-15T10:00:00Z', 'd'), key('e', null, 'e')];

  it('drops runs with a newer or equally new non-pending document, keeps the rest', () => {
    const nonPending = [
      { jobRunId: 'a', timestampMs: Date.UTC(2024, 0, 15, 11) }, // newer: decided since
      { jobRunId: 'b', timestampMs: Date.UTC(2024, 0, 15, 9) }, // older: an earlier attempt
      { jobRunId: 'c', timestampMs: Date.UTC(2024, 0, 15, 10) }, // same time: cannot tell, so hidden
      { jobRunId: 'd', timestampMs: null }, // undated: the oldest
      { jobRunId: 'e', timestampMs: Date.UTC(2020, 0, 1) }, // pending undated: the oldest
    ];
    assert.deepEqual(excludeSuperseded(pending, nonPending).map((r) => r.jobRunId), ['b', 'd']);
  });

  it('keeps everything when nothing supersedes', () => {
    assert.equal(excludeSuperseded(pending, []).length, pending.length);
  });
});

describe('isPending', () => {
  it('is true for PENDING_APPROVAL without an approval', () => {
    assert.equal(isPending(pendingRun()), true);
  });
  it('is false once approval_status is set, or for another status', () => {
    assert.equal(isPending(pendingRun({ approval_status: 'APPROVED' })), false);
    assert.equal(isPending(pendingRun({ status: 'SUCCESS' })), false);
    assert.equal(isPending(pendingRun({ status: null })), false);
  });
});

/** What OpenSearch returns of `doc` for `_source: paths` (a path names a field or an object's field). */
function projectSource(doc: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const path of paths) {
    const [parent, child] = path.split('.');
    if (parent === undefined || !Object.prototype.hasOwnProperty.call(doc, parent)) continue;
    const value = doc[parent];
    if (child === undefined) {
      projected[parent] = value;
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, child)) {
      const into = (projected[parent] ??= {}) as Record<string, unknown>;
      into[child] = (value as Record<string, unknown>)[child];
    }
  }
  return projected;
}

describe('the fields every query fetches, for the event format and the flat one', () => {
  for (const [format, doc] of [['nested event format', nestedEventDoc()], ['flat indexer format', pendingDoc()]] as const) {
    it(`a run in the ${format} has the same evidence hash from the pending list as read whole`, () => {
      const whole = parseJobRun('doc-1', doc);
      const listed = parseJobRun('doc-1', projectSource(doc, pendingRunsQuery()._source as string[]));
      // The data was read at all: a hash of empty evidence would match trivially.
      assert.equal(whole.qualityChecks.length, 2);
      assert.equal(whole.metrics.recordsDropped, 12000);
      assert.equal(whole.qualityStatus, 'RED');
      assert.equal(evidenceSha256(listed), evidenceSha256(whole));
      assert.deepEqual(listed.qualityChecks, whole.qualityChecks);
    });

    it(`a run in the ${format} shows the same checks and counts in a job's history`, () => {
      const whole = parseJobRun('doc-1', doc);
      const history = parseJobRun('doc-1', projectSource(doc, jobHistoryQuery('transform_images')._source as string[]));
      assert.deepEqual(history.qualityChecks, whole.qualityChecks);
      assert.equal(history.qualityStatus, whole.qualityStatus);
      assert.deepEqual([history.metrics.recordsRead, history.metrics.recordsWritten, history.metrics.recordsDropped], [100000, 88000, 12000]);
    });
  }

  it('names each nested path the parser reads beside its flat field', () => {
    for (const [flat, nested] of Object.entries(NESTED_FIELD_PATHS)) {
      if (PENDING_SOURCE_FIELDS.includes(flat)) assert.ok(PENDING_SOURCE_FIELDS.includes(nested), `${flat} → ${nested}`);
    }
    assert.deepEqual(sourceFields(['quality_checks', 'job_name']), ['quality_checks', 'quality.checks', 'job_name']);
  });
});
