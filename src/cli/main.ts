// `dwh-approvals`: the extension's use cases on a command line, over the same core and
// adapters (ApprovalsBackend: the profile chain, the SSM parameters, the OpenSearch
// repository, the fresh lookup and the v2-signed decision of decisionWorkflow).
// Bundled to dist/cli.js; bin/ holds the four commands of package.json's `bin`.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { ApprovalsBackend } from '../adapters/approvalsBackend';
import { publishDecision, type PublishOutcome } from '../core/decisionWorkflow';
import { classifyFailure } from '../core/failureClassification';
import { formatCheck, primaryFailingCheck } from '../core/checkFormat';
import { DECISION_WORDS, type JobRun } from '../core/model';
import { isPending } from '../core/pendingQuery';
import { buildRunDetails, HISTORY_SIZE, DECISIONS_SIZE, type Loaded } from '../core/runDetailsModel';
import { expiryOf, urgencyOf } from '../core/expiry';
import { terminal, terminalJson } from '../core/untrustedText';
import { EXIT, USAGE, UsageError, parseCli, type CliCommand, type CliInvocation } from './cliArgs';
import { COLOURS, NO_COLOURS, historyJson, historyLines, pendingLines, pendingRunJson, runDetailsJson, runDetailsLines, type Paint } from './cliOutput';

declare const CLI_VERSION: string | undefined;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  now(): number;
}

