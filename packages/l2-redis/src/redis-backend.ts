import {
  boundedCall,
  type CacheEntry,
  type GuardedRead,
  InvalidOptionError,
  type L2CacheBackend,
  redactSecrets,
  TierError,
  toTierError,
  type ValueWithTtl,
  withTimeout,
} from '@tiercache/core';
import { ClosedGuard, closeOwned, validateTierKey } from '@tiercache/core/adapter';
import type { Cluster, Redis } from 'ioredis';
import { getEach, pxTtl, type QueuedSet, setEach, tickBatches } from './batched-commands.js';
import { closeClient, isIoredisTimeout, resolveClient } from './connection.js';
import { deletionMark, tokenOf } from './guarded-writes.js';
import { GET_WITH_TTL, SET_IF_UNCHANGED } from './lua-script.js';
import {
  type RedisBackendOptions,
  type RedisErrorContext,
  resolveRedisBackendOptions,
  WHAT,
} from './redis-backend-options.js';
import { RedisLock } from './redis-lock.js';
import { PLAIN, RedisValueCodec } from './redis-value-codec.js';
import { isIoredisRefusal } from './refusal.js';
import { removeMatching, toRedisMatch } from './scan-pattern.js';
import type { TickBatch } from './tick-batch.js';

/**
 * An {@link L2CacheBackend} on Redis through ioredis (standalone, Sentinel or Cluster).
 *
 * - `getWithTtl` is one round trip: a plain GET of a value carrying its absolute expiry
 *   (`ttlSource: 'envelope'`, the default), or an EVALSHA returning PTTL and value (`'server'`);
 * - `removePattern` and `clear` walk the namespace with SCAN and UNLINK in batches, never
 *   KEYS or FLUSHDB, and touch nothing outside `prefix`;
 * - `acquireLock`/`releaseLock` are a single-instance Redis lease (SET NX PX + compare-and-delete);
 * - every call is bounded by `timeoutMs` and rejects with core's `TimeoutError`.
 *
 * @typeParam V - the type of the cached values.
 */
export class RedisBackend<V = unknown> implements L2CacheBackend<V> {
  readonly name: string;
  readonly maxTtlMs?: number;
  /** The ioredis client in use (shared or ours). */
  readonly client: Redis | Cluster;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #lock: RedisLock;
  readonly #codec: RedisValueCodec<V>;
  readonly #binary: boolean;
  readonly #envelope: boolean;
  readonly #timeoutMs: number;
  readonly #healthTimeoutMs: number;
  readonly #scanCount: number;
  readonly #batchSize: number;
  readonly #onError: ((error: Error, context: RedisErrorContext) => void) | undefined;
  readonly #markMs: number;
  /** The namespace's epoch key (guarded writes); a key no user key can be (they have no control characters). */
  readonly #epochKey: string;
  /** Timeout labels of the hot calls, built once instead of on every call. */
  readonly #labels: { get: string; getWithTtl: string; set: string; setMany: string };
  /** Same-tick `get`/`getWithTtl` reads as one MGET; `undefined` on a Cluster or with `coalesceReads: false`. */
  readonly #reads: TickBatch<string, string | Buffer | null> | undefined;
  /** Same-tick `setWithTtl` writes as one script call; `undefined` on a Cluster or with `coalesceWrites: false`. */
  readonly #writes: TickBatch<QueuedSet, unknown> | undefined;
  /** Set when the server refused the write script (scripting disabled or not permitted): plain SETs from then on. */
  #scriptRefused = false;
  readonly #closed: ClosedGuard;

