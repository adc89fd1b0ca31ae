// The approval processor's ports on OpenSearch: the run's newest document read in real
// time with its version, conditional partial updates of it, and the audit documents in
// job-approvals (created with op_type=create, so that an id is written once).
// A request OpenSearch refuses for good (a 4xx other than 404, 409 and 429: a mapping error,
// a malformed document) is a PermanentDecisionError: retrying would fail the same way.
import type { Client } from '@opensearch-project/opensearch';
import {
  PermanentDecisionError,
  type AuditDocument,
  type AuditUpdate,
  type DecisionProcessorPorts,
  type RunApprovalFields,
  type RunSnapshot,
  type RunVersion,
} from '../core/decisionProcessor';
import { DwhError } from '../core/failureClassification';
import { EXPIRY_EVENT_TYPE } from '../core/expirySweep';
import { runByIdQuery } from '../core/pendingQuery';

export type DecisionStorePorts = Omit<DecisionProcessorPorts, 'now' | 'sleep' | 'verifyIdentityProof' | 'publishOutcome'>;

/** More audits than this for one run would be an attack or a bug, not a quorum. */
const MAX_AUDITS_PER_RUN = 1000;

interface Hit {
  _id: string;
  _source?: unknown;
}

export class OpenSearchDecisionStore implements DecisionStorePorts {
  constructor(
    private readonly client: Client,
    private readonly endpoint: string,
    private readonly indices: { events: string; approvals: string },
  ) {}

  /** The processor's ports: this store, and the clock it judges freshness by. */
  processorPorts(now: () => number = Date.now): DecisionProcessorPorts {
    return {
      getRunWithVersion: (id) => this.getRunWithVersion(id),
      getRunDocument: (id) => this.getRunDocument(id),
      createAudit: (id, doc, options) => this.createAudit(id, doc, options),
      getAudit: (id) => this.getAudit(id),
      updateAudit: (id, fields) => this.updateAudit(id, fields),
      updateRunIfVersion: (id, version, fields) => this.updateRunIfVersion(id, version, fields),
      listAuditsForRun: (id) => this.listAuditsForRun(id),
      now,
    };
  }

