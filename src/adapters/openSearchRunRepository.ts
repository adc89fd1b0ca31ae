// Reads job runs from OpenSearch with SigV4-signed requests (`es` or `aoss`): the overview
// of pending runs (job groups and exact counts from one aggregation over the pending scope,
// pendingOverview.ts), pages of them in the view's order, every pending run of a selection
// for any count (search_after pages of 10,000), a cheap summary for polling, one run afresh,
// a job's recent runs, and recent decisions (or given ones, by decision_id) from the audit index.
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { ConnectionSettings, OpenSearchService } from '../core/connectionSettings';
import { sortByExpiry } from '../core/expiry';
import { parseJobRun } from '../core/jobRunParser';
import type { JobRun } from '../core/model';
import {
  mergePage,
  multiDocumentRunsQuery,
  pageStreamQuery,
  pageStreams,
  pendingOverviewQuery,
  readPendingOverview,
  readPendingScope,
  scopedPendingQuery,
  type PendingOverview,
  type PendingScope,
  type PendingSelection,
} from '../core/pendingOverview';
import type { OverviewRequest, PageRequest, PendingSummary, RunPage } from '../core/pendingRunsStore';
import {
  MAX_RESULT_WINDOW,
  PENDING_SOURCE_FIELDS,
  jobHistoryQuery,
  type JobHistoryOptions,
  pendingSummaryQuery,
  readPendingSummary,
  recentDecisionsQuery,
  runByIdQuery,
  type SortValues,
} from '../core/pendingQuery';
import { approvalVotesQuery } from '../core/approvalProgress';
import { parseAuditRecord, type AuditRecord } from '../core/auditRecord';
import { MAX_DECISION_IDS_PER_QUERY, auditsByDecisionIdsQuery, type AuditLookup } from '../core/publishedDecisions';
import type { AwsContext } from './awsContext';
import { DwhError } from '../core/failureClassification';

/** The full list's page: the most one search returns (index.max_result_window). */
const FULL_LIST_PAGE_SIZE = MAX_RESULT_WINDOW;
/** What the full list reads of a search response (filter_path): the hits' id, source and sort values, the count, the server's time and the shards searched. */
const FULL_LIST_FILTER_PATH = ['took', '_shards.total', 'hits.total', 'hits.hits._id', 'hits.hits._source', 'hits.hits.sort'];

export interface OpenSearchClientOptions {
  endpoint: string;
  region: string;
  service: OpenSearchService;
  /** `none`: plain HTTP without SigV4, for a local node only. Default sigv4. */
  auth?: 'sigv4' | 'none';
  /** Default per-request timeout of the client. */
  requestTimeoutMs?: number;
}

/** The one way an OpenSearch client is built (extension and processor): SigV4 with the context's credentials. */
export function createOpenSearchClient(aws: AwsContext, options: OpenSearchClientOptions): Client {
  return new Client({
    ...(options.auth === 'none' ? {} : AwsSigv4Signer({ region: options.region, service: options.service, getCredentials: () => aws.getCredentials() })),
    node: options.endpoint,
    maxRetries: 1,
    // The client's default scans every response text twice with regular expressions for
    // "__proto__" and "constructor" keys and fails the whole response when a document has
    // one: job data is hostile, so one such document would empty the pending list (and
    // the scans cost ~10 % of listing 10,000 runs). JSON.parse only makes own properties,
    // never a prototype (an own "__proto__" key is plain data), and nothing here copies a
    // response into another object by assignment; the parsers read own properties only.
    disablePrototypePoisoningProtection: true,
    ...(options.requestTimeoutMs ? { requestTimeout: options.requestTimeoutMs } : {}),
  });
}

interface Hit {
  _id: string;
  _source?: unknown;
  _seq_no?: number;
  _primary_term?: number;
  sort?: unknown[];
  fields?: Record<string, unknown[]>;
}

export interface StoredRun {
  run: JobRun;
  seqNo: number | undefined;
  primaryTerm: number | undefined;
}

export class OpenSearchRunRepository {
  /** Per-request timeout; long enough for a 2,000-document page on a busy cluster. */
  requestTimeoutMs = 30_000;
  /** How many shards the last search of the events index (or the indices behind its alias) ran on; unknown before the first. */
  private eventShards: number | undefined;

  constructor(
    readonly client: Client,
    readonly endpoint: string,
    private readonly indices: { events: string; approvals: string },
    private readonly ttlHours: () => number,
    private readonly failureContext: { profile: string | undefined } = { profile: undefined },
  ) {}

