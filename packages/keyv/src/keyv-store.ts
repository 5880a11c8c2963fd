import { EventEmitter } from 'node:events';
import { InvalidOptionError, InvalidValueError, type TieredCache } from '@tiercache/core';
import type { DeserializedData, KeyvStoreAdapter, StoredData } from 'keyv';
import {
  isKeyvEnvelope,
  type KeyvDeserialize,
  type KeyvEnvelope,
  keyvDefaultDeserialize,
} from './keyv-envelope.js';

/** Options for {@link toKeyvStore}. */
export interface TieredKeyvStoreOptions {
  /**
   * Decodes what the Keyv's serializer wrote, when the Keyv in front serializes (Keyv's
   * default). Pass the same function you gave Keyv as `deserialize`. Default: a decoder of
   * Keyv's default format (`@keyv/serialize`).
   */
  deserialize?: KeyvDeserialize;
}

/** One entry of Keyv's `setMany`. */
interface KeyvStoreEntry {
  key: string;
  value: unknown;
  ttl?: number;
}

/**
 * A `TieredCache` seen as a Keyv storage adapter, so Keyv, cache-manager and anything else
 * built on Keyv can use tiercache's tiers, single-flight-free reads and cross-instance
 * invalidation. Built by {@link toKeyvStore}.
 *
 * The cache holds plain values, not Keyv's serialized envelopes: code that uses the
 * `TieredCache` directly sees what was stored through Keyv (under Keyv's key prefix,
 * `"<namespace>:"`, unless the Keyv has no namespace or `useKeyPrefix: false`).
 */
export class TieredKeyvStore<V = unknown> extends EventEmitter implements KeyvStoreAdapter {
  /** Keyv reads `opts` from every store; this one has nothing for it to configure. */
  opts: { dialect: 'tiercache' } = { dialect: 'tiercache' };
  /** Set by Keyv to its namespace; `clear()` uses it to clear only this namespace. */
  namespace?: string | undefined;
  /** The cache behind this store. */
  readonly cache: TieredCache<V>;
  readonly #deserialize: KeyvDeserialize;

  constructor(cache: TieredCache<V>, options: TieredKeyvStoreOptions = {}) {
    super();
    if (
      typeof cache !== 'object' ||
      cache === null ||
      typeof cache.get !== 'function' ||
      typeof cache.set !== 'function'
    ) {
      throw new InvalidOptionError('toKeyvStore needs a TieredCache instance');
    }
    if (options.deserialize !== undefined && typeof options.deserialize !== 'function') {
      throw new InvalidOptionError(
        'toKeyvStore deserialize must be a function (data: string) => { value, expires }',
      );
    }
    this.cache = cache;
    this.#deserialize = options.deserialize ?? keyvDefaultDeserialize;
  }

  /**
   * The value under `key` as `{ value, expires: undefined }` (Keyv accepts objects from a
   * store without deserializing them). `expires` is unknown: `TieredCache` does not expose
   * remaining TTLs, so Keyv's raw reads and cache-manager's `ttl()` cannot report one.
   */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const value = await this.cache.get(key);
    return value === undefined ? undefined : envelope<Value>(value);
  }

  /** Values for `keys`, in order, as {@link TieredKeyvStore.get} returns them. */
  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const values = await this.cache.getMany(keys);
    // Array.from, not map: a miss may be a hole in the array, and Keyv walks it with for-in.
    return Array.from(values, (value) => (value === undefined ? undefined : envelope<Value>(value)));
  }

  /**
   * Store what Keyv passes: a `{ value, expires }` object, or the text its serializer made of
   * one (decoded with `deserialize`). `ttl` is in ms; without one the entry gets the cache's
   * default TTL (a `TieredCache` entry always expires).
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const entry = await this.#unwrap(value);
    const ttlMs = remainingTtl(entry, ttl);
    if (ttlMs !== undefined && ttlMs <= 0) {
      await this.cache.delete(key);
      return true;
    }
    await this.cache.set(key, entry.value as V, ttlMs === undefined ? undefined : { ttl: ttlMs });
    return true;
  }

  /** Store several entries with one batched write per tier. */
  async setMany(entries: KeyvStoreEntry[]): Promise<void> {
    const live: { key: string; value: V; ttl?: number }[] = [];
    const expired: string[] = [];
    for (const e of entries) {
      const entry = await this.#unwrap(e.value);
      const ttlMs = remainingTtl(entry, e.ttl);
      if (ttlMs !== undefined && ttlMs <= 0) expired.push(e.key);
      else
        live.push(
          ttlMs === undefined
            ? { key: e.key, value: entry.value as V }
            : { key: e.key, value: entry.value as V, ttl: ttlMs },
        );
    }
    await this.cache.setMany(live);
    await Promise.all(expired.map((key) => this.cache.delete(key)));
  }

  /**
   * Remove `key` from every tier; `true` when it was there. Finding that out costs one read
   * (counted in the cache's stats like any `has`).
   */
  async delete(key: string): Promise<boolean> {
    const existed = await this.cache.has(key);
    await this.cache.delete(key);
    return existed;
  }

  /** Remove several keys; `true` when at least one was there. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const existed = await Promise.all(keys.map((key) => this.delete(key)));
    return existed.includes(true);
  }

  /** `true` when some tier has `key`. */
  async has(key: string): Promise<boolean> {
    return this.cache.has(key);
  }

  /**
   * With a namespace (Keyv's default is `"keyv"`), remove the keys under `"<namespace>:"`
   * with `invalidatePattern` (every tier must support pattern deletes); without one, clear
   * the whole cache.
   */
  async clear(): Promise<void> {
    if (this.namespace) {
      await this.cache.invalidatePattern(`${escapeGlob(this.namespace)}:*`);
    } else {
      await this.cache.clear();
    }
  }

  async #unwrap(value: unknown): Promise<KeyvEnvelope> {
    const entry = typeof value === 'string' ? await this.#deserialize(value) : value;
    if (!isKeyvEnvelope(entry)) {
      throw new InvalidValueError(
        'toKeyvStore got something other than what Keyv hands a store ({ value, expires } or its serialized text); use the store through new Keyv({ store })',
      );
    }
    return entry;
  }
}

/**
 * Expose a `TieredCache` as a Keyv storage adapter:
 * `new Keyv({ store: toKeyvStore(cache) })`, or cache-manager's
 * `createCache({ stores: [new Keyv({ store: toKeyvStore(cache) })] })`.
 *
 * Recommended Keyv settings: `serialize: undefined, deserialize: undefined` (the cache's
 * remote tiers serialize on their own, so Keyv need not serialize twice), and `namespace: ''`
 * when Keyv and direct `TieredCache` users should share keys.
 */
export function toKeyvStore<V = unknown>(
  cache: TieredCache<V>,
  options?: TieredKeyvStoreOptions,
): TieredKeyvStore<V> {
  return new TieredKeyvStore<V>(cache, options);
}

function envelope<Value>(value: unknown): DeserializedData<Value> {
  return { value: value as Value, expires: undefined };
}

/** The TTL to write, in whole ms: Keyv's `ttl` argument, else what is left until `expires`. */
function remainingTtl(entry: KeyvEnvelope, ttl: number | undefined): number | undefined {
  if (typeof ttl === 'number' && ttl > 0) return Math.ceil(ttl);
  if (typeof entry.expires === 'number') return Math.ceil(entry.expires - Date.now());
  return undefined;
}

/** Make every glob character in `text` literal for `invalidatePattern`. */
function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}
