import {
  type BusTransport,
  type BusTransportStatus,
  boundedCall,
  InvalidOptionError,
  redactSecrets,
} from '@tiercache/core';
import {
  ClosedGuard,
  closeOwned,
  rejectUnknownKeys,
  renamedOptions,
  usedName,
  wholeNumber,
} from '@tiercache/core/adapter';
import type { Cluster, Redis } from 'ioredis';
import {
  closeClient,
  connectionErrorReporter,
  isIoredisTimeout,
  isRedisCluster,
  type RedisClient,
  type RedisConnectionOptions,
  resolveClient,
  validateConnection,
} from './connection.js';

/** Options for {@link RedisPubSubTransport}. */
export interface RedisPubSubTransportOptions
  extends Pick<RedisConnectionOptions, 'client' | 'url' | 'redis' | 'cluster'> {
  /** Transport name in bus stats. Default `"redis-pubsub"`. */
  name?: string;
  /** Upper bound for PUBLISH and (UN)SUBSCRIBE, in ms. Default 1000. */
  timeoutMs?: number;
  /** @deprecated the old name of `timeoutMs`; kept for one minor release. */
  commandTimeoutMs?: number;
  /** Told about connection errors of the connections we created. Must not throw. */
  onError?: (error: Error) => void;
}

interface Subscription {
  onMessage: (message: string) => void;
  onStatus: ((status: BusTransportStatus) => void) | undefined;
}

const WHAT = 'RedisPubSubTransport';

/**
 * A {@link BusTransport} over Redis pub/sub. Publishing uses a normal connection; receiving
 * uses a dedicated subscriber connection (a subscribed Redis connection can do nothing else).
 *
 * Delivery is at most once: a message published while the subscriber is disconnected is
 * lost. The transport reports `disconnected` when the subscriber connection drops and
 * `connected` once it is back and subscribed again, so the bus can react (e.g. drop L1).
 *
 * On a Redis Cluster (`cluster`, or a `Cluster` as `client`) it uses classic pub/sub, which
 * Redis forwards to every node: PUBLISH goes through the Cluster, and the subscriber is one
 * plain connection to one node, duplicated from the Cluster's own connection to it. When that
 * node goes away the transport reports `disconnected`, moves to the next node the Cluster
 * knows, subscribes again and reports `connected` (ioredis' own cluster subscriber would move
 * silently, and the bus would never learn it missed messages).
 */
export class RedisPubSubTransport implements BusTransport {
  readonly name: string;
  readonly #publisher: RedisClient;
  readonly #ownsPublisher: boolean;
  #subscriber: RedisClient | undefined;
  readonly #cluster: Cluster | undefined;
  /** Which of the Cluster's nodes the next cluster subscriber connects to (round robin). */
  #nextNode = 0;
  readonly #report: (error: Error) => void;
  readonly #timeoutMs: number;
  readonly #channels = new Map<string, Set<Subscription>>();
  /** The SUBSCRIBE of each channel, settled once the server has confirmed it. */
  readonly #active = new Map<string, Promise<void>>();
  #connected = false;
  /** `disconnected` was reported and `connected` not yet. */
  #down = false;
  readonly #closed: ClosedGuard;
  #lastError: Error | undefined;

