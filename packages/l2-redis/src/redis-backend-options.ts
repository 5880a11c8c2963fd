import { InvalidOptionError, jsonSerializer, type Serializer } from '@tiercache/core';
import {
  checkSerializer,
  rejectUnknownKeys,
  renamedOptions,
  usedName,
  wholeNumber,
} from '@tiercache/core/adapter';
import { CONNECTION_OPTION_KEYS, type RedisConnectionOptions, validateConnection } from './connection.js';

/** Where an error reported to {@link RedisBackendOptions.onError} came from. */
export interface RedisErrorContext {
  /** `"get"`, `"getWithTtl"`, `"getMany"` for unreadable values; `"connection"` for socket errors. */
  operation: string;
  /** The cache key (without prefix) whose stored value could not be read. */
  key?: string;
}

/**
 * Where `getWithTtl` learns how long an entry has left:
 * - `'envelope'`: from the absolute expiry written in a small header in front of the value
 *   (one GET per read; the remaining TTL follows the writer's clock);
 * - `'server'`: from Redis's PTTL, in one Lua script call (the value stays the serializer's
 *   plain output, readable by any Redis client).
 */
export type TtlSource = 'envelope' | 'server';

/** Options for {@link RedisBackend}; see the package README for the full table. */
export interface RedisBackendOptions extends RedisConnectionOptions {
  /** Namespace for every key: entries live at `${prefix}${key}`. Non-empty. Default `"tiercache:"`. */
  prefix?: string;
  /** Turns values into strings or bytes. Default core's `jsonSerializer`. */
  serializer?: Serializer;
  /** Upper bound for every call, in ms (also ioredis `commandTimeout` on clients we create). Default 1000. */
  timeoutMs?: number;
  /** @deprecated the old name of `timeoutMs` (one name for the per-call timeout in every package); kept for one minor release. */
  commandTimeoutMs?: number;
  /** How long `healthCheck` waits for PONG before resolving `false`. Default `timeoutMs`. */
  healthCheckTimeoutMs?: number;
  /** ioredis auto-pipelining on clients we create. Default `true`. */
  enableAutoPipelining?: boolean;
  /**
   * Send the `get`/`getWithTtl` reads issued in the same tick as one `MGET` (at most 512 keys
   * each) instead of one GET per key: 2-3x less client work per read under concurrency. Each
   * read keeps its own result, error and timeout. Ignored on a Cluster (MGET cannot span hash
   * slots; reads there are single GETs that auto-pipelining groups per node). Default `true`.
   */
  coalesceReads?: boolean;
  /**
   * Send the `setWithTtl` writes issued in the same tick as one script call (`EVALSHA`, at most
   * 512 keys; a lone write stays a `SET`) instead of one SET each. Commands still reach Redis in
   * the order they were issued. Ignored on a Cluster; turns itself off for good if the server
   * refuses scripts (that batch fails). Default `true`.
   */
  coalesceWrites?: boolean;
  /** Tier name in stats, events and errors. Default `"redis"`. */
  name?: string;
  /** Longest TTL stored, in ms; longer TTLs and "never expires" are capped to it. Default: no cap. */
  maxTtlMs?: number;
  /**
   * Where the remaining TTL comes from: `'envelope'` (expiry stored with the value, reads are
   * one GET) or `'server'` (PTTL via a Lua script, values stay plain). Default `'envelope'`.
   * Both modes read values written by the other, and plain values written by other clients.
   */
  ttlSource?: TtlSource;
  /** SCAN COUNT hint for `removePattern`/`clear`. Default 500. */
  scanCount?: number;
  /** Keys per UNLINK in `removePattern`/`clear`. Default 500. */
  deleteBatchSize?: number;
  /**
   * Where lock keys live. Default `${prefix}\u0001lock:`: the control character keeps them out
   * of the key space of cache entries (keys cannot hold control characters), so no cache key
   * can occupy a lock. A prefix of your own must not overlap `prefix` in a way a key could fill.
   */
  lockPrefix?: string;
  /**
   * How long `remove` keeps a deletion mark (a tiny value that reads as a miss), so a guarded
   * write (`setIfUnchanged`, used by `TieredCache` to store a `getOrSet` factory result) with a
   * token read before the delete is refused. Longer than your slowest factory. Default 60 000 ms.
   */
  deletionMarkMs?: number;
  /**
   * Told about problems that do not fail a call: connection errors of clients we created. (A
   * stored value the serializer cannot read fails the read with `DeserializationError`.)
   * Must not throw.
   */
  onError?: (error: Error, context: RedisErrorContext) => void;
}

/** The component name in every message. */
export const WHAT = 'RedisBackend';

