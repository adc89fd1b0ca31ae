// One run's details panel: loads the run afresh with its job's recent runs and decisions,
// sends them to the page as data, and publishes the page's decision through the decision
// controller. Where the decision stands is core/decisionState.ts's, fed by the pending
// store's watch of published decisions; this file only passes messages and effects. The page
// is rebuilt whenever it is shown again, so everything it shows is kept here and re-sent on `ready`.
import * as vscode from 'vscode';
import type { ApprovalPolicy } from '../../core/approvalPolicy';
import { decisionProgress, voteRecordOfAuditRecord } from '../../core/approvalProgress';
import type { AuditRecord } from '../../core/auditRecord';
import { INITIAL_DECISION, isDeciding, next, type PanelEffect, type PanelEvent } from '../../core/decisionState';
import { evidenceSha256 } from '../../core/evidence';
import { classifyFailure } from '../../core/failureClassification';
import { reasonValidationError } from '../../core/decisionReason';
import { DECISION_WORDS, type Decision, type JobRun } from '../../core/model';
import { isPending } from '../../core/pendingQuery';
import type { PendingRunsStore } from '../../core/pendingRunsStore';
import { DECISIONS_SIZE, HISTORY_SIZE, buildRunDetails, panelTitle, type Loaded, type RunDetailsModel } from '../../core/runDetailsModel';
import { iconLabel, message as untrustedMessage } from '../../core/untrustedText';
import { canDecide, parsePageMessage, type FixTarget, type HostMessage, type IdentityView, type PageMessage, type PanelError, type ProgressView } from '../../shared/webviewMessages';
import type { ApprovalsPort } from '../backendConnection';
import type { DecisionController } from '../decisionController';
import { fixFor, type FixAction } from '../failureMessages';
import type { Log } from '../logChannel';
import { readViewSettings } from '../settings';
import { detailsHtml, detailsResourceRoots } from './detailsHtml';

export const DETAILS_VIEW_TYPE = 'dwhApprovals.details';

export interface DetailsDependencies {
  extensionUri: vscode.Uri;
  connection: ApprovalsPort;
  store: PendingRunsStore;
  controller: DecisionController;
  log: Log;
}

interface LoadedRun {
  run: JobRun;
  history: Loaded<readonly JobRun[]>;
  decisions: Loaded<readonly AuditRecord[]>;
}

