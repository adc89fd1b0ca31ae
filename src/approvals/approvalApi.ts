// The approval API Lambda (bundled to dist/approvalApi.js; handler `approvalApi.handler`)
// behind an API Gateway HTTP API or a Lambda Function URL (payload format 2.0). One route,
// `…/decide`: GET shows the confirmation page for the link's token, POST (from that page)
// decides. Everything else is a 404 page; nothing ever redirects. The decision is published
// with this function's own role: its STS identity proof, its ARN as identity_arn; the person
// is the link's recipient (see core/emailApproval.ts and the processor's email rules).
import { randomBytes } from 'node:crypto';
import { CallerIdentityReader } from '../adapters/callerIdentity';
import { signIdentityProof } from '../adapters/identityProver';
import { SnsDecisionPublisher } from '../adapters/snsDecisionPublisher';
import { APPROVAL_PAGE_HEADERS, messagePage } from '../core/approvalPage';
import { handleApprovalPage, type ApprovalPageRequest, type EmailApprovalPorts, type LinkAudit } from '../core/emailApproval';
import { parseJobRun } from '../core/jobRunParser';
import type { JobRun } from '../core/model';
import { readApprovalsConfig, type ApprovalsConfig, type Environment } from './approvalsConfig';
import { createApprovalsRuntime, type ApprovalsRuntime } from './approvalsRuntime';
import { errorLogText } from '../processor/processorConfig';

/** The parts of an HTTP API (2.0) / Function URL event this function reads. */
export interface HttpEvent {
  rawPath?: string;
  rawQueryString?: string;
  cookies?: string[];
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
}

export interface ApprovalApiOptions {
  config?: ApprovalsConfig | Environment;
  log?: (line: Record<string, unknown>) => void;
  now?: () => number;
}

const MAX_BODY_BYTES = 16 * 1024;
const ROUTE = /\/decide$/;

export function createApprovalApiHandler(options: ApprovalApiOptions = {}): ((event: HttpEvent) => Promise<HttpResult>) & { close(): Promise<void> } {
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const now = options.now ?? Date.now;
  type Started = { base: ApprovalsRuntime; ports: EmailApprovalPorts; secureCookie: boolean; close: () => void };
  let runtime: Promise<Started> | undefined;
  const start = (): Promise<Started> => {
    runtime ??= (async () => {
      const given = options.config;
      const config = given && 'publicBaseUrl' in given ? (given as ApprovalsConfig) : readApprovalsConfig((given) ?? process.env, { mail: false });
      const base = await createApprovalsRuntime(config);
      const identity = new CallerIdentityReader(base.aws);
      const publisher = new SnsDecisionPublisher(base.aws);
      const ports: EmailApprovalPorts = {
        signingSecrets: () => base.signingSecrets(),
        freshRun: (id) => freshRun(base, id),
        history: (jobName) => base.repository.jobHistory(jobName, 20),
        auditOf: (decisionId) => readAudit(base, decisionId),
        ownIdentityArn: async () => (await identity.identity()).arn,
        proveIdentity: async (hash) => signIdentityProof(hash, { credentials: base.aws.credentials, region: base.region, endpointUrl: config.awsEndpointUrl ?? undefined }),
        topicArn: () => base.parameters.topicArn(),
        publish: (topicArn, message) => publisher.publish(topicArn, message),
        newPageNonce: () => randomBytes(16).toString('base64url'),
        now,
      };
      return {
        base,
        ports,
        // Secure (and __Host-) everywhere but on a local http server.
        secureCookie: !config.publicBaseUrl.startsWith('http:'),
        close: () => {
          identity.dispose();
          publisher.dispose();
        },
      };
    })();
    runtime.catch(() => (runtime = undefined));
    return runtime;
  };

  const handle = async (event: HttpEvent): Promise<HttpResult> => {
    const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
    if (!ROUTE.test(event.rawPath ?? '')) return page(404, messagePage('Not found', 'bad', ['There is nothing here. Open the link from the email.']));
    let started: Started;
    try {
      started = await start();
    } catch (error) {
      log({ level: 'error', msg: 'approval API could not start', error: errorLogText(error) });
      return page(503, messagePage('Not available', 'bad', ['Decisions by email link are not available right now. Nothing was decided; try again later.']));
    }
    const cookieName = started.secureCookie ? '__Host-dwh-page' : 'dwh-page';
    const request = readRequest(event, method, cookieName);
    if (request === null) return page(413, messagePage('Not accepted', 'bad', ['The form was too large or not a form. Nothing was decided.']));
    try {
      const response = await handleApprovalPage(started.ports, request);
      log({ level: response.status >= 400 ? 'warn' : 'info', msg: 'approval page', method, status: response.status, outcome: response.outcome, decision_id: response.published?.decision_id ?? null });
      const cookies = response.setPageNonce
        ? [`${cookieName}=${response.setPageNonce}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600${started.secureCookie ? '; Secure' : ''}`]
        : undefined;
      return page(response.status, method === 'HEAD' ? '' : response.html, cookies);
    } catch (error) {
      log({ level: 'error', msg: 'approval page failed', method, error: errorLogText(error) });
      return page(500, messagePage('Something went wrong', 'bad', ['The decision could not be sent. Nothing was decided; try again in a minute.']));
    }
  };
  return Object.assign(handle, {
    close: async () => {
      const current = runtime;
      runtime = undefined;
      const started = await current?.catch(() => null);
      started?.close();
      await started?.base.close();
    },
  });
}

function page(statusCode: number, body: string, cookies?: string[]): HttpResult {
  return { statusCode, headers: { ...APPROVAL_PAGE_HEADERS }, ...(cookies ? { cookies } : {}), body };
}

function readRequest(event: HttpEvent, method: string, cookieName: string): ApprovalPageRequest | null {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  const cookieHeader = event.cookies ?? (event.headers?.cookie ?? '').split(';');
  const cookie = cookieHeader.map((c) => c.trim()).find((c) => c.startsWith(`${cookieName}=`));
  let form: Record<string, string> | null = null;
  if (method === 'POST') {
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
    const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (raw.length > MAX_BODY_BYTES || type !== 'application/x-www-form-urlencoded') return null;
    form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  }
  return { method, queryToken: query.get('token'), form, cookieNonce: cookie ? cookie.slice(cookieName.length + 1) : null };
}

/**
 * The run's newest document as it is now: found by search, then read by id (a realtime GET),
 * so that a decision the processor recorded a moment ago is seen before the index refreshes.
 */
async function freshRun(base: ApprovalsRuntime, jobRunId: string): Promise<JobRun | null> {
  const stored = await base.repository.getRun(jobRunId);
  if (stored === null) return null;
  const response = await base.repository.client.get({ index: base.config.eventsIndex, id: stored.run.documentId }, { ignore: [404] });
  const body = response.body as { found?: boolean; _source?: unknown };
  return body.found ? parseJobRun(stored.run.documentId, body._source) : null;
}

async function readAudit(base: ApprovalsRuntime, decisionId: string): Promise<LinkAudit | null> {
  const response = await base.repository.client.get({ index: base.config.approvalsIndex, id: decisionId }, { ignore: [404] });
  const body = response.body as { found?: boolean; _source?: Record<string, unknown> };
  if (!body.found || !body._source) return null;
  const s = body._source;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return { auditStatus: text(s.audit_status) ?? 'unknown', detail: text(s.audit_detail), decision: text(s.decision), receivedAt: text(s.received_at) };
}

/** The Lambda entry point: configuration from the function's environment. */
export const handler = createApprovalApiHandler();
