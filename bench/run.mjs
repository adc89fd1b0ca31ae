#!/usr/bin/env node
// `npm run bench`: measures, never asserts. "Speed is measured, not asserted. Design for
// 10,000 pending runs." Prints one table (each figure of issue 11 with its goal, the value,
// the ratio to the raw query where there is one, and whether it is met) and writes it with the
// raw figures to test-results/bench.json; --details prints every section's own table too. Sections (each a child process; a failing one prints its error,
// the others still run, and the exit code is 1 at the end):
//   data        the data layer on the local stack for 100 / 1,000 / 10,000 pending runs:
//               listing every pending run and the count query through our repository and
//               raw with curl, and publishing decisions against moto (bench/dataLayer.bench.ts)
//   extension   bundle sizes of the production build; activation in a real extension host;
//               the click on the activity bar to a filled tree with 1,000 and 10,000 pending,
//               and the extension host's memory (bench/extension.bench.ts, code-server + Chromium)
//   processor   bench/processorThroughput* when present (the processor's own benchmark)
// Options:
//   --quick               100 and 1,000 pending only, one sample of each extension figure
//   --section data,...    only these sections
//   --sizes 1000,10000    only these pending counts (for iterating on one size)
//   --samples N           extension samples (activation hosts, tree opens) instead of 5 and 3
//   --details             also print each section's own tables (the figures behind the summary)
// The local stack is shared with other engineers' tests: every size is seeded just before it is
// measured, the benchmarks check the seed is still there before and after, a section that finds
// it changed is reseeded and retried (twice at most), and the stack's default seed is restored
// at the end.
// One direction: bench imports scripts/lib (the stack, code-server, prerequisites); nothing in scripts imports bench.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureCodeServer, ensureNodeModules, repoRoot } from '../scripts/lib/prereqs.mjs';

