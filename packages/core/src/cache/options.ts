import type { CacheBackend, StreamingBackend } from '../contracts.js';
import type { BusOptions } from '../invalidation-bus.js';
import type { CacheStrategy } from '../strategies.js';
import type { Duration, EntryTtl } from '../ttl.js';
import type { TierOptions } from './tier.js';

/** Options for a {@link TieredCache}, validated once in the constructor. */
export interface TieredCacheOptions<V = unknown> {
  /** Name for stats, events and metrics. Default `"tiercache"`. */
  name?: string;
  /**
   * The tiers, fastest first (L1, L2, ...; any number). A bare backend uses the default tier
   * options. Default: one in-process `MemoryBackend`. The tiers do not decide the value type
   * (`NoInfer`): declare it (`new TieredCache<Product>(...)`) or it is `unknown`.
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
  /**
   * Write only the in-process tiers (L1), not the shared ones below — for values that must not
   * leave this process, or to warm L1 (BentoCache's `skipL2Write`). Default `false`.
   */
  localOnly?: boolean;
  /** This entry's TTL, or `FOREVER` for no expiry; overrides `strategy` and the cache default. */
  ttl?: EntryTtl;
  /**
   * Tags of this entry (at most 64, each a non-empty string of at most 256 characters without
   * control characters). `invalidateTags([tag])` makes every entry carrying one of them a miss,
   * in every tier and instance. Tagged entries are stored in a small envelope with their tags
   * and write time; an untagged entry is stored as before.
   */
  tags?: readonly string[];
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
  /**
   * Skip every tier and run the factory (single-flighted with other `forceFresh` calls for the
   * key), storing its result as usual. Default `false`.
   */
  forceFresh?: boolean;
  /** `false`: no fail-safe for this call (a factory error is thrown even with a stale value at hand). */
  grace?: false;
}

/** {@link TieredCache.getOrSet} with one options object: the key and the factory in it. */
export interface GetOrSetCall<V> extends GetOrSetOptions {
  key: string;
  factory: Factory<V>;
}

/** What {@link TieredCache.getOrSetResult} returns: the value and whether it is stale. */
export interface GetOrSetResult<V> {
  value: V;
  /** `true` when the value is past its TTL and was served by fail-safe (factory failed or slow). */
  stale: boolean;
}

/** What a factory receives. */
export interface FactoryContext<V = unknown> {
  /** The key being computed. */
  key: string;
  /** Aborted when every waiter gave up, on hard timeout, or on `close()`. */
  signal: AbortSignal;
  /**
   * The stale value this run may replace (within `grace`), for a conditional refresh; `undefined`
   * when there is none.
   */
  stale: V | undefined;
  /** Return this run's value to its callers without storing it in any tier. */
  skip(): void;
  /**
   * Fail this run with `error` and serve no stale value for it (fail-safe is for failures you
   * did not decide on). Throws; use as `return ctx.fail(new Error('gone'))` or `throw`.
   */
  fail(error: unknown): never;
  /** Store this run's value for `ttl` (or `FOREVER`) instead of the call's TTL (decide from the value). */
  setTtl(ttl: EntryTtl): void;
  /** Store this run's value with these tags instead of the call's `tags` (decide from the value). */
  setTags(tags: readonly string[]): void;
}

/**
 * Computes a value on a miss; return `null` to cache a negative result.
 *
 * (Declared through a method so its parameter is checked bivariantly: a `TieredCache<string>`
 * stays assignable to a `TieredCache<unknown>` although the context carries the stale `V`.)
 */
export type Factory<V> = { factory(context: FactoryContext<V>): V | Promise<V> }['factory'];

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
