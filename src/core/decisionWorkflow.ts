// Publishing a decision, as one use case over ports: look the run up afresh, refuse if it
// is no longer pending (saying who decided), prove the identity (signature v2), sign the
// message and publish it once.
// A retry after a failed publish reuses the decision_id, so downstream sees one decision.
import { buildDecisionMessage, type DecisionMessage } from './decisionMessage';
import type { IdentityProof } from './identityProof';
import { evidenceSha256 } from './evidence';
import type { Decision, JobRun } from './model';
import { isPending } from './pendingQuery';

export interface DecisionPorts {
  /** The run's newest document, read now (not from a cache); null if it does not exist. */
  freshRun(jobRunId: string): Promise<JobRun | null>;
  identity(): Promise<{ arn: string; decidedBy: string }>;
  signingSecret(): Promise<string>;
  /** Signs the STS GetCallerIdentity request bound to this decision hash with the reviewer's credentials. */
  proveIdentity(decisionSha256: string): Promise<IdentityProof>;
  topicArn(): Promise<string>;
  publish(topicArn: string, message: DecisionMessage): Promise<{ messageId: string }>;
  now(): Date;
}

export interface DecisionRequest {
  /** The run as the reviewer saw it: its evidence is what the decision is about. */
  shownRun: JobRun;
  decision: Decision;
  reason: string;
  /** Set when retrying a failed publish, so the retry carries the same decision_id. */
  decisionId?: string;
}

export type PublishOutcome =
  | { kind: 'published'; messageId: string; message: DecisionMessage }
  | { kind: 'alreadyDecided'; status: string; decidedBy: string | null; decidedAt: string | null; reason: string | null }
  | { kind: 'noLongerPending'; status: string | null }
  | { kind: 'notFound' }
  | { kind: 'evidenceChanged'; freshRun: JobRun };

export async function publishDecision(ports: DecisionPorts, request: DecisionRequest): Promise<PublishOutcome> {
  const runId = request.shownRun.jobRunId;
  const fresh = await ports.freshRun(runId);
  if (!fresh) return { kind: 'notFound' };
  if (fresh.approval) {
    return {
      kind: 'alreadyDecided',
      status: fresh.approval.status,
      decidedBy: fresh.approval.approvedBy,
      decidedAt: fresh.approval.timestamp,
      reason: fresh.approval.reason,
    };
  }
  if (!isPending(fresh)) return { kind: 'noLongerPending', status: fresh.status };
  const shownEvidence = evidenceSha256(request.shownRun);
  if (evidenceSha256(fresh) !== shownEvidence) return { kind: 'evidenceChanged', freshRun: fresh };

  const [identity, secret, topicArn] = await Promise.all([ports.identity(), ports.signingSecret(), ports.topicArn()]);
  const message = await buildDecisionMessage(
    {
      jobName: fresh.jobName,
      jobRunId: fresh.jobRunId,
      decision: request.decision,
      reason: request.reason,
      decidedBy: identity.decidedBy,
      identityArn: identity.arn,
      evidenceSha256: shownEvidence,
      timestamp: ports.now(),
      ...(request.decisionId ? { decisionId: request.decisionId } : {}),
    },
    secret,
    (hash) => ports.proveIdentity(hash),
  );
  const { messageId } = await ports.publish(topicArn, message);
  return { kind: 'published', messageId, message };
}
