// The fingerprint of what a reviewer saw when deciding: a decision carries it, so the audit
// can tell whether the run's checks, metrics or artifacts changed after it was reviewed.
//
// It covers exactly what the details view shows of the data: quality_status, the quality
// checks (name, status, value, threshold, in document order), the metrics, and the
// artifacts (name, path, records, sorted by name because they come from a JSON object,
// whose key order carries no meaning). Values are taken after parsing, as displayed.

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonicalJson';
import type { JobRun, QualityCheck } from './model';

/** Bump when the set of fields covered changes, so that old and new hashes never collide. */
const EVIDENCE_VERSION = 1;

/** A quality check as the evidence and the audit record it: name, status, value, threshold and nothing else. */
export function checkFields(check: QualityCheck): QualityCheck {
  return { name: check.name, status: check.status, value: check.value, threshold: check.threshold };
}

/** The value that is hashed; exported so that tests and the audit can show it. */
export function evidenceOf(run: JobRun): Record<string, unknown> {
  const m = run.metrics;
  return {
    evidence_version: EVIDENCE_VERSION,
    quality_status: run.qualityStatus,
    quality_checks: run.qualityChecks.map(checkFields),
    metrics: {
      records_read: m.recordsRead,
      records_written: m.recordsWritten,
      records_dropped: m.recordsDropped,
      bytes_written: m.bytesWritten,
      duration_seconds: m.durationSeconds,
      extract_duration_seconds: m.extractDurationSeconds,
      transform_duration_seconds: m.transformDurationSeconds,
      load_duration_seconds: m.loadDurationSeconds,
    },
    artifacts: [...run.artifacts]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((artifact) => ({ name: artifact.name, path: artifact.path, records: artifact.records })),
  };
}

/** Lower-case hex SHA-256 of the canonical JSON of evidenceOf(run). */
export function evidenceSha256(run: JobRun): string {
  return createHash('sha256').update(canonicalJson(evidenceOf(run)), 'utf8').digest('hex');
}
