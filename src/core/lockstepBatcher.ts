// Gathers the calls that several concurrent tasks make one at a time into one call per kind,
// so that a batch of N records costs a constant number of round trips instead of N times
// as many. Each task (a participant) runs its own sequential logic against single-item
// functions; a call it makes through the batcher is parked, and when every participant
// that is still running is parked (or done), the parked calls are sent: one `send` per kind,
// with the items in participant order (the order the participants joined in), and each
// participant gets its own item's result back, value or error.
//
// A participant that is busy elsewhere (a call that is not batched, a wait) holds the
// others' parked calls until it parks or finishes; participants run the same steps, so they
// reach each step at about the same time. A participant must not make two batched calls at
// once (each of its calls is awaited before the next), or it would count as parked while
// still running.

/** The outcome of one item of a batched call. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Sends the items of one kind together; resolves with one result per item, in order. */
export type BatchSender<I, R> = (items: readonly I[]) => Promise<ReadonlyArray<Settled<R>>>;

interface Parked {
  participant: number;
  item: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class LockstepBatcher {
  private readonly running = new Set<number>();
  private readonly parked = new Map<number, Parked>();
  private readonly queues = new Map<BatchSender<never, unknown>, Parked[]>();
  private nextParticipant = 0;
  /** Calls sent so far, one per kind per flush (round trips, for the bench and tests). */
  sends = 0;

  /** A new participant; it is running until done() is called. */
  join(): Participant {
    const id = this.nextParticipant++;
    this.running.add(id);
    return {
      call: <I, R>(send: BatchSender<I, R>, item: I): Promise<R> => this.park(id, send, item),
      done: () => {
        this.running.delete(id);
        this.flushWhenAllParked();
      },
    };
  }

  private park<I, R>(participant: number, send: BatchSender<I, R>, item: I): Promise<R> {
    if (!this.running.has(participant)) return Promise.reject(new Error('A participant that is done made a batched call.'));
    if (this.parked.has(participant)) return Promise.reject(new Error('A participant made a second batched call before its first was answered.'));
    return new Promise<R>((resolve, reject) => {
      const entry: Parked = { participant, item, resolve: resolve as (value: unknown) => void, reject };
      this.parked.set(participant, entry);
      const key = send as unknown as BatchSender<never, unknown>;
      const queue = this.queues.get(key) ?? [];
      queue.push(entry);
      this.queues.set(key, queue);
      this.flushWhenAllParked();
    });
  }

  private flushWhenAllParked(): void {
    if (this.parked.size === 0 || this.parked.size < this.running.size) return;
    const queues = [...this.queues];
    this.queues.clear();
    this.parked.clear();
    for (const [send, entries] of queues) {
      entries.sort((a, b) => a.participant - b.participant);
      this.sends += 1;
      void this.deliver(send as BatchSender<unknown, unknown>, entries);
    }
  }

  private async deliver(send: BatchSender<unknown, unknown>, entries: Parked[]): Promise<void> {
    let results: ReadonlyArray<Settled<unknown>>;
    try {
      results = await send(entries.map((entry) => entry.item));
      if (results.length !== entries.length) throw new Error(`A batched call answered ${results.length} items for ${entries.length}.`);
    } catch (error) {
      for (const entry of entries) entry.reject(error);
      return;
    }
    entries.forEach((entry, index) => {
      const result = results[index] as Settled<unknown>;
      if (result.ok) entry.resolve(result.value);
      else entry.reject(result.error);
    });
  }
}

export interface Participant {
  /** Makes one call as part of the next batch of `send`'s kind. */
  call<I, R>(send: BatchSender<I, R>, item: I): Promise<R>;
  /** The participant has finished (or failed); the others no longer wait for it. */
  done(): void;
}

/** Settles each item by calling `one` for it alone: the fallback when a whole batched request failed. */
export async function settleEach<I, R>(items: readonly I[], one: (item: I) => Promise<R>): Promise<Array<Settled<R>>> {
  return Promise.all(
    items.map(async (item): Promise<Settled<R>> => {
      try {
        return { ok: true, value: await one(item) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
}
