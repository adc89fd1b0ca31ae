// The approval processor's ports on OpenSearch: the run's newest document read in real
// time with its version, conditional partial updates of it, and the audit documents in
// job-approvals (created with op_type=create, so that an id is written once).
// Each port has a batched form (batchPorts): one _msearch/_mget/_bulk on the index's own
// path for all the items of a batch, each item's result or error mapped back to it as the
// single request's would be. A batched request that fails as a whole (unreachable, reset,
// 5xx) is sent again item by item, so that one poisoned item fails alone; a batch of one
// item is sent as the single request.
// A request OpenSearch refuses for good (a 4xx other than 404, 409 and 429: a mapping error,
// a malformed document) is a PermanentDecisionError: retrying would fail the same way.
import type { Client } from '@opensearch-project/opensearch';
import {
  PermanentDecisionError,
  TransientDecisionError,
  type AuditCreate,
  type AuditDocument,
  type AuditUpdate,
  type DecisionBatchPorts,
  type DecisionProcessorPorts,
  type RunUpdate,
  type RunApprovalFields,
  type RunSnapshot,
  type RunVersion,
} from '../core/decisionProcessor';
import { DwhError } from '../core/failureClassification';
import { EXPIRY_EVENT_TYPE } from '../core/expirySweep';
import { settleEach, type Settled } from '../core/lockstepBatcher';
import { runByIdQuery } from '../core/pendingQuery';

export type DecisionStorePorts = Omit<DecisionProcessorPorts, 'now' | 'sleep' | 'verifyIdentityProof' | 'publishOutcome' | 'batch'>;

/** More audits than this for one run would be an attack or a bug, not a quorum. */
const MAX_AUDITS_PER_RUN = 1000;

interface Hit {
  _id: string;
  _source?: unknown;
}

interface ItemError {
  type?: unknown;
  reason?: unknown;
}

/** One item of a _bulk answer (under its action's name). */
interface BulkItem {
  _id?: string;
  status?: number;
  error?: ItemError;
}

/** One document of an _mget answer. */
interface MgetDoc {
  _id?: string;
  found?: boolean;
  _source?: unknown;
  _seq_no?: number;
  _primary_term?: number;
  error?: ItemError;
}