  async getRunWithVersion(jobRunId: string): Promise<RunSnapshot | null> {
    // The search finds which document is the newest; search is near-real-time, so the
    // document itself (and its seq_no) comes from a realtime GET: a run updated a moment ago
    // must be seen as updated, or the conditional update would conflict again and again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const found = await this.call('search', this.indices.events, () =>
        this.client.search({ index: this.indices.events, body: { ...runByIdQuery(jobRunId), _source: false, seq_no_primary_term: false } }),
      );
      const hit = (found.body as { hits?: { hits?: Hit[] } }).hits?.hits?.[0];
      if (!hit) return null;
      const got = await this.call('get', this.indices.events, () => this.client.get({ index: this.indices.events, id: hit._id }, { ignore: [404] }));
      const doc = got.body as { found?: boolean; _source?: unknown; _seq_no?: number; _primary_term?: number };
      if (doc.found && typeof doc._seq_no === 'number' && typeof doc._primary_term === 'number') {
        return { documentId: hit._id, source: doc._source, version: { seqNo: doc._seq_no, primaryTerm: doc._primary_term } };
      }
      // Deleted between the search and the get: look for the newest document again.
    }
    return null;
  }

  async getRunDocument(documentId: string): Promise<RunSnapshot | null> {
    const got = await this.call('get', this.indices.events, () => this.client.get({ index: this.indices.events, id: documentId }, { ignore: [404] }));
    const doc = got.body as { found?: boolean; _source?: unknown; _seq_no?: number; _primary_term?: number };
    if (!doc.found || typeof doc._seq_no !== 'number' || typeof doc._primary_term !== 'number') return null;
    return { documentId, source: doc._source, version: { seqNo: doc._seq_no, primaryTerm: doc._primary_term } };
  }

  async createAudit(id: string, doc: AuditDocument, options: { refresh: boolean }): Promise<'created' | 'exists'> {
    const response = await this.call('create', this.indices.approvals, () =>
      this.client.create({ index: this.indices.approvals, id, body: doc, ...(options.refresh ? { refresh: true } : {}) }, { ignore: [409] }),
    );
    return response.statusCode === 409 ? 'exists' : 'created';
  }

  async getAudit(id: string): Promise<AuditDocument | null> {
    const response = await this.call('get', this.indices.approvals, () => this.client.get({ index: this.indices.approvals, id }, { ignore: [404] }));
    const doc = response.body as { found?: boolean; _source?: AuditDocument };
    return doc.found && doc._source ? doc._source : null;
  }

  async updateAudit(id: string, fields: AuditUpdate): Promise<void> {
    await this.call('update', this.indices.approvals, () =>
      this.client.update({ index: this.indices.approvals, id, retry_on_conflict: 3, body: { doc: fields } }),
    );
  }

  /** A partial update at `version`: a decision's approval fields, or the expiry sweep's. */
  async updateRunIfVersion(documentId: string, version: RunVersion, fields: RunApprovalFields | Readonly<Record<string, unknown>>): Promise<'updated' | 'conflict'> {
    const response = await this.call('update', this.indices.events, () =>
      this.client.update(
        { index: this.indices.events, id: documentId, if_seq_no: version.seqNo, if_primary_term: version.primaryTerm, body: { doc: fields } },
        { ignore: [404, 409] },
      ),
    );
    // 404: the document went away since it was read; like a conflict, read the run again.
    return response.statusCode === 409 || response.statusCode === 404 ? 'conflict' : 'updated';
  }

  /**
   * The expiry sweep's audits (event_type approval_expiry) recorded at or before
   * `receivedBeforeMs` whose outcome is not marked published: expiries whose sweep died
   * between the run update and the publish. At most 100 per sweep; the next sweep takes more.
   */
  async listUnpublishedExpiries(receivedBeforeMs: number): Promise<Array<{ auditId: string; audit: AuditDocument }>> {
    const response = await this.call('search', this.indices.approvals, () =>
      this.client.search({
        index: this.indices.approvals,
        body: {
          size: 100,
          query: {
            bool: {
              filter: [
                { term: { event_type: EXPIRY_EVENT_TYPE } },
                { term: { audit_status: 'recorded' } },
                { range: { received_at: { lte: new Date(receivedBeforeMs).toISOString() } } },
              ],
              must_not: [{ exists: { field: 'outcome_published_at' } }],
            },
          },
          sort: [{ received_at: { order: 'asc' } }],
        },
      }),
    );
    const hits = (response.body as { hits?: { hits?: Hit[] } }).hits?.hits ?? [];
    return hits.flatMap((hit) => (typeof hit._source === 'object' && hit._source !== null ? [{ auditId: hit._id, audit: hit._source as AuditDocument }] : []));
  }

  async listAuditsForRun(jobRunId: string): Promise<AuditDocument[]> {
    const response = await this.call('search', this.indices.approvals, () =>
      this.client.search({
        index: this.indices.approvals,
        // Only verified approvals that may count: however many other audits name the run
        // (invalid ones from a flood of junk), they never push the real votes out of the page.
        body: {
          size: MAX_AUDITS_PER_RUN,
          query: {
            bool: {
              filter: [
                { term: { job_run_id: jobRunId } },
                { term: { decision: 'APPROVED' } },
                { terms: { audit_status: ['awaiting-quorum', 'recorded'] } },
              ],
            },
          },
          sort: [{ timestamp: { order: 'asc' } }],
        },
      }),
    );
    const hits = (response.body as { hits?: { hits?: Hit[] } }).hits?.hits ?? [];
    return hits.map((hit) => hit._source).filter((source): source is AuditDocument => typeof source === 'object' && source !== null);
  }

  private async call<T extends { statusCode?: number | null; body: unknown }>(what: string, index: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      const status = statusCodeOf(error);
      if (status !== null && status >= 400 && status < 500 && ![404, 409, 429].includes(status)) {
        throw new PermanentDecisionError(`OpenSearch ${what} on ${index} refused the request (HTTP ${status}): ${reasonOf(error)}`, { cause: error });
      }
      throw DwhError.from(error, { endpoint: this.endpoint, index, action: `OpenSearch ${what}` });
    }
  }
}

function statusCodeOf(error: unknown): number | null {
  const e = error as { statusCode?: unknown; meta?: { statusCode?: unknown } } | null;
  const status = e?.meta?.statusCode ?? e?.statusCode;
  return typeof status === 'number' ? status : null;
}

function reasonOf(error: unknown): string {
  const body = (error as { meta?: { body?: { error?: { type?: unknown; reason?: unknown } } } } | null)?.meta?.body?.error;
  const text = [body?.type, body?.reason].filter((part): part is string => typeof part === 'string').join(': ');
  return (text || (error instanceof Error ? error.message : String(error))).slice(0, 500);
}
