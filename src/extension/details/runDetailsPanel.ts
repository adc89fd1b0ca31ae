// One run's details panel: loads the run afresh with its job's recent runs and decisions,
// sends them to the page as data, and publishes the page's decision through the decision
// controller, then follows it until the processor has recorded it. The page is rebuilt
// whenever it is shown again, so everything it shows is kept here and re-sent on `ready`.
import * as vscode from 'vscode';
import type { ApprovalPolicy } from '../../core/approvalPolicy';
import { decisionProgress, voteRecordOfAuditRecord } from '../../core/approvalProgress';
import type { AuditRecord } from '../../core/auditRecord';
import { evidenceSha256 } from '../../core/evidence';
import { reasonValidationError } from '../../core/decisionReason';
import { DECISION_WORDS, type Decision, type JobRun } from '../../core/model';
import { isPending } from '../../core/pendingQuery';
import type { PendingRunsStore } from '../../core/pendingRunsStore';
import { afterNotApplied, allowsDecidingAgain, auditsByDecisionId, isNotApplied, type AfterNotApplied } from '../../core/publishedDecisions';
import { DECISIONS_SIZE, HISTORY_SIZE, buildRunDetails, formatUtc, panelTitle, type Loaded, type RunDetailsModel } from '../../core/runDetailsModel';
import { parseTimestampMs } from '../../core/timestamp';
import { iconLabel, message as untrustedMessage } from '../../core/untrustedText';
import {
  canDecide,
  parsePageMessage,
  type DecisionStateView,
  type FixTarget,
  type HostMessage,
  type IdentityView,
  type PageMessage,
  type PanelError,
  type ProgressView,
} from '../../shared/webviewMessages';
import type { BackendConnection } from '../backendConnection';
import type { DecisionController, DecisionAttempt, DecisionResult } from '../decisionController';
import { failureOf, fixFor, type FixAction } from '../failureMessages';
import type { Log } from '../logChannel';
import { readViewSettings } from '../settings';
import { detailsHtml, detailsResourceRoots } from './detailsHtml';

export const DETAILS_VIEW_TYPE = 'dwhApprovals.details';
/** After publishing, how often and how long the panel looks for the processor's update. */
export const RECORD_POLL_MS = 3_000;
export const RECORD_WATCH_MS = 2 * 60_000;

export interface DetailsDependencies {
  extensionUri: vscode.Uri;
  connection: BackendConnection;
  store: PendingRunsStore;
  controller: DecisionController;
  log: Log;
}

interface LoadedRun {
  run: JobRun;
  history: Loaded<readonly JobRun[]>;
  decisions: Loaded<readonly AuditRecord[]>;
}

interface RecordWatch {
  decision: Decision;
  decisionId: string | null;
  messageId: string | null;
  /** The reason published, when this panel published it: kept for deciding again. */
  reason: string | null;
  deadline: number;
  timer: NodeJS.Timeout | undefined;
}

