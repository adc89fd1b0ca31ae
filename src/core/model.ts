// The typed model of a job run and of a decision, shared by the extension, the processor
// and the tools. Plain data: no vscode, no AWS SDK.

export type Decision = 'APPROVED' | 'REJECTED';
/** How every surface (tree, panel, page, notifications, CLI, email) words a decision. */
export const DECISION_WORDS = {
  APPROVED: { verb: 'approve', title: 'Approve', noun: 'approval', past: 'approved', pastTitle: 'Approved', ing: 'Approving' },
  REJECTED: { verb: 'reject', title: 'Reject', noun: 'rejection', past: 'rejected', pastTitle: 'Rejected', ing: 'Rejecting' },
} as const satisfies Record<Decision, Record<string, string>>;
/** decided_by / approved_by of what no person decided: the expiry sweep's outcomes. */
export const SYSTEM_DECIDER = 'system';
export type Urgency = 'overdue' | 'urgent' | 'expiring' | 'normal';

/** A check value as stored: numbers, or strings such as "12.0%". */
export type CheckValue = number | string | null;

export interface QualityCheck {
  name: string;
  /** PASS / WARN / FAIL etc., upper-cased; null when missing. */
  status: string | null;
  value: CheckValue;
  threshold: CheckValue;
}

export interface Artifact {
  name: string;
  path: string | null;
  records: number | null;
}

export interface RunMetrics {
  recordsRead: number | null;
  recordsWritten: number | null;
  recordsDropped: number | null;
  bytesWritten: number | null;
  durationSeconds: number | null;
  extractDurationSeconds: number | null;
  transformDurationSeconds: number | null;
  loadDurationSeconds: number | null;
}

export interface ApprovalRecord {
  status: string;
  approvedBy: string | null;
  reason: string | null;
  timestamp: string | null;
}

/** One job run parsed tolerantly from a `job-events` document. */
export interface JobRun {
  /** OpenSearch `_id` of the document this was parsed from. */
  documentId: string;
  jobName: string;
  jobRunId: string;
  /** ISO 8601; null when missing or unparseable. */
  timestamp: string | null;
  timestampMs: number | null;
  eventType: string | null;
  status: string | null;
  failureType: string | null;
  qualityStatus: string | null;
  qualityChecks: QualityCheck[];
  artifactsAvailable: boolean | null;
  artifacts: Artifact[];
  metrics: RunMetrics;
  approval: ApprovalRecord | null;
  errorType: string | null;
  errorMessage: string | null;
  /** Explicit `expires_at` from the document, ISO 8601, if present and valid. */
  expiresAt: string | null;
  /** Who or what triggered the run, if the document names it (`triggered_by`). */
  triggeredBy: string | null;
  /** Human-readable notes about fields that were missing or malformed. */
  problems: string[];
}
