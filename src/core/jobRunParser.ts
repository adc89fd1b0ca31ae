// Turns one `job-events` document, however malformed, into a JobRun the views can show, with
// a plain-words list of what was missing or malformed. It never throws.
//
// Text is kept verbatim (markup included): the views render it as text, never as HTML, so
// sanitizing here would only corrupt what the reviewer sees. Display strings are shortened;
// job_name and job_run_id are not, because they identify the run in queries and in the
// signed decision, and a shortened id would name another run.

import { MAX_DISPLAY_CHARS, truncateForDisplay } from './untrustedText';
import { parseLooseNumber } from './looseNumber';
import type { ApprovalRecord, Artifact, CheckValue, JobRun, QualityCheck, RunMetrics } from './model';
import { isoFromMs, parseTimestampMs } from './timestamp';

/** error_message and approval_reason are prose; they get more room than labels. */
const MAX_LONG_TEXT_CHARS = 4000;
/** An S3 key may be 1024 bytes; with the scheme and bucket a path needs a little more. */
export const MAX_PATH_CHARS = 1100;
/** Beyond these a document is broken, not large; showing more would only slow the views. */
export const MAX_CHECKS = 200;
const MAX_ARTIFACTS = 200;
/** A document broken everywhere would otherwise list thousands of problems. */
export const MAX_PROBLEMS = 50;

export const MISSING_JOB_NAME = '(missing job_name)';
export const MISSING_JOB_RUN_ID = '(missing job_run_id)';

/**
 * Where the event as published (docs/CONTRACTS.md §2) nests a field that the indexer flattens: the parser
 * reads the flat field and, when it is missing, this path. `error` is the message itself or
 * an object with `type` and `message`, so both error fields come from all of it.
 */
export const NESTED_FIELD_PATHS: Readonly<Record<string, string>> = {
  quality_status: 'quality.status',
  quality_checks: 'quality.checks',
  records_read: 'metrics.records_read',
  records_written: 'metrics.records_written',
  records_dropped: 'metrics.records_dropped',
  bytes_written: 'metrics.bytes_written',
  duration_seconds: 'metrics.duration_seconds',
  extract_duration_seconds: 'metrics.extract_duration_seconds',
  transform_duration_seconds: 'metrics.transform_duration_seconds',
  load_duration_seconds: 'metrics.load_duration_seconds',
  error_type: 'error',
  error_message: 'error',
};

/**
 * The `_source` paths a query must fetch for the parser to read `fields` as it reads them
 * from the whole document: each field and where the published event nests it. Every query
 * whose hits are parsed into runs names its fields through this, so that a run is judged on
 * the same data (and has the same evidence hash) from the tree, the palette and the page.
 */
export function sourceFields(fields: readonly string[]): string[] {
  const paths = new Set<string>();
  for (const field of fields) {
    paths.add(field);
    const nested = NESTED_FIELD_PATHS[field];
    if (nested !== undefined) paths.add(nested);
  }
  return [...paths];
}

type JsonObject = Record<string, unknown>;

class Problems {
  readonly list: string[] = [];

  note(problem: string): void {
    if (this.list.length < MAX_PROBLEMS) {
      this.list.push(problem);
    } else if (this.list.length === MAX_PROBLEMS) {
      this.list.push('…and more problems not listed.');
    }
  }
}

/** Parses a `job-events` document's `_source`; `documentId` is the hit's `_id`. */
export function parseJobRun(documentId: string, source: unknown): JobRun {
  const id = typeof documentId === 'string' ? documentId : String(documentId);
  try {
    return parseObject(id, source);
  } catch (error) {
    // Only exotic inputs (proxies, getters that throw) get here; JSON never does.
    const run = emptyRun(id);
    run.problems.push(`The document could not be read: ${errorText(error)}`);
    return run;
  }
}

