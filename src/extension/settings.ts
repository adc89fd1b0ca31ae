// Reads the extension's settings. The ones that choose where requests go or whose
// credentials sign them are machine-scoped in package.json; here they are additionally
// read from user (global) scope only, so a workspace can never redirect them.
import * as vscode from 'vscode';
import { connectionSettingsFrom, type ConnectionSettings } from '../core/connectionSettings';

const SECTION = 'dwhApprovals';

export type GroupBy = 'job' | 'none';
export type SortBy = 'expiry' | 'newest' | 'oldest' | 'job';

export interface ViewSettings {
  refreshIntervalSeconds: number;
  approvalTtlHours: number;
  notifyOnNewPending: boolean;
  confirmDecisions: boolean;
  groupBy: GroupBy;
  sortBy: SortBy;
}

/**
 * The connection settings from one `inspect` of the whole section (user values and defaults
 * only, core/connectionSettings.ts): an `inspect` per key costs about a millisecond in the
 * extension host, and reading them key by key was most of activate().
 */
export function readConnectionSettings(): ConnectionSettings {
  const inspected = vscode.workspace.getConfiguration().inspect<unknown>(SECTION);
  return connectionSettingsFrom(inspected?.globalValue, inspected?.defaultValue);
}

export function readViewSettings(): ViewSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const groupBy = config.get<string>('groupBy', 'job');
  const sortBy = config.get<string>('sortBy', 'expiry');
  return {
    refreshIntervalSeconds: Math.max(0, config.get<number>('refreshIntervalSeconds', 60)),
    approvalTtlHours: Math.max(1, config.get<number>('approvalTtlHours', 72)),
    notifyOnNewPending: config.get<boolean>('notifyOnNewPending', true),
    confirmDecisions: config.get<boolean>('confirmDecisions', true),
    groupBy: groupBy === 'none' ? 'none' : 'job',
    sortBy: (['expiry', 'newest', 'oldest', 'job'] as const).find((s) => s === sortBy) ?? 'expiry',
  };
}

/** What a change of the extension's settings touched: where requests go or whose credentials sign them ('connection'), or only how the views behave ('view'). */
export type SettingsChange = 'connection' | 'view';

/** The one listener of configuration changes, turned into one typed event the connection and the views subscribe to. */
export class SettingsEvents implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SettingsChange>();
  readonly onDidChange = this.changed.event;
  private readonly listener = vscode.workspace.onDidChangeConfiguration((event) => {
    if (!event.affectsConfiguration(SECTION)) return;
    const connection = ['aws', 'opensearch', 'sns', 'signing', 'policy'].some((group) => event.affectsConfiguration(`${SECTION}.${group}`));
    this.changed.fire(connection ? 'connection' : 'view');
  });

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}

export async function updateUserSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}
