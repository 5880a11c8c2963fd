import type { BusTransport, BusTransportStatus } from './contracts.js';
import { InvalidOptionError } from './errors.js';
import type { CacheEventEmitter } from './events.js';
import { sleep } from './primitives/sleep.js';
import type { BusStats } from './stats.js';

/** What a bus message asks other instances to do with their local (in-process) tiers. */
export type BusOperation =
  | { op: 'delete'; keys: string[] }
  | { op: 'set'; keys: string[] }
  | { op: 'pattern'; pattern: string }
  | { op: 'clear' };

/** A message on the wire: the operation plus its sender and the sender's sequence number. */
export type BusMessage = BusOperation & {
  v: 1;
  src: string;
  seq: number;
  /** How many of its messages the sender has dropped so far (queue overflow); a rise means loss. */
  dropped?: number;
};

/** Options for the invalidation bus of a `TieredCache`. */
export interface BusOptions {
  /** How messages travel: Redis pub/sub, a stream (`StreamBusTransport`), or your own. */
  transport: BusTransport;
  /** Channel (or stream) name shared by every instance of one cache. Default `"tiercache-bus"` (a name every transport accepts, Kafka topics included). */
  channel?: string;
  /** Messages kept for re-sending while the transport is down; older ones are dropped (and receivers resync). Default 1000. */
  maxQueue?: number;
  /** Delay between re-send attempts, ms. Default 500. */
  retryMs?: number;
}

/** What the bus needs from its cache. */
export interface BusTarget {
  /** Apply another instance's operation to the local tiers. */
  apply(operation: BusOperation): Promise<void> | void;
  /** Messages may have been lost: drop every local entry. */
  resync(reason: string): Promise<void> | void;
}

/**
 * Cross-instance invalidation. Every message carries the sender's id and a per-sender
 * sequence number, so a receiver can tell when it missed messages (pub/sub is at-most-once;
 * a stream can be trimmed) and then clears its local tiers instead of serving stale entries.
 * Messages that cannot be sent are queued (bounded) and re-sent in order.
 */
export class InvalidationBus {
  readonly instanceId: string;
  readonly channel: string;
  readonly #transport: BusTransport;
  readonly #target: BusTarget;
  readonly #stats: BusStats;
  readonly #events: CacheEventEmitter;
  readonly #maxQueue: number;
  readonly #retryMs: number;
  readonly #lastSeq = new Map<string, number>();
  readonly #queue: BusMessage[] = [];
  #seq = 0;
  #dropped = 0;
  /** Per sender: the last `dropped` count seen. */
  readonly #lastDropped = new Map<string, number>();
  #retryTimer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #down = false;
  #closed = false;

  constructor(
    options: BusOptions,
    instanceId: string,
    target: BusTarget,
    stats: BusStats,
    events: CacheEventEmitter,
  ) {
    this.#transport = options.transport;
    this.channel = options.channel ?? 'tiercache-bus';
    this.#maxQueue = options.maxQueue ?? 1000;
    this.#retryMs = options.retryMs ?? 500;
    if (!Number.isInteger(this.#maxQueue) || this.#maxQueue < 2) {
      throw new InvalidOptionError(
        `bus.maxQueue must be a whole number >= 2, got ${String(options.maxQueue)}`,
      );
    }
    if (typeof this.#retryMs !== 'number' || !Number.isFinite(this.#retryMs) || this.#retryMs <= 0) {
      throw new InvalidOptionError(
        `bus.retryMs must be a number of milliseconds > 0, got ${String(options.retryMs)}`,
      );
    }
    if (typeof this.channel !== 'string' || this.channel.length === 0) {
      throw new InvalidOptionError('bus.channel must be a non-empty string');
    }
    const t = options.transport;
    if (
      typeof t?.publish !== 'function' ||
      typeof t.subscribe !== 'function' ||
      typeof t.close !== 'function'
    ) {
      throw new InvalidOptionError('bus.transport must be a BusTransport (publish, subscribe, close)');
    }
    this.instanceId = instanceId;
    this.#target = target;
    this.#stats = stats;
    this.#events = events;
  }

  /** Subscribe; resolves once messages are being received. */
  start(): Promise<void> {
    return this.#transport.subscribe(
      this.channel,
      (raw) => this.#receive(raw),
      (status) => this.#status(status),
    );
  }