  static create(aws: AwsContext, endpoint: string, region: string, settings: ConnectionSettings, ttlHours: () => number): OpenSearchRunRepository {
    const client = createOpenSearchClient(aws, { endpoint, region, service: settings.opensearchService });
    return new OpenSearchRunRepository(client, endpoint, { events: settings.opensearchIndex, approvals: settings.approvalsIndex }, ttlHours, {
      profile: aws.target.profile,
    });
  }

  /** Every pending run, newest document per run, superseded ones dropped, sorted by expiry. */
  async listPending(): Promise<JobRun[]> {
    return this.listAll({ scope: await this.scope(null), selection: {}, ttlHours: this.ttlHours() });
  }

  /**
   * The pending scope (pendingOverview.ts): which pending documents stand for a run, from
   * the runs with several documents since `sinceMs` (the oldest pending timestamp).
   */
  async scope(sinceMs: number | null): Promise<PendingScope> {
    const query = multiDocumentRunsQuery(sinceMs, { singleShard: this.eventShards === 1 });
    const body = await this.request(() => this.client.search({ index: this.indices.events, body: query }, { requestTimeout: this.requestTimeoutMs }), this.indices.events);
    return readPendingScope(body);
  }

  /** The job groups with exact counts, urgent counts and nearest expiry, and the scope they are over. */
  async overview(request: OverviewRequest): Promise<{ overview: PendingOverview; scope: PendingScope }> {
    const scope = await this.scope(request.sinceMs);
    const body = await this.request(
      () =>
        this.client.search(
          { index: this.indices.events, body: pendingOverviewQuery(scope, request.nowMs, request.ttlHours, { text: request.text }) },
          { requestTimeout: this.requestTimeoutMs },
        ),
      this.indices.events,
    );
    return { overview: readPendingOverview(body, scope, request.nowMs, request.ttlHours), scope };
  }

  /** One page in the view's order: each expiry stream's part after the cursor, in parallel, merged. */
  async page(request: PageRequest): Promise<RunPage> {
    const streams = pageStreams(request.sortBy, request.ttlHours, request.byJob);
    const parts = await Promise.all(
      streams.map(async (stream) => {
        const body = pageStreamQuery(stream, request.scope, request.selection, request.size, request.cursor);
        if (!body) return undefined;
        const hits = await this.search(this.indices.events, body);
        return hits.map((hit) => ({ run: parseJobRun(hit._id, hit._source), sortValues: hit.sort ?? [] }));
      }),
    );
    return mergePage(streams, parts, request.size, request.byJob);
  }

  /**
   * Every pending run of a selection, in expiry order, for any count: pages of 10,000 in
   * run id order (one document per run in the scope), the fields a row and a decision need,
   * parsed once. The first page counts the matches, so no request is made for an empty
   * last page; each hit comes without the fields the runs do not use (_index, _score).
   */
  async listAll(request: { scope: PendingScope; selection: PendingSelection; ttlHours: number }): Promise<JobRun[]> {
    const runs: JobRun[] = [];
    let total: number | undefined;
    let searchAfter: SortValues | undefined;
    for (;;) {
      const body: Record<string, unknown> = {
        size: FULL_LIST_PAGE_SIZE,
        track_total_hits: total === undefined,
        _source: [...PENDING_SOURCE_FIELDS],
        query: scopedPendingQuery(request.scope, request.selection),
        sort: [{ job_run_id: 'asc' }],
      };
      if (searchAfter) body.search_after = searchAfter;
      const response = await this.request(
        () => this.client.search({ index: this.indices.events, body, filter_path: FULL_LIST_FILTER_PATH }, { requestTimeout: this.requestTimeoutMs }),
        this.indices.events,
      );
      const hits = (response as { hits?: { hits?: Hit[] } }).hits?.hits ?? [];
      total ??= exactTotal(response);
      for (const hit of hits) runs.push(parseJobRun(hit._id, hit._source));
      if (hits.length < FULL_LIST_PAGE_SIZE || (total !== undefined && runs.length >= total)) break;
      searchAfter = hits[hits.length - 1]?.sort as SortValues | undefined;
      if (!searchAfter) break;
    }
    return sortByExpiry(runs, request.ttlHours);
  }

  /**
   * The polling fingerprint: pending documents (exact), distinct pending runs (approximate)
   * and the newest pending timestamp, from one small aggregation. Not a count to show.
   */
  async summary(): Promise<PendingSummary> {
    const body = await this.request(
      () => this.client.search({ index: this.indices.events, body: pendingSummaryQuery() }, { requestTimeout: this.requestTimeoutMs }),
      this.indices.events,
    );
    const summary = readPendingSummary(body);
    return {
      documents: summary.documents,
      approximateRuns: summary.runs,
      newestTimestamp: summary.newestTimestampMs == null ? null : new Date(summary.newestTimestampMs).toISOString(),
      oldestTimestamp: summary.oldestTimestampMs == null ? null : new Date(summary.oldestTimestampMs).toISOString(),
    };
  }

