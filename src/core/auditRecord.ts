// A decision as recorded in the `job-approvals` audit index, parsed tolerantly for the
// Recent Decisions view and the details page.

/** What the processor concluded about a decision. */
export type AuditStatus = 'recorded' | 'superseded' | 'invalid' | 'awaiting-quorum' | 'refused' | 'unknown';

export interface AuditRecord {
  decisionId: string;
  jobName: string;
  jobRunId: string;
  decision: string;
  decidedBy: string;
  reason: string;
  /** When the decision was made (the message timestamp). */
  timestamp: string | null;
  auditStatus: AuditStatus;
  /** Why the processor refused or superseded it, when it did. */
  detail: string | null;
  /** The evidence_sha256 the decision carried: what the reviewer saw (null when absent). */
  evidenceSha256: string | null;
  /** The decider's caller ARN (verified by the processor for counted votes); null when absent. */
  identityArn?: string | null;
  /** When the processor received the decision; null when absent. */
  receivedAt?: string | null;
  /**
   * Why the processor did not take the message on its merits (`audit_code`: e.g.
   * identity-proof-expired, signature, decision-id-conflict); null or absent otherwise.
   */
  code?: string | null;
  /** `_id` of the run document the processor judged the decision on; null when absent. */
  runDocumentId?: string | null;
  /** "email" when the decision came through an alert email's link (issue 13). */
  channel?: string | null;
}

function text(value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fallback;
}

export function parseAuditRecord(id: string, source: unknown): AuditRecord {
  const doc = (source && typeof source === 'object' ? source : {}) as Record<string, unknown>;
  return {
    decisionId: text(doc.decision_id, id),
    jobName: text(doc.job_name, '(missing job_name)'),
    jobRunId: text(doc.job_run_id, '(missing job_run_id)'),
    decision: text(doc.decision, 'UNKNOWN'),
    decidedBy: text(doc.decided_by, '(unknown)'),
    reason: text(doc.reason, ''),
    timestamp: typeof doc.timestamp === 'string' ? doc.timestamp : null,
    auditStatus: auditStatusOf(doc.audit_status),
    detail: typeof doc.audit_detail === 'string' ? doc.audit_detail : null,
    evidenceSha256: typeof doc.evidence_sha256 === 'string' && doc.evidence_sha256 !== '' ? doc.evidence_sha256 : null,
    identityArn: typeof doc.identity_arn === 'string' && doc.identity_arn !== '' ? doc.identity_arn : null,
    receivedAt: typeof doc.received_at === 'string' ? doc.received_at : null,
    code: typeof doc.audit_code === 'string' && doc.audit_code !== '' ? doc.audit_code : null,
    runDocumentId: typeof doc.run_document_id === 'string' && doc.run_document_id !== '' ? doc.run_document_id : null,
    ...(doc.channel === 'email' ? { channel: 'email' } : {}),
  };
}

const AUDIT_STATUSES: readonly AuditStatus[] = ['recorded', 'superseded', 'invalid', 'awaiting-quorum', 'refused'];

function auditStatusOf(value: unknown): AuditStatus {
  return AUDIT_STATUSES.find((status) => status === value) ?? 'unknown';
}
