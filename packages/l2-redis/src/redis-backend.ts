import {
  boundedCall,
  type CacheEntry,
  ClosedError,
  type GuardedRead,
  InvalidKeyError,
  InvalidOptionError,
  type L2CacheBackend,
  parseTtl,
  redactSecrets,
  TierError,
  toTierError,
  type ValueWithTtl,
  withTimeout,
} from '@tiercache/core';
import type { Cluster, Redis } from 'ioredis';
import { closeClient, isIoredisTimeout, resolveClient } from './connection.js';
import { deletionMark, newEpoch, tokenOf } from './guarded-writes.js';
import { GET_WITH_TTL, SET_IF_UNCHANGED, SET_MANY } from './lua-script.js';
import {
  type RedisBackendOptions,
  type RedisErrorContext,
  resolveRedisBackendOptions,
  WHAT,
} from './redis-backend-options.js';
import { RedisLock } from './redis-lock.js';
import { PLAIN, RedisValueCodec } from './redis-value-codec.js';
import { batchRefused, isIoredisRefusal } from './refusal.js';
import { scanAndUnlink, toRedisMatch } from './scan-pattern.js';
import { TickBatch } from './tick-batch.js';

/** A write waiting in this tick's batch. */
interface QueuedSet {
  key: string;
  data: string | Buffer;
  ttl: number | undefined;
}

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
  #closed = false;

  /** Every call settles within this many ms (the `timeoutMs` option), so `TieredCache` adds no timer of its own. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  constructor(options: RedisBackendOptions) {
    const o = resolveRedisBackendOptions(options);
    this.name = o.name;
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
    // Not on a Cluster: a multi-key command cannot span hash slots (see the README).
    const single = client.isCluster ? undefined : (client as Redis);
    this.#writes =
      single && o.coalesceWrites
        ? new TickBatch((items: QueuedSet[]) => this.#sendWrites(single, items), this.#timeoutMs)
        : undefined;
    const writes = this.#writes;
    this.#reads =
      single && o.coalesceReads
        ? new TickBatch(
            (keys: string[]) => this.#sendReads(single, keys),
            this.#timeoutMs,
            // Writes queued in this tick go first, so a read sees every write issued before it.
            writes && (() => writes.flush()),
          )
        : undefined;
    this.#lock = new RedisLock(client, o.lockPrefix, (operation, work) => this.#bounded(operation, work));
  }

  /** The namespace every key of this backend lives under. */
  get prefix(): string {
    return this.#prefix;
  }

  async get(key: string): Promise<V | undefined> {
    this.#open();
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
    this.#open();
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
    this.#open();
    if (keys.length === 0) return [];
    const full = keys.map((k) => this.#key(k));
    this.#inOrder();
    let raws: (string | Buffer | null)[];
    if (this.client.isCluster) {
      // MGET across slots fails with CROSSSLOT; single GETs are grouped per node by auto-pipelining.
      raws = await this.#bounded('getMany', Promise.all(full.map((k) => this.#rawGet(k))));
    } else {
      const pending: Promise<(string | Buffer | null)[]> = this.#binary
        ? this.client.mgetBuffer(full)
        : this.client.mget(full);
      raws = await this.#bounded('getMany', pending);
    }
    const values = new Array<V | undefined>(raws.length);
    for (let i = 0; i < raws.length; i++) values[i] = this.#codec.decode(raws[i]);
    return values;
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#open();
    const k = this.#key(key);
    const ttl = this.#ttl(ttlMs);
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
    this.#open();
    if (entries.length === 0) return;
    // Encode everything first: a value that cannot be serialized must leave Redis untouched.
    const prepared = entries.map((e) => {
      const ttl = this.#ttl(e.ttlMs);
      return { key: this.#key(e.key), data: this.#codec.encode(e.value, ttl), ttl };
    });
    // Behind every write issued before it, never ahead: an explicit pipeline is written to the
    // socket at once, ahead of auto-pipelined commands still queued for the tick, so a `set`
    // issued just before could land after this and leave Redis with the older value.
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
    await this.#bounded(
      'setMany',
      Promise.all(
        prepared.map((p) =>
          p.ttl === undefined ? this.client.set(p.key, p.data) : this.client.set(p.key, p.data, 'PX', p.ttl),
        ),
      ),
    );
  }

  /** Remove `key`, leaving a deletion mark for `deletionMarkMs` (it reads as a miss). */
  async remove(key: string): Promise<void> {
    this.#open();
    const full = this.#key(key);
    this.#inOrder();
    await this.#bounded('remove', this.client.set(full, deletionMark(), 'PX', this.#markMs));
  }

  /**
   * The value with its remaining TTL, and a token naming what the key holds now (value,
   * deletion mark or nothing, with the namespace's epoch): one MGET, atomic.
   */
  async getWithToken(key: string): Promise<GuardedRead<V>> {
    this.#open();
    const full = this.#key(key);
    this.#inOrder();
    let raw: string | Buffer | null;
    let epoch: string | Buffer | null = null;
    if (this.client.isCluster) {
      raw = await this.#bounded('getWithToken', this.#rawGet(full));
    } else {
      const keys = [full, this.#epochKey];
      const pending: Promise<(string | Buffer | null)[]> = this.#binary
        ? this.client.mgetBuffer(keys)
        : this.client.mget(keys);
      [raw = null, epoch = null] = await this.#bounded('getWithToken', pending);
    }
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
    this.#open();
    const ttl = this.#ttl(ttlMs);
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
    this.#open();
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new InvalidOptionError(
        `${this.name}.removePattern: pattern must be a non-empty glob such as "user:*"`,
      );
    }
    // The core's own records (tag invalidation times) are never a pattern's to delete.
    return this.#removeMatching(pattern, this.#prefix.length);
  }

  /** SCAN + UNLINK of `pattern` under the prefix; reserved keys kept when `keepReservedAfter` is set. */
  async #removeMatching(pattern: string, keepReservedAfter: number | undefined): Promise<number> {
    const match = toRedisMatch(this.#prefix, pattern);
    this.#inOrder();
    const nodes: Redis[] = this.client.isCluster
      ? (this.client as Cluster).nodes('master')
      : [this.client as Redis];
    // A new epoch before and after: guarded writes with a token read before this are refused
    // while it runs and after (the scan may delete the epoch key itself).
    if (!this.client.isCluster)
      await this.#bounded('removePattern', this.client.set(this.#epochKey, newEpoch()));
    const bounded = <T>(work: Promise<T>): Promise<T> => this.#bounded('removePattern', work);
    const scan = {
      scanCount: this.#scanCount,
      batchSize: this.#batchSize,
      cluster: this.client.isCluster,
      bounded,
      keepReservedAfter,
    };
    let removed = 0;
    for (const node of nodes) removed += await scanAndUnlink(node, match, scan);
    if (!this.client.isCluster)
      await this.#bounded('removePattern', this.client.set(this.#epochKey, newEpoch()));
    return removed;
  }

  /**
   * Remove every key under `prefix` (lock keys and the core's tag times included), leaving the
   * rest of the database alone.
   */
  async clear(): Promise<void> {
    this.#open();
    await this.#removeMatching('*', undefined);
  }

  async healthCheck(): Promise<boolean> {
    if (this.#closed) return false;
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
    this.#open();
    return this.#lock.acquire(key, leaseMs);
  }

  /** Release the lease only if `token` still holds it (atomic compare-and-delete). */
  async releaseLock(key: string, token: string): Promise<boolean> {
    this.#open();
    return this.#lock.release(key, token);
  }

  /** Stop accepting calls and quit the connection if we created it (or `closeClient` was set). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await closeClient(this.client, this.#timeoutMs);
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

  /** A read batch: a lone key is a plain GET (the same work, and what a MONITOR reader expects). */
  #sendReads(client: Redis, keys: string[]): Promise<readonly (string | Buffer | null)[]> {
    if (keys.length === 1) {
      const one = this.#binary ? client.getBuffer(keys[0]!) : client.get(keys[0]!);
      return one.then((raw) => [raw]);
    }
    return this.#binary ? client.mgetBuffer(keys) : client.mget(keys);
  }

  /** A write batch: one SET_MANY script call (a lone write is a plain SET). */
  #sendWrites(client: Redis, items: QueuedSet[]): Promise<readonly unknown[]> {
    const done = new Array<unknown>(items.length);
    if (items.length === 1) {
      const { key, data, ttl } = items[0]!;
      return (ttl === undefined ? client.set(key, data) : client.set(key, data, 'PX', ttl)).then(() => done);
    }
    const keys = new Array<string>(items.length);
    const args = new Array<string | number | Buffer>(items.length * 2);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      keys[i] = item.key;
      args[2 * i] = item.data;
      args[2 * i + 1] = item.ttl ?? '';
    }
    return SET_MANY.runMany(client, keys, args).then(
      () => done,
      (error: unknown) => {
        // A server that refuses scripts (disabled, or an ACL without EVAL) refuses them for good:
        // this batch fails (core keeps the writes as missed writes), later writes are plain SETs.
        if (error instanceof Error && /^(NOPERM|ERR unknown command)/.test(error.message)) {
          this.#scriptRefused = true;
        }
        throw batchRefused(error, items.length);
      },
    );
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

  #ttl(ttlMs: number | undefined): number | undefined {
    const ttl = parseTtl(ttlMs);
    if (this.maxTtlMs !== undefined && (ttl === undefined || ttl > this.maxTtlMs)) return this.maxTtlMs;
    // PX takes whole milliseconds; rounding up never makes an entry expire early.
    return ttl === undefined ? undefined : Math.ceil(ttl);
  }

  #report(error: Error, context: RedisErrorContext): void {
    try {
      this.#onError?.(redactSecrets(error), context);
    } catch {
      // A throwing callback must not turn a miss into a failure.
    }
  }

  #open(): void {
    if (this.#closed) throw new ClosedError(`RedisBackend "${this.name}"`);
  }

  /**
   * The Redis key of a cache key. `TieredCache` validates keys before they get here; this
   * catches direct calls with an empty or non-string key, which would otherwise write the
   * bare prefix (or "undefined").
   */
  #key(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new InvalidKeyError(
        `${WHAT} "${this.name}": key must be a non-empty string, got ${key === '' ? '""' : typeof key}`,
      );
    }
    return this.#prefix + key;
  }
}

/** Build a {@link RedisBackend}; the factory form of `new RedisBackend(options)`. */
export function redisTier<V = unknown>(options: RedisBackendOptions): RedisBackend<V> {
  return new RedisBackend<V>(options);
}