  /** Every call settles within this many ms (the `timeoutMs` option), so `TieredCache` adds no timer of its own. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  constructor(options: RedisBackendOptions) {
    const o = resolveRedisBackendOptions(options);
    this.name = o.name;
    this.#closed = new ClosedGuard(`RedisBackend "${o.name}"`);
    this.#prefix = o.prefix;
    this.#codec = new RedisValueCodec<V>(o.serializer, o.envelope);
    this.#binary = o.serializer.format === 'binary';
    this.#envelope = o.envelope;
    this.#timeoutMs = o.timeoutMs;
    this.#healthTimeoutMs = o.healthTimeoutMs;
    this.#scanCount = o.scanCount;
    this.#batchSize = o.batchSize;
    this.#markMs = o.markMs;
    this.#epochKey = `${o.prefix}\u0000epoch`;
    if (o.maxTtlMs !== undefined) this.maxTtlMs = o.maxTtlMs;
    this.#onError = o.onError;
    this.#labels = {
      get: `tier "${this.name}" get`,
      getWithTtl: `tier "${this.name}" getWithTtl`,
      set: `tier "${this.name}" set`,
      setMany: `tier "${this.name}" setMany`,
    };
    const { client, owned } = resolveClient(options, {
      commandTimeoutMs: this.#timeoutMs,
      enableAutoPipelining: options.enableAutoPipelining ?? true,
      onConnectionError: (error) => this.#report(error, { operation: 'connection' }),
    });
    this.client = client;
    this.#owned = owned;
    const batches = tickBatches(client, {
      reads: o.coalesceReads,
      writes: o.coalesceWrites,
      binary: this.#binary,
      timeoutMs: this.#timeoutMs,
      onScriptRefused: () => {
        this.#scriptRefused = true;
      },
    });
    this.#reads = batches.reads;
    this.#writes = batches.writes;
    this.#lock = new RedisLock(client, o.lockPrefix, (operation, work) => this.#bounded(operation, work));
  }

  /** The namespace every key of this backend lives under. */
  get prefix(): string {
    return this.#prefix;
  }

  async get(key: string): Promise<V | undefined> {
    this.#closed.check();
    const k = this.#key(key);
    let raw: string | Buffer | null;
    try {
      raw = await this.#read(k, this.#labels.get);
    } catch (error) {
      throw this.#failure('get', error);
    }
    return this.#codec.decode(raw);
  }

