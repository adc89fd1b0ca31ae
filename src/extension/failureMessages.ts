// Shows a classified failure as a notification whose button runs the fix: sign in again
// with `aws sso login`, choose another profile, open the settings, or show the log.
import * as vscode from 'vscode';
import { classifyFailure, type ClassifiedFailure } from '../core/failureClassification';
import { message } from '../core/untrustedText';

export interface FixAction {
  label: string;
  command: vscode.Command;
}

/** The command that fixes a failure, for buttons and error tree items. */
export function fixFor(failure: ClassifiedFailure, profile: string | undefined): FixAction {
  switch (failure.kind) {
    case 'sso-expired':
      return { label: 'Run aws sso login', command: { command: 'dwhApprovals.ssoLogin', title: 'Run aws sso login', arguments: [profile] } };
    case 'no-credentials':
      return { label: 'Choose AWS Profile', command: { command: 'dwhApprovals.selectProfile', title: 'Choose AWS Profile' } };
    case 'parameter-missing':
    case 'topic-missing':
    case 'index-missing':
    case 'opensearch-unreachable':
      return { label: 'Open Settings', command: { command: 'workbench.action.openSettings', title: 'Open Settings', arguments: ['dwhApprovals'] } };
    case 'access-denied':
      return { label: 'Choose AWS Profile', command: { command: 'dwhApprovals.selectProfile', title: 'Choose AWS Profile' } };
    default:
      return { label: 'Show Log', command: { command: 'dwhApprovals.showLog', title: 'Show Log' } };
  }
}

export async function showFailure(error: unknown, prefix = '', profile?: string): Promise<void> {
  const failure = classifyFailure(error);
  const fix = fixFor(failure, profile);
  const choice = await vscode.window.showErrorMessage(message`${prefix}${failure.message}`, fix.label);
  if (choice === fix.label) await vscode.commands.executeCommand(fix.command.command, ...((fix.command.arguments ?? []) as unknown[]));
}