const REDIS_BACKEND_OPTIONS = [
  ...CONNECTION_OPTION_KEYS,
  'prefix',
  'serializer',
  'timeoutMs',
  'commandTimeoutMs',
  'healthCheckTimeoutMs',
  'enableAutoPipelining',
  'coalesceReads',
  'coalesceWrites',
  'name',
  'maxTtlMs',
  'ttlSource',
  'scanCount',
  'deleteBatchSize',
  'lockPrefix',
  'deletionMarkMs',
  'onError',
] as const satisfies readonly (keyof RedisBackendOptions)[];

/** {@link RedisBackendOptions} checked once, with defaults applied. */
export interface ResolvedRedisBackendOptions {
  name: string;
  prefix: string;
  lockPrefix: string;
  serializer: Serializer;
  envelope: boolean;
  timeoutMs: number;
  healthTimeoutMs: number;
  coalesceReads: boolean;
  coalesceWrites: boolean;
  scanCount: number;
  batchSize: number;
  markMs: number;
  maxTtlMs: number | undefined;
  onError: ((error: Error, context: RedisErrorContext) => void) | undefined;
}

/** Check every option of a {@link RedisBackendOptions} at construction, with messages that say how to fix it. */
export function resolveRedisBackendOptions(options: RedisBackendOptions): ResolvedRedisBackendOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(`${WHAT} needs an options object, e.g. { url: "redis://127.0.0.1:6379" }`);
  }
  rejectUnknownKeys(WHAT, options, REDIS_BACKEND_OPTIONS);
  const timeoutName = usedName(options, 'timeoutMs', 'commandTimeoutMs');
  options = renamedOptions(WHAT, options, { commandTimeoutMs: 'timeoutMs' });
  validateConnection(WHAT, options);
  const prefix = options.prefix ?? 'tiercache:';
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidOptionError(
      `${WHAT}: prefix must be a non-empty string (it is what keeps clear() inside your namespace), got ${JSON.stringify(prefix)}`,
    );
  }
  const serializer = checkSerializer(WHAT, options.serializer ?? jsonSerializer);
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new InvalidOptionError(`${WHAT}: onError must be a function`);
  }
  if (
    options.lockPrefix !== undefined &&
    (typeof options.lockPrefix !== 'string' || options.lockPrefix === '')
  ) {
    throw new InvalidOptionError(`${WHAT}: lockPrefix must be a non-empty string`);
  }
  const ttlSource = options.ttlSource ?? 'envelope';
  if (ttlSource !== 'envelope' && ttlSource !== 'server') {
    throw new InvalidOptionError(
      `${WHAT}: ttlSource must be "envelope" or "server", got ${JSON.stringify(ttlSource)}`,
    );
  }
  const name = options.name ?? 'redis';
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError(`${WHAT}: name must be a non-empty string`);
  }
  for (const flag of ['enableAutoPipelining', 'coalesceReads', 'coalesceWrites', 'closeClient'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new InvalidOptionError(
        `${WHAT}: ${flag} must be true or false, got ${JSON.stringify(options[flag])}`,
      );
    }
  }
  const lockPrefix = options.lockPrefix ?? `${prefix}\u0001lock:`;
  if (overlaps(prefix, lockPrefix)) {
    throw new InvalidOptionError(
      `${WHAT}: lockPrefix ${JSON.stringify(lockPrefix)} overlaps prefix ${JSON.stringify(prefix)}, so a cache key could occupy a lock (e.g. key "lock:getOrSet:k" and the lock of getOrSet("k")); leave lockPrefix out, or use one that is not an extension of prefix`,
    );
  }
  const timeoutMs = wholeNumber(WHAT, timeoutName, options.timeoutMs, 1, 1000);
  return {
    name,
    prefix,
    lockPrefix,
    serializer,
    envelope: ttlSource === 'envelope',
    timeoutMs,
    healthTimeoutMs: wholeNumber(WHAT, 'healthCheckTimeoutMs', options.healthCheckTimeoutMs, 1, timeoutMs),
    coalesceReads: options.coalesceReads ?? true,
    coalesceWrites: options.coalesceWrites ?? true,
    scanCount: wholeNumber(WHAT, 'scanCount', options.scanCount, 1, 500),
    batchSize: wholeNumber(WHAT, 'deleteBatchSize', options.deleteBatchSize, 1, 500),
    markMs: wholeNumber(WHAT, 'deletionMarkMs', options.deletionMarkMs, 1, 60_000),
    maxTtlMs: wholeNumber(WHAT, 'maxTtlMs', options.maxTtlMs, 1),
    onError: options.onError,
  };
}

/**
 * `true` when a lock key and an entry key can be equal: one prefix starts the other and what
 * follows the shorter one is something a cache key may contain (anything but a control character).
 */
function overlaps(prefix: string, lockPrefix: string): boolean {
  const [shorter, longer] = prefix.length <= lockPrefix.length ? [prefix, lockPrefix] : [lockPrefix, prefix];
  if (!longer.startsWith(shorter)) return false;
  if (longer.length === shorter.length) return true;
  const next = longer.charCodeAt(shorter.length);
  return !(next < 0x20 || next === 0x7f);
}
