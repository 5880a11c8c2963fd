import { randomUUID } from 'node:crypto';
import type {
  CacheBackend,
  StreamAddOptions,
  StreamEntry,
  StreamFields,
  StreamingBackend,
  StreamReadOptions,
  ValueWithTtl,
} from './contracts.js';
import { withTimeout } from './deadline.js';
import {
  ClosedError,
  FactoryError,
  FactoryTimeoutError,
  InvalidOptionError,
  InvalidValueError,
  NoStreamError,
  UnsupportedOperationError,
} from './errors.js';
import { CacheEventEmitter, type CacheEvents } from './events.js';
import { type BusOperation, type BusOptions, InvalidationBus } from './invalidation-bus.js';
import { DEFAULT_MAX_KEY_LENGTH, validateKey } from './key.js';
import { MemoryBackend } from './memory-backend.js';
import type { PendingWrite } from './pending-writes.js';
import { SingleFlight } from './single-flight.js';
import { sleep } from './sleep.js';
import { CacheStats, type CacheStatsSnapshot } from './stats.js';
import { type CacheStrategy, Strategy } from './strategies.js';
import { isCallerError, Tier, type TierOptions } from './tier.js';
import { type Duration, parseDuration, parseTtl } from './ttl.js';

/** Options for a {@link TieredCache}, validated once in the constructor. */
export interface TieredCacheOptions<V = unknown> {
  /** Name for stats, events and metrics. Default `"tiercache"`. */
  name?: string;
  /**
   * The tiers, fastest first (L1, L2, ...; any number). A bare backend uses the default tier
   * options. Default: one in-process `MemoryBackend`.
   */
  tiers?: readonly (CacheBackend<NoInfer<V>> | TierOptions<NoInfer<V>>)[];
  /** Default TTL of an entry. Overrides `strategy`. */
  ttl?: Duration;
  /** Default strategy when no `ttl` is given. Default `Strategy.ShortTerm` (5 min). */
  strategy?: CacheStrategy;
  /** Longest key accepted, in UTF-16 code units. Default 1024. */
  maxKeyLength?: number;
  /**
   * What a failed write to a tier does: `"tolerate"` (default) reports it (stats, `tier:error`
   * event) and the call succeeds with the tiers that worked; `"raise"` rejects the call with
   * the `TierError` after the other tiers were written.
   */
  writeFailures?: 'tolerate' | 'raise';
  /** Spread expiries: each factory-computed TTL (`getOrSet`) is reduced by a random share up to this fraction (0..0.5). Default 0. */
  jitter?: number;
  /** Hard bound on a factory run; past it waiters get `FactoryTimeoutError`. Default: none. */
  factoryTimeout?: Duration;
  /**
   * Fail-safe window: entries are kept this long past their TTL. A stale entry is never
   * returned by `get`, but `getOrSet` returns it when the factory fails or passes its soft
   * timeout (and `getOrSetResult` says `stale: true`). Default: none.
   */
  grace?: Duration;
  /**
   * After `getOrSet` served a stale value because the factory failed, the stale value is kept
   * fresh in the local tiers for this long before the factory is tried again. Default 5 s.
   */
  graceBackoff?: Duration;
  /**
   * With a stale value available (see `grace`), a factory slower than this returns the stale
   * value at once and finishes in the background to refresh the cache. Default: none.
   */
  factorySoftTimeout?: Duration;
  /**
   * Refresh ahead: when a `getOrSet` hit has used this fraction of its TTL (0 < f < 1, e.g.
   * 0.8), one background factory run refreshes it so hot keys do not expire under load.
   * Default: off.
   */
  eagerRefresh?: number;
  /**
   * Cross-process single-flight for `getOrSet` through the first remote tier that can lock
   * (`acquireLock`/`releaseLock`, e.g. Redis). `false` turns it off. Default: on when such a
   * tier exists.
   */
  lock?: false | LockOptions;
  /** A stream backend for `publishToStream`/`readStream*`. */
  stream?: StreamingBackend;
  /** Cross-instance invalidation. */
  bus?: BusOptions;
  /** Broadcast `set`s on the bus so other instances drop their L1 copy. Default `true` when a bus is configured. */
  broadcastSets?: boolean;
  /** Longest wait for in-flight work in `close()`, ms. Default 5000. */
  closeTimeout?: Duration;
}

/** Settings of the distributed lock used by cross-process single-flight. */
export interface LockOptions {
  /** Lease of the lock; a holder that dies frees the key after this. Default 10 s. */
  lease?: Duration;
  /** First poll interval while another process computes; doubles up to 200 ms. Default 10 ms. */
  poll?: Duration;
}

/** Per-call options for writes. */
export interface SetOptions {
  /** This entry's TTL; overrides `strategy` and the cache default. */
  ttl?: Duration;
  /** A strategy for this entry. */
  strategy?: CacheStrategy;
  /** Publish on the bus so other instances drop their L1 copy. Default: the cache's `broadcastSets`. */
  broadcast?: boolean;
}

/** Per-call options for {@link TieredCache.getOrSet}. */
export interface GetOrSetOptions extends SetOptions {
  /** Stop waiting for this call; the factory is aborted only when every waiter has aborted. */
  signal?: AbortSignal;
  /** Hard timeout of this factory run, overriding the cache's `factoryTimeout`. */
  timeout?: Duration;
  /** Soft timeout of this factory run, overriding the cache's `factorySoftTimeout`. */
  softTimeout?: Duration;
}

/** What {@link TieredCache.getOrSetResult} returns: the value and whether it is stale. */
export interface GetOrSetResult<V> {
  value: V;
  /** `true` when the value is past its TTL and was served by fail-safe (factory failed or slow). */
  stale: boolean;
}

/** What a factory receives. */
export interface FactoryContext {
  /** The key being computed. */
  key: string;
  /** Aborted when every waiter gave up, on hard timeout, or on `close()`. */
  signal: AbortSignal;
}

/** Computes a value on a miss; return `null` to cache a negative result. */
export type Factory<V> = (context: FactoryContext) => V | Promise<V>;

/** One entry for {@link TieredCache.setMany}. */
export interface SetManyEntry<V> extends SetOptions {
  key: string;
  value: V;
}

/** A tier's answer in {@link TieredCache.healthCheck}. */
export interface TierHealth {
  name: string;
  healthy: boolean;
  latencyMs: number;
  breaker: 'closed' | 'open' | 'half-open';
}

/**
 * One cache over several tiers: reads go down the tiers until a hit and copy the value up with
 * its remaining TTL; writes go to every tier; `getOrSet` runs a factory once per key per
 * process (and across processes with a lockable shared tier); a bus keeps other instances'
 * in-process tiers from serving stale values.
 *
 * The L1 hit path is synchronous under the promise: one `peek`, one counter, no serialization,
 * no copy.
 */
