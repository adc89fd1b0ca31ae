import assert from 'node:assert/strict';
import { retryDelays, withRetries } from '../../src/core/backoff';

describe('retryDelays', () => {
  it('gives one delay fewer than attempts, each below base·2^i capped at max (full jitter)', () => {
    assert.deepEqual(retryDelays(5, 100, 1000, () => 0.999999), [99, 199, 399, 799]);
    assert.deepEqual(retryDelays(7, 100, 1000, () => 0.5), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual(retryDelays(4, 100, 1000, () => 0), [0, 0, 0]);
  });

  it('stays in range for any random source, even one out of [0, 1)', () => {
    assert.deepEqual(retryDelays(3, 100, 1000, () => 1), [99, 199]);
    assert.deepEqual(retryDelays(3, 100, 1000, () => -5), [0, 0]);
  });

  it('has no delays for one attempt or fewer', () => {
    assert.deepEqual(retryDelays(1, 100, 1000), []);
    assert.deepEqual(retryDelays(0, 100, 1000), []);
  });

  it('spreads delays out with Math.random', () => {
    const delays = Array.from({ length: 200 }, () => retryDelays(2, 1000, 1000)[0] ?? -1);
    assert.ok(delays.every((d) => d >= 0 && d < 1000));
    assert.ok(new Set(delays).size > 50);
  });
});

describe('withRetries', () => {
  const noSleep = (): Promise<void> => Promise.resolve();

  it('returns the first success, telling fn which try it is', async () => {
    const tries: number[] = [];
    const result = await withRetries(
      (attempt) => {
        tries.push(attempt);
        return attempt < 3 ? Promise.reject(new Error('busy')) : Promise.resolve('ok');
      },
      { attempts: 5, isRetryable: () => true, sleep: noSleep },
    );
    assert.equal(result, 'ok');
    assert.deepEqual(tries, [1, 2, 3]);
  });

  it('sleeps the jittered delays between tries', async () => {
    const slept: number[] = [];
    const retried: Array<[number, number]> = [];
    await assert.rejects(
      withRetries(() => Promise.reject(new Error('busy')), {
        attempts: 4,
        baseMs: 100,
        maxMs: 1000,
        random: () => 0.5,
        isRetryable: () => true,
        sleep: (ms) => {
          slept.push(ms);
          return Promise.resolve();
        },
        onRetry: (_error, attempt, delay) => retried.push([attempt, delay]),
      }),
      /busy/,
    );
    assert.deepEqual(slept, [50, 100, 200]);
    assert.deepEqual(retried, [[1, 50], [2, 100], [3, 200]]);
  });

  it('rethrows at once, unchanged, what is not retryable', async () => {
    const error = new Error('denied');
    let calls = 0;
    await assert.rejects(
      withRetries(
        () => {
          calls += 1;
          return Promise.reject(error);
        },
        { attempts: 5, isRetryable: (e) => e !== error, sleep: noSleep },
      ),
      (thrown) => thrown === error,
    );
    assert.equal(calls, 1);
  });

  it('rethrows the last failure when the tries run out', async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        () => {
          calls += 1;
          return Promise.reject(new Error(`failure ${calls}`));
        },
        { attempts: 3, isRetryable: () => true, sleep: noSleep },
      ),
      /failure 3/,
    );
    assert.equal(calls, 3);
  });

  it('tries once when attempts is 0 or less', async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        () => {
          calls += 1;
          return Promise.reject(new Error('x'));
        },
        { attempts: 0, isRetryable: () => true, sleep: noSleep },
      ),
    );
    assert.equal(calls, 1);
  });

  it('really waits with the default sleep: a timer due sooner fires before the retry', async () => {
    // Timers fire in the order they are due, so this orders the retry after a 20 ms timer
    // without measuring time: the retry's delay here is 0.999 × 40 ms.
    let soonerFired = false;
    const sooner = setTimeout(() => { soonerFired = true; }, 20);
    const firedBeforeEachCall: boolean[] = [];
    const result = await withRetries(
      () => {
        firedBeforeEachCall.push(soonerFired);
        return firedBeforeEachCall.length === 1 ? Promise.reject(new Error('once')) : Promise.resolve(firedBeforeEachCall.length);
      },
      { attempts: 2, baseMs: 40, maxMs: 40, random: () => 0.999, isRetryable: () => true },
    );
    clearTimeout(sooner);
    assert.equal(result, 2);
    assert.deepEqual(firedBeforeEachCall, [false, true], 'the first call at once, the retry after the sooner timer');
  });
});