  /** The run's newest document, read now, with its sequence number for conditional updates. */
  async getRun(jobRunId: string): Promise<StoredRun | null> {
    const hit = (await this.search(this.indices.events, runByIdQuery(jobRunId)))[0];
    if (!hit) return null;
    return { run: parseJobRun(hit._id, hit._source), seqNo: hit._seq_no, primaryTerm: hit._primary_term };
  }

  /** The job's most recent runs (any status), newest first; with `upToMs`, those at or before that time. */
  async jobHistory(jobName: string, size = 20, options: Pick<JobHistoryOptions, 'upToMs'> = {}): Promise<JobRun[]> {
    const hits = await this.search(this.indices.events, jobHistoryQuery(jobName, size, options));
    return hits.map((hit) => parseJobRun(hit._id, hit._source));
  }

  /** Recent decisions from the audit index, newest first. A missing audit index is empty. */
  async recentDecisions(size = 50, jobName?: string): Promise<AuditRecord[]> {
    try {
      const hits = await this.search(this.indices.approvals, recentDecisionsQuery(size, jobName));
      return hits.map((hit) => parseAuditRecord(hit._id, hit._source));
    } catch (error) {
      if (isIndexMissing(error)) return [];
      throw error;
    }
  }

  /**
   * The audit documents of these decisions (the processor's, id = decision_id, and any that
   * claim the decision_id), so the extension can tell what became of what it published.
   * A missing audit index has none.
   */
  async auditsFor(decisionIds: readonly string[]): Promise<AuditLookup[]> {
    const ids = [...new Set(decisionIds)];
    const batches: string[][] = [];
    for (let start = 0; start < ids.length; start += MAX_DECISION_IDS_PER_QUERY) batches.push(ids.slice(start, start + MAX_DECISION_IDS_PER_QUERY));
    try {
      const results = await Promise.all(batches.map((batch) => this.search(this.indices.approvals, auditsByDecisionIdsQuery(batch))));
      return results.flat().map((hit) => ({ auditId: hit._id, record: parseAuditRecord(hit._id, hit._source) }));
    } catch (error) {
      if (isIndexMissing(error)) return [];
      throw error;
    }
  }

  /**
   * The audits that may count as approvals under a quorum (core/approvalProgress.ts): of
   * one run (awaiting-quorum or recorded), or with no run id every open awaiting-quorum vote.
   * A missing audit index has none.
   */
  async approvalVotes(jobRunId?: string): Promise<AuditRecord[]> {
    try {
      const hits = await this.search(this.indices.approvals, approvalVotesQuery(jobRunId));
      return hits.map((hit) => parseAuditRecord(hit._id, hit._source));
    } catch (error) {
      if (isIndexMissing(error)) return [];
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async search(index: string, body: object): Promise<Hit[]> {
    const response = await this.request(() => this.client.search({ index, body }, { requestTimeout: this.requestTimeoutMs }), index);
    return ((response as { hits?: { hits?: Hit[] } }).hits?.hits ?? []);
  }

  private async request<T>(send: () => Promise<{ body: T }>, index: string): Promise<T> {
    try {
      const { body } = await send();
      if (index === this.indices.events) this.eventShards = shardsSearched(body) ?? this.eventShards;
      return body;
    } catch (error) {
      throw DwhError.from(error, { ...this.failureContext, endpoint: this.endpoint, index, action: 'es:ESHttpPost' });
    }
  }
}

function isIndexMissing(error: unknown): boolean {
  return (error as { failure?: { kind?: string } }).failure?.kind === 'index-missing';
}

/** A response's hit count when it is exact (track_total_hits: true); undefined otherwise. */
function exactTotal(response: unknown): number | undefined {
  const total = (response as { hits?: { total?: unknown } }).hits?.total;
  if (typeof total === 'number') return total;
  if (typeof total === 'object' && total !== null && (total as { relation?: unknown }).relation === 'eq') {
    const value = (total as { value?: unknown }).value;
    return typeof value === 'number' ? value : undefined;
  }
  return undefined;
}

/** The number of shards a search response says it ran on (`_shards.total`); undefined when it does not say. */
function shardsSearched(response: unknown): number | undefined {
  const total = (response as { _shards?: { total?: unknown } } | null)?._shards?.total;
  return typeof total === 'number' && Number.isInteger(total) && total > 0 ? total : undefined;
}
