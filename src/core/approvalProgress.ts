// Where a run stands under its job's approval policy, from the run's audit documents: who
// may decide it, which approvals count (one per person), and what is still needed. The
// processor judges a decision with these functions and the extension shows their result
// before anyone types a reason, so the two cannot disagree. Pure.
//
// Identity is the ARN STS returned for the decider (identity_arn, verified by the processor
// before a decision gets an awaiting-quorum or recorded audit); `decided_by` of a message is
// never counted or compared.

import { globMatches, patternsFor, policyForJob, type ApprovalPolicy, type JobPolicy } from './approvalPolicy';
import type { AuditRecord } from './auditRecord';
import { DECISION_WORDS, type Decision } from './model';
import { decidedByFromArn } from './callerIdentity';
import { emailEligibility } from './emailPolicy';
import { principalOf, triggeredBySamePerson, type Principal } from './principal';

/** An audit document as both the processor and the extension read it. */
export interface VoteRecord {
  decisionId: string | null;
  jobRunId: string | null;
  decision: string | null;
  auditStatus: string | null;
  evidenceSha256: string | null;
  /** The verified caller ARN of the decision. */
  identityArn: string | null;
  reason: string | null;
  /** The decision's time (ISO); orders the approvals. */
  timestamp: string | null;
  /** When the processor received it (ISO); orders decisions made in the same second. */
  receivedAt: string | null;
  /** The audit's code (a stale proof, a conflicting decision_id…): such an audit is no vote. */
  auditCode?: string | null;
  /** The run document the vote was judged on; a vote for another document of the run does not count. */
  runDocumentId?: string | null;
  /** "email": made through an alert email's link; its person is decidedBy, the link's recipient. */
  channel?: string | null;
  /** decided_by of the decision: read only for an email decision (see channel). */
  decidedBy?: string | null;
}

/** The run as the policy needs it. */
export interface RunContext {
  jobName: string;
  jobRunId: string;
  triggeredBy: string | null;
  /** evidence_sha256 of the run as it is now: approvals of other evidence do not count. */
  evidenceSha256: string;
  /** `_id` of the run's newest document, when known: votes judged on another document do not count. */
  runDocumentId?: string | null;
}


export type Eligibility =
  | { allowed: true; principal: Principal }
  | { allowed: false; why: 'unknown-identity' | 'identity-kind' | 'not-listed' | 'self-approval'; principal: Principal | null; detail: string };

export interface CountedApproval {
  personKey: string;
  /** The decider's name, from the verified ARN (user or session name). */
  decidedBy: string;
  decisionId: string;
  reason: string;
  timestamp: string;
  receivedAt: string;
}

export interface ApprovalTally {
  quorum: number;
  /** One per person (their earliest approval), in decision order. */
  approvals: CountedApproval[];
  reached: boolean;
}

/** Where the policy applies from, for messages: `jobs matching "load_*"` or `the default policy`. */
function policyScope(policy: JobPolicy): string {
  return policy.matchedBy === null ? 'the default policy' : `jobs matching ${JSON.stringify(policy.matchedBy)}`;
}

