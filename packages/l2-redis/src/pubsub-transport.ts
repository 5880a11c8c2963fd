import {
  type BusTransport,
  type BusTransportStatus,
  boundedCall,
  ClosedError,
  InvalidOptionError,
  redactSecrets,
} from '@tiercache/core';
import { rejectUnknownKeys, renamedOptions, usedName } from '@tiercache/core/adapter';
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
import { positiveInteger } from './option-checks.js';

/** Options for {@link RedisPubSubTransport}. */
export interface RedisPubSubTransportOptions
  extends Pick<RedisConnectionOptions, 'client' | 'url' | 'redis'> {
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
 */
export class RedisPubSubTransport implements BusTransport {
  readonly name: string;
  readonly #publisher: RedisClient;
  readonly #ownsPublisher: boolean;
  readonly #subscriber: RedisClient;
  readonly #timeoutMs: number;
  readonly #channels = new Map<string, Set<Subscription>>();
  /** The SUBSCRIBE of each channel, settled once the server has confirmed it. */
  readonly #active = new Map<string, Promise<void>>();
  #connected = false;
  #closed = false;
  #lastError: Error | undefined;

  constructor(options: RedisPubSubTransportOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`${WHAT} needs an options object, e.g. { url: "redis://127.0.0.1:6379" }`);
    }
    if ('cluster' in options) {
      throw new InvalidOptionError(
        `${WHAT}: pass a Cluster as client (its duplicate() subscribes), not cluster`,
      );
    }
    rejectUnknownKeys(WHAT, options, [
      'client',
      'url',
      'redis',
      'name',
      'timeoutMs',
      'commandTimeoutMs',
      'onError',
    ]);
    const timeoutName = usedName(options, 'timeoutMs', 'commandTimeoutMs');
    options = renamedOptions(WHAT, options, { commandTimeoutMs: 'timeoutMs' });
    validateConnection(WHAT, options);
    this.name = options.name ?? 'redis-pubsub';
    this.#timeoutMs = positiveInteger(WHAT, timeoutName, options.timeoutMs, 1000);
    const report = connectionErrorReporter(options.onError);
    const { client, owned } = resolveClient(options, {
      commandTimeoutMs: this.#timeoutMs,
      enableAutoPipelining: true,
      onConnectionError: report,
    });
    this.#publisher = client;
    this.#ownsPublisher = owned;
    // A subscribed connection blocks ordinary commands, so it must never be the shared one.
    // No commandTimeout on it: it waits for messages indefinitely by design.
    this.#subscriber = isRedisCluster(client)
      ? client.duplicate()
      : client.duplicate({ commandTimeout: undefined });
    this.#subscriber.on('error', (error: Error) => {
      this.#lastError = redactSecrets(error);
      report(error);
    });
    this.#subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    this.#subscriber.on('close', () => this.#onClose());
    this.#subscriber.on('ready', () => this.#onReady());
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.#closed) throw new ClosedError(`${WHAT} "${this.name}"`);
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
    if (this.#closed) throw new ClosedError(`${WHAT} "${this.name}"`);
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
      active = boundedCall(
        this.name,
        'subscribe',
        this.#timeoutMs,
        this.#subscriber.subscribe(channel),
        isIoredisTimeout,
      ).then(() => {
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channels.clear();
    this.#active.clear();
    await closeClient(this.#subscriber, this.#timeoutMs);
    if (this.#ownsPublisher) await closeClient(this.#publisher, this.#timeoutMs);
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
    if (this.#closed || !this.#connected) return;
    this.#connected = false;
    const error = this.#lastError ?? new Error('Redis subscriber connection closed; ioredis is reconnecting');
    this.#lastError = undefined;
    this.#status({ kind: 'disconnected', error });
  }

  #onReady(): void {
    if (this.#closed || this.#connected || this.#channels.size === 0) return;
    // ioredis emits "ready" just before it re-sends SUBSCRIBE, so subscribe again ourselves
    // (idempotent) and report "connected" only once the server has confirmed it. This also
    // covers a client whose options have autoResubscribe: false.
    const channels = [...this.#channels.keys()];
    queueMicrotask(() => {
      boundedCall(
        this.name,
        'subscribe',
        this.#timeoutMs,
        this.#subscriber.subscribe(...channels),
        isIoredisTimeout,
      ).then(
        () => {
          if (this.#closed || this.#connected) return;
          this.#connected = true;
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
