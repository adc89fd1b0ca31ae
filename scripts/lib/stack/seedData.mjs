// Deterministic generator of realistic `job-events` documents for the local stack, tests and
// benches. Pure: same options (including `now`) → same documents. No I/O.
//
// What it makes (see generateSeed):
// - `pending` runs that count as pending under docs/CONTRACTS.md §2 (status PENDING_APPROVAL, no
//   approval_status, newest document per job_run_id), of which `messy` are deliberately malformed
//   (but still accepted by the index mapping) and a few are placed near or past expiry;
// - one of the pending runs has two documents (an older and a newer one, both pending), so
//   "newest counts" is exercised and it still counts once;
// - `decided` recent runs with status PENDING_APPROVAL but approval_status set (not pending);
// - `history` older runs per job (mostly SUCCESS/GREEN, some FAILED, some decided approvals).
//
// Expiry classes in the manifest are disjoint and relative to `now`:
// overdue = expiry <= now; urgent = < 15 min left; expiring = 15–60 min left.
import { createHash } from 'node:crypto';
import { DEFAULT_TTL_HOURS } from './config.mjs';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const SEED_DEFAULTS = Object.freeze({ pending: 24, history: 20, decided: 5, messy: 4, seed: 20240115 });

/** Check definitions: threshold, typical passing range, and the unit the value is reported in. */
const CHECKS = {
  drop_rate: { unit: 'rate', threshold: 0.1, normal: [0.004, 0.06] },
  null_rate: { unit: 'rate', threshold: 0.05, normal: [0.0, 0.03] },
  duplicate_rate: { unit: 'rate', threshold: 0.01, normal: [0.0, 0.006] },
  row_count_delta: { unit: 'percent', threshold: 10, normal: [0.2, 7.5] },
  freshness_minutes: { unit: 'minutes', threshold: 60, normal: [4, 45] },
  schema_drift: { unit: 'count', threshold: 0, normal: [0, 0] },
};

/**
 * The jobs. `percentStrings`: this job's pipeline reports rates as strings such as "12.0%"
 * (the others as numbers such as 0.12), as real pipelines of different vintages do.
 */
const JOBS = [
  { name: 'transform_images', percentStrings: true, checks: ['drop_rate', 'null_rate', 'row_count_delta', 'schema_drift'], rows: [40_000, 400_000], rowBytes: [900, 4000], weight: 3 },
  { name: 'load_orders', percentStrings: false, checks: ['drop_rate', 'duplicate_rate', 'row_count_delta', 'freshness_minutes'], rows: [200_000, 2_000_000], rowBytes: [180, 420], weight: 3 },
  { name: 'ingest_clickstream', percentStrings: true, checks: ['drop_rate', 'null_rate', 'freshness_minutes', 'schema_drift'], rows: [2_000_000, 20_000_000], rowBytes: [120, 300], weight: 2 },
  { name: 'dedupe_customers', percentStrings: false, checks: ['duplicate_rate', 'null_rate', 'row_count_delta'], rows: [50_000, 900_000], rowBytes: [250, 600], weight: 1 },
  { name: 'enrich_sessions', percentStrings: false, checks: ['drop_rate', 'null_rate', 'freshness_minutes', 'schema_drift'], rows: [500_000, 5_000_000], rowBytes: [200, 500], weight: 2 },
  { name: 'aggregate_revenue', percentStrings: true, checks: ['row_count_delta', 'null_rate', 'schema_drift', 'freshness_minutes'], rows: [5_000, 80_000], rowBytes: [80, 200], weight: 1 },
  { name: 'sync_inventory', percentStrings: false, checks: ['drop_rate', 'row_count_delta', 'duplicate_rate', 'freshness_minutes'], rows: [20_000, 300_000], rowBytes: [150, 350], weight: 2 },
  { name: 'score_fraud', percentStrings: false, checks: ['drop_rate', 'null_rate', 'schema_drift', 'duplicate_rate'], rows: [100_000, 1_500_000], rowBytes: [90, 240], weight: 2 },
];

