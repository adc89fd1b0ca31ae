// Data-layer benchmark on the local stack: listing every pending run and the count query
// through our repository (ApprovalsBackend → OpenSearchRunRepository), the same requests sent
// raw with curl, and publishing decisions (fresh lookup, STS, SSM, SNS) against moto.
// Prints progress; the figures go to --out as JSON (bench/run.mjs prints the tables).
//   node --import tsx bench/dataLayer.bench.ts --pending 1000 [--publish 20] [--out file]
//   node --import tsx bench/dataLayer.bench.ts --manifest seed.json ...   (already seeded)
// Measures, never asserts timing; it only fails when the answers are wrong (a run missing)
// or when the stack changed under it (another engineer's run reseeded it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ApprovalsBackend } from '../src/adapters/approvalsBackend';
import { DEFAULT_CONNECTION_SETTINGS, type ConnectionSettings } from '../src/core/connectionSettings';
import { buildDecisionMessage, type DecisionMessage } from '../src/core/decisionMessage';
import { publishDecision, type DecisionPorts } from '../src/core/decisionWorkflow';
import { evidenceSha256 } from '../src/core/evidence';
import type { JobRun } from '../src/core/model';
import { pendingSummaryQuery } from '../src/core/pendingQuery';
import { localStack, type SeedManifest, type StackEnv } from '../test/support/localStack';
import { curlSearch, removeScratch } from './lib/rawSearch';
import { assertSeedIntact, exitCodeFor } from './lib/seedCheck';
import { ratio, stats, timed, type Stats } from './lib/stats';

const TTL_HOURS = 72;
const SEED_SHAPE = { history: 5, decided: 5, messy: 4 };
const log = (message: string) => console.log(`[bench:data] ${message}`);

interface RecordedRequest {
  index: string;
  body: Record<string, unknown>;
  /** The request's filter_path, replayed with it. */
  filterPath: string[] | undefined;
  startedAt: number;
  endedAt: number;
  tookMs: number | null;
  hits: number;
}

