// The lockstep batcher on its own: calls of running participants are sent together once
// every running participant is parked, in participant order, each result to its own caller.
import assert from 'node:assert/strict';
import { LockstepBatcher, settleEach, type BatchSender, type Settled } from '../../src/core/lockstepBatcher';

/** A sender that records each batch it is given and answers `answer(item)` per item. */
function recordingSender<I, R>(answer: (item: I) => Settled<R>): BatchSender<I, R> & { batches: I[][] } {
  const batches: I[][] = [];
  const send = async (items: readonly I[]) => {
    batches.push([...items]);
    await new Promise((resolve) => setImmediate(resolve));
    return items.map(answer);
  };
  return Object.assign(send, { batches });
}

describe('LockstepBatcher', () => {
  it('sends the calls of every running participant together, step by step, in the order the participants joined', async () => {
    const batcher = new LockstepBatcher();
    const read = recordingSender<string, string>((item) => ({ ok: true, value: `read ${item}` }));
    const write = recordingSender<string, string>((item) => ({ ok: true, value: `wrote ${item}` }));
    const participants = ['a', 'b', 'c'].map((name) => ({ name, participant: batcher.join() }));
    const results = await Promise.all(
      // Joined a, b, c; the calls are made c first: the batch is still in join order.
      [...participants].reverse().map(async ({ name, participant }) => {
        const got = await participant.call(read, name);
        const put = await participant.call(write, name);
        participant.done();
        return [got, put];
      }),
    );
    assert.deepEqual(read.batches, [['a', 'b', 'c']]);
    assert.deepEqual(write.batches, [['a', 'b', 'c']]);
    assert.deepEqual(results, [
      ['read c', 'wrote c'],
      ['read b', 'wrote b'],
      ['read a', 'wrote a'],
    ]);
    assert.equal(batcher.sends, 2);
  });

  it('waits for a participant busy elsewhere, and stops waiting for one that is done', async () => {
    const batcher = new LockstepBatcher();
    const read = recordingSender<string, string>((item) => ({ ok: true, value: item }));
    const fast = batcher.join();
    const slow = batcher.join();
    const quitter = batcher.join();
    let release: () => void = () => undefined;
    const busy = new Promise<void>((resolve) => (release = resolve));
    const fastDone = fast.call(read, 'fast');
    const slowDone = (async () => {
      await busy; // an STS round trip, say
      return slow.call(read, 'slow');
    })();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(read.batches, [], 'nothing is sent while a participant is still running');
    quitter.done();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(read.batches, [], 'the busy participant is still awaited');
    release();
    assert.deepEqual(await Promise.all([fastDone, slowDone]), ['fast', 'slow']);
    assert.deepEqual(read.batches, [['fast', 'slow']]);
  });

  it("gives each participant its own item's error, and every participant the error of a call that failed as a whole", async () => {
    const batcher = new LockstepBatcher();
    const flaky = recordingSender<number, number>((item) => (item === 2 ? { ok: false, error: new Error('item 2 failed') } : { ok: true, value: item * 10 }));
    const [one, two, three] = [batcher.join(), batcher.join(), batcher.join()];
    const settled = await Promise.allSettled([one.call(flaky, 1), two.call(flaky, 2), three.call(flaky, 3)]);
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
      [10, 'item 2 failed', 30],
    );
    const down: BatchSender<number, number> = () => Promise.reject(new Error('connect ECONNREFUSED'));
    const whole = await Promise.allSettled([one.call(down, 1), two.call(down, 2), three.call(down, 3)]);
    assert.deepEqual(whole.map((s) => s.status), ['rejected', 'rejected', 'rejected']);
  });

  it('refuses a second call from a participant whose first is not answered, and calls after done', async () => {
    const batcher = new LockstepBatcher();
    const read = recordingSender<number, number>((item) => ({ ok: true, value: item }));
    const participant = batcher.join();
    batcher.join(); // another, still running: the first call stays parked
    const first = participant.call(read, 1);
    await assert.rejects(participant.call(read, 2), /second batched call/);
    participant.done();
    await assert.rejects(participant.call(read, 3), /is done/);
    void first.catch(() => undefined);
  });

  it('settleEach settles every item alone', async () => {
    const settled = await settleEach([1, 2, 3], (item) => (item === 2 ? Promise.reject(new Error('no')) : Promise.resolve(item)));
    assert.deepEqual(settled.map((s) => s.ok), [true, false, true]);
  });
});
