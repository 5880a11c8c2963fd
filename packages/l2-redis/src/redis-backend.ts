import { randomBytes } from 'node:crypto';
import {
  boundedCall,
  type CacheEntry,
  ClosedError,
  DeserializationError,
  type GuardedRead,
  InvalidKeyError,
  InvalidOptionError,
  InvalidTtlError,
  jsonSerializer,
  type L2CacheBackend,
  parseTtl,
  redactSecrets,
  SerializationError,
  type Serializer,
  TierError,
  toTierError,
  type ValueWithTtl,
  withTimeout,
} from '@tiercache/core';
import { rejectUnknownKeys } from '@tiercache/core/adapter';
import type { Cluster, Redis } from 'ioredis';
import {
  closeClient,
  isIoredisTimeout,
  type RedisConnectionOptions,
  resolveClient,
  validateConnection,
} from './connection.js';
import {
  type EnvelopeHeader,
  readBufferHeader,
  readStringHeader,
  sealBuffer,
  sealString,
} from './expiry-envelope.js';
import { deletionMark, isDeletionMark, newEpoch, tokenOf } from './guarded-writes.js';
import { GET_WITH_TTL, RELEASE_LOCK, SET_IF_UNCHANGED } from './lua-script.js';
import { positiveInteger } from './option-checks.js';
import { toRedisMatch } from './scan-pattern.js';

/** Where an error reported to {@link RedisBackendOptions.onError} came from. */
export interface RedisErrorContext {
  /** `"get"`, `"getWithTtl"`, `"getMany"` for unreadable values; `"connection"` for socket errors. */
  operation: string;
  /** The cache key (without prefix) whose stored value could not be read. */
  key?: string;
}

/**
 * Where `getWithTtl` learns how long an entry has left:
 * - `'envelope'`: from the absolute expiry written in a small header in front of the value
 *   (one GET per read; the remaining TTL follows the writer's clock);
 * - `'server'`: from Redis's PTTL, in one Lua script call (the value stays the serializer's
 *   plain output, readable by any Redis client).
 */
export type TtlSource = 'envelope' | 'server';

/** Options for {@link RedisBackend}; see the package README for the full table. */
export interface RedisBackendOptions extends RedisConnectionOptions {
  /** Namespace for every key: entries live at `${prefix}${key}`. Non-empty. Default `"tiercache:"`. */
  prefix?: string;
  /** Turns values into strings or bytes. Default core's `jsonSerializer`. */
  serializer?: Serializer;
  /** Upper bound for every call, in ms (also ioredis `commandTimeout` on clients we create). Default 1000. */
  commandTimeoutMs?: number;
  /** How long `healthCheck` waits for PONG before resolving `false`. Default `commandTimeoutMs`. */
  healthCheckTimeoutMs?: number;
  /** ioredis auto-pipelining on clients we create. Default `true`. */
  enableAutoPipelining?: boolean;
  /** Tier name in stats, events and errors. Default `"redis"`. */
  name?: string;
  /** Longest TTL stored, in ms; longer TTLs and "never expires" are capped to it. Default: no cap. */
  maxTtlMs?: number;
  /**
   * Where the remaining TTL comes from: `'envelope'` (expiry stored with the value, reads are
   * one GET) or `'server'` (PTTL via a Lua script, values stay plain). Default `'envelope'`.
   * Both modes read values written by the other, and plain values written by other clients.
   */
  ttlSource?: TtlSource;
  /** SCAN COUNT hint for `removePattern`/`clear`. Default 500. */
  scanCount?: number;
  /** Keys per UNLINK in `removePattern`/`clear`. Default 500. */
  deleteBatchSize?: number;
  /**
   * Where lock keys live. Default `${prefix}\u0001lock:`: the control character keeps them out
   * of the key space of cache entries (keys cannot hold control characters), so no cache key
   * can occupy a lock. A prefix of your own must not overlap `prefix` in a way a key could fill.
   */
  lockPrefix?: string;
  /**
   * How long `remove` keeps a deletion mark (a tiny value that reads as a miss), so a guarded
   * write (`setIfUnchanged`, used by `TieredCache` to store a `getOrSet` factory result) with a
   * token read before the delete is refused. Longer than your slowest factory. Default 60 000 ms.
   */
  deletionMarkMs?: number;
  /**
   * Told about problems that do not fail the call: a stored value the serializer cannot read
   * (a {@link DeserializationError}; the read is a miss) and connection errors of clients we
   * created. Must not throw.
   */
  onError?: (error: Error, context: RedisErrorContext) => void;
}

