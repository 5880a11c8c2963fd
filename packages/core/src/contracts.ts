/**
 * The contracts every tier and stream implements. They follow the seed's Rust traits
 * (`CacheBackend`, `L2CacheBackend`, `StreamingBackend`) with JavaScript's conventions:
 * `undefined` is a miss, `null` is a value, durations are milliseconds.
 *
 * The conformance suite in `@tiercache/conformance` is the executable form of these contracts.
 *
 * Errors, the same in every backend (the adapter kit's `ValueCodec` applies the first two):
 * - a value the backend cannot encode rejects the write with `SerializationError` (a caller
 *   error: the manager leaves the key absent in every tier and the breaker untouched);
 * - **a stored value the backend cannot decode** (corrupt bytes, another writer's format)
 *   **rejects the read with `DeserializationError`**. The backend does not delete it (another
 *   writer may own it). `TieredCache` reports it as `tier:error`, answers a miss and leaves
 *   the breaker closed (the server answered);
 * - a server that fails or does not answer rejects with `TierError` / `TimeoutError`, never
 *   hangs past the backend's `timeoutMs`;
 * - any call but `close()` after `close()` rejects with `ClosedError`; `close()` is idempotent.
 *
 * Ownership: a backend, stream or transport closes what it created, and a client it was given
 * only when told to (`closeClient: true`).
 */

/** One entry for {@link CacheBackend.setMany}. */
export interface CacheEntry<V> {
  /** The key, already validated by the caller. */
  key: string;
  /** The value; `null` is stored as a value, never as a miss. */
  value: V;
  /** Time to live in milliseconds, or `undefined` for an entry that never expires. */
  ttlMs: number | undefined;
}

/** A value with the time it has left, as returned by {@link L2CacheBackend.getWithTtl}. */
export interface ValueWithTtl<V> {
  /** The stored value (may be `null`). */
  value: V;
  /** Remaining time to live in milliseconds (> 0), or `undefined` when the entry never expires. */
  ttlMs: number | undefined;
}

/**
 * A cache tier. Every method is asynchronous except the optional {@link CacheBackend.peek},
 * which in-process tiers offer so the manager can serve an L1 hit without a promise.
 *
 * Required: `name`, `get`, `setWithTtl`, `remove`, `healthCheck`. Everything else is an
 * optional capability the manager checks for and uses when present; a backend that cannot
 * do a thing leaves the method out rather than throwing from a stub.
 */
export interface CacheBackend<V = unknown> {
  /** A short name for stats, events and errors, e.g. `"lru"`, `"redis"`. */
  readonly name: string;
  /** `true` when the tier lives in this process (no I/O, no serialization). */
  readonly local?: boolean;
  /** The largest TTL the tier accepts, in ms; promotions into the tier are capped to it. */
  readonly maxTtlMs?: number;
  /**
   * Set by backends that bound every call themselves: each call settles (or rejects with
   * `TimeoutError`) within this many ms. The manager then adds no timer of its own unless the
   * tier's `timeout` option asks for one.
   */
  readonly timeoutMs?: number;

  /** The value under `key`, or `undefined` on a miss or after expiry. `null` is a hit. */
  get(key: string): Promise<V | undefined>;
  /**
   * Store `value` under `key` for `ttlMs` milliseconds (`undefined` = never expires).
   * Overwrites any previous value and its TTL.
   */
  setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void>;
  /** Remove `key`. Removing a missing key is not an error. */
  remove(key: string): Promise<void>;
  /** `true` when the tier answers; never throws, never hangs past the tier's own timeout. */
  healthCheck(): Promise<boolean>;

