import { type BusMessage, type BusSigner, encodeBusMessage } from './bus-message.js';
import type { BusTransport } from './contracts.js';
import type { CacheEventEmitter } from './events.js';
import type { BusOperation } from './invalidation-bus.js';
import { sleep } from './primitives/sleep.js';
import type { BusStats } from './stats.js';

/** What a {@link BusSender} is built from: the bus's options, already checked. */
export interface BusSenderSettings {
  transport: BusTransport;
  channel: string;
  instanceId: string;
  signer: BusSigner | undefined;
  maxQueue: number;
  maxBatch: number;
  /** Bytes of keys and patterns one message carries at most. */
  batchBytes: number;
  /** Receivers reject larger messages: one that would be larger goes out as a `clear` instead. */
  maxMessageBytes: number;
  retryMs: number;
  stats: BusStats;
  events: CacheEventEmitter;
  /** Count and report a failed send. */
  fail: (error: unknown) => void;
}

/**
 * The outgoing side of an `InvalidationBus`: invalidations wait in a set (duplicates coalesce)
 * and go out in batches of up to `maxBatch` keys per message, one message in flight at a time
 * so each sender's order holds; a failed send is retried with the same sequence number. When
 * more than `maxQueue` wait, they become one `clear`: coarser, never lost.
 */
export class BusSender {
  readonly #s: BusSenderSettings;
  /** Invalidations waiting to be sent. */
  readonly #keys = new Set<string>();
  readonly #patterns = new Set<string>();
  /** Tags waiting, and the latest invalidation time of each (a later one covers an earlier one). */
  readonly #tags = new Set<string>();
  readonly #tagTimes = new Map<string, number>();
  #clearPending = false;
  /** The message being sent (kept, with its sequence number, until the transport accepts it). */
  #current: { wire: string; op: string; items: number } | undefined;
  #seq = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #closed = false;

  constructor(settings: BusSenderSettings) {
    this.#s = settings;
  }

  /** Queue an operation; it goes out with the next batch. */
  publish(operation: BusOperation): void {
    if (this.#closed) return;
    if (operation.op === 'clear') {
      this.#coarsen();
    } else if (!this.#clearPending) {
      if (operation.op === 'pattern') this.#patterns.add(operation.pattern);
      else if (operation.op === 'tags') {
        for (const [tag, at] of operation.tags) {
          this.#tags.add(tag);
          this.#tagTimes.set(tag, Math.max(at, this.#tagTimes.get(tag) ?? 0));
        }
      } else for (const key of operation.keys) this.#keys.add(key);
      if (this.#waiting() > this.#s.maxQueue) {
        this.#s.stats.overflows++;
        this.#coarsen();
      }
    }
    this.#s.stats.queued = this.#waiting();
    void this.#drain();
  }

  /** Wait (bounded by the caller) until queued messages are sent. */
  async flush(): Promise<void> {
    while (this.#hasWork() && !this.#closed) {
      await this.#drain();
      if (this.#hasWork()) await sleep(this.#s.retryMs);
    }
  }

  /** Send what waits now (the transport is back), instead of at the next retry. */
  resume(): void {
    if (this.#hasWork()) void this.#drain();
  }

  /** Stop sending; queued messages are dropped. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  /** Replace everything waiting by one `clear` (which covers it all). */
  #coarsen(): void {
    this.#clearPending = true;
    this.#keys.clear();
    this.#patterns.clear();
    this.#tags.clear();
    this.#tagTimes.clear();
  }

  #waiting(): number {
    return this.#keys.size + this.#patterns.size + this.#tags.size + (this.#clearPending ? 1 : 0);
  }

  #hasWork(): boolean {
    return this.#current !== undefined || this.#waiting() > 0;
  }

  /** The next message: a `clear`, or up to `maxBatch` keys and patterns. */
  #take(): { wire: string; op: string; items: number } {
    const message: BusMessage = { v: 2, src: this.#s.instanceId, seq: ++this.#seq };
    let op: string;
    let items: number;
    if (this.#clearPending) {
      this.#clearPending = false;
      message.clear = true;
      op = 'clear';
      items = 1;
    } else {
      // Room for the envelope (version, id, sequence number, signature) under the byte budget.
      const budget = { items: this.#s.maxBatch, bytes: this.#s.batchBytes - 512 };
      const patterns = takeSome(this.#patterns, budget);
      const keys = takeSome(this.#keys, budget);
      // A tag travels as `["<tag>",<time>]`: its time (at most 16 digits) and brackets count too.
      const tags = this.#tags.size > 0 ? takeSome(this.#tags, budget, 20) : [];
      if (keys.length > 0) message.keys = keys;
      if (patterns.length > 0) message.patterns = patterns;
      if (tags.length > 0) {
        message.tags = tags.map((tag) => [tag, this.#tagTimes.get(tag)!]);
        for (const tag of tags) this.#tagTimes.delete(tag);
      }
      op = patterns.length > 0 ? 'pattern' : tags.length > 0 && keys.length === 0 ? 'tags' : 'delete';
      items = keys.length + patterns.length + tags.length;
    }
    const wire = this.#sign(encodeBusMessage(message));
    const max = this.#s.maxMessageBytes;
    if (wire.length * 3 <= max || Buffer.byteLength(wire) <= max) return { wire, op, items };
    // One item over the budget (a key longer than a third of maxMessageBytes): receivers would
    // reject the message, so it goes out as a `clear`, which covers it.
    delete message.keys;
    delete message.patterns;
    delete message.tags;
    message.clear = true;
    return { wire: this.#sign(encodeBusMessage(message)), op: 'clear', items: 1 };
  }

  #sign(body: string): string {
    const signer = this.#s.signer;
    return signer ? signer.sign(this.#s.channel, body) : body;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#drain();
    }, this.#s.retryMs);
    this.#retryTimer.unref();
  }

  #drain(): Promise<void> {
    if (this.#sending) return this.#sending;
    const { stats, events } = this.#s;
    this.#sending = (async () => {
      while (this.#hasWork() && !this.#closed) {
        this.#current ??= this.#take();
        stats.queued = this.#waiting();
        const next = this.#current;
        try {
          // One message at a time: receivers rely on each sender's order (a gap means loss), and
          // concurrent sends may overtake each other on some transports (Kafka producer requests).
          await this.#s.transport.publish(this.#s.channel, next.wire);
        } catch (error) {
          this.#s.fail(error);
          this.#scheduleRetry();
          return;
        }
        this.#current = undefined;
        stats.sent++;
        if (events.has('bus:sent')) events.emit('bus:sent', { op: next.op, items: next.items });
      }
    })().finally(() => {
      this.#sending = undefined;
      stats.queued = this.#waiting() + (this.#current ? 1 : 0);
    });
    return this.#sending;
  }
}

/**
 * Remove and return items of `set`, oldest first, while the budget lasts (each costs one item
 * and its JSON size, plus `extraBytes`); always at least one, so a message is never empty.
 */
function takeSome(set: Set<string>, budget: { items: number; bytes: number }, extraBytes = 0): string[] {
  const out: string[] = [];
  for (const item of set) {
    const bytes = Buffer.byteLength(JSON.stringify(item)) + 1 + extraBytes; // with its quotes, escapes and comma
    if (out.length > 0 && (budget.items < 1 || budget.bytes < bytes)) break;
    if (budget.items < 1) break;
    out.push(item);
    set.delete(item);
    budget.items--;
    budget.bytes -= bytes;
  }
  return out;
}