function parseObject(documentId: string, source: unknown): JobRun {
  const problems = new Problems();
  if (!isObject(source)) {
    const run = emptyRun(documentId);
    run.problems.push(`The document is ${kindOf(source)}, not an object; nothing in it can be shown.`);
    return run;
  }

  // The event as published nests quality, metrics and error; the indexer flattens them.
  // A document indexed without flattening still carries the data, so read it from there
  // (NESTED_FIELD_PATHS: the same paths every query fetches, see sourceFields).
  const errorObject = objectOrNull(own(source, 'error'));
  const flatOr = (field: string): unknown => {
    const flat = own(source, field);
    if (flat !== undefined) return flat;
    const [parent, child] = (NESTED_FIELD_PATHS[field] ?? '').split('.');
    const nested = parent ? objectOrNull(own(source, parent)) : null;
    return nested !== null && child !== undefined ? own(nested, child) : undefined;
  };

  const jobName = identifier(own(source, 'job_name'), 'job_name', MISSING_JOB_NAME, problems);
  const jobRunId = identifier(own(source, 'job_run_id'), 'job_run_id', MISSING_JOB_RUN_ID, problems);

  const rawTimestamp = own(source, 'timestamp');
  const timestampMs = parseTimestampMs(rawTimestamp);
  if (rawTimestamp === undefined || rawTimestamp === null) {
    problems.note('timestamp is missing, so the run’s age and expiry are unknown.');
  } else if (timestampMs === null) {
    problems.note(`timestamp is not a date: ${quote(rawTimestamp)}.`);
  }

  const rawExpires = own(source, 'expires_at');
  const expiresMs = parseTimestampMs(rawExpires);
  if (rawExpires !== undefined && rawExpires !== null && expiresMs === null) {
    problems.note(`expires_at is not a date: ${quote(rawExpires)}; the default expiry is used.`);
  }

  const rawError = own(source, 'error');
  const errorMessageRaw = typeof rawError === 'string' && own(source, 'error_message') === undefined
    ? rawError
    : errorObject !== null && own(source, 'error_message') === undefined ? own(errorObject, 'message') : own(source, 'error_message');

  return {
    documentId,
    jobName,
    jobRunId,
    timestamp: isoFromMs(timestampMs),
    timestampMs,
    eventType: text(own(source, 'event_type'), 'event_type', MAX_DISPLAY_CHARS, problems),
    status: upper(text(own(source, 'status'), 'status', MAX_DISPLAY_CHARS, problems)),
    failureType: text(own(source, 'failure_type'), 'failure_type', MAX_DISPLAY_CHARS, problems),
    qualityStatus: upper(text(flatOr('quality_status'), 'quality_status', MAX_DISPLAY_CHARS, problems)),
    qualityChecks: readChecks(flatOr('quality_checks'), problems),
    artifactsAvailable: readBoolean(own(source, 'artifacts_available'), 'artifacts_available', problems),
    artifacts: readArtifacts(own(source, 'artifacts'), problems),
    metrics: readMetrics(flatOr, problems),
    approval: readApproval(source, problems),
    errorType: text(errorObject !== null && own(source, 'error_type') === undefined ? own(errorObject, 'type') : own(source, 'error_type'), 'error_type', MAX_DISPLAY_CHARS, problems),
    errorMessage: text(errorMessageRaw, 'error_message', MAX_LONG_TEXT_CHARS, problems),
    expiresAt: isoFromMs(expiresMs),
    triggeredBy: text(own(source, 'triggered_by'), 'triggered_by', MAX_DISPLAY_CHARS, problems),
    problems: problems.list,
  };
}

function emptyRun(documentId: string): JobRun {
  return {
    documentId,
    jobName: MISSING_JOB_NAME,
    jobRunId: MISSING_JOB_RUN_ID,
    timestamp: null,
    timestampMs: null,
    eventType: null,
    status: null,
    failureType: null,
    qualityStatus: null,
    qualityChecks: [],
    artifactsAvailable: null,
    artifacts: [],
    metrics: {
      recordsRead: null,
      recordsWritten: null,
      recordsDropped: null,
      bytesWritten: null,
      durationSeconds: null,
      extractDurationSeconds: null,
      transformDurationSeconds: null,
      loadDurationSeconds: null,
    },
    approval: null,
    errorType: null,
    errorMessage: null,
    expiresAt: null,
    triggeredBy: null,
    problems: [],
  };
}

function identifier(raw: unknown, field: string, placeholder: string, problems: Problems): string {
  if (raw === undefined || raw === null) {
    problems.note(`${field} is missing.`);
    return placeholder;
  }
  if (typeof raw === 'number' || typeof raw === 'boolean') {
    return String(raw);
  }
  if (typeof raw !== 'string') {
    problems.note(`${field} is ${kindOf(raw)}, not text.`);
    return placeholder;
  }
  if (raw.trim() === '') {
    problems.note(`${field} is empty.`);
    return placeholder;
  }
  if (raw.length > MAX_DISPLAY_CHARS) {
    problems.note(`${field} is unusually long (${raw.length} characters).`);
  }
  return raw;
}

