import { InvalidOptionError } from '@tiercache/core';
import { rejectUnknownKeys } from '@tiercache/core/adapter';

/** How values are protected from changes by callers after they are cached. */
export type LruCloneMode = 'none' | 'freeze' | 'structured';

/**
 * Options for {@link LruBackend}. At least one of `maxEntries` and `maxBytes` is required:
 * an in-process cache without a bound is a memory leak.
 */
export interface LruBackendOptions<V = unknown> {
  /** Name in stats, events and errors. Default `"lru"`. */
  name?: string;
  /**
   * Most entries kept; the least recently used are evicted first. lru-cache allocates its
   * index arrays for this many slots up front, so size it to what you expect to hold.
   */
  maxEntries?: number;
  /** Most bytes kept, as measured by `sizeOf`; the least recently used are evicted first. */
  maxBytes?: number;
  /**
   * Size of one entry in bytes, called once per write when `maxBytes` or `maxEntryBytes` is
   * set (and never otherwise). Must return a finite number >= 0; it is rounded up to a whole
   * byte, at least 1. Default: {@link estimateEntrySize} (the value's {@link estimateSize}, the
   * key string and a fixed per-entry overhead for lru-cache's bookkeeping).
   */
  sizeOf?: (value: V, key: string) => number;
  /**
   * Largest entry stored, in bytes. A write of a larger entry is not stored, and any previous
   * value under that key is removed (so a read never returns the superseded value). Default:
   * `maxBytes` (no limit when only `maxEntries` is set).
   */
  maxEntryBytes?: number;
  /** TTL for entries written with `ttlMs: undefined`. Default: none (such entries never expire). */
  defaultTtlMs?: number;
  /**
   * Longest TTL kept: longer TTLs, and entries written without one (when there is no
   * `defaultTtlMs`), are cut to it. Exposed as `maxTtlMs`, so the manager caps promotions into
   * this tier too. Default: none.
   */
  maxTtlMs?: number;
  /**
   * How long, in ms, one clock reading may be reused for expiry checks (every write takes a
   * fresh one). `1` (default) halves the cost of a hit on an entry with a TTL; the price is that
   * an entry can be served up to this long past its expiry, and longer while the event loop is
   * blocked or only runs promise callbacks (the reading is cleared by a timer). `0` reads the
   * clock on every check. `peekWithTtl`/`getWithTtl` always read the clock, so they never
   * report more time than is left.
   */
  ttlResolutionMs?: number;
  /**
   * `'none'` (default): values are stored and returned as they are, with no copying on the hot
   * path; a caller that mutates a value it wrote or read changes the cached entry.
   * `'freeze'`: values are deep-frozen on write (the caller's object itself becomes frozen);
   * reads return the same frozen reference, so mutation throws in strict mode.
   * `'structured'`: `structuredClone` on write and on read, as a remote tier would; costs a copy
   * per read.
   */
  clone?: LruCloneMode;
}

/** {@link LruBackendOptions} checked, with defaults applied. */
export interface ResolvedLruOptions<V> {
  name: string;
  maxEntries: number | undefined;
  maxBytes: number | undefined;
  sizeOf: ((value: V, key: string) => number) | undefined;
  maxEntryBytes: number | undefined;
  defaultTtlMs: number | undefined;
  maxTtlMs: number | undefined;
  ttlResolutionMs: number;
  clone: LruCloneMode;
}

const KNOWN: ReadonlySet<string> = new Set([
  'name',
  'maxEntries',
  'maxBytes',
  'sizeOf',
  'maxEntryBytes',
  'defaultTtlMs',
  'maxTtlMs',
  'ttlResolutionMs',
  'clone',
]);
const HINTS: Readonly<Record<string, string>> = {
  max: 'maxEntries',
  maxSize: 'maxBytes',
  maxEntrySize: 'maxEntryBytes',
  sizeCalculation: 'sizeOf',
  ttl: 'defaultTtlMs',
  ttlResolution: 'ttlResolutionMs',
};
const CLONE_MODES: readonly LruCloneMode[] = ['none', 'freeze', 'structured'];

/** Check every option once, at construction, with messages that say how to fix them. */
export function resolveLruOptions<V>(options: LruBackendOptions<V>): ResolvedLruOptions<V> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(
      'LruBackend needs an options object with maxEntries and/or maxBytes, e.g. { maxEntries: 10_000 }',
    );
  }
  rejectUnknownKeys('LruBackend', options, [...KNOWN], HINTS);
  const name = options.name ?? 'lru';
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError(`name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  const maxEntries = wholeNumber(options.maxEntries, 'maxEntries');
  const maxBytes = wholeNumber(options.maxBytes, 'maxBytes');
  if (maxEntries === undefined && maxBytes === undefined) {
    throw new InvalidOptionError(
      'LruBackend needs maxEntries, maxBytes or both: an unbounded in-process cache grows until the process runs out of memory',
    );
  }
  const maxEntryBytes = wholeNumber(options.maxEntryBytes, 'maxEntryBytes');
  if (maxEntryBytes !== undefined && maxBytes !== undefined && maxEntryBytes > maxBytes) {
    throw new InvalidOptionError(
      `maxEntryBytes (${maxEntryBytes}) is larger than maxBytes (${maxBytes}); an entry can never be larger than the whole cache`,
    );
  }
  const sizeOf = options.sizeOf;
  if (sizeOf !== undefined) {
    if (typeof sizeOf !== 'function') {
      throw new InvalidOptionError(`sizeOf must be a function (value, key) => bytes, got ${typeof sizeOf}`);
    }
    if (maxBytes === undefined && maxEntryBytes === undefined) {
      throw new InvalidOptionError(
        'sizeOf is only used with maxBytes or maxEntryBytes; set one of them or drop sizeOf',
      );
    }
  }
  const defaultTtlMs = positiveMs(options.defaultTtlMs, 'defaultTtlMs');
  const maxTtlMs = positiveMs(options.maxTtlMs, 'maxTtlMs');
  if (defaultTtlMs !== undefined && maxTtlMs !== undefined && defaultTtlMs > maxTtlMs) {
    throw new InvalidOptionError(
      `defaultTtlMs (${defaultTtlMs}) is larger than maxTtlMs (${maxTtlMs}); lower defaultTtlMs`,
    );
  }
  const ttlResolutionMs = options.ttlResolutionMs ?? 1;
  if (typeof ttlResolutionMs !== 'number' || !Number.isSafeInteger(ttlResolutionMs) || ttlResolutionMs < 0) {
    throw new InvalidOptionError(
      `ttlResolutionMs must be a whole number of milliseconds >= 0 (0 reads the clock on every check), got ${shown(ttlResolutionMs)}`,
    );
  }
  const clone = options.clone ?? 'none';
  if (!CLONE_MODES.includes(clone)) {
    throw new InvalidOptionError(
      `clone must be one of ${CLONE_MODES.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(clone)}`,
    );
  }
  return {
    name,
    maxEntries,
    maxBytes,
    sizeOf,
    maxEntryBytes,
    defaultTtlMs,
    maxTtlMs,
    ttlResolutionMs,
    clone,
  };
}

function wholeNumber(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(`${what} must be a whole number >= 1, got ${shown(value)}`);
  }
  return value;
}

function positiveMs(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new InvalidOptionError(
      `${what} must be a finite number of milliseconds >= 1, got ${shown(value)}; leave it out for no limit`,
    );
  }
  return value;
}

function shown(value: unknown): string {
  return typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value) ?? ''}`.trim();
}