export const JOB_NAMES = Object.freeze(JOBS.map((j) => j.name));

export const HTML_JOB_NAME = '<img src=x onerror=alert(1)>';

const TRIGGERS = [
  'arn:aws:iam::123456789012:user/airflow-scheduler',
  'arn:aws:iam::123456789012:user/jsmith',
  'arn:aws:sts::123456789012:assumed-role/DataEngineer/mgarcia',
  'airflow',
  'backfill-cli',
  'jdoe@company.com',
];

const REVIEWERS = ['jsmith@company.com', 'mgarcia', 'akowalski@company.com', 'arn:aws:iam::123456789012:user/lchen'];

const APPROVE_REASONS = [
  'Drop rate elevated due to known bad batch from upstream vendor, acceptable',
  'Row count delta explained by the holiday weekend; totals reconciled with finance',
  'Null rate spike limited to optional column; downstream consumers unaffected',
  'Freshness lag caused by the S3 replication incident, data itself verified',
];
const REJECT_REASONS = [
  'Schema drift breaks downstream joins; rerun after the contract fix',
  'Duplicate rate too high, dedupe step misconfigured — rerun required',
  'Drop rate far above normal for this job; investigating the source extract',
];

const FAILURES = [
  { error_type: 'S3AccessDenied', error_message: 'An error occurred (AccessDenied) when calling the PutObject operation: Access Denied' },
  { error_type: 'OutOfMemoryError', error_message: 'java.lang.OutOfMemoryError: Java heap space (executor 7, stage 12.0)' },
  { error_type: 'SchemaMismatchError', error_message: 'Column "order_total" expected DECIMAL(18,2) but found STRING in source partition dt=2024-01-14' },
  { error_type: 'UpstreamTimeout', error_message: 'Timed out after 3600s waiting for upstream dataset raw.clickstream to be marked complete' },
];

// ---------------------------------------------------------------- PRNG