/**
 * A field's name in a problem note. Labels built from a check's or artifact's name are made
 * only when a note needs them: a well-formed run (the common case, 10,000 at a time in the
 * full list) builds none.
 */
type FieldLabel = string | (() => string);

function labelOf(field: FieldLabel): string {
  return typeof field === 'string' ? field : field();
}

/** Text for display: numbers and booleans become their text, objects their JSON, noted. */
function text(raw: unknown, field: FieldLabel, max: number, problems: Problems): string | null {
  if (raw === undefined || raw === null) {
    return null;
  }
  let value: string;
  if (typeof raw === 'string') {
    value = raw;
  } else if (typeof raw === 'number' || typeof raw === 'boolean') {
    value = String(raw);
  } else {
    problems.note(`${labelOf(field)} is ${kindOf(raw)}, not text; it is shown as JSON.`);
    value = jsonText(raw, max);
  }
  if (value.length > max) {
    problems.note(`${labelOf(field)} is ${value.length} characters long; only the first ${max} are shown.`);
    value = truncateForDisplay(value, max);
  }
  return value;
}

/** Status-like fields are compared against fixed words, so case and padding are dropped. */
function upper(value: string | null): string | null {
  if (value === null) {
    return null;
  }
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.toUpperCase();
}

function readNumber(raw: unknown, field: FieldLabel, problems: Problems): number | null {
  if (raw === undefined || raw === null) {
    return null;
  }
  const n = parseLooseNumber(raw);
  if (n === null) {
    problems.note(`${labelOf(field)} is not a number: ${quote(raw)}.`);
  }
  return n;
}

const TRUE_WORDS = new Set(['true', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'no', '0']);

function readBoolean(raw: unknown, field: string, problems: Problems): boolean | null {
  if (raw === undefined || raw === null) {
    return null;
  }
  if (typeof raw === 'boolean') {
    return raw;
  }
  const word = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : '';
  if (TRUE_WORDS.has(word)) {
    return true;
  }
  if (FALSE_WORDS.has(word)) {
    return false;
  }
  problems.note(`${field} is not true or false: ${quote(raw)}.`);
  return null;
}

function readChecks(raw: unknown, problems: Problems): QualityCheck[] {
  if (raw === undefined || raw === null) {
    return [];
  }
  let items: unknown[];
  if (Array.isArray(raw)) {
    items = raw;
  } else if (isObject(raw)) {
    problems.note('quality_checks is a single check, not a list.');
    items = [raw];
  } else {
    problems.note(`quality_checks is ${kindOf(raw)}, not a list of checks.`);
    return [];
  }
  if (items.length > MAX_CHECKS) {
    problems.note(`quality_checks lists ${items.length} checks; only the first ${MAX_CHECKS} are shown.`);
    items = items.slice(0, MAX_CHECKS);
  }
  const checks: QualityCheck[] = [];
  items.forEach((item, index) => {
    if (!isObject(item)) {
      problems.note(`quality check ${index + 1} is ${kindOf(item)}, not a check; it is skipped.`);
      return;
    }
    let name = text(own(item, 'name'), () => `The name of quality check ${index + 1}`, MAX_DISPLAY_CHARS, problems);
    if (name === null || name.trim() === '') {
      problems.note(`quality check ${index + 1} has no name.`);
      name = `(unnamed check ${index + 1})`;
    }
    checks.push({
      name,
      status: upper(text(own(item, 'status'), () => `The status of check ${name}`, MAX_DISPLAY_CHARS, problems)),
      value: checkValue(own(item, 'value'), () => `The value of check ${name}`, problems),
      threshold: checkValue(own(item, 'threshold'), () => `The threshold of check ${name}`, problems),
    });
  });
  return checks;
}

function checkValue(raw: unknown, field: FieldLabel, problems: Problems): CheckValue {
  if (raw === undefined || raw === null) {
    return null;
  }
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? raw : null;
  }
  return text(raw, field, MAX_DISPLAY_CHARS, problems);
}