  async getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#closed.check();
    const k = this.#key(key);
    if (!this.#envelope) return this.#getWithServerTtl(key);
    let raw: string | Buffer | null;
    try {
      raw = await this.#read(k, this.#labels.getWithTtl);
    } catch (error) {
      throw this.#failure('getWithTtl', error);
    }
    const read = this.#codec.withTtl(raw);
    // A plain value (another client, or a 'server'-mode writer) carries no expiry: ask Redis.
    return read === PLAIN ? this.#getWithServerTtl(key) : read;
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#closed.check();
    if (keys.length === 0) return [];
    const full = keys.map((k) => this.#key(k));
    this.#inOrder();
    const raws = await this.#bounded('getMany', getEach(this.client, full, this.#binary));
    const values = new Array<V | undefined>(raws.length);
    for (let i = 0; i < raws.length; i++) values[i] = this.#codec.decode(raws[i]);
    return values;
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#closed.check();
    const k = this.#key(key);
    const ttl = pxTtl(this.maxTtlMs, ttlMs);
    const data = this.#codec.encode(value, ttl);
    try {
      if (this.#writes !== undefined && !this.#scriptRefused) {
        await this.#writes.add({ key: k, data, ttl }, this.#labels.set);
        return;
      }
      this.#inOrder();
      await withTimeout(
        ttl === undefined ? this.client.set(k, data) : this.client.set(k, data, 'PX', ttl),
        this.#timeoutMs,
        this.#labels.set,
      );
    } catch (error) {
      throw this.#failure('set', error);
    }
  }

  async setMany(entries: readonly CacheEntry<V>[]): Promise<void> {
    this.#closed.check();
    if (entries.length === 0) return;
    // Encode everything first: a value that cannot be serialized must leave Redis untouched.
    const prepared = entries.map((e) => {
      const ttl = pxTtl(this.maxTtlMs, e.ttlMs);
      return { key: this.#key(e.key), data: this.#codec.encode(e.value, ttl), ttl };
    });
    // In the tick's write batch, behind every write issued before it (never an explicit pipeline: see setEach).
    const writes = this.#writes;
    if (writes !== undefined && !this.#scriptRefused) {
      try {
        await Promise.all(prepared.map((p) => writes.add(p, this.#labels.setMany)));
      } catch (error) {
        throw this.#failure('setMany', error);
      }
      return;
    }
    this.#inOrder();
    await this.#bounded('setMany', setEach(this.client, prepared));
  }

  /** Remove `key`, leaving a deletion mark for `deletionMarkMs` (it reads as a miss). */
  async remove(key: string): Promise<void> {
    this.#closed.check();
    const full = this.#key(key);
    this.#inOrder();
    await this.#bounded('remove', this.client.set(full, deletionMark(), 'PX', this.#markMs));
  }

  /**
   * The value with its remaining TTL, and a token naming what the key holds now (value,
   * deletion mark or nothing, with the namespace's epoch): one MGET, atomic.
   */
  async getWithToken(key: string): Promise<GuardedRead<V>> {
    this.#closed.check();
    const full = this.#key(key);
    this.#inOrder();
    // On a Cluster the epoch key lives in another slot: no epoch (see guarded-writes.ts).
    const keys = this.client.isCluster ? [full] : [full, this.#epochKey];
    const [raw = null, epoch = null] = await this.#bounded(
      'getWithToken',
      getEach(this.client, keys, this.#binary),
    );
    const token = tokenOf(epoch, raw);
    const read = this.#envelope ? this.#codec.withTtl(raw) : raw === null ? undefined : PLAIN;
    if (read !== PLAIN) return { entry: read, token };
    // A plain value carries no expiry: ask Redis (the token still names what was read).
    const value = this.#codec.decode(raw);
    if (value === undefined) return { entry: undefined, token };
    const pttl = await this.#bounded('getWithToken', this.client.pttl(full));
    return { entry: pttl === -2 ? undefined : { value, ttlMs: pttl < 0 ? undefined : pttl }, token };
  }

  /** Store `value` only while `key` holds what `token` named (one Lua script, atomic). */
  async setIfUnchanged(key: string, value: V, ttlMs: number | undefined, token: string): Promise<boolean> {
    this.#closed.check();
    const ttl = pxTtl(this.maxTtlMs, ttlMs);
    const data = this.#codec.encode(value, ttl);
    const keys = this.client.isCluster ? [this.#key(key)] : [this.#key(key), this.#epochKey];
    this.#inOrder();
    const reply = await this.#bounded(
      'setIfUnchanged',
      SET_IF_UNCHANGED.runMany(this.client, keys, [token, data, ttl === undefined ? '' : ttl]),
    );
    return reply === 1;
  }

  /**
   * Remove every key of this namespace matching `pattern` (`*`, `?`, `\` escapes) with SCAN
   * MATCH + UNLINK in batches (on every master of a Cluster). Keys written while the scan runs
   * may survive; keys present throughout are removed. Resolves how many keys were removed.
   */
  async removePattern(pattern: string): Promise<number> {
    this.#closed.check();
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new InvalidOptionError(
        `${this.name}.removePattern: pattern must be a non-empty glob such as "user:*"`,
      );
    }
    // A lone surrogate is U+FFFD on the wire: the pattern would match other keys.
    validateTierKey(pattern, `${this.name}.removePattern: pattern`);
    // The core's own records (tag invalidation times) are never a pattern's to delete.
    return this.#removeMatching(pattern, this.#prefix.length);
  }

  /** SCAN + UNLINK of `pattern` under the prefix; reserved keys kept when `keepReservedAfter` is set. */
  async #removeMatching(pattern: string, keepReservedAfter: number | undefined): Promise<number> {
    this.#inOrder();
    return removeMatching(this.client, toRedisMatch(this.#prefix, pattern), this.#epochKey, {
      scanCount: this.#scanCount,
      batchSize: this.#batchSize,
      cluster: this.client.isCluster,
      bounded: (work) => this.#bounded('removePattern', work),
      keepReservedAfter,
    });
  }

  /**
   * Remove every key under `prefix` (lock keys and the core's tag times included), leaving the
   * rest of the database alone.
   */
  async clear(): Promise<void> {
    this.#closed.check();
    await this.#removeMatching('*', undefined);
  }

  async healthCheck(): Promise<boolean> {
    if (this.#closed.closed) return false;
    try {
      const reply = await boundedCall(
        this.name,
        'healthCheck',
        this.#healthTimeoutMs,
        this.client.ping(),
        isIoredisTimeout,
      );
      return reply === 'PONG';
    } catch {
      return false;
    }
  }

  /** Take the lease `key` for `leaseMs` (see {@link RedisLock}); the token, or `undefined` while it is held. */
  async acquireLock(key: string, leaseMs: number): Promise<string | undefined> {
    this.#closed.check();
    validateTierKey(key, `${WHAT} "${this.name}": lock key`);
    return this.#lock.acquire(key, leaseMs);
  }

  /** Release the lease only if `token` still holds it (atomic compare-and-delete). */
  async releaseLock(key: string, token: string): Promise<boolean> {
    this.#closed.check();
    validateTierKey(key, `${WHAT} "${this.name}": lock key`);
    return this.#lock.release(key, token);
  }

  /** Stop accepting calls and quit the connection if we created it (or `closeClient` was set). */
  close(): Promise<void> {
    return this.#closed.close(() => closeOwned(this.#owned, () => closeClient(this.client, this.#timeoutMs)));
  }

  /** `getWithTtl` through the Lua script: value and PTTL in one atomic step. */
  async #getWithServerTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#inOrder();
    const reply = await this.#bounded(
      'getWithTtl',
      GET_WITH_TTL.run(this.client, this.#key(key), undefined, this.#binary),
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number') {
      throw new TierError(this.name, 'getWithTtl', new Error(`unexpected script reply ${String(reply)}`));
    }
    const pttl = reply[0];
    // -2: no such key. 0: it expires this millisecond, and a promoted copy would be dead on arrival.
    if (pttl === -2 || pttl === 0) return undefined;
    const value = this.#codec.decode(reply[1] as string | Buffer | null);
    if (value === undefined) return undefined;
    return { value, ttlMs: pttl === -1 ? undefined : pttl };
  }

  /** One key's stored value, bounded by `timeoutMs`: in this tick's MGET, or its own GET. */
  #read(fullKey: string, label: string): Promise<string | Buffer | null> {
    if (this.#reads !== undefined) return this.#reads.add(fullKey, label);
    this.#inOrder();
    return withTimeout(this.#rawGet(fullKey), this.#timeoutMs, label);
  }

  /**
   * Send the writes queued in this tick now, before a command that is not batched with them:
   * commands reach Redis in the order they were issued, so a delete after a set still wins.
   */
  #inOrder(): void {
    this.#writes?.flush();
  }

  #rawGet(fullKey: string): Promise<string | Buffer | null> {
    return this.#binary ? this.client.getBuffer(fullKey) : this.client.get(fullKey);
  }

  #bounded<T>(operation: string, promise: Promise<T>): Promise<T> {
    return boundedCall(this.name, operation, this.#timeoutMs, promise, isIoredisTimeout, isIoredisRefusal);
  }

  /**
   * The error a hot call (get, getWithTtl, set) rejects with; they bound their command with
   * core's `withTimeout` directly and map failures here, which is what `boundedCall` does but
   * without its extra promise and per-call label string on every call.
   */
  #failure(operation: string, error: unknown): Error {
    return toTierError(this.name, operation, this.#timeoutMs, error, isIoredisTimeout, isIoredisRefusal);
  }

  #report(error: Error, context: RedisErrorContext): void {
    try {
      this.#onError?.(redactSecrets(error), context);
    } catch {
      // A throwing callback must not turn a miss into a failure.
    }
  }

  /**
   * The Redis key of a cache key. `TieredCache` validates keys before they get here; this
   * catches direct calls with an empty or non-string key, which would otherwise write the
   * bare prefix (or "undefined").
   */
  #key(key: string): string {
    validateTierKey(key, `${WHAT} "${this.name}": key`);
    return this.#prefix + key;
  }
}

/** Build a {@link RedisBackend}; the factory form of `new RedisBackend(options)`. */
export function redisTier<V = unknown>(options: RedisBackendOptions): RedisBackend<V> {
  return new RedisBackend<V>(options);
}
