// Types of emailLinks.mjs, for the TypeScript tests that import it.
import type { StackEnv } from './localProfile.mjs';

export interface SentEmail {
  id: string;
  source: string;
  destinations: string[];
  subject: string;
  to: string;
  text: string;
  html: string;
  raw: string;
}
export function approvalsEnvironment(env: StackEnv, extra?: Record<string, string>): Record<string, string>;
export function loadApprovalsBundles(): { notifier: unknown; approvalApi: unknown };
export function publishJobEvent(env: StackEnv, document: Record<string, unknown>): Promise<unknown>;
export function runNotifierOnce(env: StackEnv, options?: { extraEnv?: Record<string, string> }): Promise<{ stats: Record<string, number>; logs: Array<Record<string, unknown>>; emails: SentEmail[] }>;
export function recordingSesEmails<T>(env: StackEnv, work: () => Promise<T>): Promise<{ result: T; emails: SentEmail[] }>;
export function linksOf(email: { text: string }): { approve: string | null; reject: string | null };
export function readMime(raw: string): { subject: string; to: string; text: string; html: string; raw: string };
export function startApprovalApiServer(env?: StackEnv, options?: { restart?: boolean; readyTimeoutMs?: number; extraEnv?: Record<string, string> }): Promise<{ pid: number; url: string; alreadyRunning: boolean }>;
export function stopApprovalApiServer(): Promise<{ pid: number | null }>;
export function sendNewestAlert(env?: StackEnv): Promise<{ runId: string; recipients: string[]; email: SentEmail; links: { approve: string | null; reject: string | null } } | null>;