const OTHER: Record<Decision, Decision> = { APPROVED: 'REJECTED', REJECTED: 'APPROVED' };

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
  private decisionState: DecisionStateView = { kind: 'idle' };
  private readonly fixes = new Map<FixTarget, FixAction>();
  /** True from the click to the controller's answer (confirmation included). */
  private deciding = false;
  private watch: RecordWatch | undefined;
  private checkingRecord = false;
  /**
   * A published decision the processor turned down (refused or invalid), while the run is
   * read afresh to see whether it still waits and whether its evidence moved on.
   */
  private turnedDown: { audit: AuditRecord; reason: string | null } | undefined;
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
      deps.controller.onDidDecide((event) => this.decidedElsewhere(event)),
      deps.connection.onDidChange(() => {
        void this.loadIdentity();
        void this.load();
      }),
      toDisposable(deps.store.onDidChange(() => this.storeChanged())),
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
    this.stopWatch();
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
      const repository = await connection.backend.repository();
      const stored = await repository.getRun(this.jobRunId);
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
        settle(repository.jobHistory(run.jobName, HISTORY_SIZE, run.timestampMs === null ? {} : { upToMs: run.timestampMs })),
        settle(repository.recentDecisions(DECISIONS_SIZE, run.jobName)),
        settle(connection.backend.approvalPolicy()),
        settle(repository.approvalVotes(run.jobRunId)),
      ]);
      if (generation !== this.loadGeneration || this.disposed) return;
      if (history.state === 'failed') log.warn(`Details of ${this.jobRunId}: job history failed: ${history.message}`);
      if (decisions.state === 'failed') log.warn(`Details of ${this.jobRunId}: recent decisions failed: ${decisions.message}`);
      if (policy.state === 'failed') log.warn(`Details of ${this.jobRunId}: approval policy failed: ${policy.message}`);
      if (votes.state === 'failed') log.warn(`Details of ${this.jobRunId}: approvals of the run failed: ${votes.message}`);
      this.loaded = { run, history, decisions };
      this.rules = { policy, votes };
      this.loadError = undefined;
      this.fixes.delete('load');
      log.info(`Details of ${this.jobRunId}: loaded in ${Date.now() - started} ms`);
      this.panel.title = panelTitle(this.jobRunId, run.jobName);
      this.rebuild();
      this.updateProgress();
      this.deriveDecisionState(run);
    } catch (error) {
      if (generation !== this.loadGeneration || this.disposed) return;
      const failure = failureOf(error);
      log.warn(`Details of ${this.jobRunId}: ${failure.detail || failure.message}`);
      const fix = fixFor(failure, connection.backend.settings.profile);
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

  /** After a load: a run that is not pending cannot be decided from here. */
  private deriveDecisionState(run: JobRun): void {
    const state = this.decisionState;
    if (isPending(run)) {
      if (state.kind === 'closed') this.setDecisionState({ kind: 'idle' });
      const turnedDown = this.turnedDown;
      if (state.kind === 'published' && turnedDown && turnedDown.audit.decisionId === state.decisionId) {
        this.turnedDown = undefined;
        const next = afterNotApplied(turnedDown.audit, run);
        if (next.kind === 'decideAgain') this.offerDecidingAgain(state.decision, state.decisionId, next, turnedDown.reason ?? turnedDown.audit.reason);
        return;
      }
      const followUp = this.deps.store.publishedFollowUp(run.jobRunId);
      const published = followUp?.decision;
      // A decision already turned down, whose run came back to the tree, is not followed again.
      const followed = this.decisionState.kind === 'notApplied' && followUp?.decisionId === this.decisionState.decisionId;
      if (canDecide(this.decisionState) && !followed && (published === 'APPROVED' || published === 'REJECTED') && !this.deciding) {
        // Published from the tree or the palette of this window; the processor has not recorded it yet,
        // or did not apply it: with the decision_id the watch finds its audit and says which.
        const decisionId = followUp?.decisionId ?? null;
        this.setDecisionState({ kind: 'published', decision: published, decisionId, messageId: null, waiting: true });
        this.startWatch(published, decisionId, null, null);
      }
      return;
    }
    if (state.kind === 'published' && run.approval) {
      this.recorded(run);
      return;
    }
    if (canDecide(state) || state.kind === 'closed') {
      this.setDecisionState({ kind: 'closed', status: run.status ?? 'missing', approval: this.details?.approval ?? null });
    }
  }

  private async loadIdentity(): Promise<void> {
    const { connection } = this.deps;
    this.identity = { state: 'loading' };
    this.post({ type: 'identity', identity: this.identity });
    try {
      const identity = await connection.backend.callerIdentity.identity();
      this.identity = { state: 'known', decidedBy: identity.decidedBy, arn: identity.arn };
      this.fixes.delete('identity');
    } catch (error) {
      const failure = failureOf(error);
      const fix = fixFor(failure, connection.backend.settings.profile);
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

  /** After a vote of this panel was counted: the run's approvals again, for the progress line. */
  private async reloadVotes(): Promise<void> {
    const run = this.loaded?.run;
    if (!run || !this.rules) return;
    const repository = await this.deps.connection.backend.repository();
    const votes = await settle(repository.approvalVotes(run.jobRunId));
    if (this.disposed || this.loaded?.run !== run || !this.rules) return;
    this.rules = { ...this.rules, votes };
    this.updateProgress();
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
    this.post({ type: 'decisionState', state: this.decisionState });
    this.post({ type: 'draft', reason: this.draft() });
  }

  // ---- deciding -----------------------------------------------------------------------

  private async decide(decision: Decision, reason: string): Promise<void> {
    const run = this.loaded?.run;
    const { controller } = this.deps;
    // Never a second publish of the same run from this panel, nor one while one is under way.
    if (!run || this.deciding || !canDecide(this.decisionState) || !isPending(run) || controller.isInFlight(this.jobRunId)) {
      this.post({ type: 'decisionState', state: this.decisionState });
      return;
    }
    // The page disables what the policy does not allow this identity; a click that gets here anyway is refused.
    const progress = this.progress;
    const allowed = progress.state !== 'known' || (decision === 'APPROVED' ? progress.approve : progress.reject).allowed;
    if (!allowed) {
      this.deps.log.warn(`Details of ${this.jobRunId}: refused a ${decision} the approval policy does not allow this identity`);
      this.post({ type: 'decisionState', state: this.decisionState });
      this.post({ type: 'progress', progress });
      return;
    }
    // The page checks the reason with the same rule; one that gets here anyway is refused.
    const invalid = reasonValidationError(reason);
    if (invalid !== null) {
      this.deps.log.warn(`Details of ${this.jobRunId}: refused a decision from the page: ${invalid}`);
      this.post({ type: 'decisionState', state: this.decisionState });
      return;
    }
    this.deciding = true;
    const before = this.decisionState;
    try {
      controller.keepDraft([this.jobRunId], decision, reason);
      if (readViewSettings().confirmDecisions) {
        this.setDecisionState({ kind: 'confirming', decision });
        if (!(await this.confirm(run, decision, reason))) {
          this.setDecisionState(before);
          return;
        }
      }
      this.setDecisionState({ kind: 'publishing', decision });
      const result = await controller.decide(run, decision, reason);
      this.applyResult(decision, result);
    } finally {
      this.deciding = false;
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

  private applyResult(decision: Decision, result: DecisionResult): void {
    if (this.disposed) return;
    this.fixes.delete('decision');
    switch (result.kind) {
      case 'published':
        // The controller drops the draft of the decision that went out; the other goes too.
        this.deps.controller.keepDraft([this.jobRunId], OTHER[decision], '');
        this.setDecisionState({ kind: 'published', decision, decisionId: result.message.decision_id, messageId: result.messageId, waiting: true });
        this.startWatch(decision, result.message.decision_id, result.messageId, result.message.reason);
        return;
      case 'alreadyDecided':
        this.setDecisionState({
          kind: 'alreadyDecided',
          status: result.status,
          decidedBy: result.decidedBy ?? 'someone',
          decidedAt: formatUtc(parseTimestampMs(result.decidedAt)) ?? result.decidedAt ?? 'an unknown time',
          reason: result.reason ?? '',
        });
        void this.load();
        return;
      case 'noLongerPending':
        this.setDecisionState({ kind: 'noLongerPending', status: result.status ?? 'missing' });
        void this.load();
        return;
      case 'notFound':
        this.setDecisionState({ kind: 'notFound' });
        return;
      case 'evidenceChanged':
        this.setDecisionState({ kind: 'evidenceChanged', decision });
        void this.load();
        return;
      case 'inProgress':
        this.setDecisionState({ kind: 'inProgress' });
        return;
      case 'failed': {
        const fix = fixFor(result.failure, this.deps.connection.backend.settings.profile);
        this.fixes.set('decision', fix);
        this.setDecisionState({ kind: 'failed', decision, message: result.failure.message, fixLabel: fix.label });
        return;
      }
    }
  }

  /** A decision on this run from the tree, the palette or another panel. */
  private decidedElsewhere(event: DecisionAttempt): void {
    if (event.jobRunId !== this.jobRunId || this.deciding || this.disposed) return;
    if (!canDecide(this.decisionState)) return;
    if (event.result.kind === 'published' || event.result.kind === 'alreadyDecided' || event.result.kind === 'noLongerPending' || event.result.kind === 'evidenceChanged') {
      this.applyResult(event.decision, event.result);
    }
  }

  private setDecisionState(state: DecisionStateView): void {
    this.decisionState = state;
    this.post({ type: 'decisionState', state });
  }

  private keepDraft(reason: string): void {
    if (!this.loaded || !isPending(this.loaded.run) || !canDecide(this.decisionState)) return;
    // The form has one reason for either button; the palette commands read it per decision.
    this.deps.controller.keepDraft([this.jobRunId], 'APPROVED', reason);
    this.deps.controller.keepDraft([this.jobRunId], 'REJECTED', reason);
  }

  private draft(): string {
    const { controller } = this.deps;
    return controller.draftReason([this.jobRunId], 'APPROVED') || controller.draftReason([this.jobRunId], 'REJECTED') || '';
  }

  // ---- following a published decision until the processor records it -------------------

  private startWatch(decision: Decision, decisionId: string | null, messageId: string | null, reason: string | null): void {
    this.stopWatch();
    this.turnedDown = undefined;
    this.watch = { decision, decisionId, messageId, reason, deadline: Date.now() + RECORD_WATCH_MS, timer: undefined };
    this.scheduleWatch();
  }

  private scheduleWatch(): void {
    const watch = this.watch;
    if (!watch || this.disposed) return;
    watch.timer = setTimeout(() => {
      void this.checkRecorded().finally(() => {
        if (this.watch !== watch) return;
        if (Date.now() < watch.deadline) {
          this.scheduleWatch();
        } else {
          this.watch = undefined;
          if (this.decisionState.kind === 'published') this.setDecisionState({ ...this.decisionState, waiting: false });
        }
      });
    }, RECORD_POLL_MS);
  }

  private stopWatch(): void {
    if (this.watch?.timer) clearTimeout(this.watch.timer);
    this.watch = undefined;
  }

  private storeChanged(): void {
    if (this.watch) void this.checkRecorded();
  }

  private async checkRecorded(): Promise<void> {
    if (this.checkingRecord || this.disposed || this.decisionState.kind !== 'published') return;
    this.checkingRecord = true;
    try {
      const repository = await this.deps.connection.backend.repository();
      const stored = await repository.getRun(this.jobRunId);
      if (this.decisionState.kind !== 'published') return;
      if (stored?.run.approval) {
        this.recorded(stored.run);
        // The audit index has the decision now too: reload the page's lists.
        void this.load();
        return;
      }
      // Not applied (yet): the processor may have refused it (self-approval, superseded) or
      // be waiting for a quorum; its audit record says which.
      const watch = this.watch;
      if (!watch?.decisionId || !stored) return;
      // By decision_id, as the pending store follows decisions (an unverifiable message is audited under its claim).
      const audit = auditsByDecisionId(await repository.auditsFor([watch.decisionId]), [watch.decisionId]).get(watch.decisionId);
      if (!audit || audit.auditStatus === 'recorded' || this.watch !== watch || this.decisionState.kind !== 'published') return;
      const counted = audit.auditStatus === 'awaiting-quorum' && this.decisionState.audit?.status !== 'awaiting-quorum';
      const final = isNotApplied(audit.auditStatus);
      if (final) this.stopWatch();
      this.setDecisionState({ ...this.decisionState, waiting: !final, audit: { status: audit.auditStatus, detail: audit.detail } });
      if (counted) void this.reloadVotes();
      if (final && allowsDecidingAgain(audit.auditStatus)) {
        // Turned down, not superseded: read the run again (fresh evidence, still waiting?);
        // deriveDecisionState then opens the form for a new decision if it may.
        this.turnedDown = { audit, reason: watch.reason };
        void this.load();
      }
    } catch (error) {
      this.deps.log.warn(`Details of ${this.jobRunId}: checking for the recorded decision failed: ${failureOf(error).message}`);
    } finally {
      this.checkingRecord = false;
    }
  }

  /**
   * The processor turned the decision down and the run still waits: the form opens again
   * with the reason as it was, and the next publish gets a new decision_id (the controller
   * forgets a decision_id once its decision is published; only a failed publish keeps it).
   */
  private offerDecidingAgain(decision: Decision, decisionId: string | null, next: Extract<AfterNotApplied, { kind: 'decideAgain' }>, publishedReason: string): void {
    const { controller, log } = this.deps;
    const reason = this.draft() || publishedReason;
    controller.turnedDown(next.code);
    controller.keepDraft([this.jobRunId], 'APPROVED', reason);
    controller.keepDraft([this.jobRunId], 'REJECTED', reason);
    log.info(
      `Details of ${this.jobRunId}: decision ${decisionId ?? '(no id)'} was ${next.status} by the processor` +
        `${next.evidenceChanged ? ' (the run changed since it was reviewed)' : ''}; the form is open to decide again`,
    );
    this.setDecisionState({ kind: 'notApplied', decision, decisionId, status: next.status, detail: next.detail, evidenceChanged: next.evidenceChanged });
    this.post({ type: 'draft', reason });
  }

  private recorded(run: JobRun): void {
    const state = this.decisionState;
    const approval = run.approval;
    if (!approval) return;
    const watch = this.watch;
    this.stopWatch();
    const published = state.kind === 'published' ? state : undefined;
    this.setDecisionState({
      kind: 'recorded',
      status: approval.status,
      approvedBy: approval.approvedBy ?? 'unknown',
      reason: approval.reason ?? '',
      timeText: formatUtc(parseTimestampMs(approval.timestamp)) ?? approval.timestamp ?? 'unknown time',
      publishedDecision: published?.decision ?? watch?.decision ?? null,
      decisionId: published?.decisionId ?? watch?.decisionId ?? null,
      messageId: published?.messageId ?? watch?.messageId ?? null,
    });
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
    return { state: 'failed', message: failureOf(error).message };
  }
}

function toDisposable(subscription: { dispose(): void }): vscode.Disposable {
  return { dispose: () => subscription.dispose() };
}
