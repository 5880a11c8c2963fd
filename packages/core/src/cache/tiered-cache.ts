import { randomUUID } from 'node:crypto';
import type {
  StreamAddOptions,
  StreamEntry,
  StreamFields,
  StreamingBackend,
  StreamReadOptions,
} from '../contracts.js';
import { NoStreamError } from '../errors.js';
import { CacheEventEmitter, type CacheEvents } from '../events.js';
import { CacheStats, type CacheStatsSnapshot } from '../stats.js';
import type { EntryTtl } from '../ttl.js';
import { bindBus } from './bus-binding.js';
import {
  checkCallOptions,
  type GetOrSetHit,
  type GetOrSetLoad,
  getOrSetCall,
  resultValue,
} from './call-options.js';
import { resolveConfig } from './config.js';
import { CacheContext } from './context.js';
import { DistributedLock } from './get-or-set/distributed-lock.js';
import { FactoryRunner } from './get-or-set/factory-runner.js';
import { FailSafe } from './get-or-set/fail-safe.js';
import { Loader } from './get-or-set/loader.js';
import { closeCache } from './lifecycle.js';
import { CacheNamespace, type CacheParts } from './namespace.js';
import type {
  Factory,
  GetOrSetCall,
  GetOrSetOptions,
  GetOrSetResult,
  SetManyEntry,
  SetOptions,
  TieredCacheOptions,
  TierHealth,
} from './options.js';
import { ReadPath } from './read-path.js';
import { Replayer } from './replay.js';
import { Scope } from './scope.js';
import { WritePath } from './write-path.js';

/**
 * One cache over several tiers: reads go down the tiers until a hit and copy the value up with
 * its remaining TTL; writes go to every tier; `getOrSet` runs a factory once per key per
 * process (and across processes with a lockable shared tier); a bus keeps other instances'
 * in-process tiers from serving stale values.
 *
 * Writes win: a value read (or computed) before a write, delete, invalidation or clear of its
 * key is never written into a tier after it (see docs/consistency.md).
 *
 * The L1 hit path is synchronous under the promise: one `peek`, one counter, no serialization,
 * no copy. Everything else is delegated to the parts in `cache/`.
 */
export class TieredCache<V = unknown> {
  readonly name: string;
  /** This instance's id on the bus (its own messages are ignored). */
  readonly instanceId: string = randomUUID();
  readonly #ctx: CacheContext<V>;
  /**
   * The first tier's synchronous read of a fresh value, when it has one: the hot path. Once a
   * tagged entry was written or read here, the one that checks tagged entries (see constructor).
   */
  #l1Peek: ((key: string) => V | undefined) | undefined;
  /** The same hot path as a promise the first tier keeps per entry (until the first tag). */
  #l1Resolved: ((key: string) => Promise<V> | undefined) | undefined;
  readonly #eager: boolean;
  readonly #stats: CacheStats;
  readonly #events = new CacheEventEmitter();
  readonly #reads: ReadPath<V>;
  readonly #writes: WritePath<V>;
  readonly #replayer: Replayer<V>;
  readonly #failSafe: FailSafe<V>;
  readonly #loader: Loader<V>;
  readonly #parts: CacheParts<V>;
  /** `getOrSet`'s L1 answer off the inline fast path (options given, or the object form). */
  readonly #hit: GetOrSetHit<V> = (key, factory, options) =>
    this.#eager ? this.#failSafe.eagerHit(key, factory, options) : this.#l1Hit(key);
  readonly #load: GetOrSetLoad<V> = (key, factory, options) => this.#loader.getOrSet(key, factory, options);
  readonly #busReady: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;