  /**
   * Send an operation to every other instance. Never rejects: a failed send is queued and
   * retried, and counted in `bus.errors`.
   */
  publish(operation: BusOperation): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const message: BusMessage = {
      ...operation,
      v: 1,
      src: this.instanceId,
      seq: ++this.#seq,
    };
    // Every message goes through the queue and is sent one at a time: receivers rely on each
    // sender's order (a gap means loss), and concurrent sends may overtake each other on some
    // transports (Kafka producer requests).
    this.#enqueue(message);
    return this.#drain();
  }

  /** Wait (bounded by the caller) until queued messages are sent. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      await this.#drain();
      if (this.#queue.length > 0) await sleep(this.#retryMs);
    }
  }

  /** Stop receiving and sending; queued messages are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#transport.close();
  }

  #enqueue(item: BusMessage): void {
    if (this.#queue.length >= this.#maxQueue) {
      // Drop the oldest message not being sent right now; receivers see the gap and resync.
      this.#queue.splice(this.#sending ? 1 : 0, 1);
      this.#dropped++;
    }
    this.#queue.push(item);
    this.#stats.queued = this.#queue.length;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#drain();
    }, this.#retryMs);
    this.#retryTimer.unref();
  }

  #drain(): Promise<void> {
    if (this.#sending) return this.#sending;
    this.#sending = (async () => {
      while (this.#queue.length > 0 && !this.#closed) {
        const next = this.#queue[0]!;
        try {
          // Serialized at send time, so it carries the sender's latest `dropped` count.
          await this.#transport.publish(this.channel, JSON.stringify({ ...next, dropped: this.#dropped }));
        } catch (error) {
          this.#fail(error);
          this.#scheduleRetry();
          return;
        }
        this.#queue.shift();
        this.#stats.sent++;
        this.#stats.queued = this.#queue.length;
        if (this.#events.has('bus:sent')) this.#events.emit('bus:sent', { op: next.op });
      }
    })().finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  #fail(error: unknown): void {
    this.#stats.errors++;
    if (this.#events.has('bus:error')) this.#events.emit('bus:error', { error });
  }

  #receive(raw: string): void {
    let message: BusMessage;
    try {
      message = JSON.parse(raw) as BusMessage;
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (message.src === this.instanceId) return;
    this.#stats.received++;
    // A sender that dropped messages (its queue overflowed) may have dropped some before the
    // first one this instance saw: sequence numbers alone cannot show that.
    const dropped = message.dropped ?? 0;
    const lastDropped = this.#lastDropped.get(message.src) ?? 0;
    this.#lastDropped.set(message.src, Math.max(dropped, lastDropped));
    const lostBySender = dropped > lastDropped;
    const last = this.#lastSeq.get(message.src);
    if (last !== undefined && message.seq <= last) return; // a replayed duplicate
    this.#lastSeq.set(message.src, message.seq);
    if (last !== undefined && message.seq > last + 1) {
      this.#resync(`missed ${message.seq - last - 1} message(s) from ${message.src}`);
      return;
    }
    if (lostBySender) {
      this.#resync(`${message.src} dropped ${dropped - lastDropped} message(s) it could not send`);
      return;
    }
    if (this.#events.has('bus:received'))
      this.#events.emit('bus:received', { op: message.op, from: message.src });
    Promise.resolve(this.#target.apply(message)).then(
      () => {
        this.#stats.applied++;
      },
      (error: unknown) => this.#fail(error),
    );
  }

  #status(status: BusTransportStatus): void {
    if (status.kind === 'disconnected') {
      if (!this.#down) this.#fail(status.error ?? new Error('bus transport disconnected'));
      this.#down = true;
    } else if (status.kind === 'connected') {
      if (this.#down && !this.#transport.replays) {
        this.#resync('transport reconnected and cannot replay what was missed');
      }
      this.#down = false;
      if (this.#queue.length > 0) void this.#drain();
    }
  }

  #resync(reason: string): void {
    this.#stats.resyncs++;
    if (this.#events.has('bus:resync')) this.#events.emit('bus:resync', { reason });
    Promise.resolve(this.#target.resync(reason)).catch((error: unknown) => this.#fail(error));
  }
}