function hashSeed(seed) {
  if (typeof seed === 'number' && Number.isFinite(seed)) return seed >>> 0;
  let h = 0x811c9dc5;
  for (const ch of String(seed)) {
    h ^= ch.codePointAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for test data; deterministic across platforms. */
function makeRng(seed) {
  let a = hashSeed(seed);
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    float: (min, max) => min + (max - min) * next(),
    int: (min, max) => Math.floor(min + (max - min + 1) * next()),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    hex: (n) => {
      let s = '';
      while (s.length < n) s += Math.floor(next() * 0x100000000).toString(16).padStart(8, '0');
      return s.slice(0, n);
    },
    weighted: (items) => {
      const total = items.reduce((sum, it) => sum + it.weight, 0);
      let r = next() * total;
      for (const it of items) {
        r -= it.weight;
        if (r < 0) return it;
      }
      return items[items.length - 1];
    },
  };
  return rng;
}

// ---------------------------------------------------------------- helpers

const round = (x, digits) => Number(x.toFixed(digits));

/** ISO 8601 UTC with second precision, like the pipeline's ("2024-01-15T10:30:00Z"). */
function iso(ms) {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function yyyymmdd(ms) {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
}

function docId(seed, runId, n) {
  return createHash('sha1').update(`${seed}\u0000${runId}\u0000${n}`).digest('hex').slice(0, 20);
}

/** Format a check value the way this job's pipeline reports it. */
function formatValue(job, def, raw) {
  if (def.unit === 'rate') return job.percentStrings ? `${(raw * 100).toFixed(1)}%` : round(raw, 4);
  if (def.unit === 'percent') return job.percentStrings ? `${raw.toFixed(1)}%` : round(raw, 1);
  return Math.round(raw);
}

function formatThreshold(job, def) {
  if (def.unit === 'rate') return job.percentStrings ? `${(def.threshold * 100).toFixed(1)}%` : def.threshold;
  if (def.unit === 'percent') return job.percentStrings ? `${def.threshold.toFixed(1)}%` : def.threshold;
  return def.threshold;
}

/** A raw value for a check: passing, or over the threshold by a WARN- or FAIL-sized margin. */
function rawCheckValue(rng, def, outcome) {
  if (outcome === 'PASS') return def.unit === 'count' ? 0 : rng.float(def.normal[0], def.normal[1]);
  if (def.unit === 'count') return outcome === 'WARN' ? 1 : rng.int(2, 6);
  const factor = outcome === 'WARN' ? rng.float(1.05, 1.35) : rng.float(1.2, 2.6);
  return def.threshold * factor;
}

/**
 * Build one run's quality checks and record counts. outcomes: map check name → PASS/WARN/FAIL.
 * drop_rate is derived from the records, so the two always agree.
 */
function buildMetrics(rng, job, outcomes) {
  const recordsRead = rng.int(job.rows[0], job.rows[1]);
  const dropOutcome = outcomes.drop_rate ?? 'PASS';
  const dropRaw = job.checks.includes('drop_rate') ? rawCheckValue(rng, CHECKS.drop_rate, dropOutcome) : rng.float(0, 0.01);
  const recordsDropped = Math.round(recordsRead * dropRaw);
  const recordsWritten = recordsRead - recordsDropped;
  const checks = job.checks.map((name) => {
    const def = CHECKS[name];
    const status = outcomes[name] ?? 'PASS';
    const raw = name === 'drop_rate' ? recordsDropped / recordsRead : rawCheckValue(rng, def, status);
    return { name, status, value: formatValue(job, def, raw), threshold: formatThreshold(job, def) };
  });
  const extract = round(rng.float(4, 240), 1);
  const transform = round(rng.float(8, 900), 1);
  const load = round(rng.float(3, 300), 1);
  return {
    checks,
    records: {
      records_read: recordsRead,
      records_written: recordsWritten,
      records_dropped: recordsDropped,
      bytes_written: recordsWritten * rng.int(job.rowBytes[0], job.rowBytes[1]),
      duration_seconds: round(extract + transform + load + rng.float(0.5, 25), 1),
      extract_duration_seconds: extract,
      transform_duration_seconds: transform,
      load_duration_seconds: load,
    },
  };
}

function buildArtifacts(rng, job, runId, records, checkCount) {
  const base = `s3://dwh-data/${job.name}/${runId}`;
  const artifacts = { output: { path: `${base}/output/`, records: records.records_written } };
  const extra = rng.int(0, 2);
  if (extra >= 1 && records.records_dropped > 0) {
    artifacts.rejected_rows = { path: `${base}/rejected_rows.parquet`, records: records.records_dropped };
  }
  if (extra >= 2 || (extra >= 1 && records.records_dropped === 0)) {
    artifacts.quality_report = { path: `${base}/quality_report.json`, records: checkCount };
  }
  return artifacts;
}

/** Which checks fail, and how, for a run gated at quality_status RED or YELLOW. */
function gateOutcomes(rng, job) {
  const red = rng.chance(0.6);
  const failing = rng.chance(0.75) ? 1 : 2;
  const names = [...job.checks];
  const outcomes = {};
  for (let i = 0; i < failing && names.length > 0; i++) {
    const [name] = names.splice(Math.floor(rng.next() * names.length), 1);
    outcomes[name] = red && i === 0 ? 'FAIL' : 'WARN';
  }
  return { outcomes, qualityStatus: red ? 'RED' : 'YELLOW' };
}

function expiryOf(doc, ttlHours) {
  if (doc.expires_at != null) return new Date(doc.expires_at).getTime();
  return new Date(doc.timestamp).getTime() + ttlHours * HOUR;
}

// ---------------------------------------------------------------- the generator

/**
 * @param {object} [options]
 * @param {number} [options.pending=24]  runs that count as pending (messy ones included)
 * @param {number} [options.history=20]  older runs per job
 * @param {number} [options.decided=5]   recent PENDING_APPROVAL runs that already have approval_status
 * @param {number} [options.messy=4]     how many of the pending runs are malformed (≤ pending)
 * @param {number|string} [options.seed] PRNG seed
 * @param {Date|string|number} [options.now] reference time (default: the current time)
 * @param {number} [options.ttlHours=72] TTL used to compute expiry when a run has no expires_at
 * @returns {{documents: Array<{_id: string} & Record<string, unknown>>, manifest: object}}
 */
export function generateSeed(options = {}) {
  const opts = { ...SEED_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const pending = Math.max(0, Math.floor(opts.pending));
  const history = Math.max(0, Math.floor(opts.history));
  const decided = Math.max(0, Math.floor(opts.decided));
  const messy = Math.min(pending, Math.max(0, Math.floor(opts.messy)));
  const ttlHours = opts.ttlHours ?? DEFAULT_TTL_HOURS;
  const now = opts.now == null ? Date.now() : new Date(opts.now).getTime();
  if (!Number.isFinite(now)) throw new Error(`invalid now: ${String(opts.now)}`);
  const rng = makeRng(opts.seed);
  const usedRunIds = new Set();
  const newRunId = (jobName, ms) => {
    for (;;) {
      const id = `${jobName}-${yyyymmdd(ms)}-${rng.hex(8)}`;
      if (!usedRunIds.has(id)) {
        usedRunIds.add(id);
        return id;
      }
    }
  };
  const historyDocs = [];
  const pendingDocs = [];
  const decidedDocs = [];
  const messyDocs = [];
  const docCounter = new Map();
  const finish = (runId, source) => {
    const n = docCounter.get(runId) ?? 0;
    docCounter.set(runId, n + 1);
    const id = docId(opts.seed, runId, n);
    return { _id: id, id, ...source };
  };

  /** A full, well-formed job_completed document. */
  const runDoc = (job, ms, kind, runId = newRunId(job.name, ms)) => {
    let outcomes = {};
    let qualityStatus = 'GREEN';
    let status = 'SUCCESS';
    let failureType = null;
    if (kind === 'gate') {
      ({ outcomes, qualityStatus } = gateOutcomes(rng, job));
      status = 'PENDING_APPROVAL';
      failureType = 'QUALITY';
    } else if (kind === 'yellow') {
      const name = rng.pick(job.checks);
      outcomes = { [name]: 'WARN' };
      qualityStatus = 'YELLOW';
    }
    const { checks, records } = buildMetrics(rng, job, outcomes);
    const doc = {
      timestamp: iso(ms),
      event_type: 'job_completed',
      job_name: job.name,
      job_run_id: runId,
      status,
      failure_type: failureType,
      quality_status: qualityStatus,
      quality_checks: checks,
      artifacts_available: true,
      artifacts: buildArtifacts(rng, job, runId, records, checks.length),
      ...records,
      approval_status: null,
      approved_by: null,
      approval_reason: null,
      approval_timestamp: null,
    };
    if (rng.chance(0.35)) doc.triggered_by = rng.pick(TRIGGERS);
    return doc;
  };

  const decide = (doc, ms, decidedAtMs) => {
    const approved = rng.chance(0.7);
    doc.approval_status = approved ? 'APPROVED' : 'REJECTED';
    doc.approved_by = rng.pick(REVIEWERS);
    doc.approval_reason = rng.pick(approved ? APPROVE_REASONS : REJECT_REASONS);
    doc.approval_timestamp = iso(Math.min(decidedAtMs, now - MINUTE));
    return doc;
  };

  // ---- history: per job, one run a day going back from three days ago
  for (const job of JOBS) {
    for (let k = 0; k < history; k++) {
      const ms = now - 3 * DAY - k * DAY - rng.int(0, 6 * 60) * MINUTE;
      let doc;
      if (k % 7 === 3) {
        doc = decide(runDoc(job, ms, 'gate'), ms, ms + rng.int(20, 18 * 60) * MINUTE);
      } else if (k % 9 === 6) {
        const failure = rng.pick(FAILURES);
        const recordsRead = rng.int(0, job.rows[0]);
        const runId = newRunId(job.name, ms);
        doc = {
          timestamp: iso(ms),
          event_type: 'job_completed',
          job_name: job.name,
          job_run_id: runId,
          status: 'FAILED',
          failure_type: 'CATASTROPHIC',
          quality_status: null,
          quality_checks: [],
          artifacts_available: false,
          artifacts: {},
          records_read: recordsRead,
          records_written: 0,
          records_dropped: 0,
          bytes_written: 0,
          duration_seconds: round(rng.float(30, 3700), 1),
          ...failure,
          approval_status: null,
          approved_by: null,
          approval_reason: null,
          approval_timestamp: null,
        };
      } else {
        doc = runDoc(job, ms, rng.chance(0.12) ? 'yellow' : 'green');
      }
      historyDocs.push(finish(doc.job_run_id, doc));
    }
  }

  // ---- pending (well-formed part), with a few placed near or past expiry
  const normalPending = pending - messy;
  const ttl = ttlHours * HOUR;
  const placements = [
    { ts: now - ttl + 8 * MINUTE }, // urgent: 8 min left (derived expiry)
    { ts: now - ttl + 38 * MINUTE }, // expiring: 38 min left (derived expiry)
    { ts: now - 30 * HOUR, expiresAt: now - 2 * HOUR }, // overdue: explicit expires_at in the past
    { ts: now - 3 * HOUR, expiresAt: now + 5 * HOUR }, // explicit expires_at in the future
    { ts: now - 1 * HOUR, expiresAt: now + 11 * MINUTE }, // urgent through an explicit expires_at
  ];
  const duplicateIndex = normalPending > placements.length ? placements.length : normalPending - 1;
  let duplicateRunId = null;
  for (let i = 0; i < normalPending; i++) {
    const job = rng.weighted(JOBS);
    const place = placements[i] ?? {};
    const ms = place.ts ?? now - rng.int(2, 70 * 60) * MINUTE;
    const doc = runDoc(job, ms, 'gate');
    if (place.expiresAt != null) doc.expires_at = iso(place.expiresAt);
    else if (!placements[i] && rng.chance(0.08)) doc.expires_at = iso(ms + rng.int(12, 96) * HOUR);
    if (i === duplicateIndex) {
      // An earlier attempt of the same run, indexed before it: both pending, the newer one counts.
      const older = runDoc(job, ms - 2 * HOUR, 'gate', doc.job_run_id);
      pendingDocs.push(finish(doc.job_run_id, older));
      duplicateRunId = doc.job_run_id;
    }
    pendingDocs.push(finish(doc.job_run_id, doc));
  }

  // ---- decided: gated recently, approval_status already set (not pending)
  for (let i = 0; i < decided; i++) {
    const job = rng.weighted(JOBS);
    const ms = now - rng.int(30, 70 * 60) * MINUTE;
    const doc = decide(runDoc(job, ms, 'gate'), ms, ms + rng.int(5, 25) * MINUTE);
    decidedDocs.push(finish(doc.job_run_id, doc));
  }

  // ---- messy pending: malformed, yet every one of them is accepted by the job-events mapping
  // (a document the mapping rejects never reaches the index in production either). Notes on what
  // the mapping refuses: "1,000" in a long field, a string or an array of strings where an object
  // (artifacts) or nested (quality_checks) is mapped, an object as a check value.
  const longName = `ingest_partner_feed_${'with_a_very_long_generated_name_'.repeat(70)}end`;
  const longText = `Upstream reported: ${'the partner feed contained rows with unexpected encodings; '.repeat(50)}(truncated)`;
  const messyVariants = [
    (base) => ({
      // HTML job name; no quality_checks at all; artifacts null; a number as a string.
      ...base,
      job_name: HTML_JOB_NAME,
      quality_status: 'RED',
      records_read: '1000',
      records_written: 940,
      records_dropped: 60,
      artifacts_available: true,
      artifacts: null,
      triggered_by: '<script>alert("triggered")</script>',
    }),
    (base) => ({
      // Very long job name; quality_checks a single object, not an array, with HTML in the name;
      // timestamp as epoch milliseconds; an artifact that is a bare string.
      ...base,
      job_name: longName,
      timestamp: new Date(base.timestamp).getTime(),
      quality_status: 'YELLOW',
      quality_checks: { name: '<b>bold</b>', status: 'WARN', value: '12.0%', threshold: '10.0%' },
      artifacts: { legacy_export: `s3://dwh-data/legacy/${base.job_run_id}/export.csv` },
      duration_seconds: '95.5',
    }),
    (base) => ({
      // quality_checks with nulls and incomplete entries; missing counters; an unknown quality status.
      ...base,
      job_name: 'load_orders',
      quality_status: 'PURPLE',
      failure_type: null,
      quality_checks: [null, { name: 'drop_rate', status: 'FAIL', value: true, threshold: null }, { name: null }, {}, null],
      records_read: null,
      records_written: undefined,
      records_dropped: -5,
      artifacts_available: 'true',
      artifacts: {},
    }),
    (base) => ({
      // Empty checks; a long error message; an artifact path that is a javascript: URL; zero reads.
      ...base,
      job_name: 'enrich_sessions',
      event_type: undefined,
      quality_status: undefined,
      quality_checks: [],
      records_read: 0,
      records_written: 0,
      records_dropped: 5,
      bytes_written: 12345.0,
      error_type: 'DataQualityGate',
      error_message: longText,
      artifacts: { output: { path: 'javascript:alert(1)', records: null }, quality_report: { path: '<img src=x onerror=alert(2)>', records: 3 } },
    }),
  ];
  for (let i = 0; i < messy; i++) {
    const ms = now - rng.int(60, 60 * 60) * MINUTE;
    const runId = newRunId(`messy${i}`, ms);
    const base = {
      timestamp: iso(ms),
      event_type: 'job_completed',
      job_name: 'messy',
      job_run_id: runId,
      status: 'PENDING_APPROVAL',
      failure_type: 'QUALITY',
    };
    const doc = messyVariants[i % messyVariants.length](base);
    for (const key of Object.keys(doc)) if (doc[key] === undefined) delete doc[key];
    messyDocs.push(finish(runId, doc));
  }

  // Order: history first so dynamic sub-fields (artifacts.*) are mapped from well-formed documents.
  const documents = [...historyDocs, ...pendingDocs, ...decidedDocs, ...messyDocs];

  // ---- manifest: computed from the documents with docs/CONTRACTS.md §2's definitions
  const newest = new Map();
  for (const doc of documents) {
    const prev = newest.get(doc.job_run_id);
    if (!prev || new Date(doc.timestamp).getTime() >= new Date(prev.timestamp).getTime()) newest.set(doc.job_run_id, doc);
  }
  const pendingRuns = [...newest.values()].filter((d) => d.status === 'PENDING_APPROVAL' && d.approval_status == null);
  const withExpiry = pendingRuns
    .map((d) => ({ id: d.job_run_id, expiry: expiryOf(d, ttlHours) }))
    .sort((a, b) => a.expiry - b.expiry || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const left = (e) => e.expiry - now;
  const manifest = {
    seededAt: iso(now),
    seed: opts.seed,
    ttlHours,
    pendingCount: pendingRuns.length,
    pendingRunIds: withExpiry.map((e) => e.id),
    decidedRunIds: decidedDocs.map((d) => d.job_run_id),
    historyCount: historyDocs.length,
    jobNames: [...JOB_NAMES],
    messyRunIds: messyDocs.map((d) => d.job_run_id),
    messyJobNames: [...new Set(messyDocs.map((d) => d.job_name))],
    urgentRunIds: withExpiry.filter((e) => left(e) > 0 && left(e) < 15 * MINUTE).map((e) => e.id),
    expiringRunIds: withExpiry.filter((e) => left(e) >= 15 * MINUTE && left(e) < HOUR).map((e) => e.id),
    overdueRunIds: withExpiry.filter((e) => left(e) <= 0).map((e) => e.id),
    explicitExpiryRunIds: pendingRuns.filter((d) => d.expires_at != null).map((d) => d.job_run_id),
    duplicateRunIds: duplicateRunId ? [duplicateRunId] : [],
    documentCount: documents.length,
  };
  return { documents, manifest };
}