export class TieredCache<V = unknown> {
  readonly name: string;
  /** This instance's id on the bus (its own messages are ignored). */
  readonly instanceId: string = randomUUID();
  readonly #tiers: Tier<V>[];
  /** The first tier's synchronous read, when it has one; the hot path. */
  readonly #l1Peek: ((key: string) => V | undefined) | undefined;
  readonly #firstSlowTier: number;
  readonly #defaultTtlMs: number;
  readonly #maxKeyLength: number;
  readonly #raiseWrites: boolean;
  readonly #jitter: number;
  readonly #factoryTimeoutMs: number | undefined;
  readonly #softTimeoutMs: number | undefined;
  readonly #graceMs: number;
  /** Per tier: remaining TTL at or below which an entry is stale (grace × scale, or 0). */
  readonly #staleBelow: number[];
  readonly #graceBackoffMs: number;
  readonly #eagerRefresh: number;
  /** The first tier's synchronous read with remaining TTL, used when grace or eager refresh need it. */
  readonly #l1PeekWithTtl: ((key: string) => ValueWithTtl<V> | undefined) | undefined;
  /** Background refreshes (eager or past a soft timeout) by key: at most one per key. */
  readonly #refreshing = new Map<string, Promise<unknown>>();
  readonly #lockTier: Tier<V> | undefined;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #stream: StreamingBackend | undefined;
  readonly #bus: InvalidationBus | undefined;
  readonly #busReady: Promise<void> | undefined;
  readonly #broadcastSets: boolean;
  readonly #closeTimeoutMs: number;
  readonly #stats: CacheStats;
  readonly #events = new CacheEventEmitter();
  readonly #flights = new SingleFlight<GetOrSetResult<V>>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #replaying = new Set<Tier<V>>();
  /** Aborted by `close()`: reaches every factory, background refreshes included. */
  readonly #closing = new AbortController();
  #closePromise: Promise<void> | undefined;
  readonly #replayTimers = new Map<Tier<V>, NodeJS.Timeout>();
  #closed = false;

