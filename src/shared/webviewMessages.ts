// The messages between the run details panel (extension host) and its page (webview), in
// both directions, as discriminated unions both sides import. The host never trusts what
// the page sends: parsePageMessage checks every field before anything acts on it.

import type { DecisionStateView } from '../core/decisionView';
import type { Decision } from '../core/model';
import type { RunDetailsModel } from '../core/runDetailsModel';

// ---- page → host ----------------------------------------------------------------------

export type PageMessage =
  /** The page's script is listening (sent on every load: the page is rebuilt when shown). */
  | { type: 'ready' }
  | { type: 'decide'; decision: Decision; reason: string }
  /** The reason as typed, kept by the host as a draft (the page validates it itself). */
  | { type: 'reasonChanged'; reason: string }
  | { type: 'copy'; text: string }
  | { type: 'openArtifact'; path: string }
  | { type: 'refresh' }
  /** Run the fix the host offered for a failure shown in `target`. */
  | { type: 'fix'; target: FixTarget };

export type FixTarget = 'load' | 'identity' | 'decision';

/** Longer than any reason or path the host accepts; anything longer is refused unread. */
export const MAX_MESSAGE_TEXT = 20_000;

/** A page message with the right shape, or undefined for anything else. */
export function parsePageMessage(value: unknown): PageMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const m = value as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const v = Object.prototype.hasOwnProperty.call(m, key) ? m[key] : undefined;
    return typeof v === 'string' && v.length <= MAX_MESSAGE_TEXT ? v : undefined;
  };
  switch (m.type) {
    case 'ready':
    case 'refresh':
      return { type: m.type };
    case 'decide': {
      const reason = text('reason');
      const decision = m.decision;
      if (reason === undefined || (decision !== 'APPROVED' && decision !== 'REJECTED')) return undefined;
      return { type: 'decide', decision, reason };
    }
    case 'reasonChanged': {
      const reason = text('reason');
      return reason === undefined ? undefined : { type: 'reasonChanged', reason };
    }
    case 'copy': {
      const copied = text('text');
      return copied === undefined || copied === '' ? undefined : { type: 'copy', text: copied };
    }
    case 'openArtifact': {
      const path = text('path');
      return path === undefined || path === '' ? undefined : { type: 'openArtifact', path };
    }
    case 'fix': {
      const target = m.target;
      return target === 'load' || target === 'identity' || target === 'decision' ? { type: 'fix', target } : undefined;
    }
    default:
      return undefined;
  }
}

// ---- host → page ----------------------------------------------------------------------

export type HostMessage =
  /** The run the panel is about, first after `ready`: the page keeps it as its state (DetailsPageState). */
  | { type: 'panel'; jobRunId: string }
  | { type: 'loading'; jobRunId: string }
  | { type: 'show'; details: RunDetailsModel }
  | { type: 'error'; error: PanelError }
  | { type: 'identity'; identity: IdentityView }
  | { type: 'decisionState'; state: DecisionStateView }
  /** Whether the current identity may decide the run under the approval policy, and what it still needs. */
  | { type: 'progress'; progress: ProgressView }
  /** The reason to put into the form (a kept draft), sent when the page loads. */
  | { type: 'draft'; reason: string };

// ---- the page's state ----------------------------------------------------------------

/**
 * What the page keeps with vscode.setState. VS Code hands it to the panel serializer after a
 * window reload, which opens the same run again; nothing else is kept (the page asks the host).
 */
export interface DetailsPageState {
  jobRunId: string;
}

/** Longer than any run id the panel opens. */
const MAX_STATE_RUN_ID = 1_000;

/** The state as the page saved it, or undefined for anything else (the page is not trusted). */
export function parsePageState(value: unknown): DetailsPageState | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const jobRunId = (value as Record<string, unknown>).jobRunId;
  if (typeof jobRunId !== 'string' || jobRunId.trim() === '' || jobRunId.length > MAX_STATE_RUN_ID) return undefined;
  return { jobRunId };
}

export interface PanelError {
  title: string;
  /** What happened and what to do, shown as text. */
  message: string;
  /** Label of the fix the host runs on a `fix` message with target `load`. */
  fixLabel?: string;
}

export type IdentityView =
  | { state: 'loading' }
  | { state: 'known'; decidedBy: string; arn: string }
  | { state: 'failed'; message: string; fixLabel?: string };

/**
 * The approval policy applied to this run and the current identity (core/approvalProgress.ts),
 * shown above the form before anything is typed. A button whose `allowed` is false is
 * disabled with its `reason` shown; `failed`: the policy or the votes could not be read
 * (the form stays open: the processor judges anyway).
 */
export type ProgressView =
  | { state: 'loading' }
  | {
      state: 'known';
      summary: string;
      approve: { allowed: boolean; reason: string | null };
      reject: { allowed: boolean; reason: string | null };
    }
  | { state: 'failed'; message: string };

export { canDecide, type DecisionStateView } from '../core/decisionView';