/** May the caller with this verified ARN take this decision on the run? */
export function eligibility(policy: JobPolicy, run: Pick<RunContext, 'triggeredBy'>, identityArn: string | null | undefined, decision: Decision): Eligibility {
  const principal = principalOf(identityArn, policy);
  const arnText = JSON.stringify(String(identityArn ?? '').slice(0, 300));
  if (principal === null) {
    return { allowed: false, why: 'unknown-identity', principal: null, detail: `The caller ARN ${arnText} is not an AWS identity the approval policy can count.` };
  }
  if (principal.kind === null || !policy.identityKinds.includes(principal.kind)) {
    return {
      allowed: false,
      why: 'identity-kind',
      principal,
      detail:
        `${arnText} is ${principal.kind === null ? 'not an identity kind AWS issues' : `a ${principal.kind} identity`}; ` +
        `${policyScope(policy)} count${policy.matchedBy === null ? 's' : ''} only ${policy.identityKinds.join(', ') || 'no kind'}.`,
    };
  }
  const patterns = patternsFor(policy, decision);
  if (!patterns.some((pattern) => pattern === '*' || globMatches(pattern, principal.arn))) {
    const role = decision === 'APPROVED' ? 'an approver' : 'allowed to reject';
    return { allowed: false, why: 'not-listed', principal, detail: `${nameOf(principal)} (${arnText}) is not ${role} of ${policyScope(policy)}.` };
  }
  if (decision === 'APPROVED' && policy.forbidSelfApproval && triggeredBySamePerson(run.triggeredBy, principal, policy)) {
    return {
      allowed: false,
      why: 'self-approval',
      principal,
      detail: `${nameOf(principal)} triggered this run (triggered_by ${JSON.stringify(String(run.triggeredBy).slice(0, 300))}) and cannot approve it.`,
    };
  }
  return { allowed: true, principal };
}

/**
 * The approvals that count for the run now: audited as awaiting-quorum or recorded, for this
 * run and its current evidence, from callers the policy still lets approve; one per person,
 * the earliest. `current` is the decision being judged (it may also be among `records`).
 */
export function tallyApprovals(policy: JobPolicy, run: RunContext, records: readonly VoteRecord[], current?: VoteRecord): ApprovalTally {
  const candidates = records.filter((record) => countsAsApproval(record, run) && record.decisionId !== current?.decisionId);
  if (current) candidates.push(current);
  const counted: CountedApproval[] = [];
  for (const record of candidates) {
    if (record.channel === 'email') {
      // Only the approval API's role sends these (the processor verified it); the person is the recipient.
      const byEmail = emailEligibility(policy, run, record.decidedBy, 'APPROVED');
      if (!byEmail.allowed || typeof record.decisionId !== 'string') continue;
      counted.push({ personKey: byEmail.personKey, decidedBy: byEmail.name, decisionId: record.decisionId, reason: record.reason ?? '', timestamp: record.timestamp ?? '', receivedAt: record.receivedAt ?? '' });
      continue;
    }
    const verdict = eligibility(policy, run, record.identityArn, 'APPROVED');
    if (!verdict.allowed || typeof record.decisionId !== 'string') continue;
    counted.push({
      personKey: verdict.principal.personKey,
      decidedBy: nameOf(verdict.principal),
      decisionId: record.decisionId,
      reason: record.reason ?? '',
      timestamp: record.timestamp ?? '',
      receivedAt: record.receivedAt ?? '',
    });
  }
  counted.sort(compareApprovals);
  const byPerson = new Map<string, CountedApproval>();
  for (const approval of counted) if (!byPerson.has(approval.personKey)) byPerson.set(approval.personKey, approval);
  const approvals = [...byPerson.values()];
  return { quorum: policy.quorum, approvals, reached: approvals.length >= policy.quorum };
}

/** "2 of 3 distinct approvals (alice, bob)". */
export function describeTally(tally: ApprovalTally): string {
  const names = tally.approvals.map((approval) => approval.decidedBy).join(', ');
  return `${tally.approvals.length} of ${tally.quorum} distinct approvals${names === '' ? '' : ` (${names})`}`;
}

/** What the current identity may do on a pending run, and what the run still needs. */
export interface DecisionProgress {
  quorum: number;
  /** Distinct people who approved (for the current evidence). */
  approvedBy: string[];
  /** The current identity, when known and readable. */
  you: { personName: string; arn: string } | null;
  youApproved: boolean;
  approve: { allowed: boolean; reason: string | null };
  reject: { allowed: boolean; reason: string | null };
  /** "1 of 2 approvals (alice); you approved already", or "One approval decides this run." */
  summary: string;
}

/**
 * The progress the extension shows on the details page (and that the processor's judgement
 * agrees with: the same eligibility and tally). `identityArn` null = not known (yet).
 */
