import {
  type CacheEntry,
  globToRegExp,
  InvalidOptionError,
  InvalidValueError,
  type L2CacheBackend,
  parseTtl,
  type ValueWithTtl,
} from '@tiercache/core';
import { ClosedGuard } from '@tiercache/core/adapter';
import { LRUCache } from 'lru-cache';
import { deepFreeze } from './deep-freeze.js';
import { type LruBackendOptions, type LruCloneMode, resolveLruOptions } from './lru-options.js';
import { estimateEntrySize } from './size-estimate.js';

/** lru-cache's value type excludes `null`; the backend stores `null` as a value all the same. */
type Stored = NonNullable<unknown>;

const DONE: Promise<void> = Promise.resolve();

/**
 * The in-process tier on `lru-cache`: bounded by entries and/or bytes, per-entry TTL, and a
 * synchronous `peek` that costs one `lru-cache` `get`. It reports remaining TTLs, so it can sit
 * at any level of a `TieredCache`, though it is meant as L1.
 *
 * Reads never throw and never allocate in the default `clone: 'none'` mode. Writes validate
 * the TTL (`InvalidTtlError`) and reject `undefined` values (`InvalidValueError`); after
 * `close()` every call rejects with `ClosedError` (the synchronous `peek`/`peekWithTtl` miss).
 *
 * @example
 * ```ts
 * const l1 = new LruBackend({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
 * await l1.setWithTtl('user:1', { name: 'Ada' }, 60_000);
 * l1.peek('user:1'); // { name: 'Ada' }
 * ```
 */
export class LruBackend<V = unknown> implements L2CacheBackend<V> {
  readonly name: string;
  readonly local = true;
  /** The longest TTL this tier keeps (`maxTtlMs` option), or `undefined` for no limit. */
  readonly maxTtlMs?: number;
  /** How values are protected from mutation (`clone` option). */
  readonly clone: LruCloneMode;
  /** How long lru-cache may reuse one clock reading, in ms (`ttlResolutionMs` option). */
  readonly ttlResolutionMs: number;
  readonly #lru: LRUCache<string, Stored>;
  readonly #defaultTtlMs: number | undefined;
  /** Set when entries carry a size (maxBytes or maxEntryBytes); otherwise sizes are never computed. */
  readonly #sizeOf: ((value: V, key: string) => number) | undefined;
  readonly #guard: ClosedGuard;