  /** Synchronous read for in-process tiers; `undefined` on a miss. */
  peek?(key: string): V | undefined;
  /** Synchronous read with remaining TTL for in-process tiers. */
  peekWithTtl?(key: string): ValueWithTtl<V> | undefined;
  /**
   * Optional, for in-process tiers that have `peek`: a hit as an already-resolved promise of
   * what `peek(key)` returns, or `undefined` on a miss (synchronously, never a promise of
   * `undefined`). The backend may hand out one promise per stored entry to every reader (frozen,
   * so no reader can change it for the others); a write, removal or expiry of the entry must
   * end it, so a read after a write never gets the promise of the value it replaced. The
   * manager's L1 fast path uses it to answer a hit without allocating a promise per call; it
   * is not a capability of {@link CacheCapability} (without it the manager wraps `peek`).
   */
  peekResolved?(key: string): Promise<V> | undefined;
  /** Values for `keys`, in order; `undefined` at the index of each miss. */
  getMany?(keys: readonly string[]): Promise<(V | undefined)[]>;
  /** Store several entries (ideally in one round trip). */
  setMany?(entries: readonly CacheEntry<V>[]): Promise<void>;
  /**
   * Remove every key matching a glob (`*` any run of characters, `?` one character).
   * Returns how many keys were removed (best effort for remote tiers).
   */
  removePattern?(pattern: string): Promise<number>;
  /** Remove every entry this backend owns (its namespace only, never a whole shared server). */
  clear?(): Promise<void>;
  /**
   * Release connections and timers. Calls after `close` may reject. Closes what the backend
   * created, and a client it was given only when told to (`closeClient`); see the core
   * README's "Ownership and close()".
   */
  close?(): Promise<void>;
  /**
   * Forget state cached from the server (e.g. memcached's namespace version), so the next call
   * reads it again. A `TieredCache` calls it when another instance cleared the cache (a bus
   * `clear`) or after missed bus messages: without it, a backend that caches a namespace
   * version would serve entries the other instance cleared until that cache expires, and the
   * cache would promote them into the tiers above for their whole TTL. Synchronous, never throws.
   */
  dropCachedState?(): void;
  /**
   * Try to take a lease named `key` for `leaseMs`. Resolves a token when acquired, `undefined`
   * when another holder has it. Used by the manager for cross-process single-flight.
   */
  acquireLock?(key: string, leaseMs: number): Promise<string | undefined>;
  /** Release the lease only if `token` still owns it; `true` when it did. */
  releaseLock?(key: string, token: string): Promise<boolean>;
}

/** A shared tier that can report how long an entry has left; promotions use it. */
export interface L2CacheBackend<V = unknown> extends CacheBackend<V> {
  /**
   * The value and its remaining TTL in one call (one round trip for remote tiers), or
   * `undefined` on a miss. `ttlMs` is `undefined` when the entry never expires.
   */
  getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined>;

  /**
   * Guarded writes (optional, together with {@link L2CacheBackend.setIfUnchanged}): like
   * `getWithTtl`, plus a `token` naming exactly what is stored now (a value, a deletion mark, or
   * nothing).
   * `TieredCache` reads the shared tier this way before a `getOrSet` factory runs, so that a
   * factory result computed before another instance's write or delete is never stored over it.
   */
  getWithToken?(key: string): Promise<GuardedRead<V>>;
  /**
   * Store `value` only if `key` still holds what `token` named when it was read, atomically;
   * resolve `false` (writing nothing) when anything was written or deleted since. (A backend
   * whose token names the stored bytes may not tell a rewrite of the very same bytes apart.) A backend
   * with this capability keeps a short-lived deletion mark after `remove`, so that a deleted
   * key is told apart from one never written (`getWithTtl` and `get` read the mark as a miss).
   */
  setIfUnchanged?(key: string, value: V, ttlMs: number | undefined, token: string): Promise<boolean>;
}

/** What {@link L2CacheBackend.getWithToken} returns. */
export interface GuardedRead<V> {
  /** The value with its remaining TTL, or `undefined` on a miss (a deletion mark is a miss). */
  entry: ValueWithTtl<V> | undefined;
  /**
   * Names what is stored now: a value, a deletion mark, or nothing (a backend may fold a
   * namespace-wide epoch into it, so that a pattern delete or clear invalidates every token).
   */
  token: string;
}

/** Ordered field/value pairs of a stream entry, as in the seed. Duplicate fields are kept. */
export type StreamFields = [field: string, value: string][];

