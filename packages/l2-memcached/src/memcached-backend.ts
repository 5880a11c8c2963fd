import {
  boundedCall,
  type CacheEntry,
  hasTaggedMark,
  InvalidKeyError,
  InvalidValueError,
  type L2CacheBackend,
  parseTtl,
  TierError,
  toTierError,
  ValueTooLargeError,
  type ValueWithTtl,
  withTimeout,
} from '@tiercache/core';
import { ClosedGuard, closeOwned, ValueCodec } from '@tiercache/core/adapter';
import { Client } from 'memjs';
import { openEnvelope, sealEnvelope } from './envelope.js';
import { memcachedExpiration } from './expiration.js';
import { memcachedKey } from './memcached-key.js';
import { NamespaceVersion } from './namespace-version.js';
import { type KeyPolicy, type MemcachedBackendOptions, resolveMemcachedOptions } from './options.js';

// memjs logs every failed request to console by default; failures reach callers as errors.
const silentLogger = { log(): void {} };

/**
 * memjs's own request timeout (its `timeout` option, which we set to `timeoutMs`) fires a plain
 * Error; it is a timeout all the same, so callers get core's `TimeoutError` either way.
 */
function isMemjsTimeout(error: unknown): boolean {
  return error instanceof Error && /socket timed out/i.test(error.message);
}

/**
 * memjs's error for a request the server refused as invalid (binary protocol status "Value too
 * large": over the server's item size limit `-I`, which may be below `maxValueBytes`; "Invalid
 * arguments"): the same request would be refused again, so it becomes core's `RefusedError`
 * (never retried). "Out of memory", "Busy", "Temporary failure" stay `TierError`.
 */
function isMemjsRefusal(error: unknown): boolean {
  return error instanceof Error && /^MemJS [A-Z]+: (Value too large|Invalid arguments)$/.test(error.message);
}

/** A value ready to send: the memcached key, the sealed bytes and the expiration field. */
interface PreparedWrite {
  key: string;
  data: Buffer;
  expires: number;
}

/**
 * An {@link L2CacheBackend} on memcached, through memjs.
 *
 * - Remaining TTL: memcached cannot report it, so each item carries its absolute expiry in a
 *   9-byte envelope; `getWithTtl` computes what is left, and an item whose envelope says it
 *   has expired reads as a miss even if the server still holds it.
 * - Keys are `<namespace>:<version>:<key>`; keys memcached cannot take (over 250 bytes, spaces,
 *   control characters) are hashed or refused per `keyPolicy`.
 * - `clear()` moves the namespace to a new version (never `flush_all`); other instances see
 *   it within `versionCacheMs`.
 * - Not offered: `removePattern` (memcached cannot list keys) and locks (memjs 1.3.2 has no
 *   CAS, so a lock could not be released safely); use the Redis tier for those.
 * - Every call settles within `timeoutMs`; memjs failures reject as `TierError`, timeouts as
 *   `TimeoutError`.
 */
export class MemcachedBackend<V = unknown> implements L2CacheBackend<V> {
  /** Name in stats, events and errors. */
  readonly name: string;
  /** The key prefix this backend owns. */
  readonly namespace: string;
  /** The largest stored item, envelope included, in bytes. */
  readonly maxValueBytes: number;
  readonly #client: Client;
  readonly #ownsClient: boolean;
  readonly #codec: ValueCodec;
  readonly #keyPolicy: KeyPolicy;
  readonly #timeoutMs: number;
  readonly #version: NamespaceVersion;
  /** Timeout labels of the hot calls, built once instead of on every call. */
  readonly #labels: { get: string; set: string };
  readonly #closed: ClosedGuard;

