// Approve and reject: from a tree item, a multi-selection, the details page, a
// notification, or the palette (a searchable quick pick of pending runs). One reason for
// all, refused when empty; one modal confirmation listing the runs; one result per run.
import * as vscode from 'vscode';
import type { ApprovalPolicy } from '../../core/approvalPolicy';
import { splitByEligibility } from '../../core/approvalProgress';
import { reasonValidationError } from '../../core/decisionMessage';
import { DECISION_WORDS, type Decision, type JobRun } from '../../core/model';
import type { PendingRunsStore } from '../../core/pendingRunsStore';
import { APPROVER_RULE_TEXTS } from '../approverRuleTexts';
import type { ApprovalsPort } from '../backendConnection';
import type { DecisionResult } from '../../core/decisionState';
import { describe, type DecisionController } from '../decisionController';
import type { PendingNode } from '../pendingTree';
import type { PendingView } from '../pendingView';
import { inputPrompt, message } from '../../core/untrustedText';
import { pickPendingRuns } from '../runSearchPick';
import { readViewSettings } from '../settings';
import { showFailure } from '../failureMessages';

export function registerDecisionCommands(
  store: PendingRunsStore,
  view: PendingView,
  connection: ApprovalsPort,
  controller: DecisionController,
): vscode.Disposable[] {
  const handler = (decision: Decision) => async (target?: PendingNode | string, selection?: readonly PendingNode[]) => {
    const runs = await runsFor(target, selection, store, view, decision);
    if (runs.length > 0) await decideRuns(runs, decision, connection, controller);
  };
  return [
    vscode.commands.registerCommand('dwhApprovals.approve', handler('APPROVED')),
    vscode.commands.registerCommand('dwhApprovals.reject', handler('REJECTED')),
  ];
}

async function runsFor(
  target: PendingNode | string | undefined,
  selection: readonly PendingNode[] | undefined,
  store: PendingRunsStore,
  view: PendingView,
  decision: Decision,
): Promise<JobRun[]> {
  // VS Code passes the clicked node and the whole selection for a multi-select.
  if (selection && selection.length > 1) return view.runsOf(selection);
  if (typeof target === 'string') {
    // The store keeps the runs the tree has loaded; any other pending run is read now.
    const run = store.find(target) ?? (await store.listAll({ runIds: [target] }).catch(() => []))[0];
    if (run) return [run];
    void vscode.window.showWarningMessage(message`Run ${target} is not in the pending list any more. Refresh to see its current state.`);
    return [];
  }
  if (target) return view.runsOf([target]);
  if (view.treeView.visible && view.treeView.selection.length > 1) return view.runsOf(view.treeView.selection);
  return pickRuns(store, decision);
}

async function pickRuns(store: PendingRunsStore, decision: Decision): Promise<JobRun[]> {
  if (!store.isLive) await store.refresh({ force: false });
  if (store.count === 0) {
    void vscode.window.showInformationMessage('No runs are waiting for approval.');
    return [];
  }
  return pickPendingRuns(store, {
    title: `${DECISION_WORDS[decision].title} pending runs`,
    placeholder: 'Search by job name, run id or failing check; pick one or more',
    canSelectMany: true,
    chooseHint: `${DECISION_WORDS[decision].title} pending runs: tick the runs to decide, or type until one is left`,
  });
}

/**
 * The runs the approval policy lets this identity decide; says why about the others (all of
 * them: nothing is asked; some: the rest go on). A policy that cannot be read leaves the
 * judging to the processor.
 */
async function permittedRuns(runs: JobRun[], decision: Decision, connection: ApprovalsPort, identityArn: string): Promise<JobRun[]> {
  let policy: ApprovalPolicy;
  try {
    policy = await connection.approvalPolicy();
  } catch {
    return runs;
  }
  const { allowed, refused } = splitByEligibility(policy, runs, identityArn, decision);
  const first = refused[0];
  if (first) {
    void vscode.window.showWarningMessage(
      APPROVER_RULE_TEXTS.refusedRuns({ jobName: first.run.jobName, jobRunId: first.run.jobRunId, reason: first.reason }, refused.length - 1, allowed.length),
    );
  }
  return allowed;
}

