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
import { ExpiryQueue, monotonicNow, Slot } from './expiry.js';
import { type LruBackendOptions, type LruCloneMode, resolveLruOptions } from './lru-options.js';
import { estimateEntrySize } from './size-estimate.js';

const DONE: Promise<void> = Promise.resolve();

/**
 * The in-process tier on `lru-cache`: bounded by entries and/or bytes, per-entry TTL, and a
 * synchronous `peek` that costs one `lru-cache` `get`. It reports remaining TTLs, so it can sit
 * at any level of a `TieredCache`, though it is meant as L1.
 *
 * Expiry does not cost the hit path a clock check: each entry records when it expires, and one
 * unref'd timer per backend removes entries as they fall due (see `ttlResolutionMs` for how
 * late that can be; `ttlResolutionMs: 0` checks the clock on every read instead).
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
  /** How precisely entries expire, in ms (`ttlResolutionMs` option). */
  readonly ttlResolutionMs: number;
  readonly #lru: LRUCache<string, Slot<V>>;
  /** The entries with a TTL, by expiry; its timer removes them as they fall due. */
  readonly #expiry: ExpiryQueue;
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
    // Set before the cache, whose dispose hook (an overwrite, a delete, an eviction) takes the
    // replaced slot out of the queue.
    const expiry = new ExpiryQueue((slot) => {
      if (this.#lru.peek(slot.key) === slot) this.#lru.delete(slot.key);
    }, o.ttlResolutionMs);
    this.#expiry = expiry;
    this.#lru = new LRUCache<string, Slot<V>>({
      max: o.maxEntries ?? 0,
      ...(o.maxBytes !== undefined && { maxSize: o.maxBytes }),
      ...(o.maxEntryBytes !== undefined && { maxEntrySize: o.maxEntryBytes }),
      // No lru-cache TTLs: its per-read expiry check is what the slots and the queue replace.
      allowStale: false,
      updateAgeOnGet: false,
      updateAgeOnHas: false,
      dispose: (slot) => expiry.remove(slot),
    });
    const lru = this.#lru;
    this.peek = peekFor(lru, o.ttlResolutionMs === 0, o.clone === 'structured');
    // A copy per read cannot be shared, so structured mode has no peekResolved.
    if (o.clone !== 'structured') this.peekResolved = resolvedFor(lru, o.ttlResolutionMs === 0);
  }

  /** Entries held (expired ones count until the expiry timer or an eviction removes them). */
  get size(): number {
    return this.#lru.size;
  }

  /** Total bytes held as measured by `sizeOf`; 0 when neither `maxBytes` nor `maxEntryBytes` is set. */
  get calculatedSize(): number {
    return this.#lru.calculatedSize;
  }

  /**
   * The value under `key`, synchronously; `undefined` on a miss or after expiry (with
   * `ttlResolutionMs` above 0, once the expiry timer has run: see that option).
   */
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
   * held (which would keep the expiry timer from removing the entry). An entry past its expiry
   * reads as a miss here, whatever `ttlResolutionMs`.
   */
  peekWithTtl(key: string): ValueWithTtl<V> | undefined {
    const slot = this.#lru.get(key);
    if (slot === undefined) return undefined;
    const expiresAt = slot.expiresAt;
    if (expiresAt === Number.POSITIVE_INFINITY) return { value: this.#read(slot), ttlMs: undefined };
    const remaining = expiresAt - monotonicNow();
    // Rounded down, so a copy made from it never outlives this entry; under 1 ms left is a miss.
    if (remaining < 1) return undefined;
    return { value: this.#read(slot), ttlMs: Math.floor(remaining) };
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
    for (const [key, slot] of this.#lru.entries()) {
      if (slot.expiresAt <= now) matches.push(key);
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
    // The queue first: the cache's dispose hook then finds nothing to take out.
    this.#expiry.clear();
    this.#lru.clear();
    return DONE;
  }

  healthCheck(): Promise<boolean> {
    return Promise.resolve(!this.#guard.closed);
  }

  /** Drop every entry; later calls reject with `ClosedError` (`peek` misses). Idempotent. */
  close(): Promise<void> {
    return this.#guard.close(() => {
      this.#expiry.clear();
      this.#lru.clear();
    });
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
    const now = ttl === 0 ? 0 : monotonicNow();
    // From the exact reading: an entry expires neither early nor late by the clock's rounding.
    const expiresAt = ttl === 0 ? Number.POSITIVE_INFINITY : now + ttl;
    const slot = new Slot<V>(key, this.#toStored(key, value), expiresAt);
    const sizeOf = this.#sizeOf;
    if (sizeOf === undefined) {
      this.#lru.set(key, slot);
      if (ttl !== 0) this.#expiry.add(slot, now);
      return;
    }
    this.#lru.set(key, slot, { size: measure(sizeOf, slot.value, key) });
    // A write lru-cache refused (larger than maxEntryBytes) is not queued.
    if (ttl !== 0 && this.#lru.peek(key) === slot) this.#expiry.add(slot, now);
  }

  #read(slot: Slot<V>): V {
    return this.clone === 'structured' ? structuredClone(slot.value) : slot.value;
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
 * The synchronous read for a backend's mode: by default one lru-cache get and the slot's value
 * (expired slots are removed by the expiry timer); `exact` (`ttlResolutionMs: 0`) also checks
 * the clock; `structured` returns a copy.
 */
function peekFor<V>(lru: LRUCache<string, Slot<V>>, exact: boolean, structured: boolean): (key: string) => V | undefined {
  if (!exact && !structured) {
    return (key) => {
      const slot = lru.get(key);
      return slot === undefined ? undefined : slot.value;
    };
  }
  return (key) => {
    const slot = liveSlot(lru, key, exact);
    if (slot === undefined) return undefined;
    return structured ? structuredClone(slot.value) : slot.value;
  };
}

/** The slot under `key`; with `exact`, an expired one is removed and reads as a miss. */
function liveSlot<V>(lru: LRUCache<string, Slot<V>>, key: string, exact: boolean): Slot<V> | undefined {
  const slot = lru.get(key);
  if (slot === undefined || !exact || slot.expiresAt > monotonicNow()) return slot;
  lru.delete(key);
  return undefined;
}

/** {@link LruBackend.peekResolved} for a backend's mode (`exact`: `ttlResolutionMs: 0`). */
function resolvedFor<V>(lru: LRUCache<string, Slot<V>>, exact: boolean): (key: string) => Promise<V> | undefined {
  return (key) => {
    const slot = liveSlot(lru, key, exact);
    if (slot === undefined) return undefined;
    const resolved = slot.resolved;
    if (resolved !== undefined) return resolved;
    const value = slot.value;
    // A value with a `then` method would be adopted as a promise: it gets a new promise per
    // read, as `Promise.resolve(peek(key))` would give, instead of one shared result.
    if (isThenable(value)) return Promise.resolve(value);
    return (slot.resolved = Object.freeze(Promise.resolve(value)));
  };
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
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