  constructor(options: TieredCacheOptions<V> = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('TieredCache options must be an object');
    }
    this.name = options.name ?? 'tiercache';
    if (typeof this.name !== 'string' || this.name.length === 0) {
      throw new InvalidOptionError('name must be a non-empty string');
    }
    if (options.broadcastSets !== undefined && typeof options.broadcastSets !== 'boolean') {
      throw new InvalidOptionError(
        `broadcastSets must be true or false, got ${String(options.broadcastSets)}`,
      );
    }
    if (
      options.strategy !== undefined &&
      !(
        typeof options.strategy?.ttlMs === 'number' &&
        options.strategy.ttlMs > 0 &&
        Number.isFinite(options.strategy.ttlMs)
      )
    ) {
      throw new InvalidOptionError(
        'strategy must be one of Strategy.RealTime, ShortTerm, MediumTerm, LongTerm or Strategy.Custom(ttl)',
      );
    }
    const stream = options.stream;
    if (
      stream !== undefined &&
      (typeof stream?.streamAdd !== 'function' ||
        typeof stream.streamRead !== 'function' ||
        typeof stream.streamReadLatest !== 'function')
    ) {
      throw new InvalidOptionError(
        'stream must be a StreamingBackend (streamAdd, streamReadLatest, streamRead)',
      );
    }
    const tierInputs = options.tiers ?? [new MemoryBackend<V>({ name: 'memory' })];
    if (!Array.isArray(tierInputs) || tierInputs.length === 0) {
      throw new InvalidOptionError('TieredCache needs at least one tier in `tiers`');
    }
    this.#tiers = tierInputs.map((input, index) => {
      const tierOptions: TierOptions<V> = isTierOptions(input) ? input : { backend: input };
      const backend = tierOptions.backend;
      if (!backend || typeof backend.get !== 'function' || typeof backend.setWithTtl !== 'function') {
        throw new InvalidOptionError(
          `tiers[${index}] is not a CacheBackend (it needs get, setWithTtl, remove, healthCheck)`,
        );
      }
      return new Tier<V>(
        index,
        backend,
        tierOptions,
        (state) => {
          if (this.#events.has('breaker:state')) {
            this.#events.emit('breaker:state', { tier: index, tierName: backend.name, state });
          }
        },
        (tier) => this.#replayPending(tier),
      );
    });
    this.#graceMs = options.grace === undefined ? 0 : parseDuration(options.grace, 'grace');
    // An entry is stale (kept only for fail-safe) once it has at most grace × scale left; a tier
    // whose maxTtl cannot hold the grace window keeps no grace (its entries are fresh until gone).
    this.#staleBelow = this.#tiers.map((t) => {
      const window = this.#graceMs * t.ttlScale;
      return t.maxTtlMs !== undefined && t.maxTtlMs <= window ? 0 : window;
    });
    this.#graceBackoffMs = parseTtl(options.graceBackoff ?? 5000, 'graceBackoff') as number;
    this.#softTimeoutMs =
      options.factorySoftTimeout === undefined
        ? undefined
        : parseTtl(options.factorySoftTimeout, 'factorySoftTimeout');
    this.#eagerRefresh = options.eagerRefresh ?? 0;
    if (!(this.#eagerRefresh === 0 || (this.#eagerRefresh > 0 && this.#eagerRefresh < 1))) {
      throw new InvalidOptionError(
        `eagerRefresh must be a fraction of the TTL between 0 and 1, got ${options.eagerRefresh}`,
      );
    }
    const first = this.#tiers[0]!;
    const l1 = first.backend;
    this.#l1PeekWithTtl = typeof l1.peekWithTtl === 'function' ? l1.peekWithTtl.bind(l1) : undefined;
    if (this.#graceMs === 0) {
      this.#l1Peek = typeof l1.peek === 'function' ? l1.peek.bind(l1) : undefined;
    } else if (this.#l1PeekWithTtl !== undefined) {
      // With grace, L1 holds entries past their TTL: the fast path serves fresh ones only.
      const peekWithTtl = this.#l1PeekWithTtl;
      const staleBelow = this.#staleBelow[0]!;
      this.#l1Peek = (key) => {
        const entry = peekWithTtl(key);
        return entry === undefined || (entry.ttlMs !== undefined && entry.ttlMs <= staleBelow)
          ? undefined
          : entry.value;
      };
    } else {
      this.#l1Peek = undefined;
    }
    if (this.#eagerRefresh > 0 && this.#l1PeekWithTtl === undefined) {
      throw new InvalidOptionError(
        `eagerRefresh needs a first tier that can tell remaining TTL (peekWithTtl); "${first.name}" cannot`,
      );
    }
    // Stale L1 entries are fail-safe candidates, so with grace the slow path reads L1 again.
    this.#firstSlowTier = this.#l1Peek && this.#graceMs === 0 ? 1 : 0;
    this.#defaultTtlMs =
      options.ttl !== undefined
        ? (parseTtl(options.ttl, 'ttl') as number)
        : (options.strategy ?? Strategy.ShortTerm).ttlMs;
    this.#maxKeyLength = options.maxKeyLength ?? DEFAULT_MAX_KEY_LENGTH;
    if (!Number.isInteger(this.#maxKeyLength) || this.#maxKeyLength < 1) {
      throw new InvalidOptionError(`maxKeyLength must be a positive integer, got ${options.maxKeyLength}`);
    }
    const writeFailures = options.writeFailures ?? 'tolerate';
    if (writeFailures !== 'tolerate' && writeFailures !== 'raise') {
      throw new InvalidOptionError(
        `writeFailures must be "tolerate" or "raise", got ${String(writeFailures)}`,
      );
    }
    this.#raiseWrites = writeFailures === 'raise';
    this.#jitter = options.jitter ?? 0;
    if (!(this.#jitter >= 0 && this.#jitter <= 0.5)) {
      throw new InvalidOptionError(`jitter must be a fraction between 0 and 0.5, got ${options.jitter}`);
    }
    this.#factoryTimeoutMs =
      options.factoryTimeout === undefined ? undefined : parseTtl(options.factoryTimeout, 'factoryTimeout');
    const lock = options.lock ?? {};
    this.#lockTier =
      lock === false
        ? undefined
        : this.#tiers.find(
            (t) =>
              !t.local &&
              typeof t.backend.acquireLock === 'function' &&
              typeof t.backend.releaseLock === 'function',
          );
    this.#leaseMs = lock === false ? 0 : (parseTtl(lock.lease ?? 10_000, 'lock.lease') as number);
    this.#pollMs = lock === false ? 0 : (parseTtl(lock.poll ?? 10, 'lock.poll') as number);
    this.#stream = options.stream;
    this.#closeTimeoutMs = parseDuration(options.closeTimeout ?? 5000, 'closeTimeout');
    this.#stats = new CacheStats(this.#tiers.map((t) => t.name));
    if (options.bus) {
      if (!options.bus.transport) throw new InvalidOptionError('bus.transport is required when bus is given');
      this.#bus = new InvalidationBus(
        options.bus,
        this.instanceId,
        { apply: (op) => this.#applyRemote(op), resync: () => this.#clearLocal() },
        this.#stats.bus,
        this.#events,
      );
      this.#busReady = this.#bus.start();
      // A failed subscription is reported, and awaited by ready(); it must not be an unhandled rejection.
      this.#busReady.catch((error: unknown) => {
        this.#stats.bus.errors++;
        if (this.#events.has('bus:error')) this.#events.emit('bus:error', { error });
      });
    }
    this.#broadcastSets = options.broadcastSets ?? this.#bus !== undefined;
  }

  /** Resolves once the bus subscription is active (immediately without a bus). */
  async ready(): Promise<void> {
    await this.#busReady;
  }

  /** Subscribe to an event; returns an unsubscribe function. */
  on<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Unsubscribe from an event. */
  off<E extends keyof CacheEvents>(event: E, listener: (payload: CacheEvents[E]) => void): void {
    this.#events.off(event, listener);
  }

  /** The tiers' names, fastest first. */
  get tierNames(): string[] {
    return this.#tiers.map((t) => t.name);
  }

  /** A copy of the counters. */
  stats(): CacheStatsSnapshot {
    return this.#stats.snapshot(
      this.#tiers.map((t) => ({
        breaker: t.breaker?.state ?? 'closed',
        pendingWrites: t.pending.size,
        droppedWrites: t.pending.dropped,
      })),
    );
  }

  /** Zero the counters. */
  resetStats(): void {
    this.#stats.reset();
  }

  /**
   * The value under `key` from the fastest tier that has it, or `undefined`. A hit in a lower
   * tier is copied into the upper tiers with its remaining TTL. A failing tier is skipped.
   */
  get(key: string): Promise<V | undefined> {
    this.#stats.requests++;
    if (this.#l1Peek !== undefined) {
      const value = this.#l1Peek(key);
      if (value !== undefined) {
        this.#stats.tierHits[0]!++;
        if (this.#events.listenerCount > 0) this.#emitHit(key, 0);
        return Promise.resolve(value);
      }
    }
    return this.#getSlow(key);
  }

  /** `true` when some tier has `key` (a read like `get`, promotion included). */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Values for `keys` in order (`undefined` for misses), one batched read per tier. */
  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#open();
    if (!Array.isArray(keys)) throw new InvalidOptionError('getMany takes an array of keys');
    for (const key of keys) validateKey(key, this.#maxKeyLength);
    this.#stats.requests += keys.length;
    const out: (V | undefined)[] = new Array(keys.length).fill(undefined);
    let missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const value = this.#l1Peek?.(keys[i]!);
      if (value !== undefined) {
        out[i] = value;
        this.#stats.tierHits[0]!++;
      } else missing.push(i);
    }
    for (let t = this.#firstSlowTier; t < this.#tiers.length && missing.length > 0; t++) {
      const tier = this.#tiers[t]!;
      let found: (ValueWithTtl<V> | undefined)[];
      try {
        found = await tier.run('getMany', () =>
          this.#readMany(
            tier,
            missing.map((i) => keys[i]!),
          ),
        );
      } catch (error) {
        this.#tierError(tier, 'getMany', error);
        continue;
      }
      const still: number[] = [];
      for (let j = 0; j < missing.length; j++) {
        const index = missing[j]!;
        const pending = tier.pending.size > 0 ? tier.pending.lookup(keys[index]!) : undefined;
        const hit = pending === 'removed' ? undefined : (pending ?? found[j]);
        // Entries kept only for grace are not values for getMany (as for get).
        if (hit === undefined || (hit.ttlMs !== undefined && hit.ttlMs <= this.#staleBelow[t]!)) {
          still.push(index);
          continue;
        }
        out[index] = hit.value;
        this.#stats.tierHits[t]!++;
        this.#promote(keys[index]!, hit, t);
      }
      missing = still;
    }
    this.#stats.misses += missing.length;
    return out;
  }

  /**
   * Store `value` under `key` in every tier. Resolves once every tier answered. A value a tier
   * refuses (cannot be serialized, too large) rejects the call and leaves the key absent in
   * every tier rather than different values in different tiers.
   */
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    this.#open();
    validateKey(key, this.#maxKeyLength);
    validateValue(value);
    const ttlMs = this.#ttlFor(options);
    await this.#writeAll(key, value, ttlMs);
    if (this.#events.has('set')) this.#events.emit('set', { key, ttlMs });
    if (this.#bus && (options?.broadcast ?? this.#broadcastSets))
      this.#track(this.#bus.publish({ op: 'set', keys: [key] }));
  }

  /** Store several entries; one batched write per tier where the tier supports it. */
  async setMany(entries: readonly SetManyEntry<V>[]): Promise<void> {
    this.#open();
    if (!Array.isArray(entries))
      throw new InvalidOptionError('setMany takes an array of { key, value, ttl? }');
    const prepared = entries.map((e) => {
      validateKey(e.key, this.#maxKeyLength);
      validateValue(e.value);
      return { key: e.key, value: e.value, ttlMs: this.#ttlFor(e), broadcast: e.broadcast };
    });
    if (prepared.length === 0) return;
    const missedBy = (tier: Tier<V>): PendingWrite<V>[] =>
      prepared.map((e) =>
        pendingSet(tier, e.key, e.value, e.ttlMs === undefined ? undefined : e.ttlMs + this.#graceMs),
      );
    const results = await Promise.allSettled(
      this.#tiers.map((tier) =>
        this.#tierWrite(
          tier,
          'setMany',
          () => {
            const scaled = prepared.map((e) => ({
              key: e.key,
              value: e.value,
              ttlMs: tier.scaleTtl(e.ttlMs === undefined ? undefined : e.ttlMs + this.#graceMs),
            }));
            if (tier.backend.setMany) return tier.backend.setMany(scaled);
            return Promise.all(scaled.map((e) => tier.backend.setWithTtl(e.key, e.value, e.ttlMs))).then(
              () => undefined,
            );
          },
          () => missedBy(tier),
        ),
      ),
    );
    await this.#settleWrites(
      results,
      'setMany',
      missedBy,
      prepared.map((e) => e.key),
    );
    const broadcast = prepared.filter((e) => e.broadcast ?? this.#broadcastSets).map((e) => e.key);
    if (this.#bus && broadcast.length > 0) this.#track(this.#bus.publish({ op: 'set', keys: broadcast }));
  }

  /** Remove `key` from every tier and tell other instances to drop their local copy. */
  async delete(key: string): Promise<void> {
    this.#open();
    validateKey(key, this.#maxKeyLength);
    const missed = (): PendingWrite<V>[] => [{ kind: 'remove', key }];
    const results = await Promise.allSettled(
      this.#tiers.map((tier) => this.#tierWrite(tier, 'remove', () => tier.backend.remove(key), missed)),
    );
    if (this.#events.has('delete')) this.#events.emit('delete', { key, source: 'local' });
    if (this.#bus) this.#track(this.#bus.publish({ op: 'delete', keys: [key] }));
    await this.#settleWrites(results, 'remove', missed);
  }

  /** Same as {@link TieredCache.delete}: the name used by the seed and the invalidation docs. */
  invalidate(key: string): Promise<void> {
    return this.delete(key);
  }

  /**
   * Remove every key matching a glob (`*`, `?`) from every tier, and from other instances'
   * local tiers. Rejects with `UnsupportedOperationError` naming the tier before touching
   * anything when a remote tier cannot delete by pattern (memcached cannot list keys).
   */
  async invalidatePattern(pattern: string): Promise<number> {
    this.#open();
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new InvalidOptionError('invalidatePattern needs a non-empty glob such as "user:*"');
    }
    for (const tier of this.#tiers) {
      if (!tier.local && typeof tier.backend.removePattern !== 'function') {
        throw new UnsupportedOperationError(
          tier.name,
          'delete by pattern',
          'the server cannot list keys; use delete() for known keys, clear() (namespace versioning), or a tier that supports removePattern',
        );
      }
    }
    const missed = (): PendingWrite<V>[] => [{ kind: 'pattern', pattern }];
    const results = await Promise.allSettled(
      this.#tiers.map((tier) =>
        this.#tierWrite(
          tier,
          'removePattern',
          () =>
            tier.backend.removePattern ? tier.backend.removePattern(pattern) : clearTier(tier).then(() => 0),
          missed,
        ),
      ),
    );
    if (this.#bus) this.#track(this.#bus.publish({ op: 'pattern', pattern }));
    await this.#settleWrites(results, 'removePattern', missed);
    return results.reduce(
      (max, r) => (r.status === 'fulfilled' && typeof r.value === 'number' ? Math.max(max, r.value) : max),
      0,
    );
  }

  /** Empty every tier (each backend's own namespace only) and other instances' local tiers. */
  async clear(): Promise<void> {
    this.#open();
    for (const tier of this.#tiers) {
      if (typeof tier.backend.clear !== 'function') throw new UnsupportedOperationError(tier.name, 'clear');
    }
    const missed = (): PendingWrite<V>[] => [{ kind: 'clear' }];
    const results = await Promise.allSettled(
      this.#tiers.map((tier) => this.#tierWrite(tier, 'clear', () => clearTier(tier), missed)),
    );
    if (this.#bus) this.#track(this.#bus.publish({ op: 'clear' }));
    await this.#settleWrites(results, 'clear', missed);
  }

  /**
   * The value under `key`, or the factory's result stored in every tier. Concurrent calls for
   * one key share one factory run in this process (and across processes when a shared tier
   * can lock); every waiter gets the value or the error; a failed run stores nothing.
   */
  getOrSet(key: string, factory: Factory<V>, options?: GetOrSetOptions): Promise<V> {
    this.#stats.requests++;
    // A bad TTL is an error at the call, hit or miss (parsed durations are memoized).
    if (options?.ttl !== undefined) {
      const bad = badTtl(options.ttl);
      if (bad) return Promise.reject(bad);
    }
    if (this.#eagerRefresh === 0) {
      if (this.#l1Peek !== undefined) {
        const value = this.#l1Peek(key);
        if (value !== undefined) {
          this.#stats.tierHits[0]!++;
          if (this.#events.listenerCount > 0) this.#emitHit(key, 0);
          return Promise.resolve(value);
        }
      }
    } else {
      const value = this.#eagerHit(key, factory, options);
      if (value !== undefined) return Promise.resolve(value);
    }
    return this.#getOrSetSlow(key, factory, options).then(resultValue);
  }

  /**
   * Like {@link TieredCache.getOrSet}, and says whether the value is stale (served by
   * fail-safe within the `grace` window because the factory failed or was slow).
   */
  getOrSetResult(key: string, factory: Factory<V>, options?: GetOrSetOptions): Promise<GetOrSetResult<V>> {
    this.#stats.requests++;
    if (options?.ttl !== undefined) {
      const bad = badTtl(options.ttl);
      if (bad) return Promise.reject(bad);
    }
    const value = this.#eagerRefresh === 0 ? this.#l1Peek?.(key) : this.#eagerHit(key, factory, options);
    if (value !== undefined) {
      if (this.#eagerRefresh === 0) this.#stats.tierHits[0]!++;
      return Promise.resolve({ value, stale: false });
    }
    return this.#getOrSetSlow(key, factory, options);
  }

  /** Health of each tier, measured now, with the time each took to answer. */
  async healthCheck(): Promise<{ healthy: boolean; tiers: TierHealth[] }> {
    const tiers = await Promise.all(
      this.#tiers.map(async (tier): Promise<TierHealth> => {
        const started = performance.now();
        let healthy = false;
        try {
          const check = tier.backend.healthCheck();
          healthy =
            tier.timeoutMs > 0
              ? await withTimeout(check, tier.timeoutMs, `${tier.name} health check`)
              : await check;
        } catch {
          healthy = false;
        }
        return {
          name: tier.name,
          healthy: healthy === true,
          latencyMs: performance.now() - started,
          breaker: tier.breaker?.state ?? 'closed',
        };
      }),
    );
    return { healthy: tiers.every((t) => t.healthy), tiers };
  }

  /** Append to a stream of the configured `StreamingBackend`; resolves the entry id. */
  publishToStream(stream: string, fields: StreamFields, options?: StreamAddOptions): Promise<string> {
    return this.#streamBackend().streamAdd(stream, fields, options);
  }

  /** The newest `count` entries of a stream, newest first. */
  readStreamLatest(stream: string, count: number): Promise<StreamEntry[]> {
    return this.#streamBackend().streamReadLatest(stream, count);
  }

  /** Entries after `lastId` (`"0"` from the start, `"$"` only new), optionally blocking. */
  readStream(
    stream: string,
    lastId: string,
    count: number,
    options?: StreamReadOptions,
  ): Promise<StreamEntry[]> {
    return this.#streamBackend().streamRead(stream, lastId, count, options);
  }

  /**
   * Stop: later calls reject with `ClosedError`; in-flight factories, writes and bus messages
   * get up to `closeTimeout` to finish; then the bus, the stream and every tier are closed.
   */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + this.#closeTimeoutMs;
    // Work in flight can add more (a lock release, a bus message) as it ends: wait for that too.
    const settle = async (): Promise<void> => {
      while (this.#flights.size > 0 || this.#background.size > 0) {
        await Promise.allSettled([...this.#background, this.#flights.idle()]);
      }
      await this.#bus?.flush();
    };
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      settle(),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    const reason = new ClosedError(`TieredCache "${this.name}"`);
    this.#closing.abort(reason);
    this.#flights.abortAll(reason);
    for (const replayTimer of this.#replayTimers.values()) clearTimeout(replayTimer);
    await Promise.allSettled([
      this.#bus?.close(),
      this.#stream?.close?.(),
      ...this.#tiers.map((t) => t.backend.close?.()),
    ]);
  }

  // ---- internals -------------------------------------------------------------------------

  async #getSlow(key: string): Promise<V | undefined> {
    this.#open();
    validateKey(key, this.#maxKeyLength);
    const found = await this.#readBelow(key);
    if (found === undefined || !found.fresh) {
      this.#stats.misses++;
      if (this.#events.has('miss')) this.#events.emit('miss', { key });
      return undefined;
    }
    return found.value;
  }

  /**
   * Read the tiers below the synchronous L1 in order; count and promote the first fresh hit.
   * With grace, the first stale entry met is returned (`fresh: false`) when no tier has a
   * fresh one, as the fail-safe candidate.
   */
  async #readBelow(key: string, from = this.#firstSlowTier): Promise<ReadResult<V> | undefined> {
    let stale: ReadResult<V> | undefined;
    for (let t = from; t < this.#tiers.length; t++) {
      const tier = this.#tiers[t]!;
      let hit: ValueWithTtl<V> | undefined;
      const pending = tier.pending.size > 0 ? tier.pending.lookup(key) : undefined;
      if (pending === 'removed') continue;
      if (pending !== undefined) hit = pending;
      else {
        try {
          hit = await tier.run('get', () => tier.read(key));
        } catch (error) {
          this.#tierError(tier, 'get', error);
          continue;
        }
      }
      if (hit === undefined) continue;
      if (hit.ttlMs !== undefined && hit.ttlMs <= this.#staleBelow[t]!) {
        stale ??= { value: hit.value, fresh: false };
        continue;
      }
      this.#stats.tierHits[t]!++;
      if (this.#events.listenerCount > 0) this.#emitHit(key, t);
      if (t > 0) this.#promote(key, hit, t);
      return { value: hit.value, fresh: true };
    }
    return stale;
  }

  /**
   * The eager-refresh hot path: a fresh L1 hit, plus one background refresh when the entry
   * has used `eagerRefresh` of its TTL. `undefined` sends the caller down the slow path.
   */
  #eagerHit(key: string, factory: Factory<V>, options: GetOrSetOptions | undefined): V | undefined {
    const entry = this.#l1PeekWithTtl!(key);
    if (entry === undefined) return undefined;
    const l1 = this.#tiers[0]!;
    const scale = l1.ttlScale;
    const staleBelow = this.#staleBelow[0]!;
    const left = entry.ttlMs === undefined ? undefined : (entry.ttlMs - staleBelow) / scale;
    if (left !== undefined && left <= 0) return undefined; // stale: the slow path decides
    this.#stats.tierHits[0]!++;
    if (this.#events.listenerCount > 0) this.#emitHit(key, 0);
    if (left !== undefined && !this.#closed && !this.#refreshing.has(key)) {
      const ttlMs = this.#ttlFor(options);
      // Compare with the life L1 actually gives an entry (its maxTtl may cut the TTL short).
      const life = l1.maxTtlMs === undefined ? ttlMs : Math.min(ttlMs, (l1.maxTtlMs - staleBelow) / scale);
      if (left < life * (1 - this.#eagerRefresh)) {
        this.#stats.refreshes++;
        if (this.#events.has('refresh:start')) this.#events.emit('refresh:start', { key });
        this.#refreshInBackground(
          key,
          this.#compute(
            key,
            factory,
            ttlMs,
            this.#timeoutFor(options),
            this.#closing.signal,
            options?.broadcast,
          ),
        );
      }
    }
    return entry.value;
  }

  /** Track a factory run that finishes after its callers got an answer; one per key. */
  #refreshInBackground(key: string, run: Promise<unknown>): void {
    const tracked = run.catch(() => undefined).finally(() => this.#refreshing.delete(key));
    this.#refreshing.set(key, tracked);
    this.#track(tracked);
  }

  /**
   * Copy a hit from tier `from` into the tiers above it. The remaining TTL is taken back to
   * scale 1 and re-scaled for each upper tier, so an entry never outlives its source.
   */
  #promote(key: string, hit: ValueWithTtl<V>, from: number): void {
    const source = this.#tiers[from]!;
    let logicalTtl: number | undefined;
    if (hit.ttlMs !== undefined) logicalTtl = hit.ttlMs / source.ttlScale;
    else if (!source.knowsTtl) logicalTtl = this.#defaultTtlMs + this.#graceMs; // the tier cannot tell: the default
    for (let t = 0; t < from; t++) {
      const tier = this.#tiers[t]!;
      if (!tier.shouldPromote()) continue;
      const ttlMs = tier.scaleTtl(logicalTtl === undefined ? undefined : Math.max(1, Math.round(logicalTtl)));
      this.#stats.tierPromotions[t]!++;
      if (this.#events.has('promote')) this.#events.emit('promote', { key, from, to: t, ttlMs });
      if (tier.local) {
        // In-process tiers have no breaker or timeout to go through: write directly.
        tier.backend
          .setWithTtl(key, hit.value, ttlMs)
          .catch((error: unknown) => this.#tierError(tier, 'promote', error));
      } else if (tier.pending.size === 0 && !this.#replaying.has(tier)) {
        // A tier still catching up on missed writes gets no promotions: one could undo a missed delete.
        const write = tier.run('promote', () => tier.backend.setWithTtl(key, hit.value, ttlMs));
        this.#track(write.catch((error: unknown) => this.#tierError(tier, 'promote', error)));
      }
    }
  }

  async #getOrSetSlow(
    key: string,
    factory: Factory<V>,
    options: GetOrSetOptions | undefined,
  ): Promise<GetOrSetResult<V>> {
    this.#open();
    validateKey(key, this.#maxKeyLength);
    if (typeof factory !== 'function') throw new InvalidOptionError('getOrSet needs a factory function');
    const ttlMs = this.#ttlFor(options);
    if (options?.signal?.aborted) throw options.signal.reason;
    const joined = this.#flights.join(key, options?.signal);
    if (joined) {
      this.#stats.coalesced++;
      if (this.#events.has('coalesce')) this.#events.emit('coalesce', { key });
      return joined;
    }
    return this.#flights.start(
      key,
      (signal) => this.#load(key, factory, ttlMs, options, signal),
      options?.signal,
    );
  }

  /** The body of one single-flight run: lower tiers, then the lock, then the factory. */
  async #load(
    key: string,
    factory: Factory<V>,
    ttlMs: number,
    options: GetOrSetOptions | undefined,
    signal: AbortSignal,
  ): Promise<GetOrSetResult<V>> {
    const below = await this.#readBelow(key);
    if (below?.fresh) return { value: below.value, stale: false };
    this.#stats.misses++;
    if (this.#events.has('miss')) this.#events.emit('miss', { key });
    if (below !== undefined) {
      // A stale value is at hand: the factory gets its fail-safe and soft-timeout treatment.
      if (this.#refreshing.has(key)) return this.#serveStale(key, below.value, 'factory-timeout');
      return this.#computeWithFallback(key, factory, ttlMs, options, signal, below.value);
    }
    const value = await this.#computeShared(key, factory, ttlMs, options, signal);
    return { value, stale: false };
  }

  /** Run the factory once across processes when a shared tier can lock, else once here. */
  async #computeShared(
    key: string,
    factory: Factory<V>,
    ttlMs: number,
    options: GetOrSetOptions | undefined,
    signal: AbortSignal,
  ): Promise<V> {
    const timeoutMs = this.#timeoutFor(options);
    const broadcast = options?.broadcast;
    const lockTier = this.#lockTier;
    if (lockTier === undefined || lockTier.breaker?.state === 'open') {
      return this.#compute(key, factory, ttlMs, timeoutMs, signal, broadcast);
    }
    const lockKey = `getOrSet:${key}`;
    const deadline = Date.now() + this.#leaseMs * 2 + 1000;
    let pause = this.#pollMs;
    while (!signal.aborted) {
      let token: string | undefined;
      try {
        token = await lockTier.run('acquireLock', () =>
          lockTier.backend.acquireLock!(lockKey, this.#leaseMs),
        );
      } catch (error) {
        // Without the lock tier, carry on as a single process: availability over global single-flight.
        this.#tierError(lockTier, 'acquireLock', error);
        return this.#compute(key, factory, ttlMs, timeoutMs, signal, broadcast);
      }
      if (token !== undefined) {
        try {
          // Another process may have finished between our miss and our lock.
          const late = await this.#readBelow(key, lockTier.index);
          if (late?.fresh) return late.value;
          return await this.#compute(key, factory, ttlMs, timeoutMs, signal, broadcast);
        } finally {
          this.#track(
            lockTier
              .run('releaseLock', () => lockTier.backend.releaseLock!(lockKey, token))
              .catch((error: unknown) => this.#tierError(lockTier, 'releaseLock', error)),
          );
        }
      }
      // Another process holds the lock: wait for its value to appear in the shared tier.
      await sleep(pause, signal);
      pause = Math.min(pause * 2, 200);
      const found = await this.#readBelow(key, lockTier.index);
      if (found?.fresh) return found.value;
      if (Date.now() > deadline) break;
    }
    if (signal.aborted) throw signal.reason;
    return this.#compute(key, factory, ttlMs, timeoutMs, signal, broadcast);
  }

  /**
   * Fail-safe: run the factory with a stale value in hand. A factory error or hard timeout
   * serves the stale value (kept fresh locally for `graceBackoff` so the factory is not
   * hammered); past the soft timeout the stale value is served and the run refreshes the
   * cache in the background.
   */
  async #computeWithFallback(
    key: string,
    factory: Factory<V>,
    ttlMs: number,
    options: GetOrSetOptions | undefined,
    signal: AbortSignal,
    staleValue: V,
  ): Promise<GetOrSetResult<V>> {
    const run = this.#computeShared(key, factory, ttlMs, options, signal);
    const softMs =
      options?.softTimeout === undefined ? this.#softTimeoutMs : parseTtl(options.softTimeout, 'softTimeout');
    let timer: NodeJS.Timeout | undefined;
    const soft =
      softMs === undefined
        ? undefined
        : new Promise<typeof SOFT_TIMEOUT>((resolve) => (timer = setTimeout(resolve, softMs, SOFT_TIMEOUT)));
    try {
      const first = await (soft ? Promise.race([run, soft]) : run);
      if (first === SOFT_TIMEOUT) {
        this.#refreshInBackground(key, run);
        return this.#serveStale(key, staleValue, 'factory-timeout');
      }
      return { value: first, stale: false };
    } catch (error) {
      // Cancelled (every waiter gave up, or close) or the value could not be stored: no fail-safe.
      if (isCallerError(error) || signal.aborted || storeFailures.has(error as object)) throw error;
      const reason =
        (error as { code?: string }).code === 'TIERCACHE_FACTORY_TIMEOUT'
          ? 'factory-timeout'
          : 'factory-error';
      // Keep the stale value fresh in the local tiers for a while: retry the factory later, not on every call.
      const backoff = this.#graceBackoffMs + this.#graceMs;
      await Promise.allSettled(
        this.#tiers
          .filter((t) => t.local)
          .map((t) => t.run('set', () => t.backend.setWithTtl(key, staleValue, t.scaleTtl(backoff)))),
      );
      return this.#serveStale(key, staleValue, reason);
    } finally {
      clearTimeout(timer);
    }
  }

  #serveStale(key: string, value: V, reason: 'factory-error' | 'factory-timeout'): GetOrSetResult<V> {
    this.#stats.staleServed++;
    if (this.#events.has('stale')) this.#events.emit('stale', { key, reason });
    return { value, stale: true };
  }

  async #compute(
    key: string,
    factory: Factory<V>,
    ttlMs: number,
    timeoutMs: number | undefined,
    signal: AbortSignal,
    broadcast: boolean | undefined,
  ): Promise<V> {
    this.#stats.factoryRuns++;
    this.#stats.inFlight++;
    if (this.#events.has('factory:start')) this.#events.emit('factory:start', { key });
    const started = performance.now();
    let value: V;
    const timeout = timeoutMs === undefined ? undefined : new AbortController();
    const factorySignal = AbortSignal.any(
      timeout ? [signal, timeout.signal, this.#closing.signal] : [signal, this.#closing.signal],
    );
    try {
      let run = Promise.resolve().then(() => factory({ key, signal: factorySignal }));
      if (timeout !== undefined && timeoutMs !== undefined) {
        run = withTimeout(run, timeoutMs, 'factory').catch((error: unknown) => {
          if ((error as { code?: string }).code === 'TIERCACHE_TIMEOUT') {
            const timedOut = new FactoryTimeoutError(key, timeoutMs);
            timeout.abort(timedOut);
            throw timedOut;
          }
          throw error;
        });
      }
      value = await run;
      if (value === undefined) {
        throw new InvalidValueError(
          `factory for key "${key}" returned undefined; return null to cache a negative result`,
        );
      }
      if (typeof value === 'function' || typeof value === 'symbol') {
        throw new InvalidValueError(
          `factory for key "${key}" returned a ${typeof value}; cache data, not code`,
        );
      }
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new FactoryError(key, thrown);
      this.#stats.factoryErrors++;
      this.#stats.inFlight--;
      if (this.#events.has('factory:end')) {
        this.#events.emit('factory:end', { key, durationMs: performance.now() - started, ok: false, error });
      }
      throw error;
    }
    this.#stats.inFlight--;
    if (this.#events.has('factory:end')) {
      this.#events.emit('factory:end', { key, durationMs: performance.now() - started, ok: true });
    }
    try {
      await this.#writeAll(key, value, this.#jittered(ttlMs));
    } catch (error) {
      // The factory succeeded; storing failed (writeFailures "raise"): fail-safe must not mask that.
      if (typeof error === 'object' && error !== null) storeFailures.add(error);
      throw error;
    }
    if (this.#bus && (broadcast ?? this.#broadcastSets))
      this.#track(this.#bus.publish({ op: 'set', keys: [key] }));
    return value;
  }

  /** Write one entry to every tier; caller errors (bad value) clean up and reject. */
  async #writeAll(key: string, value: V, logicalTtlMs: number | undefined): Promise<void> {
    // Tiers keep entries for TTL + grace; freshness is remaining TTL > grace (scaled per tier).
    const ttlMs = logicalTtlMs === undefined ? undefined : logicalTtlMs + this.#graceMs;
    const tiers = this.#tiers;
    const writes: Promise<unknown>[] = new Array(tiers.length);
    for (let t = 0; t < tiers.length; t++) {
      const tier = tiers[t]!;
      const ttl = tier.scaleTtl(ttlMs);
      // In-process tiers have no breaker or timeout to go through: write directly.
      writes[t] = tier.local
        ? tier.backend.setWithTtl(key, value, ttl)
        : this.#tierWrite(
            tier,
            'set',
            () => tier.backend.setWithTtl(key, value, ttl),
            () => [pendingSet(tier, key, value, ttlMs)],
          );
    }
    const results = await Promise.allSettled(writes);
    for (const result of results) {
      if (result.status === 'rejected') {
        await this.#settleWrites(results, 'set', (tier) => [pendingSet(tier, key, value, ttlMs)], [key]);
        return;
      }
    }
  }

  /**
   * Report the failed tiers of a write. A caller error (the value cannot be stored) removes
   * `keys` from every tier and rejects with it. A tier error rejects with
   * `writeFailures: "raise"`; with `"tolerate"` the writes `missed(tier)` describes are kept
   * by that tier and applied when it answers again.
   */
  async #settleWrites(
    results: PromiseSettledResult<unknown>[],
    operation: string,
    missed: (tier: Tier<V>) => PendingWrite<V>[],
    keys?: string[],
  ): Promise<void> {
    let callerError: unknown;
    let tierError: unknown;
    for (let t = 0; t < results.length; t++) {
      const result = results[t]!;
      if (result.status === 'fulfilled') continue;
      if (isCallerError(result.reason)) {
        callerError ??= result.reason;
      } else {
        const tier = this.#tiers[t]!;
        this.#tierError(tier, operation, result.reason);
        tierError ??= result.reason;
        if (!this.#raiseWrites && tier.maxPendingWrites > 0) {
          for (const op of missed(tier)) tier.pending.add(op);
          this.#scheduleReplay(tier);
        }
      }
    }
    if (callerError !== undefined) {
      if (keys) {
        const removes = await Promise.allSettled(
          this.#tiers.map((tier) =>
            this.#tierWrite(
              tier,
              'remove',
              () => Promise.all(keys.map((key) => tier.backend.remove(key))),
              () => keys.map((key) => ({ kind: 'remove', key })),
            ),
          ),
        );
        await this.#settleWrites(removes, 'remove', () => keys.map((key) => ({ kind: 'remove', key })));
      }
      throw callerError;
    }
    if (tierError !== undefined && this.#raiseWrites) throw tierError;
  }

  /**
   * Apply the writes `tier` missed, oldest first. It runs when the tier answers a call again,
   * and on a timer (every second) so it also happens without traffic; a failure stops it until
   * the next try.
   */
  async #replayPending(tier: Tier<V>): Promise<void> {
    if (this.#replaying.has(tier) || this.#closed) return;
    this.#replaying.add(tier);
    const replay = (async () => {
      // Writes queued while replaying join the end; keep going until none is left.
      while (tier.pending.size > 0 && !this.#closed) {
        for (const { op, done } of tier.pending.drain()) {
          try {
            await tier.run('replay', () => applyPending(tier, op));
          } catch (error) {
            this.#tierError(tier, 'replay', error);
            // A value the tier refuses (too large, unserializable) will never go through: drop it.
            if (isCallerError(error)) {
              done();
              continue;
            }
            this.#scheduleReplay(tier);
            return;
          }
          done();
        }
      }
    })().finally(() => this.#replaying.delete(tier));
    this.#track(replay);
  }

  /**
   * Write to one tier. A remote tier that still has missed writes to apply gets this one
   * queued behind them (so an older missed write can never overwrite it); otherwise the call
   * goes through the tier's breaker and timeout.
   */
  #tierWrite<T>(
    tier: Tier<V>,
    operation: string,
    call: () => Promise<T>,
    missed: () => PendingWrite<V>[],
  ): Promise<T | undefined> {
    if (tier.local) return call();
    if (tier.pending.size > 0 || this.#replaying.has(tier)) {
      for (const op of missed()) tier.pending.add(op);
      void this.#replayPending(tier);
      return Promise.resolve(undefined);
    }
    return tier.run(operation, call);
  }

  #scheduleReplay(tier: Tier<V>): void {
    if (this.#replayTimers.has(tier) || this.#closed) return;
    const timer = setTimeout(() => {
      this.#replayTimers.delete(tier);
      if (tier.pending.size > 0) void this.#replayPending(tier);
    }, PENDING_RETRY_MS);
    timer.unref();
    this.#replayTimers.set(tier, timer);
  }

  #readMany(tier: Tier<V>, keys: string[]): Promise<(ValueWithTtl<V> | undefined)[]> {
    const backend = tier.backend;
    // Remaining TTLs keep promotion honest; adapters pipeline concurrent calls into one round trip.
    if (!tier.knowsTtl && typeof backend.getMany === 'function') {
      return backend
        .getMany(keys)
        .then((values) => values.map((v) => (v === undefined ? undefined : { value: v, ttlMs: undefined })));
    }
    return Promise.all(keys.map((key) => tier.read(key)));
  }

  async #applyRemote(message: BusOperation): Promise<void> {
    const locals = this.#tiers.filter((t) => t.local);
    if (message.op === 'delete' || message.op === 'set') {
      await Promise.all(locals.flatMap((t) => message.keys.map((key) => t.backend.remove(key))));
      if (this.#events.has('delete'))
        for (const key of message.keys) this.#events.emit('delete', { key, source: 'bus' });
    } else if (message.op === 'pattern') {
      await Promise.all(
        locals.map((t) =>
          t.backend.removePattern ? t.backend.removePattern(message.pattern) : clearTier(t),
        ),
      );
    } else {
      await this.#clearLocal();
    }
  }

  async #clearLocal(): Promise<void> {
    await Promise.all(this.#tiers.filter((t) => t.local).map((t) => clearTier(t)));
  }

  #ttlFor(options: SetOptions | undefined): number {
    if (options === undefined) return this.#defaultTtlMs;
    if (options.ttl !== undefined) return parseTtl(options.ttl, 'ttl') as number;
    if (options.strategy !== undefined) return options.strategy.ttlMs;
    return this.#defaultTtlMs;
  }

  #timeoutFor(options: GetOrSetOptions | undefined): number | undefined {
    return options?.timeout === undefined ? this.#factoryTimeoutMs : parseTtl(options.timeout, 'timeout');
  }

  #jittered(ttlMs: number): number {
    return this.#jitter === 0 ? ttlMs : Math.max(1, Math.round(ttlMs * (1 - Math.random() * this.#jitter)));
  }

  #tierError(tier: Tier<V>, operation: string, error: unknown): void {
    this.#stats.tierErrors[tier.index]!++;
    if (this.#events.has('tier:error')) {
      this.#events.emit('tier:error', { tier: tier.index, tierName: tier.name, operation, error });
    }
  }

  #emitHit(key: string, tier: number): void {
    if (this.#events.has('hit')) this.#events.emit('hit', { key, tier, tierName: this.#tiers[tier]!.name });
  }

  #track(promise: Promise<unknown>): void {
    this.#background.add(promise);
    promise.finally(() => this.#background.delete(promise)).catch(() => undefined);
  }

  #streamBackend(): StreamingBackend {
    this.#open();
    if (!this.#stream) throw new NoStreamError();
    return this.#stream;
  }

  #open(): void {
    if (this.#closed) throw new ClosedError(`TieredCache "${this.name}"`);
  }
}

/** A read through the tiers: the value, and whether it is within its TTL (not only within grace). */
interface ReadResult<V> {
  value: V;
  fresh: boolean;
}

function resultValue<V>(result: GetOrSetResult<V>): V {
  return result.value;
}

function isTierOptions<V>(input: CacheBackend<V> | TierOptions<V>): input is TierOptions<V> {
  return (
    typeof input === 'object' && input !== null && 'backend' in input && typeof input.backend === 'object'
  );
}

/** What the soft-timeout timer resolves with (a factory may return any value, strings included). */
const SOFT_TIMEOUT: unique symbol = Symbol('soft timeout');

/** Errors that came from storing a factory's result, not from the factory. */
const storeFailures = new WeakSet<object>();

/** How often missed writes are tried again while a tier has some. */
const PENDING_RETRY_MS = 1000;

/** The pending write for a `set` a tier missed: its expiry as this tier would have had it. */
function pendingSet<V>(tier: Tier<V>, key: string, value: V, ttlMs: number | undefined): PendingWrite<V> {
  const scaled = tier.scaleTtl(ttlMs);
  return { kind: 'set', key, value, expiresAt: scaled === undefined ? undefined : Date.now() + scaled };
}

/** Apply one missed write to its tier. */
function applyPending<V>(tier: Tier<V>, op: PendingWrite<V>): Promise<unknown> {
  const backend = tier.backend;
  switch (op.kind) {
    case 'set': {
      if (op.expiresAt === undefined) return backend.setWithTtl(op.key, op.value, undefined);
      const left = op.expiresAt - Date.now();
      return left > 0 ? backend.setWithTtl(op.key, op.value, left) : backend.remove(op.key);
    }
    case 'remove':
      return backend.remove(op.key);
    case 'pattern':
      return backend.removePattern ? backend.removePattern(op.pattern) : clearTier(tier);
    case 'clear':
      return clearTier(tier);
  }
}

function clearTier<V>(tier: Tier<V>): Promise<void> {
  if (typeof tier.backend.clear !== 'function') throw new UnsupportedOperationError(tier.name, 'clear');
  return tier.backend.clear();
}

/** The error a bad TTL raises, or `undefined` for a good one. */
function badTtl(ttl: unknown): unknown {
  try {
    parseTtl(ttl, 'ttl');
    return undefined;
  } catch (error) {
    return error;
  }
}

function validateValue(value: unknown): void {
  if (value === undefined) {
    throw new InvalidValueError('cannot cache undefined (it means "miss"); store null for a negative result');
  }
  const type = typeof value;
  if (type === 'function' || type === 'symbol') {
    throw new InvalidValueError(`cannot cache a ${type}; cache data, not code`);
  }
}