  constructor(options: TieredCacheOptions<V> = {}) {
    const config = resolveConfig(options);
    this.name = config.name;
    this.#stats = new CacheStats(config.tiers.map((t) => t.backend.name));
    let replayer: Replayer<V> | undefined;
    const ctx = new CacheContext<V>(config, this.#stats, this.#events, (tier) => replayer?.replay(tier));
    this.#ctx = ctx;
    this.#l1Peek = ctx.l1Peek;
    this.#l1Resolved = ctx.l1PeekResolved;
    this.#eager = config.eagerRefresh > 0;
    replayer = new Replayer(ctx);
    this.#replayer = replayer;
    this.#reads = new ReadPath(ctx);
    this.#writes = new WritePath(ctx, replayer);
    const runner = new FactoryRunner(ctx, this.#writes);
    const lock = new DistributedLock(ctx, this.#reads, runner);
    this.#failSafe = new FailSafe(ctx, lock, runner);
    this.#loader = new Loader(ctx, this.#reads, lock, this.#failSafe);
    this.#parts = { ctx, reads: this.#reads, writes: this.#writes, loader: this.#loader };
    // Untagged entries keep the plain peek until the first tagged entry shows up here.
    if (ctx.l1Peek !== undefined) {
      ctx.onFirstTag = () => {
        this.#l1Peek = ctx.taggedL1Peek();
        this.#l1Resolved = undefined;
      };
    }
    if (config.bus) this.#busReady = bindBus(ctx, config.bus, this.instanceId);
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
    return this.#ctx.tiers.map((t) => t.name);
  }

  /** A copy of the counters. */
  stats(): CacheStatsSnapshot {
    return this.#stats.snapshot(
      this.#ctx.tiers.map((t) => ({
        breaker: t.breaker?.state ?? 'closed',
        pendingWrites: t.pending.size,
        droppedWrites: t.pending.dropped,
        refusedWrites: t.pending.refused,
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
    return this.#l1HitPromise(key) ?? this.#reads.get(key);
  }

  /** `true` when some tier has `key` (a read like `get`, promotion included). */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Values for `keys` in order (`undefined` for misses), one batched read per tier. */
  getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    return this.#reads.getMany(keys);
  }

  /**
   * Store `value` under `key` in every tier. Resolves once every tier answered. A value a tier
   * refuses (cannot be serialized, too large) rejects the call and leaves the key absent in
   * every tier rather than different values in different tiers.
   */
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    checkCallOptions('set', options);
    return this.#writes.set(key, value, options);
  }

  /** Store several entries; one batched write per tier where the tier supports it. */
  setMany(entries: readonly SetManyEntry<V>[]): Promise<void> {
    return this.#writes.setMany(entries);
  }

  /** Remove `key` from every tier and tell other instances to drop their local copy. */
  delete(key: string): Promise<void> {
    return this.#writes.delete(key);
  }

  /** Same as {@link TieredCache.delete}: the name used by the seed and the invalidation docs. */
  invalidate(key: string): Promise<void> {
    return this.#writes.delete(key);
  }

  /**
   * Remove every key matching a glob (`*`, `?`) from every tier, and from other instances'
   * local tiers. Rejects with `UnsupportedOperationError` naming the tier before touching
   * anything when a remote tier cannot delete by pattern (memcached cannot list keys).
   */
  invalidatePattern(pattern: string): Promise<number> {
    return this.#writes.removePattern(pattern);
  }

  /** Empty every tier (each backend's own namespace only) and other instances' local tiers. */
  clear(): Promise<void> {
    return this.#writes.clear();
  }

  /**
   * Make every entry carrying one of `tags` a miss, in every tier and every instance (set them
   * with `set(key, value, { tags })` or `getOrSet(..., { tags })`). Costs the same whatever the
   * number of entries with the tags: the time of the invalidation is written under one key per
   * tag in each shared tier and sent on the bus; entries are checked against it when read.
   *
   * Reads: a tagged entry from a shared tier is checked against the times stored in that tier,
   * in one more batched read; a tagged L1 hit against the in-process table (one map lookup per
   * tag), which this call updates at once and the bus updates elsewhere, so another instance's
   * L1 may serve a tagged entry until the message arrives (the same bound as `delete`). Untagged
   * entries cost nothing more. A tag-invalidated entry is never served as stale by fail-safe.
   * Reads and factories in flight here when it is called store nothing; elsewhere what they
   * store is older than the invalidation and reads as a miss. Times are wall-clock ms: clocks
   * of the instances must agree (NTP), a skew of S ms can let an entry written up to S ms before
   * the invalidation survive it. Rejects with the tier's error when a shared tier did not take it.
   */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.#writes.invalidateTags(tags);
  }

  /**
   * A view of this cache whose keys and tags are its own, sharing tiers, bus, stats and events;
   * its `clear()` empties only it, in every tier and instance (see {@link CacheNamespace}).
   * Names: non-empty strings without control characters; views nest up to 8 deep.
   */
  namespace(name: string): CacheNamespace<V> {
    return new CacheNamespace(this.#parts, Scope.root.child(name), name);
  }

