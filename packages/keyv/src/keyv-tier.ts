import {
  type CacheEntry,
  globToRegExp,
  InvalidKeyError,
  InvalidOptionError,
  InvalidTtlError,
  InvalidValueError,
  type L2CacheBackend,
  TierError,
  type ValueWithTtl,
} from '@tiercache/core';
import { ClosedGuard, closeOwned, hasMethods, OptionReader, shown } from '@tiercache/core/adapter';
import { Keyv, type KeyvStoreAdapter } from 'keyv';

/** Options for {@link keyvTier}. */
export interface KeyvTierOptions {
  /** Name in stats, events and errors. Default `"keyv"`. */
  name?: string;
  /**
   * `true` when the store lives in this process (no I/O): the manager then skips timeouts and
   * the circuit breaker for it and clears it when the bus resyncs. Default: `true` only when
   * the Keyv's store is a `Map` (Keyv's default in-memory store), `false` for anything else.
   */
  local?: boolean;
  /**
   * `close()` also disconnects the Keyv (and so its store's connections). Default `false`: the
   * Keyv or store you pass stays yours to close, as every client handed to tiercache does.
   */
  closeClient?: boolean;
}

/** What {@link keyvTier} accepts: a Keyv instance, or a store to wrap in one. */
export type KeyvTierInput = Keyv | KeyvStoreAdapter | Map<unknown, unknown>;

/** Read by `healthCheck` straight from the store; never written. */
const HEALTH_PROBE_KEY = '__tiercache_health_probe__';

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['name', 'local', 'closeClient']);

/**
 * A tier over any Keyv store (Redis, Postgres, SQLite, Mongo, etcd, a `Map`, ...): everything
 * goes through Keyv, so its namespace, serializer and compression apply. Keyv keeps each
 * entry's absolute expiry next to the value, so this tier always reports remaining TTLs
 * (`getWithTtl`) and promotions out of it keep the entry's real lifetime.
 *
 * Build it with {@link keyvTier}.
 */
export class KeyvTier<V = unknown> implements L2CacheBackend<V> {
  readonly name: string;
  readonly local: boolean;
  /** The Keyv instance all calls go through. */
  readonly keyv: Keyv;
  /**
   * Delete every key of the Keyv's namespace matching a glob. Present only when Keyv can
   * iterate the store (the `Map` store, and adapters such as `@keyv/redis`, `@keyv/postgres`);
   * it walks the whole namespace, so its cost grows with the number of keys.
   */
  declare readonly removePattern?: (pattern: string) => Promise<number>;
  readonly #closed: ClosedGuard;
  readonly #closeClient: boolean;

  constructor(input: KeyvTierInput, options: KeyvTierOptions = {}) {
    checkOptions(options);
    checkInput(input);
    this.#closeClient = options.closeClient === true;
    this.keyv = isKeyv(input) ? input : new Keyv({ store: input, throwOnErrors: true });
    this.name = options.name ?? 'keyv';
    this.#closed = new ClosedGuard(`keyv tier "${this.name}"`);
    this.local = options.local ?? this.keyv.store instanceof Map;
    const iterate = this.keyv.iterator;
    if (typeof iterate === 'function') {
      this.removePattern = (pattern) => this.#removePattern(iterate, pattern);
    }
  }

  async get(key: string): Promise<V | undefined> {
    this.#closed.check();
    checkKey(key);
    return (await this.keyv.get<V>(key)) as V | undefined;
  }

