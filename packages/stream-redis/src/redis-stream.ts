import {
  boundedCall,
  InvalidOptionError,
  parseStreamId,
  redactSecrets,
  type StreamAddOptions,
  type StreamEntry,
  type StreamFields,
  type StreamingBackend,
  type StreamReadOptions,
  TierError,
  toTierError,
} from '@tiercache/core';
import {
  ClosedGuard,
  checkBlockMs,
  checkCount,
  checkFields,
  checkMaxLen,
  checkReadId,
  checkStreamName,
  checkStreamOptions,
  closeOwned,
} from '@tiercache/core/adapter';
import {
  closeClient,
  connectionErrorReporter,
  isIoredisTimeout,
  isRedisCluster,
  type RedisClient,
  resolveClient,
} from '@tiercache/l2-redis/connection';
import { TickBatch } from '@tiercache/l2-redis/tick-batch';
import { BlockingReader } from './blocking-read.js';
import { BlockingTargets } from './blocking-targets.js';

import {
  type PendingSummary,
  type ReadGroupOptions,
  type RedisStreamOptions,
  resolveRedisStreamOptions,
} from './redis-stream-options.js';
import { toEntries, toReadEntries } from './stream-reply.js';
import { XADD_MANY } from './xadd-many.js';

/** Redis's reply to an add once the stream's last id is the largest id there is. */
const EXHAUSTED = /exhausted the last possible ID/i;

/**
 * The error for an add to a stream whose last id is `18446744073709551615-18446744073709551615`:
 * no add can succeed until the stream is deleted, and only an entry added by hand with that id
 * gets a stream there, so the message says what to do.
 */
function exhausted(name: string, key: string, error: Error): TierError {
  return new TierError(
    name,
    'streamAdd',
    new Error(
      `stream "${key}" holds the largest possible entry id, so Redis refuses every add to it ("${error.message}"). Only an entry added with that id by hand gets a stream there: delete the stream (DEL ${key}; readers of a StreamBusTransport resync and follow the new one) and keep untrusted clients off the stream key (Redis ACLs, see docs/security.md)`,
      { cause: redactSecrets(error) },
    ),
  );
}

/**
 * A {@link StreamingBackend} on Redis Streams through ioredis: XADD with `MAXLEN ~`,
 * XREVRANGE for the newest entries, XREAD for reads. Blocking reads run on connections of
 * their own, so they never stall other calls on the same instance; aborting one sends
 * `CLIENT UNBLOCK` for its connection. Consumer groups are available as an extension
 * ({@link RedisStream.createGroup} and friends), outside the core contract.
 *
 * On a Redis Cluster (`cluster` option, or a `Cluster` as `client`) each stream is one key,
 * so it lives on one master with its consumer groups; ordinary commands are routed by ioredis,
 * and a blocking read runs on a connection to the master that owns the stream's slot (so
 * `CLIENT UNBLOCK` reaches the node that blocks). During a failover a blocking read that meets
 * `MOVED` is retried on the node named, and one ended by `UNBLOCKED` (its master was demoted)
 * is retried after refreshing the slot table; 4 attempts in all. Any other failed blocking
 * read refreshes the slot table before it rejects, so the next read finds a promoted replica
 * even when this instance sends nothing else through the Cluster.
 */
export class RedisStream implements StreamingBackend {
  readonly name: string;
  /** The connection for non-blocking commands (shared or ours): a `Redis`, or a `Cluster`. */
  readonly client: RedisClient;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  /** The timeout label of `streamAdd`, built once instead of on every call. */
  readonly #addLabel: string;
  readonly #approximate: boolean;
  readonly #targets: BlockingTargets;
  /** Same-tick `streamAdd`s as one XADD_MANY script call (the XADD arguments of each). */
  readonly #adds: TickBatch<(string | number)[], unknown>;
  readonly #reader: BlockingReader;
  readonly #closed: ClosedGuard;