/** One entry read from a stream. */
export interface StreamEntry {
  /**
   * The entry id: whole numbers joined by `-`. Within a stream, ids of later entries compare
   * greater with `compareStreamIds` (part by part, as numbers), on every backend; string order
   * is not the rule (Redis's `"5-10"` comes after `"5-9"`).
   */
  id: string;
  /** The entry's fields, in the order they were added. */
  fields: StreamFields;
}

/** Options for {@link StreamingBackend.streamAdd}. */
export interface StreamAddOptions {
  /** Keep about this many newest entries; trimming may be approximate (like Redis's `MAXLEN ~`). */
  maxLen?: number;
}

/** Options for {@link StreamingBackend.streamRead}. */
export interface StreamReadOptions {
  /** Wait up to this long for entries when none are available; 0 or absent = do not wait. */
  blockMs?: number;
  /** Aborting ends a blocking read at once; the call then resolves with `[]`. */
  signal?: AbortSignal;
}

/**
 * An append-only event stream (Redis Streams, Kafka, in-memory).
 *
 * Ids: `"0"` means "from the start of the stream", `"$"` means "only entries added after
 * this call". Any other id means "strictly after that id". Ids are ordered by
 * `compareStreamIds`.
 *
 * Arguments, the same answers from every backend (the adapter kit's `check*` rules, checked
 * by the conformance suite), as rejections before anything is sent: an options argument
 * that is not an object, `count` and `maxLen` not a whole number >= 1, or `blockMs` not
 * 0..2^31-1 → `InvalidOptionError`; no fields, a
 * pair that is not two strings, or an empty field name → `InvalidValueError`; a read id that
 * is not `"0"`, `"$"` or an id of the backend's form → `InvalidStreamIdError`; an empty
 * stream name → `InvalidStreamNameError`.
 */
export interface StreamingBackend {
  /** A short name for stats and errors, e.g. `"redis-streams"`. */
  readonly name: string;
  /** Append an entry and resolve its id once the server has acknowledged it. */
  streamAdd(stream: string, fields: StreamFields, options?: StreamAddOptions): Promise<string>;
  /** The newest `count` entries, newest first, without replaying the whole stream. */
  streamReadLatest(stream: string, count: number): Promise<StreamEntry[]>;
  /**
   * Up to `count` entries after `lastId` (`"0"` = from the start, `"$"` = only new ones),
   * oldest first. With `blockMs`, waits that long for entries and resolves `[]` on timeout.
   * An aborted `signal` ends the wait and resolves `[]`.
   */
  streamRead(
    stream: string,
    lastId: string,
    count: number,
    options?: StreamReadOptions,
  ): Promise<StreamEntry[]>;
  /** `true` when the stream server answers. */
  healthCheck?(): Promise<boolean>;
  /** Release every connection. */
  close?(): Promise<void>;
}

/**
 * How invalidation messages travel between instances. Implemented over Redis pub/sub in
 * `@tiercache/l2-redis` and over any {@link StreamingBackend} by core's `StreamBusTransport`.
 */
export interface BusTransport {
  /** A short name for stats, e.g. `"redis-pubsub"`. */
  readonly name: string;
  /**
   * `true` when, after a disconnect, the transport delivers what was published meanwhile
   * (streams). When `false` (pub/sub), the bus clears local tiers on reconnect instead.
   */
  readonly replays?: boolean;
  /** Send one message to every subscriber on the channel (this instance included). */
  publish(channel: string, message: string): Promise<void>;
  /**
   * Deliver every message on `channel` to `onMessage` until `close`. Resolves once the
   * subscription is active. `onStatus` reports connection changes so the bus can count them.
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onStatus?: (status: BusTransportStatus) => void,
  ): Promise<void>;
  /** Stop delivering and release connections. */
  close(): Promise<void>;
}

/**
 * Connection changes a transport reports to the bus. `resync`: the transport lost its place
 * (e.g. a stream deleted or recreated under it, or a forged entry id ahead of every entry to
 * come) and moved on, so messages may have been missed; the bus clears local tiers.
 */
export type BusTransportStatus =
  | { kind: 'connected' }
  | { kind: 'disconnected'; error?: unknown }
  | { kind: 'replayed'; count: number }
  | { kind: 'resync'; reason: string };
