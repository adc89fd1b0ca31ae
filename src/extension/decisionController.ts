// Publishes decisions for the VS Code layer: one at a time per run (never twice), the same
// decision_id when a failed publish is retried, the typed reason kept until it succeeds,
// every outcome logged, and an event the views follow (published → recorded).
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { DecisionResult } from '../core/decisionState';
import { publishDecision } from '../core/decisionWorkflow';
import { classifyFailure } from '../core/failureClassification';
import type { Decision, JobRun } from '../core/model';
import type { PendingRunsStore } from '../core/pendingRunsStore';
import { isRefusedForSignature } from '../core/publishedDecisions';
import type { BackendConnection } from './backendConnection';
import type { Log } from './logChannel';

export interface DecisionAttempt {
  jobRunId: string;
  decision: Decision;
  result: DecisionResult;
}

export class DecisionController implements vscode.Disposable {
  private readonly inFlight = new Set<string>();
  /** decision_id per run and decision, kept until the decision is published or refused. */
  private readonly decisionIds = new Map<string, string>();
  /** Reasons typed for decisions that did not go out, so a retry does not lose them. */
  private readonly draftReasons = new Map<string, string>();
  private readonly decided = new vscode.EventEmitter<DecisionAttempt>();
  readonly onDidDecide = this.decided.event;
  private readonly resurfaced: { dispose(): void };

  constructor(
    private readonly connection: BackendConnection,
    private readonly store: PendingRunsStore,
    private readonly log: Log,
  ) {
    this.resurfaced = store.onDidResurface((entries) => {
      for (const entry of entries) if (entry.state.kind === 'not-applied') this.turnedDown(entry.state.code);
    });
  }

  /**
   * The processor did not apply a decision of this window. Refused for its signature, the
   * signing secret held in memory may be an old one (rotated in SSM): it is read again for
   * the next decision.
   */
  turnedDown(code: string | null | undefined): void {
    if (!isRefusedForSignature(code)) return;
    this.connection.backend.forgetSigningSecret();
    this.log.warn('A decision was refused for its signature: the signing secret will be read from SSM again before the next decision.');
  }

  draftReason(runIds: readonly string[], decision: Decision): string | undefined {
    return this.draftReasons.get(draftKey(runIds, decision));
  }

  keepDraft(runIds: readonly string[], decision: Decision, reason: string): void {
    this.draftReasons.set(draftKey(runIds, decision), reason);
  }

  isInFlight(jobRunId: string): boolean {
    return this.inFlight.has(jobRunId);
  }

  async decide(run: JobRun, decision: Decision, reason: string): Promise<DecisionResult> {
    const runId = run.jobRunId;
    if (this.inFlight.has(runId)) return { kind: 'inProgress' };
    this.inFlight.add(runId);
    const idKey = `${runId}\u0000${decision}`;
    const decisionId = this.decisionIds.get(idKey) ?? randomUUID();
    this.decisionIds.set(idKey, decisionId);
    const started = Date.now();
    let result: DecisionResult;
    try {
      result = await publishDecision(this.connection.backend.decisionPorts(), { shownRun: run, decision, reason, decisionId });
    } catch (error) {
      const failure = classifyFailure(error, { profile: this.connection.backend.settings.profile });
      result = { kind: 'failed', failure };
    } finally {
      this.inFlight.delete(runId);
    }
    this.log.info(`Decision ${decision} for ${runId} (decision_id ${decisionId}): ${describe(result)} in ${Date.now() - started} ms`);
    if (result.kind !== 'failed') {
      this.decisionIds.delete(idKey);
      this.draftReasons.delete(draftKey([runId], decision));
    }
    if (result.kind === 'published') this.store.markPublished(runId, decision, { decisionId: result.message.decision_id, publishedAtMs: Date.now(), run });
    this.decided.fire({ jobRunId: runId, decision, result });
    return result;
  }

  dispose(): void {
    this.resurfaced.dispose();
    this.decided.dispose();
  }
}

function draftKey(runIds: readonly string[], decision: Decision): string {
  return `${decision}\u0000${[...runIds].sort().join('\u0000')}`;
}

export function describe(result: DecisionResult): string {
  switch (result.kind) {
    case 'published':
      return `published, message ${result.messageId}`;
    case 'alreadyDecided':
      return `not published: already ${result.status.toLowerCase()} by ${result.decidedBy ?? 'someone'}${result.decidedAt ? ` at ${result.decidedAt}` : ''}`;
    case 'noLongerPending':
      return `not published: the run is no longer pending (status ${result.status ?? 'missing'})`;
    case 'notFound':
      return 'not published: the run was not found';
    case 'evidenceChanged':
      return 'not published: the run changed since it was shown';
    case 'inProgress':
      return 'not published: a decision for this run is already being published';
    case 'failed':
      return `failed: ${result.failure.message}`;
  }
}
