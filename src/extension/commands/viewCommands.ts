// Commands about the view and the connection: refresh, filter, copy a run id, the log,
// choosing the AWS profile and region (read from the user's AWS config files), and
// `aws sso login` in a terminal when the session has expired.
import * as vscode from 'vscode';
import { KNOWN_REGIONS, type AwsProfileEntry } from '../../core/awsConfigFile';
import { ssoLoginCommand } from '../../core/failureClassification';
import type { PendingRunsStore } from '../../core/pendingRunsStore';
import { iconLabel } from '../../core/untrustedText';
import { loadBackendModule } from '../backendModule';
import type { Log } from '../logChannel';
import type { PendingNode } from '../pendingTree';
import type { PendingView } from '../pendingView';
import type { WaitingForMeFilter } from '../waitingForMe';
import { readConnectionSettings, updateUserSetting } from '../settings';

export function registerViewCommands(store: PendingRunsStore, view: PendingView, log: Log, waitingForMe: WaitingForMeFilter): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('dwhApprovals.filterWaitingForMe', () => waitingForMe.toggle()),
    vscode.commands.registerCommand('dwhApprovals.refresh', () => store.refresh({ force: true })),
    vscode.commands.registerCommand('dwhApprovals.filter', () => editFilter(view)),
    vscode.commands.registerCommand('dwhApprovals.copyRunId', (target?: PendingNode | string) => copyRunId(target)),
    vscode.commands.registerCommand('dwhApprovals.showLog', () => log.show()),
    vscode.commands.registerCommand('dwhApprovals.selectProfile', () => selectProfile()),
    vscode.commands.registerCommand('dwhApprovals.selectRegion', () => selectRegion()),
    vscode.commands.registerCommand('dwhApprovals.ssoLogin', (profile?: string) => ssoLogin(profile ?? readConnectionSettings().profile)),
  ];
}

async function editFilter(view: PendingView): Promise<void> {
  const text = await vscode.window.showInputBox({
    title: 'Filter pending runs',
    prompt: 'Show runs whose job name, run id or check name contains this text. Empty clears the filter.',
    value: view.provider.filter,
  });
  if (text === undefined) return;
  view.provider.setFilter(text);
  view.update();
}

async function copyRunId(target?: PendingNode | string): Promise<void> {
  const runId = typeof target === 'string' ? target : target?.kind === 'run' ? target.run.jobRunId : undefined;
  if (!runId) return;
  await vscode.env.clipboard.writeText(runId);
  vscode.window.setStatusBarMessage(iconLabel`Copied ${runId}`, 3000);
}

const KIND_TEXT: Record<AwsProfileEntry['kind'], string> = {
  sso: 'IAM Identity Center (SSO)',
  'assume-role': 'assume role',
  'credential-process': 'credential_process',
  static: 'access keys',
  other: '',
};

async function selectProfile(): Promise<void> {
  const current = readConnectionSettings().profile;
  // The reader is the SDK's shared-config loader: it comes with the adapters' bundle.
  const { readAwsProfiles } = await loadBackendModule();
  const profiles = await readAwsProfiles();
  type ProfilePick = vscode.QuickPickItem & { profile: string | undefined };
  const items: ProfilePick[] = [
    { label: '$(globe) Default credential chain', description: 'environment, default profile, instance role', profile: undefined },
    ...profiles.map((p) => ({
      label: p.name === current ? iconLabel`$(check) ${p.name}` : iconLabel`${p.name}`,
      description: iconLabel`${[KIND_TEXT[p.kind], p.region].filter(Boolean).join(' · ')}`,
      profile: p.name,
    })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Choose the AWS profile for DWH Approvals',
    placeHolder: profiles.length ? 'Profiles from your AWS config and credentials files' : 'No profiles found in ~/.aws/config or ~/.aws/credentials',
  });
  if (!picked) return;
  await updateUserSetting('aws.profile', picked.profile ?? '');
  const region = profiles.find((p) => p.name === picked.profile)?.region;
  if (region && !readConnectionSettings().region) vscode.window.setStatusBarMessage(iconLabel`DWH Approvals: using ${picked.profile} in ${region}`, 4000);
}

async function selectRegion(): Promise<void> {
  const current = readConnectionSettings().region;
  const items: vscode.QuickPickItem[] = [
    { label: 'From the profile', description: 'use the region the AWS profile names' },
    ...KNOWN_REGIONS.map((region) => ({ label: region, description: region === current ? 'current' : '' })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Choose the AWS region for DWH Approvals', placeHolder: 'Type to search regions' });
  if (!picked) return;
  await updateUserSetting('aws.region', picked.label === 'From the profile' ? '' : picked.label);
}

function ssoLogin(profile: string | undefined): void {
  const terminal = vscode.window.createTerminal({ name: 'AWS SSO login' });
  terminal.show();
  terminal.sendText(ssoLoginCommand(profile || undefined));
}
