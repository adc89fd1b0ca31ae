// Realistic job-events documents for the core's unit tests, shaped like the pipeline's indexer
// output, and a seeded random generator so that fuzz failures can be reproduced.

import { parseJobRun } from '../../src/core/jobRunParser';
import type { JobRun } from '../../src/core/model';

export type Doc = Record<string, unknown>;

/** The seed's transform_images run that stopped at the gate on a 12% drop rate. */
export function pendingDoc(overrides: Doc = {}): Doc {
  return {
    timestamp: '2024-01-15T10:30:00Z',
    event_type: 'job_completed',
    job_name: 'transform_images',
    job_run_id: 'abc123',
    status: 'PENDING_APPROVAL',
    failure_type: 'QUALITY',
    quality_status: 'RED',
    quality_checks: [
      { name: 'null_rate', status: 'PASS', value: '2.0%', threshold: '5.0%' },
      { name: 'drop_rate', status: 'FAIL', value: '12.0%', threshold: '10.0%' },
    ],
    artifacts_available: true,
    artifacts: {
      nautilus: { path: 's3://dwh-data/nautilus/transformed_images/year=2024/month=01/day=15/', records: 50000 },
      savedproject: { path: 's3://dwh-data/savedproject/transformed_images/year=2024/month=01/day=15/', records: 38000 },
    },
    records_read: 100000,
    records_written: 88000,
    records_dropped: 12000,
    bytes_written: 1288490189,
    duration_seconds: 150,
    extract_duration_seconds: 30,
    transform_duration_seconds: 90,
    load_duration_seconds: 30,
    approval_status: null,
    approved_by: null,
    approval_reason: null,
    approval_timestamp: null,
    ...overrides,
  };
}

/**
 * The same run as the event is published (docs/CONTRACTS.md §2), not flattened by the
 * indexer: quality, metrics and error nested. The parser reads both forms alike.
 */
export function nestedEventDoc(overrides: Doc = {}): Doc {
  const flat = pendingDoc();
  return {
    timestamp: flat.timestamp,
    event_type: 'job_completed',
    job_name: flat.job_name,
    job_run_id: 'nested-abc123',
    status: 'PENDING_APPROVAL',
    failure_type: 'QUALITY',
    artifacts_available: true,
    artifacts: flat.artifacts,
    quality: { status: 'RED', checks: flat.quality_checks },
    metrics: {
      records_read: flat.records_read,
      records_written: flat.records_written,
      records_dropped: flat.records_dropped,
      bytes_written: flat.bytes_written,
      duration_seconds: flat.duration_seconds,
      extract_duration_seconds: flat.extract_duration_seconds,
      transform_duration_seconds: flat.transform_duration_seconds,
      load_duration_seconds: flat.load_duration_seconds,
    },
    error: null,
    ...overrides,
  };
}

export function pendingRun(overrides: Doc = {}, documentId = 'doc-1'): JobRun {
  return parseJobRun(documentId, pendingDoc(overrides));
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD_STRINGS = [
  '',
  ' ',
  '12.0%',
  '1,000',
  'n/a',
  'true',
  'NaN',
  'Infinity',
  '-0',
  '<img src=x onerror=alert(1)>',
  '<script>alert("x")</script>',
  '{{constructor.constructor("alert(1)")()}}',
  '__proto__',
  'constructor',
  '\u0000\u0001\u001f',
  '\ud800',
  '🚀✓ naïve Ünïcödé',
  '2024-02-31T00:00:00Z',
  '2024-01-15T10:30:00Z',
  'x'.repeat(10_000),
];
const KEYS = ['job_name', 'job_run_id', 'timestamp', 'status', 'quality_checks', 'artifacts', 'value', 'threshold', 'name', 'path', 'records', 'approval_status', '__proto__', 'constructor', 'toString', 'x'];

/** A random JSON value: the shapes real documents go wrong in, nested up to `depth`. */
export function randomJson(random: () => number, depth = 4): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const kind = Math.floor(random() * (depth > 0 ? 8 : 6));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return pick([0, -1, 1e308, -1e-308, 0.12, 12, 100000, Number.MAX_SAFE_INTEGER, 1.5]);
    case 3:
      return pick(AWKWARD_STRINGS);
    case 4:
      return String.fromCharCode(...Array.from({ length: Math.floor(random() * 20) }, () => Math.floor(random() * 0xffff)));
    case 5:
      return Math.floor(random() * 1e6) / 100;
    case 6: {
      const length = Math.floor(random() * 5);
      return Array.from({ length }, () => randomJson(random, depth - 1));
    }
    default: {
      const object: Record<string, unknown> = {};
      const count = Math.floor(random() * 6);
      for (let i = 0; i < count; i += 1) {
        // defineProperty, so that "__proto__" becomes an own key as JSON.parse would make it.
        Object.defineProperty(object, pick(KEYS), { value: randomJson(random, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
  }
}

/** A document whose known fields hold random JSON, so the fuzz reaches the field readers. */
export function randomDocument(random: () => number): unknown {
  const doc: Record<string, unknown> = {};
  for (const key of Object.keys(pendingDoc())) {
    if (random() < 0.7) {
      doc[key] = random() < 0.3 ? pendingDoc()[key] : randomJson(random, 3);
    }
  }
  // Through JSON, as documents arrive: "__proto__" becomes an own property, as in a real _source.
  return JSON.parse(JSON.stringify(doc)) as unknown;
}