export function decisionProgress(input: { policy: ApprovalPolicy; run: RunContext; records: readonly VoteRecord[]; identityArn: string | null }): DecisionProgress {
  const policy = policyForJob(input.policy, input.run.jobName);
  const tally = tallyApprovals(policy, input.run, input.records);
  const approvedBy = tally.approvals.map((approval) => approval.decidedBy);
  const approveVerdict = input.identityArn === null ? null : eligibility(policy, input.run, input.identityArn, 'APPROVED');
  const rejectVerdict = input.identityArn === null ? null : eligibility(policy, input.run, input.identityArn, 'REJECTED');
  const principal = approveVerdict?.principal ?? rejectVerdict?.principal ?? null;
  const youApproved = principal !== null && tally.approvals.some((approval) => approval.personKey === principal.personKey);
  const approveReason = ((): string | null => {
    if (approveVerdict === null) return 'Your AWS identity is not known yet.';
    if (!approveVerdict.allowed) return youCannot(approveVerdict, 'approve', policy);
    if (youApproved) return 'You approved this run already; the same person counts once.';
    return null;
  })();
  const rejectReason = rejectVerdict === null ? 'Your AWS identity is not known yet.' : rejectVerdict.allowed ? null : youCannot(rejectVerdict, 'reject', policy);

  const count = `${tally.approvals.length} of ${tally.quorum} approval${tally.quorum === 1 ? '' : 's'}`;
  const who = approvedBy.length > 0 ? ` (${approvedBy.join(', ')})` : '';
  const parts = [tally.quorum === 1 && tally.approvals.length === 0 ? 'One approval decides this run' : `${count}${who}`];
  if (youApproved) parts.push('you approved already');
  else if (approveReason !== null && approveVerdict !== null && !approveVerdict.allowed && approveVerdict.why === 'self-approval') parts.push('you triggered this run and cannot approve it');
  else if (approveReason !== null && approveVerdict !== null && !approveVerdict.allowed && approveVerdict.why === 'not-listed') parts.push(`you are not an approver of ${policyScope(policy)}`);
  else if (tally.quorum > tally.approvals.length + 1) parts.push(`${tally.quorum - tally.approvals.length} more needed`);
  return {
    quorum: tally.quorum,
    approvedBy,
    you: principal === null ? null : { personName: principal.personName, arn: principal.arn },
    youApproved,
    approve: { allowed: approveReason === null, reason: approveReason },
    reject: { allowed: rejectReason === null, reason: rejectReason },
    summary: parts.join('; '),
  };
}

/**
 * The runs of a selection the identity may take `decision` on under the policy, and for the
 * others why not (in the words the details page uses). For the tree and the palette, before a
 * reason is asked for. An approval already given is not known here: the processor counts it once.
 */
export function splitByEligibility<R extends { jobName: string; triggeredBy: string | null }>(
  policy: ApprovalPolicy,
  runs: readonly R[],
  identityArn: string,
  decision: Decision,
): { allowed: R[]; refused: Array<{ run: R; reason: string }> } {
  const allowed: R[] = [];
  const refused: Array<{ run: R; reason: string }> = [];
  for (const run of runs) {
    const jobPolicy = policyForJob(policy, run.jobName);
    const verdict = eligibility(jobPolicy, run, identityArn, decision);
    if (verdict.allowed) allowed.push(run);
    else refused.push({ run, reason: youCannot(verdict, DECISION_WORDS[decision].verb, jobPolicy) });
  }
  return { allowed, refused };
}

function youCannot(verdict: Extract<Eligibility, { allowed: false }>, verb: 'approve' | 'reject', policy: JobPolicy): string {
  switch (verdict.why) {
    case 'self-approval':
      return 'You triggered this run and cannot approve it.';
    case 'not-listed':
      return verb === 'approve' ? `You are not an approver of ${policyScope(policy)}.` : `You may not reject runs of ${policyScope(policy)}.`;
    case 'identity-kind':
    case 'unknown-identity':
      return `Your identity cannot ${verb}: ${verdict.detail}`;
  }
}

