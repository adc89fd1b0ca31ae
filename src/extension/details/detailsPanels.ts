// The run details panels, one per run (showing a run again reveals its panel), the
// commands that open them and open an artifact in the S3 console, and the serializer that
// brings the panels back after a window reload.
import * as vscode from 'vscode';
import type { PendingRunsStore } from '../../core/pendingRunsStore';
import { s3ConsoleUrl } from '../../core/s3Console';
import { message } from '../../core/untrustedText';
import { parsePageState } from '../../shared/webviewMessages';
import type { ApprovalsPort } from '../backendConnection';
import type { DecisionController } from '../decisionController';
import { pickPendingRuns } from '../runSearchPick';
import type { Log } from '../logChannel';
import { DETAILS_VIEW_TYPE, RunDetailsPanel } from './runDetailsPanel';

export class DetailsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, RunDetailsPanel>();

  constructor(
    readonly extensionUri: vscode.Uri,
    readonly connection: ApprovalsPort,
    readonly store: PendingRunsStore,
    readonly controller: DecisionController,
    readonly log: Log,
  ) {}

  /** Opens the run's panel, or reveals it when it is open already. */
  show(jobRunId: string): Promise<void> {
    const existing = this.panels.get(jobRunId);
    if (existing) {
      existing.reveal();
      return Promise.resolve();
    }
    this.track(RunDetailsPanel.create(this, jobRunId, vscode.ViewColumn.Active));
    this.log.info(`Details of ${jobRunId}: opened`);
    return Promise.resolve();
  }

  /**
   * A panel VS Code restored after a window reload, with the state its page saved: shows the
   * same run again. A panel without a usable state, or for a run shown already, is closed.
   */
  restore(webviewPanel: vscode.WebviewPanel, state: unknown): void {
    const jobRunId = parsePageState(state)?.jobRunId;
    if (jobRunId === undefined) {
      this.log.warn('A details panel from before the reload had no run to show; closed it');
      webviewPanel.dispose();
      return;
    }
    if (this.panels.has(jobRunId)) {
      webviewPanel.dispose();
      return;
    }
    this.track(RunDetailsPanel.restore(this, jobRunId, webviewPanel));
    this.log.info(`Details of ${jobRunId}: restored after a reload`);
  }

  private track(panel: RunDetailsPanel): void {
    const { jobRunId } = panel;
    this.panels.set(jobRunId, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(jobRunId) === panel) this.panels.delete(jobRunId);
    });
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}

export function registerDetailsCommands(panels: DetailsPanels): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('dwhApprovals.showDetails', async (target?: unknown) => {
      const runId = runIdOf(target) ?? (await pickRunId(panels.store));
      if (runId) await panels.show(runId);
    }),
    vscode.commands.registerCommand('dwhApprovals.openArtifact', (path?: unknown) => openArtifact(path, panels.connection, panels.log)),
  ];
}

/** Brings the details panels open before a window reload back, each with its run. */
export function registerDetailsSerializer(panels: DetailsPanels): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(DETAILS_VIEW_TYPE, {
    deserializeWebviewPanel: (webviewPanel, state: unknown) => {
      panels.restore(webviewPanel, state);
      return Promise.resolve();
    },
  });
}

/** A run id from a command argument: the id itself, or a tree node `{kind: 'run', run}`. */
function runIdOf(target: unknown): string | undefined {
  if (typeof target === 'string') return target.trim() === '' ? undefined : target;
  if (typeof target !== 'object' || target === null) return undefined;
  const node = target as { kind?: unknown; run?: { jobRunId?: unknown } };
  return node.kind === 'run' && typeof node.run?.jobRunId === 'string' ? node.run.jobRunId : undefined;
}

async function pickRunId(store: PendingRunsStore): Promise<string | undefined> {
  if (!store.isLive) await store.refresh({ force: false });
  if (store.count === 0) {
    const typed = await vscode.window.showInputBox({
      title: 'Show run details',
      prompt: 'No runs are waiting for approval. Enter the job_run_id of any run to see its details.',
      ignoreFocusOut: true,
    });
    return typed?.trim() || undefined;
  }
  const [picked] = await pickPendingRuns(store, {
    title: 'Show run details',
    placeholder: 'Search pending runs by job name, run id or failing check',
    canSelectMany: false,
  });
  return picked?.jobRunId;
}

async function openArtifact(path: unknown, connection: ApprovalsPort, log: Log): Promise<void> {
  if (typeof path !== 'string' || path.trim() === '') return;
  let region: string | undefined;
  try {
    region = await connection.region();
  } catch {
    // The console asks for a region itself when the link has none.
    region = undefined;
  }
  const url = s3ConsoleUrl(path, region);
  if (!url) {
    void vscode.window.showWarningMessage(message`${path} is not an S3 path (s3://bucket/key), so it cannot be opened in the S3 console.`);
    return;
  }
  log.info(`Opening ${path} in the S3 console`);
  // As a string, not a vscode.Uri: a Uri decodes the query when parsed and re-encodes it when
  // opened, so a key's "%26" would become a bare "&" and "%2B" a "+" (microsoft/vscode#85930).
  // The workbench opens a string exactly as given.
  await vscode.env.openExternal(url as unknown as vscode.Uri);
}
