import { hasMethods, OptionReader } from './adapter-kit/options.js';
import { type BusMessageLimits, type BusRejectReason, BusSigner, decodeBusMessage } from './bus-message.js';
import { BusSender } from './bus-sender.js';
import type { BusTransport, BusTransportStatus } from './contracts.js';
import type { CacheEventEmitter } from './events.js';
import { redactSecrets } from './redact.js';
import { SenderTable } from './sender-table.js';
import type { BusStats } from './stats.js';

/** What a bus message asks other instances to do with their local (in-process) tiers. */
export type BusOperation =
  | { op: 'delete'; keys: string[] }
  | { op: 'set'; keys: string[] }
  | { op: 'pattern'; pattern: string }
  | { op: 'clear' }
  /** Tag invalidations: `[tag, wall-clock ms]` pairs (entries with these tags written at or before then are misses). */
  | { op: 'tags'; tags: [string, number][] };

/** Options for the invalidation bus of a `TieredCache`. */
export interface BusOptions {
  /** How messages travel: Redis pub/sub, a stream (`StreamBusTransport`), or your own. */
  transport: BusTransport;
  /** Channel (or stream) name shared by every instance of one cache. Default `"tiercache-bus"` (a name every transport accepts, Kafka topics included). */
  channel?: string;
  /**
   * Invalidations (distinct keys and patterns) waiting to be sent, e.g. while the transport is
   * down. Past it they are replaced by one `clear`, so nothing is lost, only coarsened. Default 100 000.
   */
  maxQueue?: number;
  /** Delay between re-send attempts, ms. Default 500. */
  retryMs?: number;
  /**
   * Keys and patterns sent in one message at most. Default 5000. A message also stays under
   * 256 KiB (and under `maxMessageBytes`), whatever the count.
   */
  maxBatch?: number;
  /**
   * Shared secret for message authentication (HMAC-SHA256 over channel and message), at least
   * 16 bytes. Every instance signs what it sends and drops what no key verifies. To rotate,
   * pass `[newSecret, oldSecret]` (signs with the first, accepts both) on every instance, then
   * `newSecret` alone. Default: none (any publisher on the channel is believed; see docs/security.md).
   */
  secret?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Larger received messages are rejected unread; give every instance the same value. Default 1 MiB, at least 16 KiB. */
  maxMessageBytes?: number;
  /** Senders whose sequence numbers are tracked; past it the least recently heard is forgotten. Default 1024. */
  maxSenders?: number;
  /**
   * A sequence number further ahead of the sender's last than this is rejected (and the local
   * tiers cleared, since it may also mean a long outage). Default 100 000.
   */
  maxSeqJump?: number;
}

/** Every key of {@link BusOptions} (anything else is refused with a did-you-mean). */
const BUS_OPTION_KEYS = [
  'transport',
  'channel',
  'maxQueue',
  'retryMs',
  'maxBatch',
  'secret',
  'maxMessageBytes',
  'maxSenders',
  'maxSeqJump',
] as const satisfies readonly (keyof BusOptions)[];

/** What the bus needs from its cache. */
export interface BusTarget {
  /** Apply another instance's operation to the local tiers. */
  apply(operation: BusOperation): Promise<void> | void;
  /** Messages may have been lost: drop every local entry. */
  resync(reason: string): Promise<void> | void;
}

/** A sender pushed out of the table within this long of its last message was still active. */
const ACTIVE_SENDER_MS = 60_000;

/**
 * Cross-instance invalidation. Every message carries the sender's id and a per-sender
 * sequence number, so a receiver can tell when it missed messages (pub/sub is at-most-once;
 * a stream can be trimmed) and then clears its local tiers instead of serving stale entries.
 *
 * Sending ({@link BusSender}): invalidations wait in a set (duplicates coalesce) and go out in
 * batches of up to `maxBatch` keys per message, one message in flight at a time so each sender's
 * order holds; a failed send is retried with the same sequence number. When more than `maxQueue`
 * wait, they become one `clear`: coarser, never lost.
 *
 * Receiving: a message is untrusted input. It is checked against the format (and its signature
 * with `secret`) before anything acts on it; a failure is dropped and counted (`bus.rejected`,
 * `bus:rejected`), never thrown. A message that cannot be placed in its sender's sequence (a
 * gap, a jump, a sender gone backwards) clears the local tiers; so a forged message can at
 * worst cost L1 hits, never make an instance ignore another's invalidations.
 */
export class InvalidationBus {
  readonly instanceId: string;
  readonly channel: string;
  readonly #transport: BusTransport;
  readonly #target: BusTarget;
  readonly #stats: BusStats;
  readonly #events: CacheEventEmitter;
  readonly #limits: BusMessageLimits;
  readonly #signer: BusSigner | undefined;
  readonly #senders: SenderTable;
  readonly #sender: BusSender;
  #down = false;

