// Reads the extension's settings. The ones that choose where requests go or whose
// credentials sign them are machine-scoped in package.json; here they are additionally
// read from user (global) scope only, so a workspace can never redirect them.
import * as vscode from 'vscode';
import { DEFAULT_CONNECTION_SETTINGS, type ConnectionSettings, type OpenSearchService } from '../core/connectionSettings';

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
 * The section's user (global) values and defaults, from one `inspect` of the whole section:
 * an `inspect` per key costs about a millisecond in the extension host, and reading the
 * connection settings key by key was most of activate().
 */
function userScope(): { user: unknown; defaults: unknown } {
  const inspected = vscode.workspace.getConfiguration().inspect<unknown>(SECTION);
  return { user: inspected?.globalValue, defaults: inspected?.defaultValue };
}

/** The value at a dotted key ("aws.profile") of a section's value tree. */
function valueAt(tree: unknown, key: string): unknown {
  let current = tree;
  for (const part of key.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function readConnectionSettings(): ConnectionSettings {
  const d = DEFAULT_CONNECTION_SETTINGS;
  const scope = userScope();
  const userValue = (key: string): unknown => valueAt(scope.user, key) ?? valueAt(scope.defaults, key);
  const userString = (key: string): string | undefined => {
    const value = userValue(key);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const service = userValue('opensearch.service') ?? d.opensearchService;
  return {
    profile: userString('aws.profile'),
    region: userString('aws.region'),
    awsEndpointUrl: userString('aws.endpointUrl'),
    opensearchEndpoint: userString('opensearch.endpoint'),
    opensearchEndpointParameter: userString('opensearch.endpointParameter') ?? d.opensearchEndpointParameter,
    opensearchIndex: userString('opensearch.index') ?? d.opensearchIndex,
    approvalsIndex: userString('opensearch.approvalsIndex') ?? d.approvalsIndex,
    opensearchService: (service === 'aoss' ? 'aoss' : 'es') satisfies OpenSearchService,
    topicArn: userString('sns.topicArn'),
    topicArnParameter: userString('sns.topicArnParameter') ?? d.topicArnParameter,
    signingSecretParameter: userString('signing.secretParameter') ?? d.signingSecretParameter,
    policyParameter: userString('policy.parameter') ?? d.policyParameter,
  };
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

/** True when a configuration change touches where requests go or whose credentials are used. */
export function affectsConnection(event: vscode.ConfigurationChangeEvent): boolean {
  return ['aws', 'opensearch', 'sns', 'signing', 'policy'].some((group) => event.affectsConfiguration(`${SECTION}.${group}`));
}

export function affectsView(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION) && !affectsConnection(event);
}

export async function updateUserSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}