/** An audit record as the extension parsed it, as the tally reads it. */
export function voteRecordOfAuditRecord(record: AuditRecord): VoteRecord {
  return {
    decisionId: record.decisionId,
    jobRunId: record.jobRunId,
    decision: record.decision,
    auditStatus: record.auditStatus,
    evidenceSha256: record.evidenceSha256,
    identityArn: record.identityArn ?? null,
    reason: record.reason,
    timestamp: record.timestamp,
    receivedAt: record.receivedAt ?? null,
    auditCode: record.code ?? null,
    runDocumentId: record.runDocumentId ?? null,
  };
}

/** Most approvals a run's progress reads; far above any quorum (MAX_QUORUM people). */
const MAX_VOTES_READ = 1000;

/**
 * The audit documents that may count as approvals (awaiting-quorum or recorded approvals),
 * of one run, or with no run id of every run, oldest first. Only the processor writes those
 * statuses, and only for messages it verified, so junk naming a run cannot crowd them out.
 */
export function approvalVotesQuery(jobRunId?: string): { size: number; query: unknown; sort: unknown[] } {
  const filter: unknown[] = [{ term: { decision: 'APPROVED' } }, { terms: { audit_status: jobRunId === undefined ? ['awaiting-quorum'] : ['awaiting-quorum', 'recorded'] } }];
  if (jobRunId !== undefined) filter.push({ term: { job_run_id: jobRunId } });
  return { size: jobRunId === undefined ? 10_000 : MAX_VOTES_READ, query: { bool: { filter } }, sort: [{ timestamp: 'asc' }] };
}

/**
 * "Waiting for me": the runs the identity may approve under the policy and has not approved
 * yet (an awaiting-quorum approval of theirs, any ARN of the same person, among `openVotes`).
 * For the tree's filter; the details page shows the whole progress.
 */
export function waitingForIdentity(
  policy: ApprovalPolicy,
  identityArn: string,
  openVotes: readonly VoteRecord[],
): (run: { jobName: string; jobRunId: string; triggeredBy: string | null }) => boolean {
  const votedRunsByPolicy = new Map<JobPolicy, Set<string>>();
  const votedRuns = (jobPolicy: JobPolicy): Set<string> => {
    let runs = votedRunsByPolicy.get(jobPolicy);
    if (!runs) {
      const me = principalOf(identityArn, jobPolicy)?.personKey;
      runs = new Set(openVotes.filter((vote) => me !== undefined && typeof vote.jobRunId === 'string' && principalOf(vote.identityArn, jobPolicy)?.personKey === me).map((vote) => String(vote.jobRunId)));
      votedRunsByPolicy.set(jobPolicy, runs);
    }
    return runs;
  };
  return (run) => {
    const jobPolicy = policyForJob(policy, run.jobName);
    return eligibility(jobPolicy, run, identityArn, 'APPROVED').allowed && !votedRuns(jobPolicy).has(run.jobRunId);
  };
}

/** An audit that is a live approval of this run for the evidence it has now. */
function countsAsApproval(record: VoteRecord, run: RunContext): boolean {
  return (
    record.jobRunId === run.jobRunId &&
    (record.auditCode ?? null) === null &&
    (run.runDocumentId == null || record.runDocumentId == null || record.runDocumentId === run.runDocumentId) &&
    record.decision === 'APPROVED' &&
    (record.auditStatus === 'awaiting-quorum' || record.auditStatus === 'recorded') &&
    record.evidenceSha256 === run.evidenceSha256 &&
    typeof record.decisionId === 'string' &&
    typeof record.identityArn === 'string'
  );
}

/** The user or session name of the verified ARN: what `decided_by` is derived from. */
function nameOf(principal: Principal): string {
  return decidedByFromArn(principal.arn);
}

function compareApprovals(a: CountedApproval, b: CountedApproval): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  if (a.receivedAt !== b.receivedAt) return a.receivedAt < b.receivedAt ? -1 : 1;
  return a.decisionId < b.decisionId ? -1 : a.decisionId > b.decisionId ? 1 : 0;
}
