// The processor runner the integration and end-to-end tiers share (scripts/lib/processorRunner.mjs)
// always runs the bundle of the current sources: it builds dist/processor.js before each start,
// says which bundle it loaded, and a runner left running from other sources is replaced rather
// than reused. Against the local stack, with the real background runner.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { localStack, type StackEnv } from '../support/localStack';

import type * as ProcessorRunnerModule from '../../scripts/lib/processorRunner.mjs' with { 'resolution-mode': 'import' };

/** Whether a process runs (a zombie does not: the runner is this process's detached child). */
function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

describe('the processor runner', function () {
  this.timeout(180_000);
  let env: StackEnv;
  let runner: typeof ProcessorRunnerModule;
  let wasRunning = false;

  before(async function () {
    env = (await localStack()).env;
    runner = await import('../../scripts/lib/processorRunner.mjs');
    wasRunning = runner.processorRunnerStatus().running;
  });

  after(async function () {
    // Leave it as found: a runner (of the current sources) if one ran, none otherwise.
    if (!wasRunning) await runner.stopProcessorRunner();
  });

  it('runs the bundle just built from the current sources, and says so when ready', async function () {
    const started = await runner.startProcessorRunner(env);
    const current = runner.bundleSha256();
    assert.match(current ?? '', /^[0-9a-f]{64}$/, 'dist/processor.js was built');
    const status = runner.processorRunnerStatus();
    assert.equal(status.running, true);
    assert.equal(status.pid, started.pid);
    assert.equal(status.bundleSha256, current, 'the runner loaded the bundle built from the current sources');
    const ready = readFileSync(status.logFile, 'utf8').split('\n').filter((line) => line.includes('"msg":"runner ready"') && line.includes(`"pid":${started.pid}`));
    assert.equal(ready.length, 1, 'one ready line of this runner');
    assert.equal((JSON.parse(ready[0] ?? '{}') as { bundle_sha256?: string }).bundle_sha256, current);
  });

  it('replaces a running runner of other sources, and keeps one of the current sources', async function () {
    const before = await runner.startProcessorRunner(env);
    // What a runner started before the sources changed has on record: another bundle.
    writeFileSync(runner.processorRunnerStatus().bundleFile, `${'0'.repeat(64)}\n`);

    const replaced = await runner.startProcessorRunner(env);
    assert.equal(replaced.alreadyRunning, false, 'the stale runner was not reused');
    assert.equal(replaced.restartedStale, true);
    assert.notEqual(replaced.pid, before.pid);
    assert.equal(alive(before.pid), false, 'the stale runner was stopped');
    assert.equal(runner.processorRunnerStatus().bundleSha256, runner.bundleSha256());

    const kept = await runner.startProcessorRunner(env);
    assert.equal(kept.alreadyRunning, true, 'a runner of the current sources is kept');
    assert.equal(kept.pid, replaced.pid);
  });
});