type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Runs one command; resolves the exit code (never rejects). */
async function runCli(programName: string, args: readonly string[], io: CliIo): Promise<ExitCode> {
  let invocation: CliInvocation;
  try {
    invocation = parseCli(programName, args, io.env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${terminal`${error.message}`}\n\n${USAGE}`);
      return EXIT.usage;
    }
    throw error;
  }
  const { command } = invocation;
  if (command.name === 'help') {
    io.stdout.write(USAGE);
    return EXIT.done;
  }
  if (command.name === 'version') {
    io.stdout.write(`${typeof CLI_VERSION === 'string' ? CLI_VERSION : 'dev'}\n`);
    return EXIT.done;
  }
  const colour = io.stdout.isTTY === true && !invocation.json && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
  const cli = new Cli(invocation, io, colour ? COLOURS : NO_COLOURS);
  try {
    return await cli.run(command);
  } catch (error) {
    return cli.failed(error);
  } finally {
    cli.spinner.stop();
    await cli.backend.dispose();
  }
}

class Cli {
  readonly backend: ApprovalsBackend;
  readonly spinner: Spinner;

  constructor(
    private readonly invocation: CliInvocation,
    private readonly io: CliIo,
    private readonly paint: Paint,
  ) {
    this.backend = new ApprovalsBackend(invocation.settings, () => invocation.ttlHours);
    this.spinner = new Spinner(io.stderr);
  }

  async run(command: Exclude<CliCommand, { name: 'help' } | { name: 'version' }>): Promise<ExitCode> {
    switch (command.name) {
      case 'pending':
        return this.pending(command.job, command.urgent);
      case 'show':
        return this.show(command.runId);
      case 'history':
        return this.history(command.jobName, command.limit);
      case 'decide':
        return this.decide(command);
    }
  }

  private async pending(job: string | undefined, urgentOnly: boolean): Promise<ExitCode> {
    this.spinner.start('Reading pending runs');
    const all = await (await this.backend.repository()).listPending();
    this.spinner.stop();
    const now = this.io.now();
    const ttl = this.invocation.ttlHours;
    const runs = all.filter((run) => {
      if (job !== undefined && run.jobName !== job) return false;
      if (!urgentOnly) return true;
      const urgency = urgencyOf(expiryOf(run, ttl), now);
      return urgency === 'urgent' || urgency === 'overdue';
    });
    if (this.invocation.json) this.out(terminalJson(runs.map((run) => pendingRunJson(run, now, ttl))));
    else this.lines(pendingLines(runs, now, ttl, this.paint));
    return EXIT.done;
  }

  private async show(runId: string): Promise<ExitCode> {
    this.spinner.start('Reading the run');
    const repository = await this.backend.repository();
    const stored = await repository.getRun(runId);
    if (!stored) {
      this.spinner.stop();
      return this.notFound(runId);
    }
    const run = stored.run;
    const [history, decisions] = await Promise.all([
      loaded(repository.jobHistory(run.jobName, HISTORY_SIZE, run.timestampMs === null ? {} : { upToMs: run.timestampMs })),
      loaded(repository.recentDecisions(DECISIONS_SIZE, run.jobName)),
    ]);
    this.spinner.stop();
    const model = buildRunDetails({ run, history, decisions, ttlHours: this.invocation.ttlHours, nowMs: this.io.now() });
    if (this.invocation.json) this.out(terminalJson(runDetailsJson(model)));
    else this.lines(runDetailsLines(model, this.paint));
    return EXIT.done;
  }

  private async history(jobName: string, limit: number): Promise<ExitCode> {
    this.spinner.start('Reading the job history');
    const repository = await this.backend.repository();
    const [runs, decisions] = await Promise.all([repository.jobHistory(jobName, limit), repository.recentDecisions(limit, jobName)]);
    this.spinner.stop();
    if (this.invocation.json) this.out(terminalJson(historyJson(runs, decisions)));
    else this.lines(historyLines(jobName, runs, decisions, this.paint));
    return EXIT.done;
  }

  private async decide(command: Extract<CliCommand, { name: 'decide' }>): Promise<ExitCode> {
    const words = DECISION_WORDS[command.decision];
    this.spinner.start('Looking the run up');
    const stored = await (await this.backend.repository()).getRun(command.runId);
    this.spinner.stop();
    if (!stored) return this.notFound(command.runId);
    const run = stored.run;
    const early = notPendingOutcome(run);
    if (early) return this.reportOutcome(early, run);

    const interactive = this.io.stdin.isTTY === true && this.io.stderr.isTTY === true;
    let reason = command.reason;
    if (reason === undefined) {
      if (!interactive) return this.usage('--reason is required (a reason is recorded with every decision).');
      reason = (await this.ask(`Reason to ${words.verb} ${terminal`${run.jobRunId}`}: `)).trim();
      if (reason === '') return this.usage('A decision needs a reason; nothing was published.');
    }
    if (!command.yes) {
      if (!interactive) return this.usage('Add --yes to publish without a confirmation (no terminal to ask on).');
      const check = primaryFailingCheck(run);
      const answer = await this.ask(
        `${words.title} ${terminal`${run.jobRunId}`} of ${terminal`${run.jobName}`}${check ? terminal` (${formatCheck(check)})` : ''}? [y/N] `,
      );
      if (!/^y(es)?$/i.test(answer.trim())) {
        this.err('Nothing was published.');
        return EXIT.failure;
      }
    }
    this.spinner.start('Publishing the signed decision');
    const outcome = await publishDecision(this.backend.decisionPorts(), { shownRun: run, decision: command.decision, reason, decisionId: randomUUID() });
    this.spinner.stop();
    return this.reportOutcome(outcome, run);
  }

  private reportOutcome(outcome: PublishOutcome, run: JobRun): ExitCode {
    const json = this.invocation.json;
    switch (outcome.kind) {
      case 'published': {
        const m = outcome.message;
        if (json) {
          this.out(terminalJson({ result: 'published', job_name: m.job_name, job_run_id: m.job_run_id, decision: m.decision, decided_by: m.decided_by, decision_id: m.decision_id, message_id: outcome.messageId }));
        } else {
          const pastTitle = DECISION_WORDS[m.decision].pastTitle;
          const word = m.decision === 'APPROVED' ? this.paint.green(pastTitle) : this.paint.red(pastTitle);
          this.out(`${word} ${terminal`${m.job_run_id} of ${m.job_name} as ${m.decided_by} (decision_id ${m.decision_id}, message ${outcome.messageId}).`}`);
        }
        return EXIT.done;
      }
      case 'alreadyDecided':
        if (json) this.out(terminalJson({ result: 'already-decided', job_run_id: run.jobRunId, status: outcome.status, decided_by: outcome.decidedBy, decided_at: outcome.decidedAt, reason: outcome.reason }));
        else this.err(terminal`Not published: ${run.jobRunId} was already ${outcome.status.toLowerCase()} by ${outcome.decidedBy ?? 'someone'}${outcome.decidedAt ? ` at ${outcome.decidedAt}` : ''}${outcome.reason ? `: ${outcome.reason}` : ''}.`);
        return EXIT.notPending;
      case 'noLongerPending':
        if (json) this.out(terminalJson({ result: 'not-pending', job_run_id: run.jobRunId, status: outcome.status }));
        else this.err(terminal`Not published: ${run.jobRunId} is not waiting for approval (status ${outcome.status ?? 'missing'}).`);
        return EXIT.notPending;
      case 'notFound':
        return this.notFound(run.jobRunId);
      case 'evidenceChanged':
        if (json) this.out(terminalJson({ result: 'changed', job_run_id: run.jobRunId }));
        else this.err(terminal`Not published: ${run.jobRunId} changed while you decided. Run show again and decide on what it says now.`);
        return EXIT.failure;
    }
  }

  private notFound(runId: string): ExitCode {
    if (this.invocation.json) this.out(terminalJson({ result: 'not-found', job_run_id: runId }));
    else this.err(terminal`No run ${runId} in the index.`);
    return EXIT.failure;
  }

  /** Prints the classified failure (with its fix) and returns its exit code. */
  failed(error: unknown): ExitCode {
    this.spinner.stop();
    const failure = classifyFailure(error, { profile: this.invocation.settings.profile });
    const credentials = failure.kind === 'sso-expired' || failure.kind === 'no-credentials';
    const message = failure.message.replace(/,? then refresh\./, '.');
    this.err(`${this.paint.red('Error:')} ${terminal`${message}`}`);
    if (failure.fix?.shellCommand) this.err(`Fix:   ${terminal`${failure.fix.shellCommand}`}`);
    if (this.io.env.DWH_APPROVALS_DEBUG) this.err(terminal`Detail: ${failure.detail}`);
    if (this.invocation.json) this.out(terminalJson({ result: 'error', kind: failure.kind, message, fix: failure.fix?.shellCommand ?? null }));
    return credentials ? EXIT.credentials : EXIT.failure;
  }

  private usage(text: string): ExitCode {
    this.err(text);
    return EXIT.usage;
  }

  private async ask(question: string): Promise<string> {
    const rl = createInterface({ input: this.io.stdin, output: this.io.stderr, terminal: true });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  }

  private out(text: string): void {
    this.io.stdout.write(`${text}\n`);
  }

  private lines(lines: readonly string[]): void {
    this.io.stdout.write(`${lines.join('\n')}\n`);
  }

  private err(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}

/** Read before asking for a reason: a run decided or gone already is reported, not asked about. */
function notPendingOutcome(run: JobRun): PublishOutcome | null {
  if (run.approval) {
    return { kind: 'alreadyDecided', status: run.approval.status, decidedBy: run.approval.approvedBy, decidedAt: run.approval.timestamp, reason: run.approval.reason };
  }
  if (!isPending(run)) return { kind: 'noLongerPending', status: run.status };
  return null;
}

async function loaded<T>(promise: Promise<T>): Promise<Loaded<T>> {
  try {
    return { state: 'loaded', value: await promise };
  } catch (error) {
    return { state: 'failed', message: classifyFailure(error).message };
  }
}

/** A spinner on stderr, only when stderr is a terminal; stop() clears its line. */
class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }) {}

  start(text: string): void {
    if (this.stream.isTTY !== true || this.timer) return;
    const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    const draw = (): void => {
      this.stream.write(`\r${frames[this.frame++ % frames.length] ?? ''} ${text}…`);
    };
    draw();
    this.timer = setInterval(draw, 80);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write('\r\u001b[2K');
  }
}

/** The bundle's entry: argv[1]'s name picks an alias (bin/dwh-pending.js → pending). */
export function main(programName: string, args: readonly string[]): void {
  // The SDK's own switch for its notice about future Node versions: the CLI's stderr is for
  // what the user can act on now (package.json's engines says which Node it runs on).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  runCli(programName, args, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: () => Date.now() })
    .then((code) => {
      process.exitCode = code;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${terminal`Unexpected error: ${error instanceof Error ? error.stack ?? error.message : error}`}\n`);
      process.exitCode = EXIT.failure;
    });
}
