import type { EntryTtl } from '../ttl.js';
import {
  checkCallOptions,
  type GetOrSetHit,
  type GetOrSetLoad,
  getOrSetCall,
  resultValue,
} from './call-options.js';
import type { CacheContext } from './context.js';
import type { Loader } from './get-or-set/loader.js';
import type {
  Factory,
  GetOrSetCall,
  GetOrSetOptions,
  GetOrSetResult,
  SetManyEntry,
  SetOptions,
} from './options.js';
import type { ReadPath } from './read-path.js';
import { SCOPE_SEPARATOR, type Scope } from './scope.js';
import { isTagged } from './tagged-entry.js';
import type { WritePath } from './write-path.js';

/** The parts of a `TieredCache` a namespace view calls (the same objects: one cache underneath). */
export interface CacheParts<V> {
  ctx: CacheContext<V>;
  reads: ReadPath<V>;
  writes: WritePath<V>;
  loader: Loader<V>;
}

/**
 * A view of a `TieredCache` whose keys and tags live apart from the cache's and from other
 * namespaces' (from `cache.namespace('users')`). It shares the tiers, the bus, the stats and the
 * events (which name stored keys: `"\u001fusers\u001f" + key`).
 *
 * `clear()` empties only this namespace (and the namespaces inside it), in every tier and
 * instance, without listing keys: every entry written here carries the namespace's own tag,
 * and `clear()` invalidates that tag (see `invalidateTags` for the cost and staleness bounds).
 * Entries cleared this way stay in the tiers until their TTL ends, unreachable.
 *
 * Keys are stored as `"\u001f<name>\u001f<key>"` (nested: `"\u001f<a>\u001f<b>\u001f<key>"`):
 * cache keys cannot contain U+001F, so no key of the cache or of another namespace can reach them.
 */
export class CacheNamespace<V = unknown> {
  readonly #parts: CacheParts<V>;
  readonly #scope: Scope;
  readonly #hit: GetOrSetHit<V> = (key) => this.#l1Hit(key);
  readonly #load: GetOrSetLoad<V> = (key, factory, options) =>
    this.#parts.loader.getOrSet(key, factory, options, this.#scope);

  /** @internal Built by `TieredCache.namespace()` and `CacheNamespace.namespace()`. */
  constructor(
    parts: CacheParts<V>,
    scope: Scope,
    readonly name: string,
  ) {
    this.#parts = parts;
    this.#scope = scope;
  }

  /** A namespace inside this one (`clear()` of this one clears it too). */
  namespace(name: string): CacheNamespace<V> {
    return new CacheNamespace(this.#parts, this.#scope.child(name), `${this.name}/${name}`);
  }

  /** The value under `key` in this namespace, or `undefined` (see `TieredCache.get`). */
  get(key: string): Promise<V | undefined> {
    const value = this.#l1Hit(key);
    return value !== undefined ? Promise.resolve(value) : this.#parts.reads.get(key, this.#scope);
  }

  /** `true` when some tier has `key` in this namespace. */
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Values for `keys` in order (`undefined` for misses). */
  getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    return this.#parts.reads.getMany(keys, this.#scope);
  }

  /** Store `value` under `key` in this namespace, in every tier (see `TieredCache.set`). */
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    checkCallOptions('set', options);
    return this.#parts.writes.set(key, value, options, this.#scope);
  }

  /** Store several entries in this namespace. */
  setMany(entries: readonly SetManyEntry<V>[]): Promise<void> {
    return this.#parts.writes.setMany(entries, this.#scope);
  }

  /** Remove `key` from this namespace in every tier and instance. */
  delete(key: string): Promise<void> {
    return this.#parts.writes.delete(key, this.#scope);
  }

  /** Same as {@link CacheNamespace.delete}. */
  invalidate(key: string): Promise<void> {
    return this.#parts.writes.delete(key, this.#scope);
  }

  /** Remove `keys` from this namespace in every tier and instance. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#parts.writes.deleteMany(keys, this.#scope);
  }

  /** Remove this namespace's keys matching a glob (see `TieredCache.invalidatePattern`). */
  invalidatePattern(pattern: string): Promise<number> {
    return this.#parts.writes.removePattern(pattern, this.#scope);
  }

  /** Make every entry of this namespace carrying one of `tags` a miss (tags are per namespace). */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.#parts.writes.invalidateTags(tags, this.#scope);
  }

  /** Empty this namespace (and those inside it) in every tier and instance, without listing keys. */
  clear(): Promise<void> {
    return this.#parts.writes.invalidateStoredTags([this.#scope.prefix]);
  }

  /** The value under `key`, or the factory's result stored in every tier (see `TieredCache.getOrSet`). */
  getOrSet(key: string, factory: Factory<V>, options?: GetOrSetOptions): Promise<V>;
  /** The same, with the key, the factory and the options in one object. */
  getOrSet(call: GetOrSetCall<V>): Promise<V>;
  getOrSet(keyOrCall: string | GetOrSetCall<V>, factory?: Factory<V>, options?: GetOrSetOptions): Promise<V> {
    return this.getOrSetResult(keyOrCall as string, factory!, options).then(resultValue);
  }

  /** Like {@link CacheNamespace.getOrSet}, and says whether the value is stale. */
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

  /** The remaining TTL of `key` in this namespace (see `TieredCache.ttl`). */
  ttl(key: string): Promise<number | undefined> {
    return this.#parts.reads.remainingTtl(key, this.#scope);
  }

  /** Give `key` a new TTL from now in every tier (see `TieredCache.expire`). */
  expire(key: string, ttl: EntryTtl): Promise<boolean> {
    const reads = this.#parts.reads;
    return this.#parts.writes.expire(key, ttl, (k, ticket) => reads.readForRewrite(k, ticket), this.#scope);
  }

  /**
   * A fresh L1 entry of this namespace, counted as a hit: always tagged (the namespace's tag),
   * so checked against the tag table, like any tagged L1 hit.
   */
  #l1Hit(key: string): V | undefined {
    const ctx = this.#parts.ctx;
    const peek = ctx.l1Peek;
    if (peek === undefined || typeof key !== 'string') return undefined;
    const stored = this.#scope.prefix + key;
    const entry = peek(stored);
    // A key holding the separator would reach a nested namespace: the slow path refuses it.
    if (entry === undefined || !isTagged(entry) || key.includes(SCOPE_SEPARATOR)) return undefined;
    const value = ctx.tags.freshValue(entry) as V | undefined;
    if (value !== undefined) {
      ctx.stats.requests++;
      ctx.countHit(stored, 0);
    }
    return value;
  }
}