  constructor(options: RedisStreamOptions) {
    const o = resolveRedisStreamOptions(options);
    this.#prefix = o.prefix;
    this.name = o.name;
    this.#closed = new ClosedGuard(`RedisStream "${o.name}"`);
    this.#timeoutMs = o.timeoutMs;
    this.#addLabel = `tier "${this.name}" streamAdd`;
    this.#approximate = o.approximateTrim;
    const maxIdle = o.maxIdleBlockingConnections;
    const report = connectionErrorReporter(options.onError);
    const { client, owned } = resolveClient(options, {
      commandTimeoutMs: this.#timeoutMs,
      enableAutoPipelining: true,
      onConnectionError: report,
    });
    this.client = client;
    this.#owned = owned;
    this.#adds = new TickBatch((adds: (string | number)[][]) => this.#sendAdds(adds), this.#timeoutMs);
    const clustered = isRedisCluster(client);
    this.#targets = new BlockingTargets(
      client,
      (base) => {
        // A blocking read legitimately outlives commandTimeout; our own timer bounds it instead.
        // A connection to a cluster node is not reconnected: after a failover that node may own
        // nothing, so the pool drops it and the next read asks the slot table again.
        const conn = base.duplicate({
          commandTimeout: undefined,
          enableAutoPipelining: false,
          ...(clustered ? { lazyConnect: false, retryStrategy: () => null } : {}),
        });
        conn.on('error', report);
        return conn;
      },
      maxIdle,
    );
    const closed = this.#closed;
    this.#reader = new BlockingReader(this.name, client, this.#targets, this.#timeoutMs, () => closed.closed);
  }

  /** Blocking-read connections open now (busy and idle); for monitoring and tests. */
  get blockingConnections(): number {
    return this.#targets.size;
  }

  async streamAdd(stream: string, fields: StreamFields, options: StreamAddOptions = {}): Promise<string> {
    this.#closed.check();
    const key = this.#key(stream);
    checkStreamOptions(this.name, 'streamAdd', options);
    const maxLen = checkMaxLen(this.name, options.maxLen);
    checkFields(this.name, fields);
    let args: [key: string, ...rest: (string | number)[]];
    if (maxLen === undefined) args = [key, '*'];
    else args = this.#approximate ? [key, 'MAXLEN', '~', maxLen, '*'] : [key, 'MAXLEN', maxLen, '*'];
    for (const [field, value] of fields) args.push(field, value);
    // Adds of one tick go out together (see XADD_MANY); each keeps its own id, error and timeout.
    try {
      const id = await this.#adds.add(args, this.#addLabel);
      if (id instanceof Error) throw id;
      return String(id);
    } catch (error) {
      if (error instanceof Error && EXHAUSTED.test(error.message)) throw exhausted(this.name, key, error);
      throw toTierError(this.name, 'streamAdd', this.#timeoutMs, error, isIoredisTimeout);
    }
  }

  async streamReadLatest(stream: string, count: number): Promise<StreamEntry[]> {
    this.#closed.check();
    this.#adds.flush();
    const key = this.#key(stream);
    checkCount(this.name, 'streamReadLatest', count);
    return toEntries(
      await this.#bounded('streamReadLatest', this.client.call('XREVRANGE', key, '+', '-', 'COUNT', count)),
    );
  }

  async streamRead(
    stream: string,
    lastId: string,
    count: number,
    options: StreamReadOptions = {},
  ): Promise<StreamEntry[]> {
    this.#closed.check();
    const key = this.#key(stream);
    checkReadId(lastId);
    checkCount(this.name, 'streamRead', count);
    checkStreamOptions(this.name, 'streamRead', options);
    return this.#read('streamRead', ['XREAD', 'COUNT', count], ['STREAMS', key, lastId], options);
  }

  async healthCheck(): Promise<boolean> {
    if (this.#closed.closed) return false;
    try {
      return (await this.#bounded('healthCheck', this.client.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Close every blocking connection (pending blocking reads resolve `[]`) and our command connection. */
  close(): Promise<void> {
    return this.#closed.close(async () => {
      await this.#targets.closeAll(this.#timeoutMs);
      await closeOwned(this.#owned, () => closeClient(this.client, this.#timeoutMs));
    });
  }

  // --- consumer groups: an extension, not part of the StreamingBackend contract ---

  /**
   * Create consumer group `group` on `stream` (creating the stream if needed), starting
   * after `startId` (`"$"` = only entries added from now on, `"0"` = the whole stream).
   * Resolves `true` when created, `false` when the group already existed.
   */
  async createGroup(stream: string, group: string, startId = '$'): Promise<boolean> {
    this.#closed.check();
    this.#adds.flush();
    const key = this.#key(stream);
    checkReadId(startId);
    checkName(this.name, 'group', group);
    try {
      await this.#bounded(
        'createGroup',
        this.client.call('XGROUP', 'CREATE', key, group, startId, 'MKSTREAM'),
      );
      return true;
    } catch (error) {
      if (
        error instanceof Error &&
        error.cause instanceof Error &&
        error.cause.message.startsWith('BUSYGROUP')
      )
        return false;
      throw error;
    }
  }

  /**
   * Read up to `count` entries for `consumer` in `group` (XREADGROUP). Entries stay pending
   * until {@link RedisStream.ack}. Blocking and abort behave as in `streamRead`.
   */
  async readGroup(
    stream: string,
    group: string,
    consumer: string,
    count: number,
    options: ReadGroupOptions = {},
  ): Promise<StreamEntry[]> {
    this.#closed.check();
    const key = this.#key(stream);
    checkName(this.name, 'group', group);
    checkName(this.name, 'consumer', consumer);
    checkCount(this.name, 'readGroup', count);
    checkStreamOptions(this.name, 'readGroup', options);
    const id = options.id ?? '>';
    if (id !== '>') checkReadId(id);
    return this.#read(
      'readGroup',
      ['XREADGROUP', 'GROUP', group, consumer, 'COUNT', count],
      ['STREAMS', key, id],
      options,
    );
  }

  /** Acknowledge entries of `group` (XACK); resolves how many were pending and are now done. */
  async ack(stream: string, group: string, ...ids: string[]): Promise<number> {
    this.#closed.check();
    this.#adds.flush();
    const key = this.#key(stream);
    checkName(this.name, 'group', group);
    if (ids.length === 0) return 0;
    for (const id of ids) parseStreamId(id);
    return Number(await this.#bounded('ack', this.client.call('XACK', key, group, ...ids)));
  }

  /** The group's pending entries in summary (XPENDING). */
  async pending(stream: string, group: string): Promise<PendingSummary> {
    this.#closed.check();
    this.#adds.flush();
    const key = this.#key(stream);
    checkName(this.name, 'group', group);
    const reply = (await this.#bounded('pending', this.client.call('XPENDING', key, group))) as [
      number,
      string | null,
      string | null,
      [string, string][] | null,
    ];
    return {
      count: Number(reply[0]),
      smallestId: reply[1] ?? undefined,
      largestId: reply[2] ?? undefined,
      consumers: (reply[3] ?? []).map(([name, n]) => ({ name, count: Number(n) })),
    };
  }

  /**
   * A batch of adds: one XADD_MANY call whose reply holds each add's id, or its own error (a
   * failing add never fails the others).
   */
  #sendAdds(adds: (string | number)[][]): Promise<readonly unknown[]> {
    // Alone, or on a Cluster client (a script cannot span hash slots): one XADD each, each
    // failure kept as that add's own answer.
    if (adds.length === 1 || isRedisCluster(this.client)) {
      return Promise.all(
        adds.map((add) => {
          const [key, ...rest] = add as [string, ...(string | number)[]];
          return this.client.xadd(key, ...rest).catch((error: unknown) => error);
        }),
      );
    }
    const keys = new Array<string>(adds.length);
    const args: (string | number)[] = [];
    for (let i = 0; i < adds.length; i++) {
      const add = adds[i]!;
      keys[i] = add[0] as string;
      args.push(add.length - 1);
      for (let j = 1; j < add.length; j++) args.push(add[j]!);
    }
    return XADD_MANY.runMany(this.client, keys, args) as Promise<readonly unknown[]>;
  }

  /**
   * XREAD or XREADGROUP: `head` is the command up to COUNT, `tail` from STREAMS on. Without
   * `blockMs` it runs on the command connection; with it, BLOCK goes in between and the read
   * runs on a blocking connection of its own.
   */
  async #read(
    operation: string,
    head: [string, ...(string | number)[]],
    tail: string[],
    options: StreamReadOptions,
  ): Promise<StreamEntry[]> {
    // BLOCK 0 would mean "forever" to Redis; the kit rounds a sub-millisecond wait up to 1.
    const blockMs = checkBlockMs(this.name, options.blockMs);
    // Adds issued before this read reach Redis before it.
    this.#adds.flush();
    if (blockMs === 0)
      return toReadEntries(await this.#bounded(operation, this.client.call(...head, ...tail)));
    const args = [...head, 'BLOCK', blockMs, ...tail];
    return toReadEntries(await this.#reader.read(operation, args, blockMs, options.signal, tail[1]!));
  }

  #bounded<T>(operation: string, promise: Promise<T>): Promise<T> {
    return boundedCall(this.name, operation, this.#timeoutMs, promise, isIoredisTimeout);
  }

  #key(stream: string): string {
    checkStreamName(this.name, stream);
    return this.#prefix + stream;
  }
}

/** Build a {@link RedisStream}; the factory form of `new RedisStream(options)`. */
export function redisStream(options: RedisStreamOptions): RedisStream {
  return new RedisStream(options);
}

function checkName(name: string, what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(
      `${name}: ${what} name must be a non-empty string, got ${JSON.stringify(value)}`,
    );
  }
}
