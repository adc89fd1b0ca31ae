// Placeholder until the details webview lands: opens nothing but says so.
import * as vscode from 'vscode';
import type { PendingRunsStore } from '../../core/pendingRunsStore';
import type { BackendConnection } from '../backendConnection';
import type { DecisionController } from '../decisionController';
import type { Log } from '../logChannel';

export class DetailsPanels implements vscode.Disposable {
  constructor(
    readonly extensionUri: vscode.Uri,
    readonly connection: BackendConnection,
    readonly store: PendingRunsStore,
    readonly controller: DecisionController,
    readonly log: Log,
  ) {}

  async show(jobRunId: string): Promise<void> {
    await vscode.window.showInformationMessage(`Details of ${jobRunId}`);
  }

  dispose(): void {}
}

export function registerDetailsCommands(panels: DetailsPanels): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('dwhApprovals.showDetails', (runId?: string) => runId && panels.show(runId)),
    vscode.commands.registerCommand('dwhApprovals.openArtifact', () => undefined),
  ];
}
