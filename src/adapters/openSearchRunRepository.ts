// Reads job runs from OpenSearch with SigV4-signed requests (`es` or `aoss`): every pending
// run for any count (search_after pages, newest document per run, decided and superseded
// runs excluded, sorted by expiry), a cheap summary for polling, one run afresh, a job's
// recent runs, and recent decisions from the audit index.
import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws-v3';
import type { ConnectionSettings } from '../core/connectionSettings';
import { compareByExpiry } from '../core/expiry';
import { parseJobRun } from '../core/jobRunParser';
import type { JobRun } from '../core/model';
import type { PendingSummary } from '../core/pendingRunsStore';
import {
  PENDING_SOURCE_FIELDS,
  jobHistoryQuery,
  pendingRunsQuery,
  pendingSummaryQuery,
  recentDecisionsQuery,
  runByIdQuery,
  supersededRunsQuery,
} from '../core/pendingQuery';
import { parseAuditRecord, type AuditRecord } from '../core/auditRecord';
import type { AwsContext } from './awsContext';
import { toDwhError } from './awsErrors';

const PAGE_SIZE = 2000;
const SUPERSEDED_BATCH = 5000;

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
  constructor(
    readonly client: Client,
    readonly endpoint: string,
    private readonly indices: { events: string; approvals: string },
    private readonly ttlHours: () => number,
    private readonly failureContext: { profile: string | undefined } = { profile: undefined },
  ) {}

  static create(aws: AwsContext, endpoint: string, region: string, settings: ConnectionSettings, ttlHours: () => number): OpenSearchRunRepository {
    const client = new Client({
      ...AwsSigv4Signer({ region, service: settings.opensearchService, getCredentials: () => aws.getCredentials() }),
      node: endpoint,
      requestTimeout: 30_000,
      maxRetries: 2,
    });
    return new OpenSearchRunRepository(client, endpoint, { events: settings.opensearchIndex, approvals: settings.approvalsIndex }, ttlHours, {
      profile: aws.target.profile,
    });
  }

  /** Every pending run, newest document per run, sorted by expiry. */
  async listPending(): Promise<JobRun[]> {
    const newestPerRun = new Map<string, Hit>();
    let searchAfter: unknown[] | undefined;
    for (;;) {
      const hits = await this.search(this.indices.events, pendingRunsQuery({ pageSize: PAGE_SIZE, searchAfter, sourceFields: PENDING_SOURCE_FIELDS }));
      for (const hit of hits) {
        const runId = runIdOf(hit);
        // Pages are sorted newest first, so the first document seen for a run is its newest.
        if (runId != null && !newestPerRun.has(runId)) newestPerRun.set(runId, hit);
      }
      if (hits.length < PAGE_SIZE) break;
      searchAfter = hits[hits.length - 1]?.sort;
      if (!searchAfter) break;
    }
    await this.dropSuperseded(newestPerRun);
    const ttl = this.ttlHours();
    return [...newestPerRun.values()].map((hit) => parseJobRun(hit._id, hit._source)).sort((a, b) => compareByExpiry(a, b, ttl));
  }

  /** Count and newest timestamp of pending runs: one small aggregation, for polling. */
  async summary(): Promise<PendingSummary> {
    const body = await this.request(() => this.client.search({ index: this.indices.events, body: pendingSummaryQuery() as never }), this.indices.events);
    const aggregations = (body as { aggregations?: Record<string, { value?: number | null; value_as_string?: string }> }).aggregations ?? {};
    return {
      count: aggregations.runs?.value ?? 0,
      newestTimestamp: aggregations.newest?.value_as_string ?? null,
    };
  }

  /** The run's newest document, read now, with its sequence number for conditional updates. */
  async getRun(jobRunId: string): Promise<StoredRun | null> {
    const hit = (await this.search(this.indices.events, runByIdQuery(jobRunId)))[0];
    if (!hit) return null;
    return { run: parseJobRun(hit._id, hit._source), seqNo: hit._seq_no, primaryTerm: hit._primary_term };
  }

  /** The job's most recent runs (any status), newest first. */
  async jobHistory(jobName: string, size = 20): Promise<JobRun[]> {
    const hits = await this.search(this.indices.events, jobHistoryQuery(jobName, size));
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

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Removes runs whose newest document is not pending (a newer event for the same run). */
  private async dropSuperseded(candidates: Map<string, Hit>): Promise<void> {
    const ids = [...candidates.keys()];
    for (let start = 0; start < ids.length; start += SUPERSEDED_BATCH) {
      const batch = ids.slice(start, start + SUPERSEDED_BATCH);
      const newer = await this.search(this.indices.events, supersededRunsQuery(batch));
      for (const hit of newer) {
        const runId = runIdOf(hit);
        const candidate = runId == null ? undefined : candidates.get(runId);
        if (candidate && runId != null && timestampOf(hit) >= timestampOf(candidate)) candidates.delete(runId);
      }
    }
  }

  private async search(index: string, body: object): Promise<Hit[]> {
    const response = await this.request(() => this.client.search({ index, body: body as never }), index);
    return ((response as { hits?: { hits?: Hit[] } }).hits?.hits ?? []);
  }

  private async request<T>(send: () => Promise<{ body: T }>, index: string): Promise<T> {
    try {
      return (await send()).body;
    } catch (error) {
      throw toDwhError(error, { ...this.failureContext, endpoint: this.endpoint, index, action: 'es:ESHttpPost' });
    }
  }
}

function runIdOf(hit: Hit): string | undefined {
  const id = (hit._source as { job_run_id?: unknown } | undefined)?.job_run_id;
  return typeof id === 'string' ? id : typeof id === 'number' ? String(id) : undefined;
}

function timestampOf(hit: Hit): number {
  const value = (hit._source as { timestamp?: unknown } | undefined)?.timestamp;
  const parsed = typeof value === 'string' || typeof value === 'number' ? new Date(value).getTime() : NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}

function isIndexMissing(error: unknown): boolean {
  return (error as { failure?: { kind?: string } }).failure?.kind === 'index-missing';
}
