/**
 * Where a received message sits in its sender's sequence:
 * - `first`: no state for this sender (new, or forgotten); becomes the baseline;
 * - `next`: exactly the one after the last;
 * - `repeat`: at or a little behind the last (a re-sent or replayed duplicate);
 * - `gap`: ahead by more than one, within `maxJump` (messages were lost);
 * - `jump`: ahead by more than `maxJump` (no sender gets that far between two messages a
 *   receiver sees: forged, or state too old to trust); the sender's state is forgotten;
 * - `behind`: further behind than a duplicate can be (the sender restarted under the same id,
 *   or a forger pushed the state ahead); the message becomes the new baseline.
 */
export type SeqPlacement = 'first' | 'next' | 'repeat' | 'gap' | 'jump' | 'behind';

interface Sender {
  seq: number;
  seenAt: number;
}

/** How far behind the last sequence number a message still counts as a duplicate. */
const REPEAT_WINDOW = 64;

/**
 * The last sequence number of each sender, bounded: past `maxSenders` the least recently heard
 * sender is forgotten (a `Map` keeps insertion order, and every message re-inserts its sender).
 */
export class SenderTable {
  readonly #senders = new Map<string, Sender>();
  readonly #maxSenders: number;
  readonly #maxJump: number;

  constructor(maxSenders: number, maxJump: number) {
    this.#maxSenders = maxSenders;
    this.#maxJump = maxJump;
  }

  /** Senders tracked now. */
  get size(): number {
    return this.#senders.size;
  }

  /**
   * Place `seq` in the sequence of `src` and update the state. `evicted` is the last time the
   * sender pushed out to make room was heard from, when one was.
   */
  observe(src: string, seq: number, now: number): { placement: SeqPlacement; evictedSeenAt?: number } {
    const sender = this.#senders.get(src);
    if (sender === undefined) {
      let evictedSeenAt: number | undefined;
      if (this.#senders.size >= this.#maxSenders) {
        const [oldest, state] = this.#senders.entries().next().value as [string, Sender];
        this.#senders.delete(oldest);
        evictedSeenAt = state.seenAt;
      }
      this.#senders.set(src, { seq, seenAt: now });
      return evictedSeenAt === undefined ? { placement: 'first' } : { placement: 'first', evictedSeenAt };
    }
    // Most recently heard goes last, so the first entry is always the one to evict.
    this.#senders.delete(src);
    this.#senders.set(src, sender);
    sender.seenAt = now;
    const last = sender.seq;
    if (seq === last + 1) {
      sender.seq = seq;
      return { placement: 'next' };
    }
    if (seq <= last && seq > last - REPEAT_WINDOW) return { placement: 'repeat' };
    if (seq > last && seq - last <= this.#maxJump) {
      sender.seq = seq;
      return { placement: 'gap' };
    }
    if (seq > last) {
      this.#senders.delete(src);
      return { placement: 'jump' };
    }
    sender.seq = seq;
    return { placement: 'behind' };
  }
}
