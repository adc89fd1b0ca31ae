// Plain-text tables of the benchmark figures, for bench/run.mjs. Figures only: nothing
// here compares them with a budget. "m / p" is median / p95 (nearest rank) in milliseconds.

/** A table with a title; numbers (and cells that look like numbers) are right-aligned. */
export function table(title, headers, rows, notes = []) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => (cell == null ? '—' : String(cell))));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => /^[-\d.,×%/ →()~≈+MKiBGms]*$/.test(String(row[i] ?? ''))));
  const line = (row) => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [title, rule, line(cells[0]), rule, ...cells.slice(1).map(line), rule, ...notes.map((n) => `  ${n}`), ''].join('\n');
}

export function ms(value) {
  if (value == null || Number.isNaN(value)) return '—';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** "median / p95" of a stats object. */
function mp(stats) {
  return stats && stats.n > 0 ? `${ms(stats.median)} / ${ms(stats.p95)}` : '—';
}

export function times(ratio) {
  return ratio == null || Number.isNaN(ratio) ? '—' : `×${ratio.toFixed(2)}`;
}

function kib(bytes) {
  return bytes == null ? '—' : `${(bytes / 1024).toFixed(1)} KiB`;
}

function mib(bytes) {
  return bytes == null ? '—' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function count(n) {
  return n == null ? '—' : n.toLocaleString('en-US');
}

// ---- the sections --------------------------------------------------------------------------

export function dataLayerTables(results, runs) {
  const rows = results.map(({ data }) => [
    count(data.pending),
    count(data.documents),
    mp(data.list.ours),
    ms(data.list.coldMs),
    mp(data.list.raw),
    times(data.list.overhead),
    data.list.rawSingleSearch10k ? mp(data.list.rawSingleSearch10k) : '—',
    times(data.list.rawSingleSearch10k ? data.list.ours.median / data.list.rawSingleSearch10k.median : null),
    data.list.listPendingWithScope ? mp(data.list.listPendingWithScope) : '—',
    mp(data.summary.ours),
    mp(data.summary.raw),
    times(data.summary.overhead),
    count(data.summary.countedRuns),
  ]);
  const out = [
    table(
      'Data layer: pending runs on the local stack (ms; median / p95)',
      ['Pending', 'Docs', 'listAll ours', 'cold 1st', 'same requests raw', 'overhead', 'raw 1×size:10000', 'ours ÷ it', 'listPending', 'summary ours', 'summary raw', 'overhead', 'summary counts'],
      rows,
      [
        `listAll ours: every pending run as the palette and bulk decisions list them (the pages of the scope the overview read); ${runs} runs after the cold first call`,
        `  (which also resolves the endpoint in SSM and the credentials); p95 of ${runs} is their maximum. listPending (the command line, the expiry sweep): the scope query, then the same pages.`,
        '"same requests raw": the exact requests our repository sent, replayed with curl in sequence; curl\'s time_total. overhead = ours / raw (medians).',
        '"raw 1×size:10000": our first page\'s request replayed with curl (up to 10,000 documents, the same _source fields, sort and filter_path), each run right after one of ours (the same load).',
        '"summary counts": the pending runs the count query reports (a cardinality aggregation, approximate); the list is always exact.',
      ],
    ),
  ];
  out.push(
    table(
      'Data layer: where listAll\'s time goes (one traced run, ms)',
      ['Pending', 'requests', 'response', 'pages: in client', 'pages: server took', 'pages: raw', 'superseded checks', 'client-side work'],
      results.map(({ data }) => {
        const b = data.list.breakdown;
        return [
          count(data.pending),
          `${b.pageRequests} + ${b.supersededRequests}`,
          mib(data.list.responseBytes),
          ms(b.pageRequestsMs),
          ms(b.pageServerTookMs),
          ms(data.list.rawPagesOnly?.median),
          ms(b.supersededWallMs),
          ms(b.clientSideMs),
        ];
      }),
      [
        '"pages: in client" is each page request as the OpenSearch client sees it (SigV4 signing, HTTP, JSON parsing), summed;',
        '"server took" is OpenSearch\'s own `took`; "client-side work" is the rest: parsing documents into runs, collapsing, sorting by expiry.',
      ],
    ),
  );
  const withPublish = results.filter(({ data }) => data.publish);
  if (withPublish.length) {
    out.push(
      table(
        'Publishing a decision against moto (ms; median / p95)',
        ['Pending', 'decisions', 'cold 1st', 'publishDecision', 'fresh lookup', 'SNS publish in it', 'SNS publish alone', 'delivered (tap)'],
        withPublish.map(({ data }) => {
          const p = data.publish;
          return [count(data.pending), p.decisions, ms(p.coldMs), mp(p.publishDecision), mp(p.freshLookup), mp(p.snsPublishInWorkflow), mp(p.snsPublishAlone), p.deliveredToTap];
        }),
        [
          'publishDecision = fresh lookup of the run in OpenSearch + STS identity + SSM topic ARN and signing secret (cached after the first) + sign + SNS Publish.',
          'On a topic of the benchmark\'s own with the stack\'s three subscriptions (one filtered on `decision`), so other tests\' queues get nothing.',
        ],
      ),
    );
  }
  return out.join('\n');
}

export function bundleTables(build) {
  const out = [
    table(
      `Extension bundles (node esbuild.js --production, built in ${(build.buildMs / 1000).toFixed(1)} s)`,
      ['Bundle', 'bytes', 'size', 'gzip -9'],
      build.bundles.map((b) => [b.file, count(b.bytes), kib(b.bytes), kib(b.gzipBytes)]),
    ),
  ];
  if (build.composition) {
    const c = build.composition;
    const top = c.scopes.slice(0, 8);
    out.push(
      table(
        'What dist/extension.js is made of (esbuild metafile, minified bytes)',
        ['Package', 'size', 'share'],
        top.map((p) => [p.name, kib(p.bytes), `${((p.bytes / c.totalBytes) * 100).toFixed(1)}%`]),
        c.matchesBuild ? [] : [`(the metafile build came out at ${count(c.totalBytes)} bytes, not the same as the real one: shares are approximate)`],
      ),
    );
  }
  return out.join('\n');
}

export function activationTable(activation) {
  if (!activation) return '';
  const span = (stats) => (stats?.n ? mp(stats) : '—');
  return table(
    'Activation in the real extension host (code-server 4.100.3 = VS Code 1.100.3; ms, median / p95)',
    ['samples', 'activate()', 'loading dist/extension.js', 'host: whole activation', 'host RSS before', 'host RSS after', 'heap used +'],
    [[
      activation.hostActivationMs.n,
      span(activation.activateMs),
      span(activation.codeLoadingMs),
      span(activation.hostActivationMs),
      `${(activation.hostRssBeforeKb.median / 1024).toFixed(0)} MiB`,
      `${(activation.hostRssAfterKb.median / 1024).toFixed(0)} MiB`,
      `${(activation.heapUsedDeltaKb.median / 1024).toFixed(1)} MiB`,
    ]],
    [
      'A fresh host each time. activate(): the extension\'s own performance measure around its activate() (views, commands, the last known overview; the first request starts after it).',
      'loading dist/extension.js: the host\'s marks around its require of the bundle. host: whole activation = `await extensions.getExtension(...).activate()` from inside the host:',
      'the two above plus VS Code\'s own part (activation context, memento and storage ready, localisation).',
    ],
  );
}

export function treeTable(trees) {
  if (!trees.length) return '';
  return table(
    'Opening the view: click on the activity bar → the seeded count shown and run rows in the tree (ms; median / p95)',
    ['Pending', 'groupBy', 'n', 'status item', 'status count', 'badge count', 'first run row', 'filled', 'host RSS idle → loaded', 'host peak', 'renderer heap', 'host CPU idle: with / before'],
    trees.map((t) => [
      count(t.pending),
      t.groupBy,
      t.filledMs.n,
      mp(t.statusItemMs),
      mp(t.statusCountMs),
      mp(t.badgeCountMs),
      mp(t.firstRunRowMs),
      mp(t.filledMs),
      `${(t.hostRssBeforeKb.median / 1024).toFixed(0)} → ${(t.hostRssAfterKb.median / 1024).toFixed(0)} MiB`,
      `${(t.hostPeakKb.median / 1024).toFixed(0)} MiB`,
      mib(t.rendererHeapUsedBytes.median),
      t.idleCpu ? `${ms(t.idleCpu.cpuMs)} / ${ms(t.idleCpu.baselineCpuMs ?? Number.NaN)} in ${(t.idleCpu.windowMs / 1000).toFixed(0)} s` : '—',
    ]),
    [
      'Each sample is a fresh code-server and a cold first open: the click activates the extension (lazy activation), which reads the overview (groups and counts).',
      '"status item" = the extension\'s status-bar item first appears (activated); "filled" = status count, badge and first run row all shown.',
      'Host RSS: the extension host process of that code-server (by process ancestry), before the click and 3 s after filled; peak = VmHWM.',
      '"host CPU idle": CPU ms the extension host used while the filled view sat idle for the window given (first sample; one of the view\'s 30 s redraws falls in it),',
      '  and over the same window in the same host before the click, the extension not yet active (the baseline).',
    ],
  );
}

/** Where the CPU went during the profiled open (one extra sample with profilers attached). */
export function profileTable(trees) {
  const profiled = trees.filter((t) => t.profiled?.profile);
  if (!profiled.length) return '';
  const share = (summary, name) => summary.categories.filter((c) => c.name === name).reduce((sum, c) => sum + c.ms, 0);
  const rows = [];
  for (const t of profiled) {
    const { extensionHost: host, workbench } = t.profiled.profile;
    rows.push([
      count(t.pending),
      t.groupBy,
      ms(t.profiled.filledMs),
      ms(share(host, 'DWH Approvals (dist/)')),
      ms(share(host, 'VS Code extension host')),
      ms(share(host, 'Node.js') + share(host, '(program)') + share(host, 'other')),
      ms(share(host, '(garbage collector)')),
      ms(share(host, '(idle)')),
      ms(workbench.wallMs - share(workbench, '(idle)')),
    ]);
  }
  const lines = [];
  for (const t of profiled) {
    for (const [label, summary] of [['extension host', t.profiled.profile.extensionHost], ['workbench page', t.profiled.profile.workbench]]) {
      const topFns = summary.topFunctions.filter((f) => !/^\(/.test(f.name)).slice(0, 5);
      lines.push(`${count(t.pending)} ${label}, most self time: ${topFns.map((f) => `${f.name} (${f.where}) ${ms(f.ms)}`).join('; ')}`);
    }
  }
  return table(
    'Where the CPU went while the view filled (one extra, profiled open; CPU ms from click to filled, 1 ms sampling)',
    ['Pending', 'groupBy', 'filled', 'host: our bundle', 'host: VS Code', 'host: Node & other', 'host: GC', 'host: idle', 'page: busy'],
    rows,
    [
      ...lines,
      'Profilers slow what they watch: these are shares of CPU, not timings; the timings are the table above.',
    ],
  );
}

export function processorTable(processor) {
  if (!processor?.results?.length) return '';
  return table(
    `Approval processor throughput (${processor.total} decisions, ${processor.pollers} at once)`,
    ['mode', 'decisions', 'seconds', 'decisions/s', 'batch p50 ms', 'batch p95 ms', 'recorded', 'failed'],
    processor.results.map((r) => [r.mode, r.decisions, r.seconds?.toFixed(2), r.decisionsPerSecond, r.batchP50Ms, r.batchP95Ms, r.recorded, r.failed]),
    ['From bench/processorThroughput (its own figures; see that file for what each mode measures).'],
  );
}