  constructor(
    options: BusOptions,
    instanceId: string,
    target: BusTarget,
    stats: BusStats,
    events: CacheEventEmitter,
  ) {
    const read = new OptionReader<BusOptions>('TieredCache bus', options, BUS_OPTION_KEYS);
    this.#transport = options.transport;
    this.channel = read.string('channel', 'tiercache-bus');
    const maxQueue = read.integer('maxQueue', 2, 100_000);
    const maxBatch = read.integer('maxBatch', 1, 5000);
    const retryMs = read.number('retryMs', { min: 0, exclusive: true }, 500);
    const t = options.transport;
    if (!hasMethods(t, ['publish', 'subscribe', 'close'])) {
      throw read.error('transport', 'a BusTransport (publish, subscribe, close)', t);
    }
    this.#limits = {
      maxMessageBytes: read.integer('maxMessageBytes', 16 * 1024, 1024 * 1024),
      // A receiver accepts the largest batch any sender may be configured with.
      maxItems: Math.max(10_000, maxBatch),
    };
    this.#senders = new SenderTable(
      read.integer('maxSenders', 1, 1024),
      read.integer('maxSeqJump', 1, 100_000),
    );
    this.#signer = options.secret === undefined ? undefined : new BusSigner(options.secret);
    this.instanceId = instanceId;
    this.#target = target;
    this.#stats = stats;
    this.#events = events;
    this.#sender = new BusSender({
      transport: this.#transport,
      channel: this.channel,
      instanceId,
      signer: this.#signer,
      maxQueue,
      maxBatch,
      batchBytes: Math.min(256 * 1024, this.#limits.maxMessageBytes),
      maxMessageBytes: this.#limits.maxMessageBytes,
      retryMs,
      stats,
      events,
      fail: (error) => this.#fail(error),
    });
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
   * Queue an operation for every other instance; it goes out with the next batch. Never
   * rejects: a failed send is retried, and counted in `bus.errors`. Resolves at once (use
   * {@link InvalidationBus.flush} to wait for sending), so callers keep nothing per call.
   */
  publish(operation: BusOperation): Promise<void> {
    this.#sender.publish(operation);
    return Promise.resolve();
  }

  /** Wait (bounded by the caller) until queued messages are sent. */
  flush(): Promise<void> {
    return this.#sender.flush();
  }

  /** Stop receiving and sending; queued messages are dropped. */
  async close(): Promise<void> {
    this.#sender.close();
    await this.#transport.close();
  }

  #fail(error: unknown): void {
    this.#stats.errors++;
    if (this.#events.has('bus:error')) this.#events.emit('bus:error', { error: redactSecrets(error) });
  }

  #reject(reason: BusRejectReason, from: string | undefined): void {
    this.#stats.rejected++;
    if (this.#events.has('bus:rejected')) this.#events.emit('bus:rejected', { reason, from });
  }

  /** Called by the transport for every message; never throws, whatever arrives. */
  #receive(raw: unknown): void {
    try {
      this.#accept(raw);
    } catch (error) {
      // Only a bug can get here (the message was checked); count it rather than kill the transport.
      this.#fail(error);
    }
  }

  #accept(raw: unknown): void {
    const decoded = decodeBusMessage(raw, this.channel, this.#limits, this.#signer);
    if (!decoded.ok) {
      this.#reject(decoded.reason, decoded.src);
      return;
    }
    const message = decoded.message;
    if (message.src === this.instanceId) return;
    this.#stats.received++;
    const now = Date.now();
    const { placement, evictedSeenAt } = this.#senders.observe(message.src, message.seq, now);
    this.#stats.senders = this.#senders.size;
    if (evictedSeenAt !== undefined && now - evictedSeenAt < ACTIVE_SENDER_MS) {
      // An active sender was forgotten: a loss from it right now could go unnoticed.
      this.#resync(`more than ${this.#stats.senders} active senders (raise bus.maxSenders)`);
      return;
    }
    if (placement === 'gap') {
      this.#resync(`missed message(s) from ${message.src}`);
      return;
    }
    if (placement === 'jump') {
      this.#reject('seq-jump', message.src);
      this.#resync(`sequence number of ${message.src} jumped too far ahead`);
      return;
    }
    if (placement === 'behind') {
      this.#resync(`sequence number of ${message.src} went backwards`);
      return;
    }
    // first, next, repeat: removing entries twice is harmless, so duplicates are applied too.
    if (message.clear) this.#apply({ op: 'clear' }, message.src);
    else {
      if (message.keys) this.#apply({ op: 'delete', keys: message.keys }, message.src);
      if (message.patterns) {
        for (const pattern of message.patterns) this.#apply({ op: 'pattern', pattern }, message.src);
      }
      if (message.tags) this.#apply({ op: 'tags', tags: message.tags }, message.src);
    }
  }

  #apply(operation: BusOperation, from: string): void {
    if (this.#events.has('bus:received')) this.#events.emit('bus:received', { op: operation.op, from });
    const result = this.#callTarget(() => this.#target.apply(operation));
    if (result === undefined) return;
    const count =
      operation.op === 'delete' || operation.op === 'set'
        ? operation.keys.length
        : operation.op === 'tags'
          ? operation.tags.length
          : 1;
    result.then(
      () => {
        this.#stats.applied += count;
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
      this.#sender.resume();
    } else if (status.kind === 'resync') {
      this.#resync(status.reason);
    }
  }

  #resync(reason: string): void {
    this.#stats.resyncs++;
    if (this.#events.has('bus:resync')) this.#events.emit('bus:resync', { reason });
    this.#callTarget(() => this.#target.resync(reason))?.catch((error: unknown) => this.#fail(error));
  }

  /** Call the target (its `apply` or `resync`); a synchronous throw is reported and gives `undefined`. */
  #callTarget(call: () => Promise<void> | void): Promise<void> | undefined {
    try {
      return Promise.resolve(call());
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }
}