  /** Throws `InvalidOptionError` for bad options; connects lazily, on the first call. */
  /** Every call settles within this many ms (`timeoutMs`), so `TieredCache` adds no timer of its own. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  constructor(options: MemcachedBackendOptions) {
    const resolved = resolveMemcachedOptions(options);
    this.name = resolved.name;
    this.#closed = new ClosedGuard(`MemcachedBackend "${this.name}"`);
    this.namespace = resolved.namespace;
    this.maxValueBytes = resolved.maxValueBytes;
    this.#codec = new ValueCodec(resolved.serializer);
    this.#keyPolicy = resolved.keyPolicy;
    this.#timeoutMs = resolved.timeoutMs;
    this.#labels = { get: `tier "${this.name}" get`, set: `tier "${this.name}" set` };
    if (resolved.client) {
      this.#client = resolved.client;
      this.#ownsClient = resolved.closeClient;
    } else {
      const seconds = resolved.timeoutMs / 1000;
      this.#client = Client.create((resolved.servers ?? []).map((s) => s.spec).join(','), {
        // memjs counts the first attempt as a retry.
        retries: resolved.retries + 1,
        retry_delay: resolved.retryDelayMs / 1000,
        timeout: seconds,
        conntimeout: seconds,
        expires: 0,
        logger: silentLogger,
        username: resolved.username,
        password: resolved.password,
      });
      this.#ownsClient = true;
    }
    this.#version = new NamespaceVersion(
      this.name,
      this.#client,
      this.namespace,
      resolved.versionCacheMs,
      (op, run) => boundedCall(this.name, op, this.#timeoutMs, run, isMemjsTimeout),
    );
  }

  async get(key: string): Promise<V | undefined> {
    this.#assertOpen();
    return this.#decode(await this.#fetch(key))?.value;
  }

  async getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#assertOpen();
    return this.#decode(await this.#fetch(key));
  }

  /** Parallel gets: memjs 1.3.2 has no multi-get, but pipelines requests on one socket per server. */
  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#assertOpen();
    if (keys.length === 0) return [];
    const prefix = await this.#version.prefix();
    const mkeys = keys.map((key) => memcachedKey(key, prefix, this.#keyPolicy));
    const found = await Promise.all(mkeys.map((mkey) => this.#call('getMany', () => this.#client.get(mkey))));
    return found.map(({ value }) => this.#decode(value)?.value);
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#assertOpen();
    const write = this.#prepare(key, value, ttlMs, await this.#version.prefix());
    try {
      await withTimeout(
        this.#client.set(write.key, write.data, { expires: write.expires }),
        this.#timeoutMs,
        this.#labels.set,
      );
    } catch (error) {
      throw toTierError(this.name, 'set', this.#timeoutMs, error, isMemjsTimeout, isMemjsRefusal);
    }
  }

  /**
   * Parallel sets. Every entry is checked (key, TTL, serialization, size) before any is sent,
   * so a bad entry fails the call without a partial write; a server failure midway may still
   * leave some entries written.
   */
  async setMany(entries: readonly CacheEntry<V>[]): Promise<void> {
    this.#assertOpen();
    if (entries.length === 0) return;
    const prefix = await this.#version.prefix();
    const writes = entries.map((e) => this.#prepare(e.key, e.value, e.ttlMs, prefix));
    await Promise.all(
      writes.map((w) => this.#call('setMany', () => this.#client.set(w.key, w.data, { expires: w.expires }))),
    );
  }

  async remove(key: string): Promise<void> {
    this.#assertOpen();
    const mkey = memcachedKey(key, await this.#version.prefix(), this.#keyPolicy);
    await this.#call('remove', () => this.#client.delete(mkey));
  }

  /**
   * Drop every entry of this namespace by moving it to a new version. Other backends keep
   * reading the old version for up to their `versionCacheMs`, unless told of the clear: a
   * `TieredCache` on a bus calls {@link MemcachedBackend.dropCachedState} when another
   * instance's `clear` arrives.
   */
  async clear(): Promise<void> {
    this.#assertOpen();
    await this.#version.bump();
  }

  /** Read the namespace version from memcached again on the next call (the namespace was cleared elsewhere). */
  dropCachedState(): void {
    this.#version.forget();
  }

  /** `true` when every server answers `stats` within `timeoutMs`; never rejects. */
  async healthCheck(): Promise<boolean> {
    if (this.#closed.closed) return false;
    try {
      await this.#call('healthCheck', () => this.#statsFromEveryServer());
      return true;
    } catch {
      return false;
    }
  }

  /** Close the memjs client (unless it was passed in without `closeClient`). Later calls reject with `ClosedError`. */
  close(): Promise<void> {
    return this.#closed.close(() => closeOwned(this.#ownsClient, () => this.#client.close()));
  }

  /**
   * The stored bytes under `key`, or null: the hot path of every read. The get is bounded with
   * core's `withTimeout` directly, without `boundedCall`'s extra promise and label string.
   * Skipping the `await` of a fresh (synchronous) prefix was tried and measured about 5% slower
   * with 100 reads in flight, probably because the extra turn lets concurrent reads reach the
   * socket back to back; so it stays.
   */
  async #fetch(key: string): Promise<Buffer | null> {
    const mkey = memcachedKey(key, await this.#version.prefix(), this.#keyPolicy);
    try {
      const { value } = await withTimeout(this.#client.get(mkey), this.#timeoutMs, this.#labels.get);
      return value;
    } catch (error) {
      throw toTierError(this.name, 'get', this.#timeoutMs, error, isMemjsTimeout);
    }
  }

  #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return boundedCall(this.name, operation, this.#timeoutMs, run, isMemjsTimeout, isMemjsRefusal);
  }

  #prepare(key: string, value: V, ttlMs: number | undefined, prefix: string): PreparedWrite {
    const mkey = memcachedKey(key, prefix, this.#keyPolicy);
    // A tagged entry is only readable with its tags' invalidation times, whose keys hold a
    // control character: under 'reject' they can never be read, so refuse the entry up front.
    if (this.#keyPolicy === 'reject' && hasTaggedMark(value)) {
      throw new InvalidKeyError(
        'a tagged entry needs its tags\' invalidation times, whose keys hold a control character that keyPolicy "reject" refuses; use keyPolicy "hash" to use tags with memcached',
      );
    }
    const ttl = parseTtl(ttlMs);
    if (value === undefined) {
      throw new InvalidValueError(
        'cannot cache undefined (it means a miss); store null for "known to be absent"',
      );
    }
    const now = Date.now();
    const payload = this.#codec.encode(value);
    const data = sealEnvelope(payload, ttl === undefined ? undefined : now + ttl);
    if (data.byteLength > this.maxValueBytes)
      throw new ValueTooLargeError(this.name, data.byteLength, this.maxValueBytes);
    return { key: mkey, data, expires: memcachedExpiration(ttl, now) };
  }

  #decode(data: Buffer | null): ValueWithTtl<V> | undefined {
    if (data === null) return undefined;
    const { expiresAt, payload } = openEnvelope(data);
    let ttlMs: number | undefined;
    if (expiresAt !== undefined) {
      ttlMs = expiresAt - Date.now();
      // The server keeps items up to two seconds past their time (whole-second clock).
      if (ttlMs <= 0) return undefined;
    }
    const raw = this.#codec.format === 'string' ? payload.toString('utf8') : payload;
    return { value: this.#codec.decode(raw) as V, ttlMs };
  }

  #statsFromEveryServer(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let waiting = this.#client.servers.length;
      this.#client.stats((error, server) => {
        if (error) {
          reject(new TierError(this.name, 'healthCheck', new Error(`${server}: ${errorText(error)}`)));
          return;
        }
        waiting--;
        if (waiting === 0) resolve();
      });
    });
  }

  #assertOpen(): void {
    this.#closed.check();
  }
}

/**
 * Create a memcached tier: the same as `new MemcachedBackend(options)`, for configuration
 * written as a list of factory calls.
 */
export function memcachedTier<V = unknown>(options: MemcachedBackendOptions): MemcachedBackend<V> {
  return new MemcachedBackend<V>(options);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