const WHAT = 'RedisBackend';

const REDIS_BACKEND_OPTIONS = [
  'client',
  'closeClient',
  'url',
  'redis',
  'cluster',
  'prefix',
  'serializer',
  'commandTimeoutMs',
  'healthCheckTimeoutMs',
  'enableAutoPipelining',
  'name',
  'maxTtlMs',
  'ttlSource',
  'scanCount',
  'deleteBatchSize',
  'lockPrefix',
  'deletionMarkMs',
  'onError',
] as const satisfies readonly (keyof RedisBackendOptions)[];

/**
 * An {@link L2CacheBackend} on Redis through ioredis (standalone, Sentinel or Cluster).
 *
 * - `getWithTtl` is one round trip: a plain GET of a value carrying its absolute expiry
 *   (`ttlSource: 'envelope'`, the default), or an EVALSHA returning PTTL and value (`'server'`);
 * - `removePattern` and `clear` walk the namespace with SCAN and UNLINK in batches, never
 *   KEYS or FLUSHDB, and touch nothing outside `prefix`;
 * - `acquireLock`/`releaseLock` are a single-instance Redis lease (SET NX PX + compare-and-delete);
 * - every call is bounded by `commandTimeoutMs` and rejects with core's `TimeoutError`.
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
  readonly #lockPrefix: string;
  readonly #serializer: Serializer;
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
  readonly #labels: { get: string; getWithTtl: string; set: string };
  #closed = false;

  /** Every call settles within this many ms (`commandTimeoutMs`), so `TieredCache` adds no timer of its own. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  constructor(options: RedisBackendOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError(`${WHAT} needs an options object, e.g. { url: "redis://127.0.0.1:6379" }`);
    }
    rejectUnknownKeys(WHAT, options, REDIS_BACKEND_OPTIONS);
    validateConnection(WHAT, options);
    const prefix = options.prefix ?? 'tiercache:';
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new InvalidOptionError(
        `${WHAT}: prefix must be a non-empty string (it is what keeps clear() inside your namespace), got ${JSON.stringify(prefix)}`,
      );
    }
    const serializer = options.serializer ?? jsonSerializer;
    if (typeof serializer?.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
      throw new InvalidOptionError(`${WHAT}: serializer must have serialize() and deserialize() methods`);
    }
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new InvalidOptionError(`${WHAT}: onError must be a function`);
    }
    if (
      options.lockPrefix !== undefined &&
      (typeof options.lockPrefix !== 'string' || options.lockPrefix === '')
    ) {
      throw new InvalidOptionError(`${WHAT}: lockPrefix must be a non-empty string`);
    }
    const ttlSource = options.ttlSource ?? 'envelope';
    if (ttlSource !== 'envelope' && ttlSource !== 'server') {
      throw new InvalidOptionError(
        `${WHAT}: ttlSource must be "envelope" or "server", got ${JSON.stringify(ttlSource)}`,
      );
    }
    this.#envelope = ttlSource === 'envelope';
    this.name = options.name ?? 'redis';
    if (typeof this.name !== 'string' || this.name.length === 0) {
      throw new InvalidOptionError(`${WHAT}: name must be a non-empty string`);
    }
    for (const flag of ['enableAutoPipelining', 'closeClient'] as const) {
      if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
        throw new InvalidOptionError(
          `${WHAT}: ${flag} must be true or false, got ${JSON.stringify(options[flag])}`,
        );
      }
    }
    this.#prefix = prefix;
    this.#lockPrefix = options.lockPrefix ?? `${prefix}\u0001lock:`;
    if (overlaps(prefix, this.#lockPrefix)) {
      throw new InvalidOptionError(
        `${WHAT}: lockPrefix ${JSON.stringify(this.#lockPrefix)} overlaps prefix ${JSON.stringify(prefix)}, so a cache key could occupy a lock (e.g. key "lock:getOrSet:k" and the lock of getOrSet("k")); leave lockPrefix out, or use one that is not an extension of prefix`,
      );
    }
    this.#serializer = serializer;
    this.#binary = serializer.format === 'binary';
    this.#timeoutMs = positiveInteger(WHAT, 'commandTimeoutMs', options.commandTimeoutMs, 1000);
    this.#healthTimeoutMs = positiveInteger(
      WHAT,
      'healthCheckTimeoutMs',
      options.healthCheckTimeoutMs,
      this.#timeoutMs,
    );
    this.#scanCount = positiveInteger(WHAT, 'scanCount', options.scanCount, 500);
    this.#batchSize = positiveInteger(WHAT, 'deleteBatchSize', options.deleteBatchSize, 500);
    this.#markMs = positiveInteger(WHAT, 'deletionMarkMs', options.deletionMarkMs, 60_000);
    this.#epochKey = `${prefix}\u0000epoch`;
    const maxTtlMs = positiveInteger(WHAT, 'maxTtlMs', options.maxTtlMs);
    if (maxTtlMs !== undefined) this.maxTtlMs = maxTtlMs;
    this.#onError = options.onError;
    this.#labels = {
      get: `tier "${this.name}" get`,
      getWithTtl: `tier "${this.name}" getWithTtl`,
      set: `tier "${this.name}" set`,
    };
    const { client, owned } = resolveClient(options, {
      commandTimeoutMs: this.#timeoutMs,
      enableAutoPipelining: options.enableAutoPipelining ?? true,
      onConnectionError: (error) => this.#report(error, { operation: 'connection' }),
    });
    this.client = client;
    this.#owned = owned;
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
      raw = await withTimeout(this.#rawGet(k), this.#timeoutMs, this.#labels.get);
    } catch (error) {
      throw this.#failure('get', error);
    }
    return this.#decode(raw, 'get', key);
  }

  async getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#open();
    const k = this.#key(key);
    if (!this.#envelope) return this.#getWithServerTtl(key);
    let raw: string | Buffer | null;
    try {
      raw = await withTimeout(this.#rawGet(k), this.#timeoutMs, this.#labels.getWithTtl);
    } catch (error) {
      throw this.#failure('getWithTtl', error);
    }
    if (raw === null || isDeletionMark(raw)) return undefined;
    const header = this.#header(raw);
    // A plain value (another client, or a 'server'-mode writer) carries no expiry: ask Redis.
    if (header === undefined) return this.#getWithServerTtl(key);
    let ttlMs: number | undefined;
    if (header.expiresAt !== undefined) {
      ttlMs = header.expiresAt - Date.now();
      // Already over by the writer's clock, even if Redis (on its own clock) still holds it.
      if (ttlMs <= 0) return undefined;
    }
    const value = this.#deserialize(this.#payload(raw, header), 'getWithTtl', key);
    if (value === undefined) return undefined;
    return { value, ttlMs };
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#open();
    if (keys.length === 0) return [];
    const full = keys.map((k) => this.#key(k));
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
    for (let i = 0; i < raws.length; i++) values[i] = this.#decode(raws[i], 'getMany', keys[i]!);
    return values;
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#open();
    const k = this.#key(key);
    const ttl = this.#ttl(ttlMs);
    const data = this.#encode(value, ttl);
    try {
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
      return { key: this.#key(e.key), data: this.#encode(e.value, ttl), ttl };
    });
    if (this.client.isCluster) {
      await this.#bounded(
        'setMany',
        Promise.all(
          prepared.map((p) =>
            p.ttl === undefined
              ? this.client.set(p.key, p.data)
              : this.client.set(p.key, p.data, 'PX', p.ttl),
          ),
        ),
      );
      return;
    }
    const pipeline = this.client.pipeline();
    for (const p of prepared) {
      if (p.ttl === undefined) pipeline.set(p.key, p.data);
      else pipeline.set(p.key, p.data, 'PX', p.ttl);
    }
    const results = await this.#bounded('setMany', pipeline.exec());
    const failed = results?.find(([error]) => error);
    if (failed) throw toTierError(this.name, 'setMany', this.#timeoutMs, failed[0], isIoredisTimeout);
  }

  /** Remove `key`, leaving a deletion mark for `deletionMarkMs` (it reads as a miss). */
  async remove(key: string): Promise<void> {
    this.#open();
    await this.#bounded('remove', this.client.set(this.#key(key), deletionMark(), 'PX', this.#markMs));
  }

  /**
   * The value with its remaining TTL, and a token naming what the key holds now (value,
   * deletion mark or nothing, with the namespace's epoch): one MGET, atomic.
   */
  async getWithToken(key: string): Promise<GuardedRead<V>> {
    this.#open();
    const full = this.#key(key);
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
    if (raw === null || isDeletionMark(raw)) return { entry: undefined, token };
    const header = this.#envelope ? this.#header(raw) : undefined;
    if (header === undefined) {
      // A plain value carries no expiry: ask Redis (the token still names what was read).
      const value = this.#decode(raw, 'getWithToken', key);
      if (value === undefined) return { entry: undefined, token };
      const pttl = await this.#bounded('getWithToken', this.client.pttl(full));
      return { entry: pttl === -2 ? undefined : { value, ttlMs: pttl < 0 ? undefined : pttl }, token };
    }
    if (header.expiresAt !== undefined && header.expiresAt <= Date.now()) return { entry: undefined, token };
    const value = this.#deserialize(this.#payload(raw, header), 'getWithToken', key);
    if (value === undefined) return { entry: undefined, token };
    return {
      entry: { value, ttlMs: header.expiresAt === undefined ? undefined : header.expiresAt - Date.now() },
      token,
    };
  }

  /** Store `value` only while `key` holds what `token` named (one Lua script, atomic). */
  async setIfUnchanged(key: string, value: V, ttlMs: number | undefined, token: string): Promise<boolean> {
    this.#open();
    const ttl = this.#ttl(ttlMs);
    const data = this.#encode(value, ttl);
    const keys = this.client.isCluster ? [this.#key(key)] : [this.#key(key), this.#epochKey];
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
    const match = toRedisMatch(this.#prefix, pattern);
    const nodes: Redis[] = this.client.isCluster
      ? (this.client as Cluster).nodes('master')
      : [this.client as Redis];
    // A new epoch before and after: guarded writes with a token read before this are refused
    // while it runs and after (the scan may delete the epoch key itself).
    if (!this.client.isCluster)
      await this.#bounded('removePattern', this.client.set(this.#epochKey, newEpoch()));
    let removed = 0;
    for (const node of nodes) removed += await this.#scanAndUnlink(node, match);
    if (!this.client.isCluster)
      await this.#bounded('removePattern', this.client.set(this.#epochKey, newEpoch()));
    return removed;
  }

  /** Remove every key under `prefix` (lock keys in it included), leaving the rest of the database alone. */
  async clear(): Promise<void> {
    await this.removePattern('*');
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

  /**
   * Take the lease `key` for `leaseMs`: `SET ${lockPrefix}${key} <random token> NX PX leaseMs`.
   * Resolves the token, or `undefined` while someone else holds it.
   */
  async acquireLock(key: string, leaseMs: number): Promise<string | undefined> {
    this.#open();
    const parsed = parseTtl(leaseMs, 'leaseMs');
    if (parsed === undefined)
      throw new InvalidTtlError('leaseMs is required: how long the lock may be held, in ms');
    const lease = Math.ceil(parsed);
    const token = randomBytes(16).toString('hex');
    const reply = await this.#bounded(
      'acquireLock',
      this.client.set(this.#lockPrefix + key, token, 'PX', lease, 'NX'),
    );
    return reply === 'OK' ? token : undefined;
  }

  /** Release the lease only if `token` still holds it (atomic compare-and-delete). */
  async releaseLock(key: string, token: string): Promise<boolean> {
    this.#open();
    const reply = await this.#bounded(
      'releaseLock',
      RELEASE_LOCK.run(this.client, this.#lockPrefix + key, token),
    );
    return reply === 1;
  }

  /** Stop accepting calls and quit the connection if we created it (or `closeClient` was set). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await closeClient(this.client, this.#timeoutMs);
  }

  async #scanAndUnlink(node: Redis, match: string): Promise<number> {
    let removed = 0;
    let cursor = '0';
    let batch: string[] = [];
    do {
      const [next, keys] = await this.#bounded(
        'removePattern',
        node.scan(cursor, 'MATCH', match, 'COUNT', this.#scanCount),
      );
      cursor = next;
      batch.push(...keys);
      while (batch.length >= this.#batchSize) {
        removed += await this.#unlink(node, batch.slice(0, this.#batchSize));
        batch = batch.slice(this.#batchSize);
      }
    } while (cursor !== '0');
    if (batch.length > 0) removed += await this.#unlink(node, batch);
    return removed;
  }

  async #unlink(node: Redis, keys: string[]): Promise<number> {
    if (!this.client.isCluster) return this.#bounded('removePattern', node.unlink(...keys));
    // Keys on one cluster node still span slots, and a multi-key UNLINK across slots is refused.
    const pipeline = node.pipeline();
    for (const k of keys) pipeline.unlink(k);
    const results = (await this.#bounded('removePattern', pipeline.exec())) ?? [];
    let removed = 0;
    for (const [error, count] of results) {
      if (error) throw toTierError(this.name, 'removePattern', this.#timeoutMs, error, isIoredisTimeout);
      removed += Number(count);
    }
    return removed;
  }

  /** `getWithTtl` through the Lua script: value and PTTL in one atomic step. */
  async #getWithServerTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
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
    const value = this.#decode(reply[1] as string | Buffer | null, 'getWithTtl', key);
    if (value === undefined) return undefined;
    return { value, ttlMs: pttl === -1 ? undefined : pttl };
  }

  #rawGet(fullKey: string): Promise<string | Buffer | null> {
    return this.#binary ? this.client.getBuffer(fullKey) : this.client.get(fullKey);
  }

  #bounded<T>(operation: string, promise: Promise<T>): Promise<T> {
    return boundedCall(this.name, operation, this.#timeoutMs, promise, isIoredisTimeout);
  }

  /**
   * The error a hot call (get, getWithTtl, set) rejects with; they bound their command with
   * core's `withTimeout` directly and map failures here, which is what `boundedCall` does but
   * without its extra promise and per-call label string on every call.
   */
  #failure(operation: string, error: unknown): Error {
    return toTierError(this.name, operation, this.#timeoutMs, error, isIoredisTimeout);
  }

  #ttl(ttlMs: number | undefined): number | undefined {
    const ttl = parseTtl(ttlMs);
    if (this.maxTtlMs !== undefined && (ttl === undefined || ttl > this.maxTtlMs)) return this.maxTtlMs;
    // PX takes whole milliseconds; rounding up never makes an entry expire early.
    return ttl === undefined ? undefined : Math.ceil(ttl);
  }

  /** The stored form: the serializer's output, behind an expiry header in envelope mode. */
  #encode(value: V, ttl: number | undefined): string | Buffer {
    let data: string | Uint8Array;
    try {
      data = this.#serializer.serialize(value);
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      throw new SerializationError(
        `serializer "${this.#serializer.name}" could not serialize the value for tier "${this.name}": ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    }
    if (typeof data === 'string') {
      return this.#envelope ? sealString(data, ttl === undefined ? undefined : Date.now() + ttl) : data;
    }
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.#envelope ? sealBuffer(bytes, ttl === undefined ? undefined : Date.now() + ttl) : bytes;
  }

  /**
   * A stored value, in either form: an envelope (its own expiry honoured: expired reads as a
   * miss) or a plain value. `undefined` for a miss or an unreadable value (reported).
   */
  #decode(raw: string | Buffer | null | undefined, operation: string, key: string): V | undefined {
    if (raw === null || raw === undefined || isDeletionMark(raw)) return undefined;
    const header = this.#header(raw);
    if (header === undefined) return this.#deserialize(raw, operation, key);
    if (header.expiresAt !== undefined && header.expiresAt <= Date.now()) return undefined;
    return this.#deserialize(this.#payload(raw, header), operation, key);
  }

  #header(raw: string | Buffer): EnvelopeHeader | undefined {
    return typeof raw === 'string' ? readStringHeader(raw) : readBufferHeader(raw);
  }

  #payload(raw: string | Buffer, header: EnvelopeHeader): string | Buffer {
    return typeof raw === 'string' ? raw.slice(header.start) : raw.subarray(header.start);
  }

  #deserialize(data: string | Buffer, operation: string, key: string): V | undefined {
    try {
      return this.#serializer.deserialize(data) as V;
    } catch (error) {
      const failure =
        error instanceof DeserializationError
          ? error
          : new DeserializationError(
              `stored value under "${this.#prefix}${key}" could not be read by serializer "${this.#serializer.name}": ${error instanceof Error ? error.message : String(error)}`,
              error,
            );
      this.#report(failure, { operation, key });
      return undefined;
    }
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

/**
 * `true` when a lock key and an entry key can be equal: one prefix starts the other and what
 * follows the shorter one is something a cache key may contain (anything but a control character).
 */
function overlaps(prefix: string, lockPrefix: string): boolean {
  const [shorter, longer] = prefix.length <= lockPrefix.length ? [prefix, lockPrefix] : [lockPrefix, prefix];
  if (!longer.startsWith(shorter)) return false;
  if (longer.length === shorter.length) return true;
  const next = longer.charCodeAt(shorter.length);
  return !(next < 0x20 || next === 0x7f);
}

/** Build a {@link RedisBackend}; the factory form of `new RedisBackend(options)`. */
export function redisTier<V = unknown>(options: RedisBackendOptions): RedisBackend<V> {
  return new RedisBackend<V>(options);
}
