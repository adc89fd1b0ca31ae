// The effective outcome of a run's approval (docs/CONTRACTS.md §8): with a quorum and
// first-decision-wins, a message on job_approvals is a vote, not an outcome. The processor
// publishes each outcome it records (approved once the quorum is met, rejected, and what
// the expiry sweep records: EXPIRED, or the policy's decision by "system") as an
// `approval_outcome` on its own topic, with the `decision` message attribute that
// subscription filter policies read; downstream subscribes there instead of to job_approvals.
//
// Delivery: published after the run update, and marked in the decisive decision's audit
// (`outcome_published_at`). A redelivery that finds the run updated but the audit unmarked
// publishes again, with the same `outcome_id`: consumers deduplicate on it (on a FIFO topic
// it is the MessageDeduplicationId, so SNS drops the repeat itself). The id is derived from
// the run document and the outcome, not from a decision: a run document is decided once
// (first decision wins), and two deliveries that both finish a quorum name the same outcome.

import { createHash } from 'node:crypto';
import type { Decision } from './model';
import { snsPublishParameters, type SnsPublishParameters } from './snsPublish';

const OUTCOME_EVENT_TYPE = 'approval_outcome';

/** A decision, or EXPIRED: what the expiry sweep records when the policy says `expire`. */
export type OutcomeDecision = Decision | 'EXPIRED';

export interface ApprovalOutcome {
  event_type: 'approval_outcome';
  /** outcomeIdOf(run_document_id, decision): the same for every publication of this outcome. */
  outcome_id: string;
  job_name: string;
  job_run_id: string;
  decision: OutcomeDecision;
  approved_by: string;
  approval_reason: string;
  approval_timestamp: string;
  /** Every decision the outcome rests on (the approvers of a quorum). */
  decision_ids: string[];
  /** `_id` of the job-events document that carries the outcome. */
  run_document_id: string;
  /** When the processor recorded it (ISO 8601 UTC). */
  recorded_at: string;
}

/** The id of the outcome a run document carries: hex SHA-256 of the document id and the decision. */
export function outcomeIdOf(runDocumentId: string, decision: OutcomeDecision): string {
  return createHash('sha256').update(`${runDocumentId}\n${decision}`, 'utf8').digest('hex');
}

/** The fields a decision or an expiry writes on a run document, and that its outcome repeats. */
export type RunOutcomeFields<Status extends OutcomeDecision = OutcomeDecision> = {
  approval_status: Status;
  /** decided_by; for a quorum, the approvers' names joined with ", ". */
  approved_by: string;
  approval_reason: string;
  approval_timestamp: string;
  /** The decisions that decided the run: how a redelivery knows its update landed. */
  approval_decision_ids: string[];
};

/** The outcome a run document now carries, recorded at `recordedAtMs`. */
export function outcomeOfRun(run: { jobName: string; jobRunId: string; documentId: string }, fields: RunOutcomeFields, recordedAtMs: number): ApprovalOutcome {
  return {
    event_type: OUTCOME_EVENT_TYPE,
    outcome_id: outcomeIdOf(run.documentId, fields.approval_status),
    job_name: run.jobName,
    job_run_id: run.jobRunId,
    decision: fields.approval_status,
    approved_by: fields.approved_by,
    approval_reason: fields.approval_reason,
    approval_timestamp: fields.approval_timestamp,
    decision_ids: fields.approval_decision_ids,
    run_document_id: run.documentId,
    recorded_at: new Date(recordedAtMs).toISOString(),
  };
}

/** SNS Publish parameters besides TopicArn: attribute `decision`; FIFO ids from the run and outcome. */
export function outcomePublishParameters(outcome: ApprovalOutcome, topicArn: string): SnsPublishParameters<'decision', OutcomeDecision> {
  return snsPublishParameters(outcome, { name: 'decision', value: outcome.decision }, { topicArn, deduplicationId: outcome.outcome_id });
}
