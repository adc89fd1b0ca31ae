// Index definitions for the local stack: the pipeline's mappings (docs/CONTRACTS.md §2, §7),
// with the additions explained next to each one.

/**
 * Sub-fields of a quality check.
 *
 * Deliberate addition: the pipeline maps `quality_checks` as `nested` with dynamic sub-fields. With
 * dynamic mapping the first document decides the type of `value`/`threshold`: a number (0.12)
 * indexed first maps them as float, and a later "12.0%" string then fails to index
 * (mapper_parsing_exception) — the pipeline emits both shapes. Mapping them as keyword accepts
 * numbers, strings and booleans alike; _source keeps the original JSON type, which is what
 * readers use.
 */
const QUALITY_CHECK_PROPERTIES = {
  name: { type: 'keyword' },
  status: { type: 'keyword' },
  value: { type: 'keyword' },
  threshold: { type: 'keyword' },
};

export const JOB_EVENTS_MAPPING = {
  properties: {
    // --- the pipeline's mapping, unchanged ---
    timestamp: { type: 'date' },
    event_type: { type: 'keyword' },

    job_name: { type: 'keyword' },
    job_run_id: { type: 'keyword' },
    status: { type: 'keyword' },
    failure_type: { type: 'keyword' },

    quality_status: { type: 'keyword' },
    // Seed: {"type": "nested"}; explicit sub-fields added (see QUALITY_CHECK_PROPERTIES).
    quality_checks: { type: 'nested', properties: QUALITY_CHECK_PROPERTIES },

    artifacts_available: { type: 'boolean' },
    artifacts: { type: 'object' },

    records_read: { type: 'long' },
    records_written: { type: 'long' },
    records_dropped: { type: 'long' },
    bytes_written: { type: 'long' },
    duration_seconds: { type: 'float' },

    approval_status: { type: 'keyword' },
    approved_by: { type: 'keyword' },
    approval_reason: { type: 'text' },
    approval_timestamp: { type: 'date' },

    error_type: { type: 'keyword' },
    error_message: { type: 'text' },

    // --- additions ---
    // Optional explicit expiry of a pending run (docs/CONTRACTS.md §2).
    expires_at: { type: 'date' },
    // Who or what started the run (an IAM ARN or a name).
    triggered_by: { type: 'keyword' },
    // The phase durations are in the seed's document but not its mapping; left dynamic, the
    // first document would decide their type (an integer 30 maps as long, a messy "30.5" as text).
    extract_duration_seconds: { type: 'float' },
    transform_duration_seconds: { type: 'float' },
    load_duration_seconds: { type: 'float' },
    // The processor lists the decisions applied to a run, to finish an interrupted update.
    approval_decision_ids: { type: 'keyword' },
  },
};

export const JOB_APPROVALS_MAPPING = {
  properties: {
    // --- the pipeline's mapping, unchanged ---
    timestamp: { type: 'date' },
    event_type: { type: 'keyword' },

    job_name: { type: 'keyword' },
    job_run_id: { type: 'keyword' },

    decision: { type: 'keyword' },
    decided_by: { type: 'keyword' },
    reason: { type: 'text' },

    original_quality_status: { type: 'keyword' },
    // Seed: {"type": "nested"}; same explicit sub-fields as job-events.quality_checks, same reason.
    original_quality_checks: { type: 'nested', properties: QUALITY_CHECK_PROPERTIES },

    // --- additions for the approval processor's audit (docs/CONTRACTS.md §7) ---
    decision_id: { type: 'keyword' },
    identity_arn: { type: 'keyword' },
    audit_status: { type: 'keyword' },
    evidence_sha256: { type: 'keyword' },
    received_at: { type: 'date' },
    audit_detail: { type: 'text' },
    // Signature v2 and decision_id consumption (docs/CONTRACTS.md §7): the hash of the message
    // that consumed the decision_id, the run document it was judged against, why a message was
    // not taken on its merits, and when the effective outcome it decided was published.
    message_sha256: { type: 'keyword' },
    run_document_id: { type: 'keyword' },
    audit_code: { type: 'keyword' },
    signature_version: { type: 'keyword' },
    outcome_published_at: { type: 'date' },
    // "email" for a decision made through an alert email's link (absent: the extension).
    channel: { type: 'keyword' },
  },
};

/** Index settings for a single local node: one shard, no replicas (so the cluster is green). */
const INDEX_SETTINGS = { number_of_shards: 1, number_of_replicas: 0 };

export function indexBody(mapping) {
  return { settings: { index: INDEX_SETTINGS }, mappings: mapping };
}