/** Set once the seed is known, so a failure can be told apart from the stack changing. */
let recheckSeed: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pending: { type: 'string' },
      manifest: { type: 'string' },
      runs: { type: 'string', default: '5' },
      'summary-runs': { type: 'string', default: '20' },
      publish: { type: 'string', default: '0' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const runs = positive(values.runs, '--runs');
  const summaryRuns = positive(values['summary-runs'], '--summary-runs');
  const publishCount = Number(values.publish);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const local = await localStack();
  const env = local.env;
  let manifest: SeedManifest;
  let seedSeconds: number | null = null;
  if (values.pending !== undefined) {
    const pending = positive(values.pending, '--pending');
    log(`seeding ${pending} pending runs (${JSON.stringify(SEED_SHAPE)})`);
    const seeded = await local.stack.seedStack({ pending, ...SEED_SHAPE });
    manifest = seeded.manifest;
    seedSeconds = seeded.timings.total ?? null;
  } else if (values.manifest !== undefined) {
    manifest = JSON.parse(fs.readFileSync(values.manifest, 'utf8')) as SeedManifest;
  } else {
    throw new Error('say what to measure: --pending N (seeds the stack) or --manifest FILE (already seeded)');
  }
  const expected = manifest.pendingCount;
  recheckSeed = () => assertSeedIntact(env, manifest, 'during the benchmark');
  await assertSeedIntact(env, manifest, 'before measuring');

  const settings: ConnectionSettings = { ...DEFAULT_CONNECTION_SETTINGS, profile: local.profile, region: env.region, awsEndpointUrl: env.awsEndpointUrl };
  const backend = new ApprovalsBackend(settings, () => TTL_HOURS);
  const source = await backend.repository();
  const checkList = (runsFound: readonly JobRun[]) => {
    if (runsFound.length !== expected) throw new Error(`listPending returned ${runsFound.length} runs, the seed has ${expected} pending`);
  };

  // 1. Listing every pending run, ours, the way the palette and bulk decisions do it
  //    (PendingRunsStore.listAll): the pages of the scope the overview already read. The
  //    first call also resolves the endpoint (SSM), the credentials and opens the
  //    connection; it is the warm-up and reported apart. listPending (the command line and
  //    the expiry sweep) reads the scope first: timed apart, for the record.
  const scope = await source.scope(null);
  const listAll = () => source.listAll({ scope, selection: {}, ttlHours: TTL_HOURS });
  log(`listAll (palette, bulk): cold call, then ${runs} timed runs (${expected} pending)`);
  // The cold call's first request is kept as sent: the raw search below replays exactly it.
  const searchClient = source.client as unknown as { search: (...args: unknown[]) => Promise<unknown> };
  const unwrapped = searchClient.search;
  let firstPage: { index: string; body: object; filter_path?: string[] } | undefined;
  searchClient.search = function (this: unknown, ...args: unknown[]) {
    firstPage ??= args[0] as typeof firstPage;
    return unwrapped.apply(this, args);
  };
  const cold = await timed(listAll).finally(() => (searchClient.search = unwrapped));
  checkList(cold.value);
  if (!firstPage) throw new Error('listAll made no search request');
  // For comparison: one raw search returning the same documents with the same bytes: our
  // first page's request as sent (size 10,000, the index's max_result_window; the same
  // _source fields, sort and filter_path), each run right after one of ours, so that both
  // see the same load on this shared machine. Up to 10,000 pending it is our whole list.
  const singleBody = firstPage.body;
  const singleFilterPath = firstPage.filter_path;
  const rawSingleMs: number[] = [];
  let rawSingleBytes = (await curlSearch(env.opensearchUrl, firstPage.index, singleBody, { filterPath: singleFilterPath })).bytes;
  const listMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, value } = await timed(listAll);
    checkList(value);
    listMs.push(ms);
    const timing = await curlSearch(env.opensearchUrl, firstPage.index, singleBody, { filterPath: singleFilterPath });
    rawSingleMs.push(timing.ms);
    rawSingleBytes = timing.bytes;
  }
  log(`listPending (command line: the scope query, then the same pages): ${runs} timed runs`);
  const listPendingMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, value } = await timed(() => source.listPending());
    checkList(value);
    listPendingMs.push(ms);
  }

  // Where the time goes: one more run with every client.search call timed.
  const repository = source;
  const recorded: RecordedRequest[] = [];
  const client = repository.client as unknown as { search: (...args: unknown[]) => Promise<{ body: unknown }> };
  const originalSearch = client.search;
  client.search = async function (this: unknown, ...args: unknown[]) {
    const params = args[0] as { index: string; body: Record<string, unknown>; filter_path?: string[] };
    const startedAt = performance.now();
    const response = await originalSearch.apply(this, args);
    const body = response.body as { took?: number; hits?: { hits?: unknown[] } };
    recorded.push({ index: params.index, body: params.body, filterPath: params.filter_path, startedAt, endedAt: performance.now(), tookMs: body.took ?? null, hits: body.hits?.hits?.length ?? 0 });
    return response;
  };
  const traced = await timed(listAll);
  client.search = originalSearch;
  checkList(traced.value);
  const pages = recorded.filter((r) => !('collapse' in r.body));
  const superseded = recorded.filter((r) => 'collapse' in r.body);
  const pagesMs = pages.reduce((sum, r) => sum + (r.endedAt - r.startedAt), 0);
  const supersededMs = superseded.length ? Math.max(...superseded.map((r) => r.endedAt)) - Math.min(...superseded.map((r) => r.startedAt)) : 0;
  const breakdown = {
    totalMs: round(traced.ms),
    pageRequests: pages.length,
    pageHits: pages.reduce((sum, r) => sum + r.hits, 0),
    pageRequestsMs: round(pagesMs),
    pageServerTookMs: pages.reduce((sum, r) => sum + (r.tookMs ?? 0), 0),
    supersededRequests: superseded.length,
    supersededWallMs: round(supersededMs),
    supersededServerTookMaxMs: Math.max(0, ...superseded.map((r) => r.tookMs ?? 0)),
    clientSideMs: round(traced.ms - pagesMs - supersededMs),
  };
  log(`breakdown: ${JSON.stringify(breakdown)}`);

  // 2. The same requests raw: the recorded bodies replayed with curl (pages one after the
  //    other, the superseded-run queries in parallel, as the repository sends them).
  log(`raw list: the ${pages.length} page + ${superseded.length} superseded requests with curl, 1 warm-up + ${runs} runs`);
  const rawPagesMs: number[] = [];
  const rawListMs: number[] = [];
  let rawListBytes = 0;
  for (let i = 0; i <= runs; i++) {
    let pageSum = 0;
    let bytes = 0;
    for (const page of pages) {
      const timing = await curlSearch(env.opensearchUrl, page.index, page.body, { filterPath: page.filterPath });
      pageSum += timing.ms;
      bytes += timing.bytes;
    }
    const parallel = await Promise.all(superseded.map((r) => curlSearch(env.opensearchUrl, r.index, r.body)));
    const supersededWall = parallel.length ? Math.max(...parallel.map((t) => t.ms)) : 0;
    if (i === 0) continue;
    rawPagesMs.push(pageSum);
    rawListMs.push(pageSum + supersededWall);
    rawListBytes = bytes + parallel.reduce((sum, t) => sum + t.bytes, 0);
  }

  // 3. The count query (the poller's summary), ours and raw.
  log(`summary: ${summaryRuns} runs ours, ${summaryRuns} raw`);
  // The summary's run count is a cardinality aggregation (a fingerprint, approximate): recorded, not required to be exact.
  const summaryWarm = await source.summary();
  if (summaryWarm.approximateRuns !== expected) log(`note: the summary counts ${summaryWarm.approximateRuns} pending runs, the seed has ${expected} (cardinality is approximate)`);
  const summaryMs: number[] = [];
  for (let i = 0; i < summaryRuns; i++) summaryMs.push((await timed(() => source.summary())).ms);
  const rawSummaryMs: number[] = [];
  const summaryBody = pendingSummaryQuery();
  for (let i = 0; i <= summaryRuns; i++) {
    const timing = await curlSearch(env.opensearchUrl, settings.opensearchIndex, summaryBody);
    if (i > 0) rawSummaryMs.push(timing.ms);
  }

  // 4. Publishing decisions against moto, on a topic of the benchmark's own.
  const publish = publishCount > 0 ? await benchPublish(env, settings, manifest, publishCount) : null;

  await assertSeedIntact(env, manifest, 'after measuring');
  await backend.dispose();
  removeScratch();

  const list = stats(listMs);
  const rawList = stats(rawListMs);
  const summary = stats(summaryMs);
  const rawSummary = stats(rawSummaryMs);
  const result = {
    pending: expected,
    documents: manifest.documentCount,
    seedSeconds,
    list: {
      ours: list,
      coldMs: round(cold.ms),
      listPendingWithScope: stats(listPendingMs),
      raw: rawList,
      rawPagesOnly: stats(rawPagesMs),
      rawSingleSearch10k: { ...stats(rawSingleMs), bytes: rawSingleBytes },
      responseBytes: rawListBytes,
      overhead: ratio(list.median, rawList.median),
      breakdown,
    },
    summary: { ours: summary, raw: rawSummary, overhead: ratio(summary.median, rawSummary.median), countedRuns: summaryWarm.approximateRuns },
    publish,
  };
  log(`list ${expected}: ours median ${list.median} ms, raw ${rawList.median} ms (×${result.list.overhead}); summary ours ${summary.median} ms, raw ${rawSummary.median} ms`);
  if (values.out) {
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}

