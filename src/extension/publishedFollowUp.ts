// A run hidden after this window published a decision for it comes back when the processor
// did not apply the decision (or did not record it in time): its tree row says why, and a
// warning says so once. The judging is in src/core/publishedDecisions.ts and the store.
import * as vscode from 'vscode';
import type { PendingRunsStore, PublishedFollowUp } from '../core/pendingRunsStore';
import { followUpNotice } from '../core/publishedDecisions';
import type { Log } from './logChannel';
import { label, markdown, message } from '../core/untrustedText';

/**
 * What a run row shows about the decision published for it, if it came back: the notice
 * before the rest of its description, a warning icon, and the notice in its tooltip (now if
 * it has one, else when resolveTreeItem builds it: see appendPublishedNotice).
 */
export function decoratePublishedRun(item: vscode.TreeItem, followUp: PublishedFollowUp | undefined): void {
  const notice = followUp ? followUpNotice(followUp, followUp.state) : null;
  if (!notice) return;
  const rest = typeof item.description === 'string' && item.description !== '' ? ` · ${item.description}` : '';
  item.description = label`${notice.warning ? '⚠ ' : ''}${notice.short}` + rest;
  if (item.tooltip instanceof vscode.MarkdownString) appendPublishedNotice(item.tooltip, followUp);
  if (notice.warning) item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
  item.contextValue = `${item.contextValue ?? 'run'} ${notice.warning ? 'notApplied' : 'awaitingQuorum'}`;
  if (item.accessibilityInformation) item.accessibilityInformation = { ...item.accessibilityInformation, label: `${item.accessibilityInformation.label}. ${label`${notice.long}`}` };
}

/** The notice at the end of a run's tooltip, escaped (the processor's detail quotes job data). */
export function appendPublishedNotice(tooltip: vscode.MarkdownString, followUp: PublishedFollowUp | undefined): void {
  const notice = followUp ? followUpNotice(followUp, followUp.state) : null;
  if (!notice) return;
  tooltip.appendMarkdown(markdown`\n\n---\n\n${notice.warning ? '⚠ ' : ''}${notice.long}`);
}

/** Says once per decision and state that a published run is back in the list, and why. */
export class PublishedFollowUpNotifier implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  private readonly told = new Set<string>();

  constructor(
    store: PendingRunsStore,
    private readonly log: Log,
    private readonly show: (warning: boolean, message: string, ...actions: string[]) => Thenable<string | undefined> = (warning, message, ...actions) =>
      warning ? vscode.window.showWarningMessage(message, ...actions) : vscode.window.showInformationMessage(message, ...actions),
  ) {
    this.subscription = store.onDidResurface((entries) => void this.tell(entries, store));
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async tell(entries: PublishedFollowUp[], store: PendingRunsStore): Promise<void> {
    const fresh = entries.filter((entry) => {
      const key = `${entry.jobRunId}\u0000${entry.decisionId ?? entry.publishedAtMs}\u0000${entry.state.kind}`;
      if (this.told.has(key)) return false;
      this.told.add(key);
      return true;
    });
    for (const entry of fresh) {
      const notice = followUpNotice(entry, entry.state);
      if (notice) this.log.warn(`Decision ${entry.decision} for ${entry.jobRunId} (decision_id ${entry.decisionId ?? 'unknown'}): back in the pending list: ${notice.long}`);
    }
    const first = fresh[0];
    if (!first) return;
    const notice = followUpNotice(first, first.state);
    if (!notice) return;
    const jobName = store.find(first.jobRunId)?.jobName;
    const text =
      fresh.length === 1
        ? message`${jobName ? `${jobName} run ` : 'Run '}${first.jobRunId} is ${notice.warning ? 'back' : 'still'} in Pending Approvals. ${notice.long}`
        : `${fresh.length} runs you decided are back in Pending Approvals: the approval processor has not applied your decisions. Their rows say why.`;
    const details = 'Show Details';
    const view = 'Show Pending';
    const warning = fresh.some((entry) => followUpNotice(entry, entry.state)?.warning);
    const choice = await this.show(warning, text, ...(fresh.length === 1 ? [details, view] : [view]));
    if (choice === details) await vscode.commands.executeCommand('dwhApprovals.showDetails', first.jobRunId);
    else if (choice === view) await vscode.commands.executeCommand('dwhApprovals.pending.focus');
  }
}