/** One answer of an _msearch. */
interface MsearchResponse {
  status?: number;
  hits?: { hits?: Hit[] };
  error?: ItemError;
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
      batch: this.batchPorts(),
      now,
    };
  }

  /** The batched forms of the ports (see the top of the file); one object, so its senders keep their identity. */
  batchPorts(): DecisionBatchPorts {
    return (this.batched ??= {
      getRunsWithVersion: (ids) => this.batchOrEach(ids, (many) => this.getRunsWithVersionBatch(many), (id) => this.getRunWithVersion(id)),
      getRunDocuments: (ids) => this.batchOrEach(ids, (many) => this.mgetSnapshots(this.indices.events, many), (id) => this.getRunDocument(id)),
      createAudits: (items) => this.batchOrEach(items, (many) => this.createAuditsBatch(many), (item) => this.createAudit(item.id, item.doc, { refresh: item.refresh })),
      getAudits: (ids) => this.batchOrEach(ids, (many) => this.getAuditsBatch(many), (id) => this.getAudit(id)),
      updateAudits: (items) => this.batchOrEach(items, (many) => this.updateAuditsBatch(many), (item) => this.updateAudit(item.id, item.fields)),
      updateRunsIfVersion: (items) =>
        this.batchOrEach(items, (many) => this.updateRunsBatch(many), (item) => this.updateRunIfVersion(item.documentId, item.version, item.fields)),
      listAuditsForRuns: (ids) => this.batchOrEach(ids, (many) => this.listAuditsForRunsBatch(many), (id) => this.listAuditsForRun(id)),
    });
  }

  private batched: DecisionBatchPorts | undefined;

  /** One item: the single request. Several: the batched request, or item by item when it fails as a whole. */
  private async batchOrEach<I, R>(items: readonly I[], many: (items: readonly I[]) => Promise<Array<Settled<R>>>, one: (item: I) => Promise<R>): Promise<Array<Settled<R>>> {
    if (items.length <= 1) return settleEach(items, one);
    try {
      return await many(items);
    } catch {
      return settleEach(items, one);
    }
  }

  /** _msearch for the newest document of each run, then a realtime _mget of those documents (as getRunWithVersion, for many). */
  private async getRunsWithVersionBatch(jobRunIds: readonly string[]): Promise<Array<Settled<RunSnapshot | null>>> {
    const results = new Array<Settled<RunSnapshot | null>>(jobRunIds.length);
    let pending = jobRunIds.map((_, index) => index);
    for (let attempt = 0; attempt < 3 && pending.length > 0; attempt += 1) {
      const found = await this.msearch(
        this.indices.events,
        pending.map((index) => ({ ...runByIdQuery(jobRunIds[index] as string), _source: false, seq_no_primary_term: false })),
      );
      const documentIds: Array<{ index: number; documentId: string }> = [];
      found.forEach((answer, position) => {
        const index = pending[position] as number;
        if (!answer.ok) results[index] = answer;
        else if (answer.value[0] === undefined) results[index] = { ok: true, value: null };
        else documentIds.push({ index, documentId: answer.value[0]._id });
      });
      const snapshots = documentIds.length > 0 ? await this.mgetSnapshots(this.indices.events, documentIds.map((d) => d.documentId)) : [];
      // Deleted between the search and the get: look for the newest document again.
      pending = [];
      documentIds.forEach(({ index }, position) => {
        const snapshot = snapshots[position] as Settled<RunSnapshot | null>;
        if (snapshot.ok && snapshot.value === null) pending.push(index);
        else results[index] = snapshot;
      });
    }
    for (const index of pending) results[index] = { ok: true, value: null };
    return results;
  }

  private async mgetSnapshots(index: string, documentIds: readonly string[]): Promise<Array<Settled<RunSnapshot | null>>> {
    const docs = await this.mget(index, documentIds);
    return docs.map((doc, position) => {
      if (!doc.ok) return doc;
      const d = doc.value;
      if (!d.found || typeof d._seq_no !== 'number' || typeof d._primary_term !== 'number') return { ok: true, value: null };
      return { ok: true, value: { documentId: documentIds[position] as string, source: d._source, version: { seqNo: d._seq_no, primaryTerm: d._primary_term } } };
    });
  }

  private async getAuditsBatch(ids: readonly string[]): Promise<Array<Settled<AuditDocument | null>>> {
    const docs = await this.mget(this.indices.approvals, ids);
    return docs.map((doc) => (doc.ok ? { ok: true, value: doc.value.found && doc.value._source ? (doc.value._source as AuditDocument) : null } : doc));
  }

  private async createAuditsBatch(items: readonly AuditCreate[]): Promise<Array<Settled<'created' | 'exists'>>> {
    const answers = await this.bulk(
      this.indices.approvals,
      items.flatMap((item) => [{ create: { _id: item.id } }, item.doc]),
      items.some((item) => item.refresh),
    );
    return answers.map((item) => {
      if (item.status === 409) return { ok: true, value: 'exists' };
      return this.settleItem('create', this.indices.approvals, item, 'created');
    });
  }

  private async updateAuditsBatch(items: ReadonlyArray<{ id: string; fields: AuditUpdate }>): Promise<Array<Settled<void>>> {
    const answers = await this.bulk(this.indices.approvals, items.flatMap((item) => [{ update: { _id: item.id, retry_on_conflict: 3 } }, { doc: item.fields }]), false);
    return answers.map((item) => this.settleItem('update', this.indices.approvals, item, undefined));
  }

  private async updateRunsBatch(items: readonly RunUpdate[]): Promise<Array<Settled<'updated' | 'conflict'>>> {
    const answers = await this.bulk(
      this.indices.events,
      items.flatMap((item) => [{ update: { _id: item.documentId, if_seq_no: item.version.seqNo, if_primary_term: item.version.primaryTerm } }, { doc: item.fields }]),
      false,
    );
    // 404: the document went away since it was read; like a conflict, read the run again.
    return answers.map((item) => (item.status === 409 || item.status === 404 ? { ok: true, value: 'conflict' } : this.settleItem('update', this.indices.events, item, 'updated')));
  }

  private async listAuditsForRunsBatch(jobRunIds: readonly string[]): Promise<Array<Settled<AuditDocument[]>>> {
    const answers = await this.msearch(this.indices.approvals, jobRunIds.map((id) => verifiedApprovalsQuery(id)));
    return answers.map((answer) =>
      answer.ok ? { ok: true, value: answer.value.map((hit) => hit._source).filter((source): source is AuditDocument => typeof source === 'object' && source !== null) } : answer,
    );
  }

  private async msearch(index: string, bodies: readonly object[]): Promise<Array<Settled<Hit[]>>> {
    const response = await this.call('msearch', index, () => this.client.msearch({ index, body: bodies.flatMap((body) => [{}, body]) }));
    const answers = (response.body as { responses?: MsearchResponse[] }).responses ?? [];
    return bodies.map((_, position) => {
      const answer = answers[position];
      if (answer === undefined) return { ok: false, error: new TransientDecisionError(`OpenSearch msearch on ${index} gave no answer for search ${position}.`) };
      if (answer.error !== undefined) return { ok: false, error: itemError('search', index, answer.status ?? 500, answer.error) };
      return { ok: true, value: answer.hits?.hits ?? [] };
    });
  }

  /** A realtime _mget (as a GET), one answer per id in order. */
  private async mget(index: string, ids: readonly string[]): Promise<Array<Settled<MgetDoc>>> {
    const response = await this.call('mget', index, () => this.client.mget({ index, body: { ids: [...ids] } }));
    const docs = (response.body as { docs?: MgetDoc[] }).docs ?? [];
    return ids.map((id, position) => {
      const doc = docs[position];
      if (doc === undefined || doc._id !== id) return { ok: false, error: new TransientDecisionError(`OpenSearch mget on ${index} gave no answer for ${id}.`) };
      if (doc.error !== undefined) return { ok: false, error: itemError('get', index, 500, doc.error) };
      return { ok: true, value: doc };
    });
  }

  /** A _bulk on the index's own path; one answer per action, in order. */
  private async bulk(index: string, lines: readonly object[], refresh: boolean): Promise<BulkItem[]> {
    // POST on the index's own path (the client's bulk() would PUT there): the processor's
    // policy allows POST on <index>/_bulk, and no action line names another index.
    const response = await this.call('bulk', index, () =>
      this.client.transport.request({ method: 'POST', path: `/${encodeURIComponent(index)}/_bulk`, querystring: refresh ? { refresh: 'true' } : {}, bulkBody: [...lines] }),
    );
    const items = (response.body as { items?: Array<Record<string, BulkItem>> }).items ?? [];
    const actions = lines.length / 2;
    if (items.length !== actions) throw new TransientDecisionError(`OpenSearch bulk on ${index} answered ${items.length} items for ${actions}.`);
    return items.map((item) => Object.values(item)[0] ?? {});
  }

  /** A bulk item as the single request would have ended: its value, or the error the single request would throw. */
  private settleItem<T>(what: string, index: string, item: BulkItem, value: T): Settled<T> {
    const status = item.status ?? 500;
    if (status >= 200 && status < 300 && item.error === undefined) return { ok: true, value };
    return { ok: false, error: itemError(what, index, status, item.error) };
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
      this.client.search({ index: this.indices.approvals, body: verifiedApprovalsQuery(jobRunId) }),
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

/**
 * A run's verified approvals: only those may count, so however many other audits name the run
 * (invalid ones from a flood of junk), they never push the real votes out of the page.
 */
function verifiedApprovalsQuery(jobRunId: string): object {
  return {
    size: MAX_AUDITS_PER_RUN,
    query: {
      bool: {
        filter: [{ term: { job_run_id: jobRunId } }, { term: { decision: 'APPROVED' } }, { terms: { audit_status: ['awaiting-quorum', 'recorded'] } }],
      },
    },
    sort: [{ timestamp: { order: 'asc' } }],
  };
}

/** The error one item of a batched request ends with, classified as the single request's would be. */
function itemError(what: string, index: string, status: number, error: ItemError | undefined): Error {
  const reason = [error?.type, error?.reason].filter((part): part is string => typeof part === 'string').join(': ').slice(0, 500) || 'no reason given';
  if (status >= 400 && status < 500 && ![404, 409, 429].includes(status)) {
    return new PermanentDecisionError(`OpenSearch ${what} on ${index} refused the request (HTTP ${status}): ${reason}`);
  }
  return new TransientDecisionError(`OpenSearch ${what} on ${index} failed (HTTP ${status}): ${reason}`);
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