const SECTIONS = ['data', 'extension', 'processor'];
const EXIT_STACK_CHANGED = 75; // bench/lib/seedCheck.ts
const RETRIES_AFTER_RESEED = 2;
const SEED_SHAPE = { history: 5, decided: 5, messy: 4 };
const RESULT_FILE = path.join(repoRoot, 'test-results', 'bench.json');

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      section: { type: 'string', multiple: true },
      sizes: { type: 'string' },
      samples: { type: 'string' },
      details: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const asked = (values.section ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((s) => !SECTIONS.includes(s));
  if (unknown.length) throw new Error(`unknown section(s): ${unknown.join(', ')}; sections are ${SECTIONS.join(', ')}`);
  const quick = values.quick;
  const only = values.sizes === undefined ? null : values.sizes.split(',').map((n) => Number(n.trim().replace(/_/g, '')));
  if (only?.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--sizes takes pending counts such as 1000,10000; got "${values.sizes}"`);
  const samples = values.samples === undefined ? null : Number(values.samples);
  if (samples !== null && (!Number.isInteger(samples) || samples <= 0)) throw new Error('--samples takes a positive whole number');
  const pick = (sizes) => (only ? sizes.filter((n) => only.includes(n)) : sizes);
  return {
    quick,
    details: values.details,
    sections: asked.length ? SECTIONS.filter((s) => asked.includes(s)) : SECTIONS,
    dataSizes: only ?? (quick ? [100, 1000] : [100, 1000, 10_000]),
    // The tree at each size in the default grouping (by job); at the largest also flat, which
    // makes VS Code render 10,000 items under one parent.
    treeSizes: only ? only.filter((n) => n >= 1000) : quick ? [1000] : [1000, 10_000],
    flatTreeSizes: pick(quick ? [] : [10_000]),
    // One extra open with CPU profilers attached, reported apart from the timings.
    profileTreeSizes: pick(quick ? [] : [10_000]),
    // In the first open of each size (groupBy job): the host's CPU while the loaded view sits
    // idle, long enough for one of its 30 s redraws.
    idleCpuSeconds: quick ? 0 : 35,
    listRuns: 5,
    summaryRuns: 20,
    publishDecisions: 20,
    activationSamples: samples ?? (quick ? 1 : 5),
    treeSamples: samples ?? (quick ? 1 : 3),
    processorDecisions: quick ? 200 : 1000,
  };
}

const log = (message) => console.log(`[bench] ${message}`);

/**
 * Runs a child with its output shown; resolves `{code, stdout, stderrTail}` (never rejects).
 * stdout is kept when asked (the processor benchmark prints its figures as a JSON line).
 */
function run(cmd, args, { keepStdout = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      if (keepStdout) stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    });
    child.once('error', (error) => resolve({ code: 127, stdout, stderrTail: error.message }));
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderrTail }));
  });
}

// Node 20 has a global WebSocket (the extension benchmark's profiler uses it) only behind a flag.
const NODE_FLAGS = typeof globalThis.WebSocket === 'undefined' ? ['--experimental-websocket'] : [];
const tsx = (file, args) => run(process.execPath, [...NODE_FLAGS, '--import', 'tsx', path.join(repoRoot, file), ...args]);

function lastError(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /error/i.test(l));
  return (error ?? lines[lines.length - 1] ?? 'no output').slice(0, 500);
}

async function main() {
  const opts = options();
  const started = Date.now();
  ensureNodeModules();
  if (opts.sections.includes('extension')) await ensureCodeServer();
  // Imported only now: these need node_modules.
  const stack = await import('../scripts/lib/vscode/localStack.mjs');
  const report = await import('./lib/report.mjs');
  const bundles = await import('./lib/bundles.mjs');

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-'));
  const failures = [];
  const result = {
    startedAt: new Date(started).toISOString(),
    quick: opts.quick,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, memoryBytes: os.totalmem(), node: process.version, platform: `${os.platform()} ${os.release()}` },
    options: opts,
    data: [],
    extension: { build: null, activation: null, trees: [] },
    processor: null,
    retries: [],
    failures,
  };
  const fail = (section, error) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`[bench] ${section} failed: ${message}`);
    failures.push({ section, error: message });
  };

  /**
   * Runs a measurement that needs `size` seeded. The seed of the previous measurement is kept
   * when it had the same size (the benchmark itself checks it is still there); when the stack
   * changed under it, it is seeded again and the measurement retried.
   */
  let seeded = null;
  async function withSeed(label, size, measure) {
    for (let attempt = 0; ; attempt++) {
      if (seeded?.size !== size || attempt > 0) {
        const manifest = await stack.seedStack({ pending: size, ...SEED_SHAPE });
        const manifestFile = path.join(work, `seed-${size}.json`);
        fs.writeFileSync(manifestFile, JSON.stringify(manifest));
        seeded = { size, manifestFile };
      }
      const outcome = await measure(seeded.manifestFile);
      if (outcome.code !== EXIT_STACK_CHANGED || attempt >= RETRIES_AFTER_RESEED) return outcome;
      log(`${label}: the shared stack was reseeded by someone else meanwhile; seeding ${size} again and retrying`);
      result.retries.push({ label, attempt: attempt + 1 });
    }
  }

  const stackEnv = await stack.ensureStackUp();
  let stage = null;
  try {
    // ---- extension bundles (built first: the extension benchmarks load this build) ----------
    if (opts.sections.includes('extension')) {
      log('building the production bundles in a snapshot of the sources');
      try {
        stage = bundles.stageProductionBuild(repoRoot);
        const composition = await bundles.extensionComposition(stage.dir, stage.bundles[0].bytes);
        result.extension.build = { buildMs: stage.buildMs, bundles: stage.bundles, composition };
      } catch (error) {
        fail('extension bundles', error);
      }
    }

    // ---- activation (does not depend on the seed's size) -------------------------------------
    if (stage) {
      log(`activation: ${opts.activationSamples} fresh extension host(s)`);
      const out = path.join(work, 'activation.json');
      const outcome = await tsx('bench/extension.bench.ts', ['--activation', String(opts.activationSamples), '--extension-path', stage.dir, '--out', out]);
      if (outcome.code === 0) result.extension.activation = JSON.parse(fs.readFileSync(out, 'utf8')).activation;
      else fail('extension activation', lastError(outcome.stderrTail));
    }

    // ---- per size: the data layer, then the tree ---------------------------------------------
    const sizes = [...new Set([...(opts.sections.includes('data') ? opts.dataSizes : []), ...(stage ? opts.treeSizes : [])])].sort((a, b) => a - b);
    const largest = Math.max(...opts.dataSizes);
    for (const size of sizes) {
      if (opts.sections.includes('data') && opts.dataSizes.includes(size)) {
        const out = path.join(work, `data-${size}.json`);
        log(`data layer with ${size.toLocaleString('en-US')} pending`);
        const outcome = await withSeed(`data ${size}`, size, (manifestFile) =>
          tsx('bench/dataLayer.bench.ts', [
            '--manifest', manifestFile, '--runs', String(opts.listRuns), '--summary-runs', String(opts.summaryRuns),
            '--publish', String(size === largest ? opts.publishDecisions : 0), '--out', out,
          ]),
        ).catch((error) => ({ code: 1, stderrTail: String(error?.stack ?? error) }));
        if (outcome.code === 0) result.data.push({ size, data: JSON.parse(fs.readFileSync(out, 'utf8')) });
        else fail(`data ${size}`, lastError(outcome.stderrTail));
      }
      if (stage) {
        const variants = [
          ...(opts.treeSizes.includes(size) ? ['job'] : []),
          ...(opts.flatTreeSizes.includes(size) ? ['none'] : []),
        ];
        for (const groupBy of variants) {
          const out = path.join(work, `tree-${size}-${groupBy}.json`);
          log(`tree with ${size.toLocaleString('en-US')} pending, groupBy ${groupBy}: ${opts.treeSamples} sample(s)`);
          const outcome = await withSeed(`tree ${size} ${groupBy}`, size, (manifestFile) =>
            tsx('bench/extension.bench.ts', [
              '--tree', '--manifest', manifestFile, '--samples', String(opts.treeSamples), '--group-by', groupBy,
              ...(opts.profileTreeSizes.includes(size) && groupBy === 'job' ? ['--profile'] : []),
              ...(groupBy === 'job' ? ['--idle-cpu-seconds', String(opts.idleCpuSeconds)] : []),
              '--extension-path', stage.dir, '--out', out,
            ]),
          ).catch((error) => ({ code: 1, stderrTail: String(error?.stack ?? error) }));
          if (outcome.code === 0) result.extension.trees.push(JSON.parse(fs.readFileSync(out, 'utf8')).tree);
          else fail(`tree ${size} (${groupBy})`, lastError(outcome.stderrTail));
        }
      }
    }

    // ---- the approval processor's own benchmark, when it exists ------------------------------
    if (opts.sections.includes('processor')) result.processor = await runProcessorBenchmark(opts, fail);
  } finally {
    if (stage) fs.rmSync(stage.dir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
    log('restoring the stack\'s default seed (node scripts/stack.mjs seed)');
    await stack.seedStack({}).catch((error) => fail('re-seeding the defaults', error));
  }

  // ---- the report ----------------------------------------------------------------------------
  result.finishedAt = new Date().toISOString();
  result.seconds = Math.round((Date.now() - started) / 1000);
  result.machine.loadAverage = os.loadavg();
  fs.mkdirSync(path.dirname(RESULT_FILE), { recursive: true });
  fs.writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);
  result.goals = goalRows(report, result);
  fs.writeFileSync(RESULT_FILE, `${JSON.stringify(result, null, 2)}\n`);

  const m = result.machine;
  console.log(`\n=== DWH Approvals benchmark${opts.quick ? ' (--quick)' : ''}: ${m.cpus} CPU (${m.cpuModel}), ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node}; load average at the end ${m.loadAverage.map((l) => l.toFixed(1)).join(' ')}; stack ${stackEnv.opensearchUrl}, moto ${stackEnv.awsEndpointUrl}\n`);
  if (opts.details) {
    if (result.data.length) console.log(report.dataLayerTables(result.data, opts.listRuns));
    if (result.extension.build) console.log(report.bundleTables(result.extension.build));
    if (result.extension.activation) console.log(report.activationTable(result.extension.activation));
    if (result.extension.trees.length) console.log(report.treeTable(result.extension.trees));
    if (result.extension.trees.some((t) => t.profiled)) console.log(report.profileTable(result.extension.trees));
    if (result.processor) console.log(report.processorTable(result.processor));
  }
  console.log(goalTable(report, result.goals));
  console.log(`raw figures: ${path.relative(repoRoot, RESULT_FILE)}; ${result.seconds} s in all${result.retries.length ? `; ${result.retries.length} retr${result.retries.length === 1 ? 'y' : 'ies'} after someone else reseeded the stack` : ''}`);
  if (failures.length) {
    console.log(`\n${failures.length} section(s) failed:`);
    for (const f of failures) console.log(`  ${f.section}: ${f.error}`);
  }
  return failures.length ? 1 : 0;
}

/** The processor's benchmark, if a file bench/processorThroughput.* exists (written by its owner). */
async function runProcessorBenchmark(opts, fail) {
  const dir = path.join(repoRoot, 'bench');
  const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => /^processorThroughput\.(ts|mts|mjs|js)$/.test(f)) : undefined;
  if (!file) {
    log('processor: no bench/processorThroughput.* yet; skipped');
    return null;
  }
  log(`processor: bench/${file} with ${opts.processorDecisions} decisions (bundling dist/processor.js from the current sources first)`);
  const built = await run(process.execPath, ['esbuild.js']);
  if (built.code !== 0) {
    fail('processor', 'node esbuild.js failed');
    return null;
  }
  const script = path.join(dir, file);
  const args = ['--decisions', String(opts.processorDecisions)];
  const outcome = /\.m?ts$/.test(file)
    ? await run(process.execPath, ['--import', 'tsx', script, ...args], { keepStdout: true })
    : await run(process.execPath, [script, ...args], { keepStdout: true });
  const line = outcome.stdout.split('\n').reverse().find((l) => l.startsWith('{') && l.includes('"processorThroughput"'));
  const figures = line ? JSON.parse(line) : null;
  if (outcome.code !== 0) fail('processor', lastError(outcome.stderrTail));
  else if (!figures) fail('processor', 'its output had no {"bench":"processorThroughput",...} line');
  return figures;
}

/**
 * Why a figure misses its goal, from the profiles and traces of the runs recorded in README's
 * Performance section: printed under the goal table for each missed figure. Keep them short,
 * factual, and in step with what the profiles show.
 */
const WHY_MISSED = {
  activation: 'activate() only registers views and commands and shows the remembered state (10.6 ms in README\'s run): a miss is the machine\'s load, see the load average.',
  viewVisible: 'the first answer waits on the adapters\' bundle (compiling), the credentials and the endpoint from SSM, then the summary and the overview, one after the other.',
  expand: 'one page search of the group plus rendering its rows in the workbench.',
  memory: 'the loaded overview and pages of runs, and the adapters\' bundle (AWS SDK, OpenSearch client) once loaded.',
  listing: 'ours receives and JSON-parses every byte in the extension host and turns each hit into a run (parseJobRun), then sorts by expiry; curl writes the bytes to /dev/null.',
  listingSmall: 'at this size the fixed cost of a signed request through the OpenSearch client (SigV4, HTTP agent) weighs more than the documents.',
  idleCpu: 'the baseline window falls in VS Code\'s own start-up, so below a few hundred ms a minute the difference is noise.',
  processor: 'moto\'s SNS emulation: each outcome publish costs it ~19 ms of CPU in one Python process (AWS SNS has no such cost), so with outcomes the local stack cannot pass ~50 decisions/s.',
  processorWithoutOutcomes: 'a chain of round trips per batch (the STS check, then 4 OpenSearch requests) with 4 batches at once; more at once (--pollers 16) gave 328/s.',
  processorSqs: 'moto\'s queue: receiving and deleting through moto costs it more CPU than the decisions (the figure measures moto more than the processor).',
};

/** By how much a value misses its goal: "+63 ms over", "+12 MiB over", "×1.27 the goal (+343 ms over ×1.2 raw)", "58 decisions/s short". */
const over = {
  ms: (value, goal) => `+${(value - goal).toFixed(0)} ms over`,
  mib: (value, goal) => `+${(value - goal).toFixed(0)} MiB over`,
  ratio: (ratio, goal, oursMs, rawMs) => `×${(ratio / goal).toFixed(2)} the goal (+${(oursMs - rawMs * goal).toFixed(0)} ms over ×${goal} raw)`,
  rate: (value, goal) => `${(goal - value).toFixed(0)} decisions/s short (the goal is ×${(goal / Math.max(value, 1e-9)).toFixed(1)} this)`,
};

/**
 * The figures of issue 11, each with its goal, the value measured, the ratio to the raw query
 * where there is one, and whether the goal is met ("—" when the section did not run); a
 * missed one also says by how much and why (WHY_MISSED).
 */
function goalRows(report, result) {
  const rows = [];
  const row = (figure, goal, value, ratio, met, miss = null) =>
    rows.push({
      figure,
      goal,
      value,
      ratio: ratio ?? null,
      met: met === null || met === undefined ? null : Boolean(met),
      ...(miss && met === false ? { missedBy: miss.by, why: miss.why } : {}),
    });
  // activate() itself (the extension's own measure); beside it what the host spends around it.
  const activation = result.extension.activation?.activateMs;
  const loading = result.extension.activation?.codeLoadingMs;
  const hostActivation = result.extension.activation?.hostActivationMs;
  const around = [loading?.n ? `loading the bundle ${report.ms(loading.median)} ms` : null, hostActivation?.n ? `host's whole activation ${report.ms(hostActivation.median)} ms` : null].filter(Boolean);
  row(
    `activate() in a fresh extension host, median of ${activation?.n || '—'}`,
    '≤ 50 ms',
    activation?.n ? `${report.ms(activation.median)} ms${around.length ? ` (${around.join(', ')})` : ''}` : '—',
    null,
    activation?.n ? activation.median <= 50 : null,
    activation?.n ? { by: over.ms(activation.median, 50), why: WHY_MISSED.activation } : null,
  );
  const grouped = (size) => result.extension.trees.find((t) => t.pending === size && t.groupBy === 'job');
  const tree10k = grouped(10_000) ?? [...result.extension.trees].filter((t) => t.groupBy === 'job').sort((a, b) => b.pending - a.pending)[0];
  const at = (t) => (t ? report.count(t.pending) : '10,000');
  const filled = tree10k?.filledAfterViewMs;
  row(`view visible → groups with counts, badge and status bar, ${at(tree10k)} pending`, '≤ 300 ms', filled?.n ? `${report.ms(filled.median)} ms (click → all shown ${report.ms(tree10k.filledMs.median)} ms)` : '—', null, filled?.n ? filled.median <= 300 : null, filled?.n ? { by: over.ms(filled.median, 300), why: WHY_MISSED.viewVisible } : null);
  const expand = tree10k?.expandGroupMs;
  row(`expanding a group of ${report.count(tree10k?.expandGroup?.count ?? 1000)} runs, ${at(tree10k)} pending`, '≤ 500 ms', expand?.n ? `${report.ms(expand.median)} ms` : '—', null, expand?.n ? expand.median <= 500 : null, expand?.n ? { by: over.ms(expand.median, 500), why: WHY_MISSED.expand } : null);
  const memory = tree10k ? (tree10k.hostRssAfterKb.median - tree10k.hostRssBeforeKb.median) / 1024 : null;
  row(`extension host memory with ${at(tree10k)} pending, over the idle host`, '≤ 30 MiB', memory === null ? '—' : `+${memory.toFixed(0)} MiB`, null, memory === null ? null : memory <= 30, memory === null ? null : { by: over.mib(memory, 30), why: WHY_MISSED.memory });
  for (const { data } of result.data) {
    const raw = data.list.rawSingleSearch10k?.median;
    const ratio = raw ? data.list.ours.median / raw : null;
    const withScope = data.list.listPendingWithScope?.median;
    row(
      `listing every pending run at ${report.count(data.pending)} (palette, bulk; ratio to one raw search of the same documents)`,
      '≤ ×1.2',
      `${report.ms(data.list.ours.median)} ms vs ${report.ms(raw)} ms raw${withScope ? ` (with the scope query, as the CLI: ${report.ms(withScope)} ms)` : ''}`,
      ratio,
      ratio === null ? null : ratio <= 1.2,
      ratio === null ? null : { by: over.ratio(ratio, 1.2, data.list.ours.median, raw), why: data.pending <= 100 ? WHY_MISSED.listingSmall : WHY_MISSED.listing },
    );
  }
  const idle = result.data.at(-1)?.data.summary;
  row(`idle refresh at ${report.count(result.data.at(-1)?.data.pending)} (ratio to the same request raw)`, 'one small request', idle ? `${report.ms(idle.ours.median)} ms, 1 request` : '—', idle?.overhead ?? null, idle ? true : null);
  // The baseline: the host of a code-server without the extension, over a window as long and as long after opening.
  const cpu = tree10k?.idleCpu;
  const perMinute = (ms, windowMs) => (ms / windowMs) * 60_000;
  const overBaseline = cpu?.baselineWindowMs ? perMinute(cpu.cpuMs, cpu.windowMs) - perMinute(cpu.baselineCpuMs, cpu.baselineWindowMs) : null;
  row(
    `extension host CPU, idle, ${at(tree10k)} pending, over a host of the same age without the extension`,
    '≤ 100 ms a minute',
    overBaseline === null
      ? '—'
      : `${overBaseline >= 0 ? '+' : ''}${overBaseline.toFixed(0)} ms a minute (${perMinute(cpu.cpuMs, cpu.windowMs).toFixed(0)} with it, ${perMinute(cpu.baselineCpuMs, cpu.baselineWindowMs).toFixed(0)} without)`,
    null,
    overBaseline === null ? null : overBaseline <= 100,
    overBaseline === null ? null : { by: `+${(overBaseline - 100).toFixed(0)} ms a minute over`, why: WHY_MISSED.idleCpu },
  );
  const processor = result.processor?.results ?? [];
  if (processor.length === 0) row('processor, 1,000 queued decisions', '≥ 300 decisions/s', '—', null, null);
  const processorWhy = { handler: WHY_MISSED.processor, 'handler-without-outcomes': WHY_MISSED.processorWithoutOutcomes, sqs: WHY_MISSED.processorSqs };
  for (const r of processor) {
    row(
      `processor (${r.mode}${r.mode === 'handler' ? ', with outcomes: bound by moto\'s SNS' : ''}), ${report.count(r.decisions)} decisions`,
      '≥ 300 decisions/s',
      `${r.decisionsPerSecond} decisions/s`,
      null,
      r.decisionsPerSecond >= 300,
      { by: over.rate(r.decisionsPerSecond, 300), why: processorWhy[r.mode] ?? WHY_MISSED.processor },
    );
  }
  for (const f of result.failures) row(`${f.section}: FAILED`, '', f.error.slice(0, 80), null, null);
  return rows;
}

function goalTable(report, rows) {
  const missed = rows.filter((r) => r.met === false && r.why);
  return report.table(
    'Issue 11 goals (the machine is shared: see the load average above)',
    ['Figure', 'goal', 'value', 'ratio to raw', 'met'],
    rows.map((r) => [r.figure, r.goal, r.value, report.times(r.ratio), r.met === null ? '—' : r.met ? 'yes' : `NO: ${r.missedBy ?? 'missed'}`]),
    [
      ...(missed.length ? ['Why the missed figures miss:', ...missed.map((r) => `  ${r.figure}: ${r.why}`)] : []),
      '--details prints the tables behind these figures; test-results/bench.json has them all.',
    ],
  );
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error?.stack ?? error);
    process.exit(1);
  },
);
