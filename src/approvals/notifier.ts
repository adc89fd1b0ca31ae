// The notifier Lambda (bundled to dist/notifier.js; handler `notifier.handler`), subscribed
// to job_events (directly: an SNS event; or through an SQS queue: an SQS event whose bodies
// are SNS envelopes or raw messages). For each job run document whose status is
// PENDING_APPROVAL and that carries no decision, it sends the alert email (docs/CONTRACTS.md §11) through SES
// to each recipient the job's approval policy notifies (`notify`; none when its
// emailDecisions is "refused"), each with its own pair of links.
// Other events are ignored. A record whose emails could not all be sent is reported as a
// batch item failure (SQS) or fails the invocation (SNS), and is sent again as a whole.
import { SesMailer } from '../adapters/sesMailer';
import { prepareAlerts } from '../core/alertEmail';
import { policyForJob } from '../core/approvalPolicy';
import { expiryOf, DEFAULT_TTL_HOURS } from '../core/expiry';
import { parseJobRun } from '../core/jobRunParser';
import { isPending } from '../core/pendingQuery';
import { readApprovalsConfig, type ApprovalsConfig, type Environment } from './approvalsConfig';
import { createApprovalsRuntime, type ApprovalsRuntime } from './approvalsRuntime';
import { errorLogText } from '../processor/processorConfig';

export interface NotifierOptions {
  config?: ApprovalsConfig | Environment;
  log?: (line: Record<string, unknown>) => void;
  now?: () => number;
}

interface JobEventRecord {
  id: string;
  body: string;
}

export interface NotifierResult {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export function createNotifierHandler(options: NotifierOptions = {}): ((event: unknown) => Promise<NotifierResult | undefined>) & { close(): Promise<void> } {
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const now = options.now ?? Date.now;
  let runtime: Promise<{ base: ApprovalsRuntime; mailer: SesMailer }> | undefined;
  const start = (): Promise<{ base: ApprovalsRuntime; mailer: SesMailer }> => {
    runtime ??= (async () => {
      const given = options.config;
      const config = given && 'publicBaseUrl' in given ? (given as ApprovalsConfig) : readApprovalsConfig((given) ?? process.env, { mail: true });
      const base = await createApprovalsRuntime(config);
      return { base, mailer: new SesMailer(base.aws) };
    })();
    runtime.catch(() => (runtime = undefined));
    return runtime;
  };

  const handle = async (event: unknown): Promise<NotifierResult | undefined> => {
    const { kind, records } = readJobEvents(event);
    const { base, mailer } = await start();
    const failed: string[] = [];
    for (const record of records) {
      try {
        await notify(record, base, mailer, now(), log);
      } catch (error) {
        failed.push(record.id);
        log({ level: 'error', msg: 'alert not sent; it will be retried', message_id: record.id, error: errorLogText(error) });
      }
    }
    if (kind === 'sqs') return { batchItemFailures: failed.map((id) => ({ itemIdentifier: id })) };
    if (failed.length > 0) throw new Error(`${failed.length} of ${records.length} alert(s) could not be sent.`);
    return undefined;
  };
  return Object.assign(handle, {
    close: async () => {
      const current = runtime;
      runtime = undefined;
      const started = await current?.catch(() => null);
      started?.mailer.dispose();
      await started?.base.close();
    },
  });
}

async function notify(record: JobEventRecord, runtime: ApprovalsRuntime, mailer: SesMailer, nowMs: number, log: (line: Record<string, unknown>) => void): Promise<void> {
  let document: unknown;
  try {
    document = JSON.parse(record.body);
  } catch {
    log({ level: 'warn', msg: 'job event is not JSON; ignored', message_id: record.id });
    return;
  }
  const run = parseJobRun(`job_events:${record.id}`, document);
  if (!isPending(run)) {
    log({ level: 'info', msg: 'not waiting for approval; no alert', message_id: record.id, status: run.status });
    return;
  }
  const policy = policyForJob(runtime.policy, run.jobName);
  if (policy.emailDecisions === 'refused' || policy.notify.length === 0) {
    log({ level: 'info', msg: 'no recipients for this job; no alert', message_id: record.id, job_name: run.jobName.slice(0, 200) });
    return;
  }
  const [secret] = await runtime.signingSecrets();
  const alerts = prepareAlerts(run, policy.notify, {
    publicBaseUrl: runtime.config.publicBaseUrl,
    linkTtlHours: runtime.config.linkTtlHours,
    nowMs,
    secret: secret ?? '',
    runExpiryMs: expiryOf(run, DEFAULT_TTL_HOURS),
  });
  for (const alert of alerts) {
    const sent = await mailer.send({ from: runtime.config.mailFrom ?? '', to: alert.to, ...alert.email });
    log({ level: 'info', msg: 'alert sent', message_id: record.id, job_run_id: run.jobRunId.slice(0, 200), to: alert.to, ses_message_id: sent.messageId });
  }
}

/** The job event bodies of an SNS or SQS event (an SQS body may be an SNS envelope). */
function readJobEvents(event: unknown): { kind: 'sns' | 'sqs'; records: JobEventRecord[] } {
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) return { kind: 'sns', records: [] };
  const out: JobEventRecord[] = [];
  let kind: 'sns' | 'sqs' = 'sns';
  records.forEach((raw: unknown, index) => {
    const r = (raw ?? {}) as Record<string, unknown>;
    const sns = r.Sns as Record<string, unknown> | undefined;
    if (sns && typeof sns.Message === 'string') {
      out.push({ id: typeof sns.MessageId === 'string' ? sns.MessageId : String(index), body: sns.Message });
      return;
    }
    if (typeof r.body === 'string') {
      kind = 'sqs';
      out.push({ id: typeof r.messageId === 'string' ? r.messageId : String(index), body: unwrapEnvelope(r.body) });
    }
  });
  return { kind, records: out };
}

function unwrapEnvelope(body: string): string {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    if (value && value.Type === 'Notification' && typeof value.Message === 'string') return value.Message;
  } catch {
    /* not JSON: handled by the caller */
  }
  return body;
}

/** The Lambda entry point: configuration from the function's environment. */
export const handler = createNotifierHandler();