interface PublishResult {
  decisions: number;
  coldMs: number;
  publishDecision: Stats;
  freshLookup: Stats;
  snsPublishInWorkflow: Stats;
  snsPublishAlone: Stats;
  deliveredToTap: number | null;
}

/**
 * publishDecision over ~N runs: the first one is cold (STS, both SSM parameters, the SNS
 * client's first connection), the rest reuse the cached identity and parameters. The topic
 * is one the benchmark creates (same three subscriptions as the stack's, one with the
 * `decision` filter), found through an SSM parameter of its own, and deleted afterwards:
 * the stack's own queues, which other tests read, get nothing.
 */
async function benchPublish(env: StackEnv, base: ConnectionSettings, manifest: SeedManifest, count: number): Promise<PublishResult> {
  const config = { region: env.region, endpoint: env.awsEndpointUrl, credentials: env.credentials ?? { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const ssm = new SSMClient(config);
  const tag = `dwh-bench-${process.pid}-${Date.now()}`;
  const parameter = `/dwh/bench/${tag}/job-approvals-arn`;
  const queueUrls: string[] = [];
  let topicArn: string | undefined;
  let backend: ApprovalsBackend | undefined;
  try {
    topicArn = (await sns.send(new CreateTopicCommand({ Name: tag }))).TopicArn;
    if (!topicArn) throw new Error('moto returned no topic ARN');
    for (const [suffix, filterPolicy] of [['downstream', { decision: ['APPROVED'] }], ['tap', null], ['processor', null]] as const) {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${tag}-${suffix}` }));
      if (!QueueUrl) throw new Error('moto returned no queue URL');
      queueUrls.push(QueueUrl);
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: arn,
          Attributes: { RawMessageDelivery: 'false', ...(filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : {}) },
        }),
      );
    }
    await ssm.send(new PutParameterCommand({ Name: parameter, Type: 'String', Value: topicArn, Overwrite: true }));

    backend = new ApprovalsBackend({ ...base, topicArnParameter: parameter }, () => TTL_HOURS);
    const repository = await backend.repository();
    const messy = new Set(manifest.messyRunIds);
    const candidates = manifest.pendingRunIds.filter((id) => !messy.has(id)).slice(0, count + 1);
    if (candidates.length < count + 1) throw new Error(`the seed has only ${candidates.length} well-formed pending runs; --publish ${count} needs ${count + 1}`);
    const shown: JobRun[] = [];
    for (const id of candidates) {
      const stored = await repository.getRun(id);
      if (!stored) throw new Error(`run ${id} is not in the index`);
      shown.push(stored.run);
    }

    const freshMs: number[] = [];
    const snsMs: number[] = [];
    const ports = backend.decisionPorts();
    const measured: DecisionPorts = {
      ...ports,
      freshRun: async (id) => {
        const t = await timed(() => ports.freshRun(id));
        freshMs.push(t.ms);
        return t.value;
      },
      publish: async (arn, message) => {
        const t = await timed(() => ports.publish(arn, message));
        snsMs.push(t.ms);
        return t.value;
      },
    };
    log(`publishDecision: 1 cold + ${count} decisions on a topic of the benchmark's own`);
    const decide = async (run: JobRun, index: number) => {
      const outcome = await publishDecision(measured, { shownRun: run, decision: index % 2 === 0 ? 'APPROVED' : 'REJECTED', reason: 'Benchmark decision.' });
      if (outcome.kind !== 'published') throw new Error(`decision on ${run.jobRunId}: ${outcome.kind}`);
    };
    const cold = await timed(() => decide(shown[0]!, 0));
    freshMs.length = 0;
    snsMs.length = 0;
    const decisionMs: number[] = [];
    for (let i = 1; i < shown.length; i++) decisionMs.push((await timed(() => decide(shown[i]!, i))).ms);

    // SNS publish alone: prebuilt signed messages through the same publisher.
    const identity = await backend.callerIdentity.identity();
    const secret = await backend.parameters.signingSecret();
    const messages: DecisionMessage[] = await Promise.all(
      shown.slice(1).map((run) =>
        buildDecisionMessage(
          { jobName: run.jobName, jobRunId: run.jobRunId, decision: 'APPROVED', reason: 'Benchmark publish.', identityArn: identity.arn, decidedBy: identity.decidedBy, evidenceSha256: evidenceSha256(run) },
          secret,
          (hash) => backend!.prover.prove(hash),
        ),
      ),
    );
    const aloneMs: number[] = [];
    for (const message of messages) aloneMs.push((await timed(() => backend!.publisher.publish(topicArn!, message))).ms);

    const tapUrl = queueUrls[1]!;
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: tapUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const delivered = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? Number.NaN);
    return {
      decisions: decisionMs.length,
      coldMs: round(cold.ms),
      publishDecision: stats(decisionMs),
      freshLookup: stats(freshMs),
      snsPublishInWorkflow: stats(snsMs),
      snsPublishAlone: stats(aloneMs),
      deliveredToTap: Number.isFinite(delivered) ? delivered : null,
    };
  } finally {
    await backend?.dispose();
    for (const QueueUrl of queueUrls) await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    if (topicArn) await sns.send(new DeleteTopicCommand({ TopicArn: topicArn })).catch(() => undefined);
    await ssm.send(new DeleteParameterCommand({ Name: parameter })).catch(() => undefined);
    sns.destroy();
    sqs.destroy();
    ssm.destroy();
  }
}

function positive(raw: string | undefined, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

main().catch(async (error: unknown) => {
  removeScratch();
  const { code, message } = await exitCodeFor(error, recheckSeed);
  console.error(`[bench:data] error: ${message}`);
  process.exitCode = code;
});
