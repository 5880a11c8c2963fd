import { CAPABILITY_METHODS, type CacheCapability } from '@tiercache/core';

/**
 * A capability the backend deliberately lacks (the list is core's `CacheCapability`): the
 * suite then asserts the matching methods are absent (a passing test, not a skip), so "lacks"
 * is part of the backend's checked contract rather than a way out.
 *
 * @example
 * ```ts fragment
 * describeL2Backend('memcached', () => new MemcachedBackend(opts), { lacks: ['removePattern', 'lock', 'peek'] });
 * ```
 */
export type { CacheCapability };

/** Tuning for {@link describeCacheBackend} and {@link describeL2Backend}. */
export interface CacheConformanceOptions {
  /** Optional capabilities the backend deliberately lacks. For each, the suite asserts the method is ABSENT (a passing test, not a skip). */
  lacks?: readonly CacheCapability[];
  /** Shortest TTL the backend honours (ms). Default 200. Memcached will pass ~2000 (1 s granularity). */
  shortTtlMs?: number;
  /** Allowed error on remaining-TTL checks (ms). Default 50. */
  ttlToleranceMs?: number;
  /** Longest key the suite uses in the "long key" case. Default 1000 characters. */
  longKeyLength?: number;
  /** Size of the "large value" case, bytes. Default 256 KiB. */
  largeValueBytes?: number;
  /** Whether values come back as copies (remote tiers, cloning L1) or the same reference. Default: not checked. */
  valueIdentity?: 'copy' | 'same';
}

/** Tuning for {@link describeStreamingBackend}. */
export interface StreamConformanceOptions {
  /** Time tolerance for blocking reads (ms). Default 100. */
  blockToleranceMs?: number;
  /** Whether maxLen trimming is supported; if false, assert entries are kept. Default true. */
  trims?: boolean;
  /** Whether ids follow Redis's "<ms>-<seq>" format (enables checks that compare with parseStreamId). Default false: ids are only compared by the backend's own order via streamRead resumption. */
  redisIds?: boolean;
}

/** {@link CacheConformanceOptions} with every default applied. */
export interface ResolvedCacheOptions {
  lacks: ReadonlySet<CacheCapability>;
  shortTtlMs: number;
  ttlToleranceMs: number;
  longKeyLength: number;
  largeValueBytes: number;
  valueIdentity: 'copy' | 'same' | undefined;
  /** How long an expiry poll may run before the case fails (generous: load must not flake it). */
  expiryBoundMs: number;
  /** Per-case timeout for cases that wait on TTLs, so suites pass under vitest's 5 s default too. */
  ttlCaseTimeoutMs: number;
}

/** {@link StreamConformanceOptions} with every default applied. */
export interface ResolvedStreamOptions {
  blockToleranceMs: number;
  trims: boolean;
  redisIds: boolean;
  /** Per-case timeout for cases that block. */
  blockCaseTimeoutMs: number;
}

const CAPABILITIES = Object.keys(CAPABILITY_METHODS) as readonly CacheCapability[];

/**
 * Apply defaults and reject nonsense early: a typo in `lacks` would otherwise turn into a
 * confusing failure far from its cause.
 */
export function resolveCacheOptions(options: CacheConformanceOptions = {}): ResolvedCacheOptions {
  for (const cap of options.lacks ?? []) {
    if (!CAPABILITIES.includes(cap)) {
      throw new TypeError(
        `lacks contains "${String(cap)}", which is not a capability; use one of ${CAPABILITIES.join(', ')}`,
      );
    }
  }
  const shortTtlMs = positive(options.shortTtlMs, 200, 'shortTtlMs');
  const ttlToleranceMs = nonNegative(options.ttlToleranceMs, 50, 'ttlToleranceMs');
  const longKeyLength = positive(options.longKeyLength, 1000, 'longKeyLength');
  const largeValueBytes = positive(options.largeValueBytes, 256 * 1024, 'largeValueBytes');
  const expiryBoundMs = shortTtlMs * 5 + 2_000;
  return {
    lacks: new Set(options.lacks ?? []),
    shortTtlMs,
    ttlToleranceMs,
    longKeyLength,
    largeValueBytes,
    valueIdentity: options.valueIdentity,
    expiryBoundMs,
    ttlCaseTimeoutMs: expiryBoundMs * 2 + 10_000,
  };
}

/** Apply the stream defaults. */
export function resolveStreamOptions(options: StreamConformanceOptions = {}): ResolvedStreamOptions {
  const blockToleranceMs = nonNegative(options.blockToleranceMs, 100, 'blockToleranceMs');
  return {
    blockToleranceMs,
    trims: options.trims ?? true,
    redisIds: options.redisIds ?? false,
    blockCaseTimeoutMs: 30_000 + blockToleranceMs * 10,
  };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${what} must be a number > 0, got ${value}`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`${what} must be a number >= 0, got ${value}`);
  return value;
}