  constructor(options: LruBackendOptions<V>) {
    const o = resolveLruOptions(options);
    this.name = o.name;
    this.#guard = new ClosedGuard(`LruBackend "${o.name}"`);
    if (o.maxTtlMs !== undefined) this.maxTtlMs = o.maxTtlMs;
    this.clone = o.clone;
    this.#defaultTtlMs = o.defaultTtlMs;
    this.ttlResolutionMs = o.ttlResolutionMs;
    const sized = o.maxBytes !== undefined || o.maxEntryBytes !== undefined;
    this.#sizeOf = sized ? (o.sizeOf ?? estimateEntrySize) : undefined;
    this.#lru = new LRUCache<string, Stored>({
      max: o.maxEntries ?? 0,
      ...(o.maxBytes !== undefined && { maxSize: o.maxBytes }),
      ...(o.maxEntryBytes !== undefined && { maxEntrySize: o.maxEntryBytes }),
      // Expired entries are dropped when touched; no timer per entry.
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
      updateAgeOnHas: false,
      // Above 0, lru-cache reuses one clock reading until a timer clears it, which halves the
      // cost of a hit on an entry with a TTL. The reading can be older than a later write's
      // start, which peekWithTtl corrects for.
      ttlResolution: o.ttlResolutionMs,
    });
    if (o.clone === 'structured') {
      // An own property instead of a branch in peek, so the default mode's hot path stays a
      // single lru-cache get.
      this.peek = (key: string): V | undefined => {
        const value = this.#lru.get(key) as V | undefined;
        return value === undefined ? undefined : structuredClone(value);
      };
    }
  }

  /** Entries held (expired ones count until they are touched or evicted). */
  get size(): number {
    return this.#lru.size;
  }

  /** Total bytes held as measured by `sizeOf`; 0 when neither `maxBytes` nor `maxEntryBytes` is set. */
  get calculatedSize(): number {
    return this.#lru.calculatedSize;
  }

  /** The value under `key`, synchronously; `undefined` on a miss or after expiry. */
  peek(key: string): V | undefined {
    return this.#lru.get(key) as V | undefined;
  }

  /**
   * The value and its remaining TTL (`undefined` = never expires), synchronously. The TTL is
   * never more than was written: the clock reading lru-cache reuses (see `ttlResolutionMs`) may
   * predate the write, so the figure is cut to the TTL written and lowered by the resolution; an
   * entry with nothing left after that reads as a miss.
   */
  peekWithTtl(key: string): ValueWithTtl<V> | undefined {
    // One lookup that also reports the entry's TTL and start, instead of get + getRemainingTTL.
    const status: LRUCache.Status<string, Stored> = {};
    const stored = this.#lru.get(key, { status }) as V | undefined;
    if (stored === undefined) return undefined;
    const value = this.clone === 'structured' ? structuredClone(stored) : stored;
    const { ttl, remainingTTL } = status;
    if (ttl === undefined || remainingTTL === undefined) return { value, ttlMs: undefined };
    const remaining = Math.min(ttl, remainingTTL - this.ttlResolutionMs);
    // TTLs are stored in whole ms, so rounding up never reports more than was written.
    return remaining > 0 ? { value, ttlMs: Math.ceil(remaining) } : undefined;
  }

  get(key: string): Promise<V | undefined> {
    return this.#guard.closed ? this.#closedCall() : Promise.resolve(this.peek(key));
  }

  getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    return this.#guard.closed ? this.#closedCall() : Promise.resolve(this.peekWithTtl(key));
  }

  getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    return this.#guard.closed ? this.#closedCall() : Promise.resolve(keys.map((key) => this.peek(key)));
  }

  setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    try {
      this.#set(key, value, ttlMs);
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  setMany(entries: readonly CacheEntry<V>[]): Promise<void> {
    try {
      for (const entry of entries) this.#set(entry.key, entry.value, entry.ttlMs);
      return DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  remove(key: string): Promise<void> {
    if (this.#guard.closed) return this.#closedCall();
    this.#lru.delete(key);
    return DONE;
  }

  /** Remove every live key matching the glob (`*`, `?`, `\` escapes); resolves how many. */
  removePattern(pattern: string): Promise<number> {
    if (this.#guard.closed) return this.#closedCall();
    const re = globToRegExp(pattern);
    // Expired entries go first so they are neither counted nor left behind.
    this.#lru.purgeStale();
    const matches: string[] = [];
    for (const key of this.#lru.keys()) if (re.test(key)) matches.push(key);
    for (const key of matches) this.#lru.delete(key);
    return Promise.resolve(matches.length);
  }

  clear(): Promise<void> {
    if (this.#guard.closed) return this.#closedCall();
    this.#lru.clear();
    return DONE;
  }

  healthCheck(): Promise<boolean> {
    return Promise.resolve(!this.#guard.closed);
  }

  /** Drop every entry; later calls reject with `ClosedError` (`peek` misses). Idempotent. */
  close(): Promise<void> {
    return this.#guard.close(() => this.#lru.clear());
  }

  /** What every call but `close()` answers after `close()`. */
  #closedCall(): Promise<never> {
    return Promise.reject(this.#guard.error());
  }

  #set(key: string, value: V, ttlMs: number | undefined): void {
    this.#guard.check();
    if (value === undefined) {
      throw new InvalidValueError(
        `cannot cache undefined under "${key}": undefined means a miss; cache null instead`,
      );
    }
    const ttl = this.#ttl(ttlMs);
    const stored = this.#toStored(key, value);
    const sizeOf = this.#sizeOf;
    if (sizeOf === undefined) {
      this.#lru.set(key, stored, { ttl });
      return;
    }
    this.#lru.set(key, stored, { ttl, size: measure(sizeOf, stored as V, key) });
  }

  /** lru-cache's TTL for a write: whole ms >= 1, or 0 for "never expires". */
  #ttl(ttlMs: number | undefined): number {
    let ttl = ttlMs === undefined ? (this.#defaultTtlMs ?? this.maxTtlMs) : parseTtl(ttlMs, 'ttlMs');
    if (ttl === undefined) return 0;
    if (this.maxTtlMs !== undefined && ttl > this.maxTtlMs) ttl = this.maxTtlMs;
    // Rounded down so an entry never outlives what was asked, but never to 0 (= forever).
    return Math.max(1, Math.floor(ttl));
  }

  #toStored(key: string, value: V): Stored {
    if (this.clone === 'none') return value as Stored;
    if (this.clone === 'freeze') return deepFreeze(value) as Stored;
    try {
      return structuredClone(value) as Stored;
    } catch (error) {
      throw new InvalidValueError(
        `value for "${key}" cannot be copied with structuredClone (${(error as Error).message}); cache plain data or use clone: 'none'`,
      );
    }
  }
}

function measure<V>(sizeOf: (value: V, key: string) => number, value: V, key: string): number {
  const bytes = sizeOf(value, key);
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) {
    throw new InvalidOptionError(
      `sizeOf returned ${String(bytes)} for key "${key}"; it must return a finite number of bytes >= 0`,
    );
  }
  // lru-cache needs a positive whole number.
  return Math.max(1, Math.ceil(bytes));
}

/** Options for {@link lruTier}: the same as {@link LruBackendOptions}. */
export type LruTierOptions<V = unknown> = LruBackendOptions<V>;

/**
 * Build an {@link LruBackend}: the factory form, for tier lists.
 *
 * @example
 * ```ts
 * const cache = new TieredCache({ tiers: [lruTier({ maxEntries: 10_000 }), redisTier] });
 * ```
 */
export function lruTier<V = unknown>(options: LruTierOptions<V>): LruBackend<V> {
  return new LruBackend<V>(options);
}