async function decideRuns(runs: JobRun[], decision: Decision, connection: ApprovalsPort, controller: DecisionController): Promise<void> {
  const verb = DECISION_WORDS[decision];
  let runIds = runs.map((run) => run.jobRunId);
  let identityText: string;
  let identityArn: string;
  try {
    const identity = await connection.identity();
    identityText = message`${identity.decidedBy} (${identity.arn})`;
    identityArn = identity.arn;
  } catch (error) {
    await showFailure(error, `Cannot ${verb.verb}: `);
    return;
  }
  // Before a reason is asked for: the runs the approval policy does not let this identity decide.
  const permitted = await permittedRuns(runs, decision, connection, identityArn);
  if (permitted.length === 0) return;
  if (permitted.length < runs.length) {
    runs = permitted;
    runIds = runs.map((run) => run.jobRunId);
  }
  // Shown in the input box's title, the confirmation and the progress notification.
  const subject = runs.length === 1 ? message`${runs[0]?.jobName} run ${runs[0]?.jobRunId}` : `${runs.length} runs`;
  const reason = await vscode.window.showInputBox({
    title: message`${verb.title} ${subject}`,
    prompt: inputPrompt`Why? Recorded with your decision as ${identityText}.`,
    placeHolder: decision === 'APPROVED' ? 'e.g. Drop rate elevated by a known bad batch; acceptable' : 'e.g. Null rate from a broken upstream export; rerun after the fix',
    value: controller.draftReason(runIds, decision) ?? '',
    ignoreFocusOut: true,
    validateInput: (text) => reasonValidationError(text) ?? undefined,
  });
  if (reason === undefined) return;
  controller.keepDraft(runIds, decision, reason);

  if (readViewSettings().confirmDecisions) {
    const listed = runs.slice(0, 12).map((run) => message`• ${run.jobName} · ${run.jobRunId}`);
    if (runs.length > 12) listed.push(`…and ${runs.length - 12} more`);
    const confirmed = await vscode.window.showWarningMessage(
      message`${verb.title} ${subject}?`,
      // Each listed line and value is a message of its own: no value adds a line.
      { modal: true, detail: `${listed.join('\n')}\n\n${message`Reason: ${reason.trim()}`}\n${message`Recorded as: ${identityText}`}` },
      verb.title,
    );
    if (confirmed !== verb.title) return;
  }

  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: message`${verb.ing} ${subject}`, cancellable: false },
    async (progress) => {
      const outcome: Array<{ run: JobRun; result: DecisionResult }> = [];
      for (const run of runs) {
        progress.report({ message: message`${run.jobRunId}`, increment: 100 / runs.length });
        outcome.push({ run, result: await controller.decide(run, decision, reason) });
      }
      return outcome;
    },
  );
  await reportResults(results, decision, connection, controller);
}

async function reportResults(
  results: Array<{ run: JobRun; result: DecisionResult }>,
  decision: Decision,
  connection: ApprovalsPort,
  controller: DecisionController,
): Promise<void> {
  const verb = DECISION_WORDS[decision];
  const published = results.filter((r) => r.result.kind === 'published');
  const failed = results.filter((r) => r.result.kind === 'failed');
  const refused = results.filter((r) => r.result.kind !== 'published' && r.result.kind !== 'failed');
  for (const { run, result } of refused) {
    void vscode.window.showWarningMessage(message`${run.jobName} · ${run.jobRunId}: ${describe(result)}.`);
  }
  if (published.length > 0) {
    const text = published.length === 1 ? message`${published[0]?.run.jobRunId} ${verb.past}: decision published.` : `${published.length} runs ${verb.past}: decisions published.`;
    void vscode.window.showInformationMessage(text);
  }
  if (failed.length > 0) {
    const first = failed[0]?.result;
    const failureText = first?.kind === 'failed' ? first.failure.message : '';
    const retry = 'Retry';
    const choice = await vscode.window.showErrorMessage(
      failed.length === 1
        ? message`Could not publish the decision for ${failed[0]?.run.jobRunId}. ${failureText} Your reason is kept.`
        : message`${failed.length} decisions could not be published. ${failureText} Your reason is kept.`,
      retry,
    );
    if (choice === retry) {
      const runs = failed.map((r) => r.run);
      await decideRuns(runs, decision, connection, controller);
    }
  }
}
