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
import { CoarseClock, Entry, monotonicNow, resolvedOf } from './entry.js';
import { type LruBackendOptions, type LruCloneMode, resolveLruOptions } from './lru-options.js';
import { estimateEntrySize } from './size-estimate.js';

const DONE: Promise<void> = Promise.resolve();

/**
 * The in-process tier on `lru-cache`: bounded by entries and/or bytes, per-entry TTL, and a
 * synchronous `peek` that costs one `lru-cache` `get`. It reports remaining TTLs, so it can sit
 * at any level of a `TieredCache`, though it is meant as L1.
 *
 * `peekResolved` returns a hit as a frozen promise kept with the entry (one per write), which
 * `TieredCache` hands out for an L1 hit without allocating.
 *
 * Reads never throw; in the default `clone: 'none'` mode `peek` never allocates and
 * `peekResolved` allocates once per write (the promise it keeps). Writes validate
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
  /** How long a clock reading may be reused for expiry checks, in ms (`ttlResolutionMs` option). */
  readonly ttlResolutionMs: number;
  readonly #lru: LRUCache<string, Entry<V>>;
  readonly #clock: CoarseClock;
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
    this.#lru = new LRUCache<string, Entry<V>>({
      max: o.maxEntries ?? 0,
      ...(o.maxBytes !== undefined && { maxSize: o.maxBytes }),
      ...(o.maxEntryBytes !== undefined && { maxEntrySize: o.maxEntryBytes }),
      // No lru-cache TTLs: entries carry their expiry, checked by peek against this.#clock.
      // Expired entries are dropped when touched or evicted; no timer per entry.
      allowStale: false,
      updateAgeOnGet: false,
      updateAgeOnHas: false,
    });
    this.#clock = new CoarseClock(o.ttlResolutionMs);
    const clock = this.#clock;
    const lru = this.#lru;
    this.peek = peekFor(lru, clock, o.clone === 'structured');
    // A copy per read cannot be shared, so structured mode has no peekResolved.
    if (o.clone !== 'structured') {
      this.peekResolved = (key) => {
        const entry = fresh(lru, clock, key);
        return entry === undefined ? undefined : resolvedOf(entry);
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
  peek: (key: string) => V | undefined;

  /**
   * A hit as an already-resolved, frozen promise of its value (the same promise for every read
   * of one write), or `undefined` on a miss: what `TieredCache` returns for an L1 hit, with no
   * allocation per read. Not offered with `clone: 'structured'` (each read needs its own copy).
   */
  peekResolved?: (key: string) => Promise<V> | undefined;

  /**
   * The value and its remaining TTL (`undefined` = never expires), synchronously, from a fresh
   * clock reading: never more than was written, nor than is left, even while the event loop is
   * held (when the reused reading is old). An entry past its expiry, or with less than
   * 1 ms left, reads as a miss here, whatever `ttlResolutionMs`.
   */
  peekWithTtl(key: string): ValueWithTtl<V> | undefined {
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    const expiresAt = entry.expiresAt;
    if (expiresAt === Number.POSITIVE_INFINITY) return { value: this.#read(entry), ttlMs: undefined };
    // From a fresh reading (the reused one may be old while the event loop is held), rounded
    // down: never more than was written nor than is left, so a copy never outlives this entry.
    const remaining = expiresAt - monotonicNow();
    if (remaining < 1) return undefined;
    return { value: this.#read(entry), ttlMs: Math.floor(remaining) };
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
    // Expired entries are removed too, but not counted.
    const now = monotonicNow();
    const matches: string[] = [];
    let live = 0;
    for (const [key, entry] of this.#lru.entries()) {
      if (entry.expiresAt <= now) matches.push(key);
      else if (re.test(key)) {
        matches.push(key);
        live++;
      }
    }
    for (const key of matches) this.#lru.delete(key);
    return Promise.resolve(live);
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
    // From an exact reading, which the clock keeps for reuse: never seen expired early.
    const expiresAt = ttl === 0 ? Number.POSITIVE_INFINITY : this.#clock.read() + ttl;
    const entry = new Entry<V>(this.#toStored(key, value), expiresAt);
    const sizeOf = this.#sizeOf;
    if (sizeOf === undefined) this.#lru.set(key, entry);
    else this.#lru.set(key, entry, { size: measure(sizeOf, entry.value, key) });
  }

  #read(entry: Entry<V>): V {
    return this.clone === 'structured' ? structuredClone(entry.value) : entry.value;
  }

  /** The TTL of a write: whole ms >= 1, or 0 for "never expires". */
  #ttl(ttlMs: number | undefined): number {
    let ttl = ttlMs === undefined ? (this.#defaultTtlMs ?? this.maxTtlMs) : parseTtl(ttlMs, 'ttlMs');
    if (ttl === undefined) return 0;
    if (this.maxTtlMs !== undefined && ttl > this.maxTtlMs) ttl = this.maxTtlMs;
    // Rounded down so an entry never outlives what was asked, but never to 0 (= forever).
    return Math.max(1, Math.floor(ttl));
  }

  #toStored(key: string, value: V): V {
    if (this.clone === 'none') return value;
    if (this.clone === 'freeze') return deepFreeze(value);
    try {
      return structuredClone(value);
    } catch (error) {
      throw new InvalidValueError(
        `value for "${key}" cannot be copied with structuredClone (${(error as Error).message}); cache plain data or use clone: 'none'`,
      );
    }
  }
}

/**
 * The entry under `key` if it has not expired by `clock` (a reading it may reuse); an expired
 * one is removed and reads as a miss.
 */
function fresh<V>(lru: LRUCache<string, Entry<V>>, clock: CoarseClock, key: string): Entry<V> | undefined {
  const entry = lru.get(key);
  if (entry === undefined || entry.expiresAt > clock.now()) return entry;
  lru.delete(key);
  return undefined;
}

/** The synchronous read for a backend's mode: the entry's value, or a copy (`structured`). */
function peekFor<V>(
  lru: LRUCache<string, Entry<V>>,
  clock: CoarseClock,
  structured: boolean,
): (key: string) => V | undefined {
  if (structured) {
    return (key) => {
      const entry = fresh(lru, clock, key);
      return entry === undefined ? undefined : structuredClone(entry.value);
    };
  }
  return (key) => {
    const entry = fresh(lru, clock, key);
    return entry === undefined ? undefined : entry.value;
  };
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