  async getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#closed.check();
    checkKey(key);
    const raw = await this.keyv.get<V>(key, { raw: true });
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw.expires !== 'number') return { value: raw.value as V, ttlMs: undefined };
    const ttlMs = raw.expires - Date.now();
    // Keyv still returns an entry in the millisecond it expires; the contract wants ttlMs > 0.
    return ttlMs > 0 ? { value: raw.value as V, ttlMs } : undefined;
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#closed.check();
    if (keys.length === 0) return [];
    return (await this.keyv.getMany<V>([...keys])) as (V | undefined)[];
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#closed.check();
    checkKey(key);
    checkValue(value);
    const ok = await this.keyv.set(key, value, keyvTtl(ttlMs));
    if (ok === false) throw writeFailed(this.name, 'set', `key "${key}"`);
  }

  async setMany(entries: readonly CacheEntry<V>[]): Promise<void> {
    this.#closed.check();
    if (entries.length === 0) return;
    for (const e of entries) {
      checkKey(e.key);
      checkValue(e.value);
      keyvTtl(e.ttlMs);
    }
    const results: unknown = await this.keyv.setMany(
      entries.map((e) => ({ key: e.key, value: e.value, ttl: keyvTtl(e.ttlMs) })),
    );
    if (Array.isArray(results) && results.includes(false)) {
      throw writeFailed(this.name, 'setMany', `${entries.length} entries`);
    }
  }

  async remove(key: string): Promise<void> {
    this.#closed.check();
    checkKey(key);
    await this.keyv.delete(key);
  }

  async clear(): Promise<void> {
    this.#closed.check();
    await this.keyv.clear();
  }

  async healthCheck(): Promise<boolean> {
    if (this.#closed.closed) return false;
    try {
      // Straight to the store: Keyv's own get turns store errors into misses.
      await this.keyv.store.get(HEALTH_PROBE_KEY);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Later calls reject with `ClosedError`. With `closeClient: true`, also disconnects the Keyv
   * (and so its store's connections); otherwise they stay open for their owner to close.
   */
  close(): Promise<void> {
    return this.#closed.close(() => closeOwned(this.#closeClient, () => this.keyv.disconnect()));
  }

  async #removePattern(iterate: NonNullable<Keyv['iterator']>, pattern: string): Promise<number> {
    this.#closed.check();
    const re = globToRegExp(pattern);
    const matched: string[] = [];
    // Collect first, delete after: deleting while a store's cursor is open can skip keys.
    for await (const entry of iterate(this.keyv.namespace)) {
      const key: unknown = Array.isArray(entry) ? entry[0] : undefined;
      if (typeof key === 'string' && re.test(key)) matched.push(key);
    }
    if (matched.length === 0) return 0;
    await this.keyv.deleteMany(matched);
    return matched.length;
  }
}

/**
 * Use a Keyv instance, or any Keyv store, as a tiercache tier.
 *
 * A bare store (or `Map`) is wrapped in `new Keyv({ store, throwOnErrors: true })`. When you
 * pass your own Keyv, create it with `throwOnErrors: true`: otherwise Keyv turns a failing
 * store's reads into misses, and the manager can neither count the errors nor open the
 * circuit breaker (failed writes are still reported, as Keyv returns `false` for them).
 *
 * @example
 * ```ts
 * import KeyvRedis from '@keyv/redis';
 * const l2 = keyvTier(new Keyv({ store: new KeyvRedis(url), namespace: 'app', throwOnErrors: true }));
 * const cache = new TieredCache({ tiers: [new MemoryBackend(), l2] });
 * ```
 */
export function keyvTier<V = unknown>(input: KeyvTierInput, options?: KeyvTierOptions): KeyvTier<V> {
  return new KeyvTier<V>(input, options);
}

/**
 * Keyv reads `ttl: undefined` as "use the Keyv's default TTL" and `0` as "never expires", so
 * tiercache's "no TTL" must become 0. Stores such as Redis (`PX`) need whole milliseconds.
 */
/** Keyv's TTL for ours: 0 means "never expires" to Keyv; a bad TTL is refused, not guessed. */
function keyvTtl(ttlMs: number | undefined): number {
  if (ttlMs === undefined) return 0;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new InvalidTtlError(
      `keyv tier: ttlMs must be a finite number of milliseconds > 0, or undefined for no expiry; got ${String(ttlMs)}`,
    );
  }
  return Math.ceil(ttlMs);
}

/** `TieredCache` checks keys first; this catches direct calls Keyv would take silently. */
function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidKeyError(
      `keyv tier: key must be a non-empty string, got ${key === '' ? '""' : typeof key}`,
    );
  }
}

/** Keyv stores `undefined` as a miss and drops functions; refuse them so a write is never a silent no-op. */
function checkValue(value: unknown): void {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new InvalidValueError(
      `keyv tier: cannot store ${value === undefined ? 'undefined' : `a ${typeof value}`}; undefined means a miss, store null for "no value"`,
    );
  }
}

function writeFailed(tier: string, operation: string, what: string): TierError {
  return new TierError(
    tier,
    operation,
    new Error(
      `Keyv reported the write of ${what} as failed; create the Keyv with throwOnErrors: true to get the store's own error`,
    ),
  );
}

function isKeyv(input: KeyvTierInput): input is Keyv {
  if (input instanceof Keyv) return true;
  // Another copy of the keyv package: recognise it by the methods only Keyv itself has.
  const candidate = input as Partial<Keyv>;
  return typeof candidate.getRaw === 'function' && typeof candidate.hooks === 'object';
}

/** The methods Keyv needs of a store (a `Map` has them too). */
const STORE_METHODS = ['get', 'set', 'delete', 'clear'] as const;

/** A Keyv, or something Keyv can wrap; anything else is refused here, not by Keyv later. */
function checkInput(input: unknown): void {
  if (hasMethods(input, STORE_METHODS)) return;
  throw new InvalidOptionError(
    `keyvTier: input must be a Keyv, a Keyv store (${STORE_METHODS.join(', ')}) or a Map, got ${shown(input)}`,
  );
}

function checkOptions(options: KeyvTierOptions): void {
  // Keyv's own options (namespace, ttl, serialize) belong on the Keyv instance, not here.
  const read = new OptionReader<KeyvTierOptions>(
    'keyvTier',
    options,
    [...KNOWN_OPTIONS] as (keyof KeyvTierOptions)[],
    {
      namespace: 'name',
    },
  );
  read.string('name');
  read.boolean('local');
  read.boolean('closeClient');
}