  constructor(options: RedisPubSubTransportOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`${WHAT} needs an options object, e.g. { url: "redis://127.0.0.1:6379" }`);
    }
    rejectUnknownKeys(WHAT, options, [
      'client',
      'url',
      'redis',
      'cluster',
      'name',
      'timeoutMs',
      'commandTimeoutMs',
      'onError',
    ]);
    const timeoutName = usedName(options, 'timeoutMs', 'commandTimeoutMs');
    options = renamedOptions(WHAT, options, { commandTimeoutMs: 'timeoutMs' });
    validateConnection(WHAT, options);
    this.name = options.name ?? 'redis-pubsub';
    this.#closed = new ClosedGuard(`${WHAT} "${this.name}"`);
    this.#timeoutMs = wholeNumber(WHAT, timeoutName, options.timeoutMs, 1, 1000);
    const report = connectionErrorReporter(options.onError);
    this.#report = report;
    const { client, owned } = resolveClient(options, {
      commandTimeoutMs: this.#timeoutMs,
      enableAutoPipelining: true,
      onConnectionError: report,
    });
    this.#publisher = client;
    this.#ownsPublisher = owned;
    // A subscribed connection blocks ordinary commands, so it must never be the shared one.
    // No commandTimeout on it: it waits for messages indefinitely by design. On a Cluster the
    // subscriber is made on first subscribe, once the Cluster knows its nodes.
    this.#cluster = isRedisCluster(client) ? client : undefined;
    if (!this.#cluster) this.#attach((client as Redis).duplicate({ commandTimeout: undefined }));
  }

  #attach(subscriber: RedisClient): RedisClient {
    this.#subscriber = subscriber;
    subscriber.on('error', (error: Error) => {
      this.#lastError = redactSecrets(error);
      this.#report(error);
    });
    subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    subscriber.on('close', () => this.#onClose());
    subscriber.on('ready', () => this.#onReady());
    return subscriber;
  }

  /** The subscriber connection: on a Cluster, made (or remade after its node went away) here. */
  async #subscriberConnection(): Promise<RedisClient> {
    if (this.#subscriber) return this.#subscriber;
    const cluster = this.#cluster as Cluster;
    // A Cluster that is still connecting knows no node yet; PING waits until it does.
    if (cluster.nodes().length === 0) {
      await boundedCall(this.name, 'subscribe', this.#timeoutMs, cluster.ping(), isIoredisTimeout);
    }
    if (this.#subscriber) return this.#subscriber;
    const nodes = cluster.nodes();
    const node = nodes[this.#nextNode++ % nodes.length] as Redis;
    // Not reconnected: if its node goes away for good, the next one in the Cluster takes over.
    const subscriber = node.duplicate({
      commandTimeout: undefined,
      lazyConnect: false,
      readOnly: false,
      retryStrategy: () => null,
    });
    subscriber.once('end', () => {
      if (this.#subscriber !== subscriber) return;
      this.#subscriber = undefined;
      if (this.#closed.closed || this.#channels.size === 0) return;
      setTimeout(() => this.#resubscribeElsewhere(), 100).unref();
    });
    return this.#attach(subscriber);
  }

  /** After a cluster subscriber's node went away: subscribe again through the next node. */
  #resubscribeElsewhere(): void {
    if (this.#closed.closed || this.#subscriber) return;
    this.#subscriberConnection().then(
      // Its "ready" subscribes to every channel and reports "connected".
      () => undefined,
      // The Cluster is down as a whole: try again until it is back or we are closed.
      () => setTimeout(() => this.#resubscribeElsewhere(), 500).unref(),
    );
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#closed.check();
    await boundedCall(
      this.name,
      'publish',
      this.#timeoutMs,
      this.#publisher.publish(channel, message),
      isIoredisTimeout,
    );
  }

  async subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onStatus?: (status: BusTransportStatus) => void,
  ): Promise<void> {
    this.#closed.check();
    let subs = this.#channels.get(channel);
    if (!subs) {
      subs = new Set();
      this.#channels.set(channel, subs);
    }
    const sub: Subscription = { onMessage, onStatus };
    subs.add(sub);
    // Later subscribers to a channel wait for the same SUBSCRIBE, so each resolves only once
    // the server has confirmed it.
    let active = this.#active.get(channel);
    if (!active) {
      active = this.#subscriberConnection()
        .then((subscriber) =>
          boundedCall(
            this.name,
            'subscribe',
            this.#timeoutMs,
            subscriber.subscribe(channel),
            isIoredisTimeout,
          ),
        )
        .then(() => {
          this.#connected = true;
        });
      this.#active.set(channel, active);
    }
    try {
      await active;
    } catch (error) {
      this.#active.delete(channel);
      subs.delete(sub);
      if (subs.size === 0) this.#channels.delete(channel);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.#closed.close(async () => {
      this.#channels.clear();
      this.#active.clear();
      if (this.#subscriber) await closeClient(this.#subscriber, this.#timeoutMs);
      await closeOwned(this.#ownsPublisher, () => closeClient(this.#publisher, this.#timeoutMs));
    });
  }

  #deliver(channel: string, message: string): void {
    const subs = this.#channels.get(channel);
    if (!subs) return;
    for (const sub of subs) {
      try {
        sub.onMessage(message);
      } catch {
        // One failing handler must not starve the others; the bus reports its own errors.
      }
    }
  }

  #onClose(): void {
    if (this.#closed.closed || !this.#connected) return;
    this.#connected = false;
    const error = this.#lastError ?? new Error('Redis subscriber connection closed; ioredis is reconnecting');
    this.#lastError = undefined;
    this.#down = true;
    this.#status({ kind: 'disconnected', error });
  }

  #onReady(): void {
    if (this.#closed.closed || this.#connected || this.#channels.size === 0) return;
    // Only a connection back after a reported loss reports "connected": the first "ready"
    // may come while the first SUBSCRIBE is still on its way, and that reports nothing.
    if (!this.#down) return;
    // ioredis emits "ready" just before it re-sends SUBSCRIBE, so subscribe again ourselves
    // (idempotent) and report "connected" only once the server has confirmed it. This also
    // covers a client whose options have autoResubscribe: false.
    const channels = [...this.#channels.keys()];
    const subscriber = this.#subscriber;
    if (!subscriber) return;
    queueMicrotask(() => {
      boundedCall(
        this.name,
        'subscribe',
        this.#timeoutMs,
        subscriber.subscribe(...channels),
        isIoredisTimeout,
      ).then(
        () => {
          if (this.#closed.closed || this.#connected) return;
          this.#connected = true;
          this.#down = false;
          this.#status({ kind: 'connected' });
        },
        () => {
          // The connection dropped again; the next "ready" retries.
        },
      );
    });
  }

  #status(status: BusTransportStatus): void {
    for (const subs of this.#channels.values()) {
      for (const sub of subs) {
        try {
          sub.onStatus?.(status);
        } catch {
          // see #deliver
        }
      }
    }
  }
}
