import { EventEmitter } from 'node:events';
import { InvalidOptionError, InvalidValueError, type TieredCache } from '@tiercache/core';
import { hasMethods, OptionReader } from '@tiercache/core/adapter';
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

/**
 * Keyv's store-level settings (`store.opts`). Keyv and its test suite set `deserialize` there
 * to say how the text its serializer writes is read back; it wins over
 * {@link TieredKeyvStoreOptions.deserialize}.
 */
export interface TieredKeyvStoreOpts {
  dialect: 'tiercache';
  deserialize?: KeyvDeserialize | undefined;
}

/** The most Keyv expiries one cache remembers (oldest forgotten first); see {@link TieredKeyvStore}. */
export const MAX_REMEMBERED_EXPIRIES = 10_000;

/**
 * What every store over one cache shares: its `opts`, and the absolute expiry Keyv gave each
 * key written through it, so Keyv's own clock decides when an entry is gone.
 */
interface SharedState {
  opts: TieredKeyvStoreOpts;
  expiries: Map<string, number>;
}
const shared = new WeakMap<object, SharedState>();

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
 *
 * Expiry follows Keyv: the entry is written with the TTL left until Keyv's `expires`, and
 * reads hand Keyv that `expires` back, so Keyv's clock (a faked one included) decides when an
 * entry is gone, as with any Keyv store. The expiries are remembered in this process, for at
 * most {@link MAX_REMEMBERED_EXPIRIES} keys per cache (oldest forgotten first); an entry
 * written elsewhere, or forgotten, is read with `expires: undefined` and ends with its TTL in
 * the tiers. Every store over the same cache shares that memory and its `opts`.
 */
export class TieredKeyvStore<V = unknown> extends EventEmitter implements KeyvStoreAdapter {
  /** Keyv's store-level settings; `opts.deserialize` is honoured (see {@link TieredKeyvStoreOpts}). */
  readonly opts: TieredKeyvStoreOpts;
  /** Set by Keyv to its namespace; `clear()` uses it to clear only this namespace. */
  namespace?: string | undefined;
  /** The cache behind this store. */
  readonly cache: TieredCache<V>;
  readonly #deserialize: KeyvDeserialize;
  readonly #expiries: Map<string, number>;

  constructor(cache: TieredCache<V>, options: TieredKeyvStoreOptions = {}) {
    super();
    if (!hasMethods(cache, ['get', 'set'])) {
      throw new InvalidOptionError('toKeyvStore needs a TieredCache instance');
    }
    new OptionReader<TieredKeyvStoreOptions>('toKeyvStore', options, ['deserialize']).fn(
      'deserialize',
      '(data: string) => { value, expires }',
    );
    this.cache = cache;
    this.#deserialize = options.deserialize ?? keyvDefaultDeserialize;
    let state = shared.get(cache);
    if (state === undefined) {
      state = { opts: { dialect: 'tiercache' }, expiries: new Map() };
      shared.set(cache, state);
    }
    this.opts = state.opts;
    this.#expiries = state.expiries;
  }

  /**
   * The value under `key` as `{ value, expires }` (Keyv accepts objects from a store without
   * deserializing them), `expires` being what Keyv set when this process wrote it, else
   * `undefined`.
   */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const value = await this.cache.get(key);
    return value === undefined ? undefined : this.#envelope<Value>(key, value);
  }

  /** Values for `keys`, in order, as {@link TieredKeyvStore.get} returns them. */
  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const values = await this.cache.getMany(keys);
    // Array.from, not map: a miss may be a hole in the array, and Keyv walks it with for-in.
    return Array.from(values, (value, i) =>
      value === undefined ? undefined : this.#envelope<Value>(keys[i] as string, value),
    );
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
      this.#expiries.delete(key);
      await this.cache.delete(key);
      return true;
    }
    await this.cache.set(key, entry.value as V, ttlMs === undefined ? undefined : { ttl: ttlMs });
    this.#remember(key, entry, ttlMs);
    return true;
  }

  /** Store several entries with one batched write per tier. */
  async setMany(entries: KeyvStoreEntry[]): Promise<void> {
    const live: { key: string; value: V; ttl?: number }[] = [];
    const expired: string[] = [];
    for (const e of entries) {
      const entry = await this.#unwrap(e.value);
      const ttlMs = remainingTtl(entry, e.ttl);
      if (ttlMs !== undefined && ttlMs <= 0) {
        expired.push(e.key);
        this.#expiries.delete(e.key);
      } else {
        live.push(
          ttlMs === undefined
            ? { key: e.key, value: entry.value as V }
            : { key: e.key, value: entry.value as V, ttl: ttlMs },
        );
        this.#remember(e.key, entry, ttlMs);
      }
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
    this.#expiries.delete(key);
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
      const prefix = `${this.namespace}:`;
      for (const key of this.#expiries.keys()) if (key.startsWith(prefix)) this.#expiries.delete(key);
      await this.cache.invalidatePattern(`${escapeGlob(this.namespace)}:*`);
    } else {
      this.#expiries.clear();
      await this.cache.clear();
    }
  }

  #envelope<Value>(key: string, value: unknown): DeserializedData<Value> {
    return { value: value as Value, expires: this.#expiries.get(key) };
  }

  /** Remember Keyv's absolute expiry of `key` (bounded; the oldest key is forgotten first). */
  #remember(key: string, entry: KeyvEnvelope, ttlMs: number | undefined): void {
    this.#expiries.delete(key);
    const expires = typeof entry.expires === 'number' ? entry.expires : undefined;
    if (expires === undefined && ttlMs === undefined) return;
    this.#expiries.set(key, expires ?? Date.now() + (ttlMs as number));
    if (this.#expiries.size > MAX_REMEMBERED_EXPIRIES) {
      const oldest = this.#expiries.keys().next().value;
      if (oldest !== undefined) this.#expiries.delete(oldest);
    }
  }

  async #unwrap(value: unknown): Promise<KeyvEnvelope> {
    const decode = this.opts.deserialize ?? this.#deserialize;
    const entry = typeof value === 'string' ? await decode(value) : value;
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