  /**
   * The value under `key`, or the factory's result stored in every tier. Concurrent calls for
   * one key share one factory run in this process (and across processes when a shared tier
   * can lock); every waiter gets the value or the error; a failed run stores nothing.
   */
  getOrSet(key: string, factory: Factory<V>, options?: GetOrSetOptions): Promise<V>;
  /** The same, with the key, the factory and the options in one object. */
  getOrSet(call: GetOrSetCall<V>): Promise<V>;
  getOrSet(keyOrCall: string | GetOrSetCall<V>, factory?: Factory<V>, options?: GetOrSetOptions): Promise<V> {
    if (options === undefined && typeof keyOrCall !== 'object') {
      // The hot path, inline: `(key, factory)` answered from L1 with no further call.
      if (this.#eager) {
        const value = this.#failSafe.eagerHit(keyOrCall, factory!, undefined);
        if (value !== undefined) return Promise.resolve(value);
      } else {
        const hit = this.#l1HitPromise(keyOrCall);
        if (hit !== undefined) return hit;
      }
      return this.#loader.getOrSet(keyOrCall, factory!, undefined).then(resultValue);
    }
    return getOrSetCall(keyOrCall, factory, options, this.#hit, this.#load).then(resultValue);
  }

  /**
   * Like {@link TieredCache.getOrSet}, and says whether the value is stale (served by
   * fail-safe within the `grace` window because the factory failed or was slow).
   */
  getOrSetResult(key: string, factory: Factory<V>, options?: GetOrSetOptions): Promise<GetOrSetResult<V>>;
  /** The same, with the key, the factory and the options in one object. */
  getOrSetResult(call: GetOrSetCall<V>): Promise<GetOrSetResult<V>>;
  getOrSetResult(
    keyOrCall: string | GetOrSetCall<V>,
    factory?: Factory<V>,
    options?: GetOrSetOptions,
  ): Promise<GetOrSetResult<V>> {
    return getOrSetCall(keyOrCall, factory, options, this.#hit, this.#load);
  }

  /** Remove `keys` from every tier, and from other instances' local tiers in one bus message. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#writes.deleteMany(keys);
  }

  /**
   * The remaining TTL of `key` as the cache sees it, in ms, from the fastest tier holding a
   * fresh entry (`Infinity` for an entry that never expires), or `undefined` when no tier has
   * it (or the tier that has it cannot tell remaining TTLs). Nothing is promoted.
   */
  ttl(key: string): Promise<number | undefined> {
    return this.#reads.remainingTtl(key);
  }

  /**
   * Give `key` a new TTL from now in every tier, keeping its value (read from the fastest tier
   * holding it — from a shared tier with guarded writes when there is one — then written back).
   * Resolves `false` when no tier has it, or when a write of the key came in between (that write wins).
   */
  expire(key: string, ttl: EntryTtl): Promise<boolean> {
    // Not a request: nothing is counted as a hit or a miss.
    return this.#writes.expire(key, ttl, (k, ticket) => this.#reads.readForRewrite(k, ticket));
  }

  /** Health of each tier, measured now, with the time each took to answer. */
  async healthCheck(): Promise<{ healthy: boolean; tiers: TierHealth[] }> {
    const tiers = await Promise.all(this.#ctx.tiers.map((tier) => tier.health()));
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
    this.#closePromise ??= closeCache(this.#ctx, this.#loader.flights, this.#replayer, this.name);
    return this.#closePromise;
  }

  /**
   * The L1 hit path of `get` and `getOrSet(key, factory)`: the promise the first tier keeps for
   * the entry when it has one (no allocation per hit), else {@link TieredCache.#l1Hit}'s value.
   */
  #l1HitPromise(key: string): Promise<V> | undefined {
    const resolved = this.#l1Resolved;
    if (resolved === undefined) {
      const value = this.#l1Hit(key);
      return value === undefined ? undefined : Promise.resolve(value);
    }
    const hit = resolved(key);
    if (hit !== undefined) this.#countL1Hit(key);
    return hit;
  }

  /** The one L1 hit path as a value (`getOrSetResult`, and the promise path's fallback), counted. */
  #l1Hit(key: string): V | undefined {
    const peek = this.#l1Peek;
    if (peek === undefined) return undefined;
    const value = peek(key);
    if (value !== undefined) this.#countL1Hit(key);
    return value;
  }

  /** Counted here rather than through the context: this is the hottest path there is. */
  #countL1Hit(key: string): void {
    this.#stats.fastL1Hits++;
    if (this.#events.listenerCount > 0) this.#ctx.emitHit(key, 0);
  }

  #streamBackend(): StreamingBackend {
    this.#ctx.open();
    const stream = this.#ctx.config.stream;
    if (!stream) throw new NoStreamError();
    return stream;
  }
}