export class RunDetailsPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;

  /** The run as shown: what a decision from this panel is about. */
  private loaded: LoadedRun | undefined;
  private details: RunDetailsModel | undefined;
  private loadError: PanelError | undefined;
  private loadGeneration = 0;
  private identity: IdentityView = { state: 'loading' };
  /** The approval policy and the run's approvals, read with the run; what `progress` is computed from. */
  private rules: { policy: Loaded<ApprovalPolicy>; votes: Loaded<readonly AuditRecord[]> } | undefined;
  private progress: ProgressView = { state: 'loading' };
  private decision = INITIAL_DECISION;
  private readonly fixes = new Map<FixTarget, FixAction>();
  private disposed = false;

  /** A new panel for the run, in `column`. */
  static create(deps: DetailsDependencies, jobRunId: string, column: vscode.ViewColumn): RunDetailsPanel {
    const panel = vscode.window.createWebviewPanel(DETAILS_VIEW_TYPE, panelTitle(jobRunId, deps.store.find(jobRunId)?.jobName), column, {
      enableScripts: true,
      retainContextWhenHidden: false,
      enableFindWidget: true,
      localResourceRoots: detailsResourceRoots(deps.extensionUri),
    });
    return new RunDetailsPanel(deps, jobRunId, panel);
  }

  /** The run's panel that VS Code kept over a window reload, given back by the serializer. */
  static restore(deps: DetailsDependencies, jobRunId: string, panel: vscode.WebviewPanel): RunDetailsPanel {
    // The restored panel keeps its options from before; set them anyway, as a newer version may need others.
    panel.webview.options = { enableScripts: true, localResourceRoots: detailsResourceRoots(deps.extensionUri) };
    panel.title = panelTitle(jobRunId, deps.store.find(jobRunId)?.jobName);
    return new RunDetailsPanel(deps, jobRunId, panel);
  }

  private constructor(
    private readonly deps: DetailsDependencies,
    readonly jobRunId: string,
    panel: vscode.WebviewPanel,
  ) {
    this.panel = panel;
    this.panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'approvals.svg');
    this.panel.webview.html = detailsHtml(this.panel.webview, deps.extensionUri);
    this.subscriptions.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message)),
      // A decision on this run from the tree, the palette or another panel (this panel's own arrives while deciding: ignored).
      deps.controller.onDidDecide(({ jobRunId, decision, result }) => {
        if (jobRunId === this.jobRunId) this.dispatch({ type: 'decidedElsewhere', decision, result, followUp: this.followUp() });
      }),
      deps.connection.onDidChange(() => {
        void this.loadIdentity();
        void this.load();
      }),
      deps.store.onDidChange(() => this.dispatch({ type: 'followUp', followUp: this.followUp() })),
    );
    void this.loadIdentity();
    void this.load();
  }

  get title(): string {
    return this.panel.title;
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.disposedEmitter.fire();
    this.disposedEmitter.dispose();
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.panel.dispose();
  }

  // ---- loading ------------------------------------------------------------------------

  private async load(): Promise<void> {
    const generation = ++this.loadGeneration;
    const { connection, log } = this.deps;
    const started = Date.now();
    if (!this.details) this.post({ type: 'loading', jobRunId: this.jobRunId });
    try {
      const stored = await connection.getRun(this.jobRunId);
      if (generation !== this.loadGeneration || this.disposed) return;
      if (!stored) {
        log.warn(`Details of ${this.jobRunId}: no such run`);
        this.showLoadError({
          title: 'Run not found',
          message: `No document in the job-events index has job_run_id "${this.jobRunId}". It may have been removed, or the extension reads another index, profile or region than the one that has it.`,
        });
        return;
      }
      const run = stored.run;
      const [history, decisions, policy, votes] = await Promise.all([
        // The runs before this one: an older run is compared with its own past, not the job's latest runs.
        settle(connection.jobHistory(run.jobName, HISTORY_SIZE, run.timestampMs === null ? {} : { upToMs: run.timestampMs })),
        settle(connection.recentDecisions(DECISIONS_SIZE, run.jobName)),
        settle(connection.approvalPolicy()),
        settle(connection.approvalVotes(run.jobRunId)),
      ]);
      if (generation !== this.loadGeneration || this.disposed) return;
      const parts = { 'job history': history, 'recent decisions': decisions, 'approval policy': policy, 'approvals of the run': votes };
      for (const [what, part] of Object.entries(parts)) if (part.state === 'failed') log.warn(`Details of ${this.jobRunId}: ${what} failed: ${part.message}`);
      this.loaded = { run, history, decisions };
      this.rules = { policy, votes };
      this.loadError = undefined;
      this.fixes.delete('load');
      log.info(`Details of ${this.jobRunId}: loaded in ${Date.now() - started} ms`);
      this.panel.title = panelTitle(this.jobRunId, run.jobName);
      this.rebuild();
      this.updateProgress();
      this.dispatch({ type: 'loaded', run, approval: this.details?.approval ?? null, followUp: this.followUp() });
    } catch (error) {
      if (generation !== this.loadGeneration || this.disposed) return;
      const failure = classifyFailure(error);
      log.warn(`Details of ${this.jobRunId}: ${failure.detail || failure.message}`);
      const fix = fixFor(failure, connection.profile);
      this.fixes.set('load', fix);
      this.showLoadError({ title: 'Could not load the run', message: failure.message, fixLabel: fix.label });
    }
  }

  private showLoadError(error: PanelError): void {
    // After a failed refresh the page keeps what it shows and adds the error above it.
    this.loadError = error;
    this.post({ type: 'error', error });
  }

  /** Rebuilds the model from what is loaded. Age and time left then move on in the page itself. */
  private rebuild(): void {
    if (!this.loaded) return;
    this.details = buildRunDetails({ ...this.loaded, ttlHours: readViewSettings().approvalTtlHours, nowMs: Date.now() });
    this.post({ type: 'show', details: this.details });
  }

  private async loadIdentity(): Promise<void> {
    const { connection } = this.deps;
    this.identity = { state: 'loading' };
    this.post({ type: 'identity', identity: this.identity });
    try {
      const identity = await connection.identity();
      this.identity = { state: 'known', decidedBy: identity.decidedBy, arn: identity.arn };
      this.fixes.delete('identity');
    } catch (error) {
      const failure = classifyFailure(error);
      const fix = fixFor(failure, connection.profile);
      this.fixes.set('identity', fix);
      this.identity = { state: 'failed', message: failure.message, fixLabel: fix.label };
    }
    this.post({ type: 'identity', identity: this.identity });
    this.updateProgress();
  }

  /**
   * What the current identity may do on this run under the approval policy, and what the run
   * still needs, computed by the core function the processor judges with; sent to the page,
   * which disables what is not allowed before anything is typed.
   */
  private updateProgress(): void {
    const run = this.loaded?.run;
    const rules = this.rules;
    let progress: ProgressView;
    if (!run || !rules) {
      progress = { state: 'loading' };
    } else if (rules.policy.state === 'failed') {
      progress = { state: 'failed', message: `The approval policy could not be read: ${rules.policy.message}` };
    } else if (rules.votes.state === 'failed') {
      progress = { state: 'failed', message: `The run's approvals could not be read: ${rules.votes.message}` };
    } else {
      const computed = decisionProgress({
        policy: rules.policy.value,
        run: { jobName: run.jobName, jobRunId: run.jobRunId, triggeredBy: run.triggeredBy, evidenceSha256: evidenceSha256(run), runDocumentId: run.documentId },
        records: rules.votes.value.map(voteRecordOfAuditRecord),
        identityArn: this.identity.state === 'known' ? this.identity.arn : null,
      });
      progress = { state: 'known', summary: computed.summary, approve: computed.approve, reject: computed.reject };
    }
    this.progress = progress;
    this.post({ type: 'progress', progress });
  }

  // ---- messages from the page ---------------------------------------------------------

  private async receive(raw: unknown): Promise<void> {
    const message = parsePageMessage(raw);
    if (!message) {
      this.deps.log.warn(`Details of ${this.jobRunId}: ignored a malformed message from the page`);
      return;
    }
    try {
      await this.handle(message);
    } catch (error) {
      this.deps.log.error(`Details of ${this.jobRunId}: handling ${message.type} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async handle(message: PageMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.sync();
        return;
      case 'refresh':
        await Promise.all([this.load(), this.identity.state === 'failed' ? this.loadIdentity() : Promise.resolve()]);
        return;
      case 'reasonChanged':
        this.keepDraft(message.reason);
        return;
      case 'decide':
        await this.decide(message.decision, message.reason);
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        vscode.window.setStatusBarMessage(iconLabel`Copied ${message.text.length > 60 ? `${message.text.slice(0, 59)}…` : message.text}`, 3000);
        return;
      case 'openArtifact':
        // Only a path the page was given: a page cannot make the host open anything else.
        if (!this.loaded?.run.artifacts.some((artifact) => artifact.path === message.path)) {
          this.deps.log.warn(`Details of ${this.jobRunId}: refused to open a path that is not an artifact of the run`);
          return;
        }
        await vscode.commands.executeCommand('dwhApprovals.openArtifact', message.path);
        return;
      case 'fix': {
        const fix = this.fixes.get(message.target);
        if (fix) await vscode.commands.executeCommand(fix.command.command, ...((fix.command.arguments ?? []) as unknown[]));
        return;
      }
    }
  }

  /** Everything the page shows, for a page that has just (re)loaded. */
  private sync(): void {
    this.post({ type: 'panel', jobRunId: this.jobRunId });
    this.post({ type: 'identity', identity: this.identity });
    this.post({ type: 'progress', progress: this.progress });
    if (this.details) this.post({ type: 'show', details: this.details });
    else if (!this.loadError) this.post({ type: 'loading', jobRunId: this.jobRunId });
    if (this.loadError) this.post({ type: 'error', error: this.loadError });
    this.post({ type: 'decisionState', state: this.decision.view });
    this.post({ type: 'draft', reason: this.draft() });
  }

  // ---- deciding -----------------------------------------------------------------------

  private async decide(decision: Decision, reason: string): Promise<void> {
    const run = this.loaded?.run;
    const { controller, log } = this.deps;
    const refuse = (): void => this.post({ type: 'decisionState', state: this.decision.view });
    // Never a second publish of the same run from this panel, nor one while one is under way.
    if (!run || !canDecide(this.decision.view) || !isPending(run) || controller.isInFlight(this.jobRunId)) return refuse();
    // The page disables what the policy does not allow this identity; a click that gets here anyway is refused.
    const progress = this.progress;
    if (progress.state === 'known' && !(decision === 'APPROVED' ? progress.approve : progress.reject).allowed) {
      log.warn(`Details of ${this.jobRunId}: refused a ${decision} the approval policy does not allow this identity`);
      refuse();
      this.post({ type: 'progress', progress });
      return;
    }
    // The page checks the reason with the same rule; one that gets here anyway is refused.
    const invalid = reasonValidationError(reason);
    if (invalid !== null) {
      log.warn(`Details of ${this.jobRunId}: refused a decision from the page: ${invalid}`);
      return refuse();
    }
    controller.keepDraft([this.jobRunId], decision, reason);
    const confirm = readViewSettings().confirmDecisions;
    this.dispatch({ type: 'decide', decision, confirm });
    try {
      if (confirm) {
        if (!(await this.confirm(run, decision, reason))) return;
        this.dispatch({ type: 'confirmed' });
      }
      const result = await controller.decide(run, decision, reason);
      this.fixes.delete('decision');
      const fix = result.kind === 'failed' ? fixFor(result.failure, this.deps.connection.profile) : undefined;
      if (fix) this.fixes.set('decision', fix);
      this.dispatch({ type: 'result', decision, result, fixLabel: fix?.label, followUp: this.followUp() });
    } finally {
      // Cancelled (or the confirmation failed): the form as it was.
      if (isDeciding(this.decision.view)) this.dispatch({ type: 'cancelled' });
    }
  }

  private async confirm(run: JobRun, decision: Decision, reason: string): Promise<boolean> {
    const verb = DECISION_WORDS[decision].title;
    const who = this.identity.state === 'known' ? `${this.identity.decidedBy} (${this.identity.arn})` : 'your AWS identity';
    const choice = await vscode.window.showWarningMessage(
      untrustedMessage`${verb} ${run.jobName} run ${run.jobRunId}?`,
      { modal: true, detail: `${untrustedMessage`Reason: ${reason.trim()}`}\n${untrustedMessage`Recorded as: ${who}`}` },
      verb,
    );
    return choice === verb;
  }

  /** The store's watch of this run's published decision. */
  private followUp(): ReturnType<PendingRunsStore['publishedFollowUp']> {
    return this.deps.store.publishedFollowUp(this.jobRunId);
  }

  /** Where the decision stands next (core/decisionState.ts): shown, then its effects carried out. */
  private dispatch(event: PanelEvent): void {
    if (this.disposed) return;
    const { state, effects } = next(this.decision, event);
    const changed = state.view !== this.decision.view;
    this.decision = state;
    if (changed) this.post({ type: 'decisionState', state: state.view });
    for (const effect of effects) this.perform(effect);
  }

  private perform(effect: PanelEffect): void {
    switch (effect.kind) {
      case 'load':
        void this.load();
        return;
      case 'dropDrafts':
        this.keepDrafts('');
        return;
      case 'decideAgain': {
        // Turned down and the run still waits: the form opens with the reason as it was; the
        // next publish gets a new decision_id (the controller forgets one once it is published).
        const reason = this.draft() || effect.reason;
        this.keepDrafts(reason);
        this.deps.log.info(`Details of ${this.jobRunId}: the processor turned the decision down and the run still waits; the form is open to decide again`);
        this.post({ type: 'draft', reason });
        return;
      }
    }
  }

  private keepDraft(reason: string): void {
    if (!this.loaded || !isPending(this.loaded.run) || !canDecide(this.decision.view)) return;
    // The form has one reason for either button; the palette commands read it per decision.
    this.keepDrafts(reason);
  }

  private keepDrafts(reason: string): void {
    for (const decision of ['APPROVED', 'REJECTED'] as const) this.deps.controller.keepDraft([this.jobRunId], decision, reason);
  }

  private draft(): string {
    const { controller } = this.deps;
    return controller.draftReason([this.jobRunId], 'APPROVED') || controller.draftReason([this.jobRunId], 'REJECTED') || '';
  }

  private post(message: HostMessage): void {
    if (this.disposed) return;
    // A hidden page is gone; it asks for everything with `ready` when it is shown again.
    void this.panel.webview.postMessage(message).then(undefined, () => undefined);
  }
}

async function settle<T>(promise: Promise<T>): Promise<Loaded<T>> {
  try {
    return { state: 'loaded', value: await promise };
  } catch (error) {
    return { state: 'failed', message: classifyFailure(error).message };
  }
}
