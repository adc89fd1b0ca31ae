// The command line of `dwh-approvals` (and the seed's aliases dwh-pending, dwh-approve,
// dwh-reject), parsed into a command or a usage error. Options that choose where requests
// go are the extension's settings under the same names (`--set opensearch.index=…`).
import { parseArgs } from 'node:util';
import { DEFAULT_CONNECTION_SETTINGS, type ConnectionSettings } from '../core/connectionSettings';
import { DEFAULT_TTL_HOURS } from '../core/expiry';
import type { Decision } from '../core/model';

export const EXIT = {
  done: 0,
  failure: 1,
  usage: 2,
  notPending: 3,
  credentials: 4,
} as const;

export type CliCommand =
  | { name: 'pending'; job: string | undefined; urgent: boolean }
  | { name: 'show'; runId: string }
  | { name: 'decide'; runId: string; decision: Decision; reason: string | undefined; yes: boolean }
  | { name: 'history'; jobName: string; limit: number }
  | { name: 'help' }
  | { name: 'version' };

export interface CliInvocation {
  command: CliCommand;
  json: boolean;
  settings: ConnectionSettings;
  ttlHours: number;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: dwh-approvals <command> [options]

Commands:
  pending [--job JOB] [--urgent]     runs waiting for approval, soonest to expire first
  show RUN                           a run's checks, metrics, artifacts and decision
  approve RUN --reason TEXT [--yes]  publish a signed approval (asks on a terminal)
  reject RUN --reason TEXT [--yes]   publish a signed rejection
  history JOB [--limit N]            the job's recent runs and decisions
Aliases: dwh-pending = pending, dwh-approve = approve, dwh-reject = reject.

Options:
  --profile NAME        AWS profile (default: AWS_PROFILE, then the SDK's default chain)
  --region REGION       AWS region (default: the profile's, then AWS_REGION)
  --endpoint-url URL    endpoint for SNS, SSM and STS, local emulators only (AWS_ENDPOINT_URL)
  --set KEY=VALUE       a DWH Approvals setting by its name, e.g. opensearch.index=job-events,
                        sns.topicArn=arn:…, approvalTtlHours=48 (repeatable)
  --json                machine-readable output on stdout
  --yes                 publish without asking for a confirmation
  -h, --help            this text;  --version  the version

Exit codes: 0 done, 1 failure, 2 usage, 3 the run is not pending any more (prints who
decided), 4 credentials missing or expired (prints the fix, e.g. aws sso login --profile X).
`;

/** The settings a `--set` may name (without the `dwhApprovals.` prefix), and where each goes. */
const SETTABLE: Record<string, keyof ConnectionSettings | 'approvalTtlHours'> = {
  'aws.profile': 'profile',
  'aws.region': 'region',
  'aws.endpointUrl': 'awsEndpointUrl',
  'opensearch.endpoint': 'opensearchEndpoint',
  'opensearch.endpointParameter': 'opensearchEndpointParameter',
  'opensearch.index': 'opensearchIndex',
  'opensearch.approvalsIndex': 'approvalsIndex',
  'opensearch.service': 'opensearchService',
  'sns.topicArn': 'topicArn',
  'sns.topicArnParameter': 'topicArnParameter',
  'signing.secretParameter': 'signingSecretParameter',
  'policy.parameter': 'policyParameter',
  approvalTtlHours: 'approvalTtlHours',
};

const ALIASES: Record<string, string> = { 'dwh-pending': 'pending', 'dwh-approve': 'approve', 'dwh-reject': 'reject' };

/**
 * Parses `args` (without node and the script) as invoked under `programName` (an alias
 * puts its command first). `env` supplies AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL.
 */
export function parseCli(programName: string, args: readonly string[], env: Readonly<Record<string, string | undefined>>): CliInvocation {
  const alias = ALIASES[programName];
  const argv = alias ? [alias, ...args] : [...args];
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        profile: { type: 'string' },
        region: { type: 'string' },
        'endpoint-url': { type: 'string' },
        set: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        yes: { type: 'boolean', short: 'y', default: false },
        reason: { type: 'string', short: 'r' },
        job: { type: 'string' },
        urgent: { type: 'boolean', default: false },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);
  const settings: ConnectionSettings = {
    ...DEFAULT_CONNECTION_SETTINGS,
    profile: nonEmpty(values.profile) ?? nonEmpty(env.AWS_PROFILE),
    region: nonEmpty(values.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    awsEndpointUrl: nonEmpty(values['endpoint-url']) ?? nonEmpty(env.AWS_ENDPOINT_URL),
  };
  let ttlHours = DEFAULT_TTL_HOURS;
  for (const assignment of values.set ?? []) {
    const eq = assignment.indexOf('=');
    const key = (eq < 0 ? assignment : assignment.slice(0, eq)).trim().replace(/^dwhApprovals\./, '');
    const value = eq < 0 ? '' : assignment.slice(eq + 1).trim();
    const target = SETTABLE[key];
    if (eq < 0 || target === undefined) throw new UsageError(`--set takes KEY=VALUE with KEY one of ${Object.keys(SETTABLE).join(', ')}; got "${assignment}".`);
    if (target === 'approvalTtlHours') {
      const hours = Number(value);
      if (!Number.isFinite(hours) || hours < 1) throw new UsageError('approvalTtlHours must be a number of hours, at least 1.');
      ttlHours = hours;
    } else if (target === 'opensearchService') {
      if (value !== 'es' && value !== 'aoss') throw new UsageError('opensearch.service must be es or aoss.');
      settings.opensearchService = value;
    } else {
      (settings as unknown as Record<string, string | undefined>)[target] = value === '' ? undefined : value;
    }
  }
  const json = values.json;
  const [name, ...rest] = positionals;
  const one = (what: string): string => {
    if (rest.length !== 1 || nonEmpty(rest[0]) === undefined) throw new UsageError(`${name} takes one ${what}.`);
    return (rest[0] ?? '').trim();
  };
  const none = (): void => {
    if (rest.length > 0) throw new UsageError(`${name} takes no arguments; got "${rest.join(' ')}".`);
  };
  const invocation = (command: CliCommand): CliInvocation => ({ command, json, settings, ttlHours });

  if (values.help) return invocation({ name: 'help' });
  if (values.version) return invocation({ name: 'version' });
  switch (name) {
    case 'pending':
      none();
      return invocation({ name: 'pending', job: nonEmpty(values.job), urgent: values.urgent });
    case 'show':
      return invocation({ name: 'show', runId: one('RUN id') });
    case 'approve':
    case 'reject': {
      const runId = one('RUN id');
      const reason = values.reason;
      if (reason !== undefined && reason.trim() === '') throw new UsageError('--reason must not be empty.');
      return invocation({ name: 'decide', runId, decision: name === 'approve' ? 'APPROVED' : 'REJECTED', reason: reason?.trim(), yes: values.yes });
    }
    case 'history': {
      const jobName = one('JOB name');
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError('--limit must be a whole number from 1 to 500.');
      return invocation({ name: 'history', jobName, limit });
    }
    case undefined:
      throw new UsageError('No command given.');
    default:
      throw new UsageError(`Unknown command "${name}".`);
  }
}