function readArtifacts(raw: unknown, problems: Problems): Artifact[] {
  if (raw === undefined || raw === null) {
    return [];
  }
  let entries: Array<[string, unknown]>;
  if (Array.isArray(raw)) {
    problems.note('artifacts is a list, not an object of named artifacts.');
    entries = raw.map((item, index): [string, unknown] => {
      const name = isObject(item) ? own(item, 'name') : undefined;
      return [typeof name === 'string' && name.trim() !== '' ? name : `(artifact ${index + 1})`, item];
    });
  } else if (isObject(raw)) {
    entries = Object.entries(raw);
  } else {
    problems.note(`artifacts is ${kindOf(raw)}, not an object of named artifacts.`);
    return [];
  }
  if (entries.length > MAX_ARTIFACTS) {
    problems.note(`artifacts lists ${entries.length} artifacts; only the first ${MAX_ARTIFACTS} are shown.`);
    entries = entries.slice(0, MAX_ARTIFACTS);
  }
  return entries.map(([rawName, value]) => {
    const name = text(rawName, 'An artifact name', MAX_DISPLAY_CHARS, problems) ?? '';
    if (typeof value === 'string') {
      // A bare string can only be the location.
      return { name, path: text(value, () => `The path of artifact ${name}`, MAX_PATH_CHARS, problems), records: null };
    }
    if (!isObject(value)) {
      if (value !== null && value !== undefined) {
        problems.note(`artifact ${name} is ${kindOf(value)}, not {path, records}.`);
      }
      return { name, path: null, records: null };
    }
    return {
      name,
      path: text(own(value, 'path'), () => `The path of artifact ${name}`, MAX_PATH_CHARS, problems),
      records: readNumber(own(value, 'records'), () => `The records of artifact ${name}`, problems),
    };
  });
}

function readMetrics(field: (name: string) => unknown, problems: Problems): RunMetrics {
  const n = (name: string): number | null => readNumber(field(name), name, problems);
  return {
    recordsRead: n('records_read'),
    recordsWritten: n('records_written'),
    recordsDropped: n('records_dropped'),
    bytesWritten: n('bytes_written'),
    durationSeconds: n('duration_seconds'),
    extractDurationSeconds: n('extract_duration_seconds'),
    transformDurationSeconds: n('transform_duration_seconds'),
    loadDurationSeconds: n('load_duration_seconds'),
  };
}

function readApproval(source: JsonObject, problems: Problems): ApprovalRecord | null {
  const raw = own(source, 'approval_status');
  // Mirrors OpenSearch's `exists`, which the pending query uses: null and [] do not exist.
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    return null;
  }
  let status = upper(text(raw, 'approval_status', MAX_DISPLAY_CHARS, problems));
  if (status === null) {
    problems.note('approval_status is empty.');
    status = '(empty)';
  }
  const rawTimestamp = own(source, 'approval_timestamp');
  const timestampMs = parseTimestampMs(rawTimestamp);
  let timestamp = isoFromMs(timestampMs);
  if (timestamp === null && rawTimestamp !== undefined && rawTimestamp !== null) {
    problems.note(`approval_timestamp is not a date: ${quote(rawTimestamp)}.`);
    timestamp = text(rawTimestamp, 'approval_timestamp', MAX_DISPLAY_CHARS, problems);
  }
  return {
    status,
    approvedBy: text(own(source, 'approved_by'), 'approved_by', MAX_DISPLAY_CHARS, problems),
    reason: text(own(source, 'approval_reason'), 'approval_reason', MAX_LONG_TEXT_CHARS, problems),
    timestamp,
  };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectOrNull(value: unknown): JsonObject | null {
  return isObject(value) ? value : null;
}

/** Own properties only: a field named like an Object.prototype member must not read it. */
function own(object: JsonObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'text';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true/false';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

function jsonText(value: unknown, max: number): string {
  try {
    const json = JSON.stringify(value);
    return typeof json === 'string' ? json : String(value);
  } catch {
    return truncateForDisplay(Object.prototype.toString.call(value), max);
  }
}

/** A short quotation of a bad value for a problem note. */
function quote(value: unknown): string {
  return truncateForDisplay(typeof value === 'string' ? JSON.stringify(value) : jsonText(value, 60), 60);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
