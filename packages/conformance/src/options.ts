import {
  CAPABILITY_METHODS,
  type CacheBackend,
  type CacheCapability,
  type Serializer,
} from '@tiercache/core';
import type { ExitCheck } from './handles.js';

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

/** Where the silent server listens: it accepts connections and never answers. */
export interface SilentServerAddress {
  /** Always `"127.0.0.1"`. */
  host: string;
  port: number;
}

/**
 * Hooks a backend gives so the error cases can run: each is optional, and the cases that need
 * a hook not given are not registered (one always-run case lists which hooks were given).
 */
export interface ErrorHooks<B extends CacheBackend = CacheBackend> {
  /**
   * Build a backend (its own namespace, like the factory) that encodes values with
   * `serializer`. Enables: a serializer that throws makes the write reject with
   * `SerializationError`, and the key stays absent.
   */
  withSerializer?: (serializer: Serializer) => B | Promise<B>;
  /**
   * Store `bytes` under `key` in `backend` as they are, bypassing its serializer (as another
   * writer, or a corrupt entry, would). Enables: an unreadable stored value rejects the read
   * with `DeserializationError`, and inside a `TieredCache` it is a miss with a `tier:error`
   * event and a closed breaker.
   */
  writeRaw?: (backend: B, key: string, bytes: Uint8Array) => Promise<void>;
  /**
   * Build a backend connected to a server at `address` that accepts and never answers. The
   * backend must declare `timeoutMs`. Enables: every call rejects with `TimeoutError` within
   * `timeoutMs` plus `timeoutSlackMs`, `healthCheck` resolves `false`, `close()` settles.
   */
  againstSilentServer?: (address: SilentServerAddress) => B | Promise<B>;
}

/** Tuning for {@link describeCacheBackend} and {@link describeL2Backend}. */
export interface CacheConformanceOptions<B extends CacheBackend = CacheBackend> extends ErrorHooks<B> {
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
  /** How much later than `timeoutMs` a call against the silent server may reject (ms). Default 250. */
  timeoutSlackMs?: number;
  /** Also check, in a child process, that nothing keeps the process alive after `close()`. */
  exitCheck?: ExitCheck;
}

/** Tuning for {@link describeStreamingBackend}. */
export interface StreamConformanceOptions {
  /** Time tolerance for blocking reads (ms). Default 100. */
  blockToleranceMs?: number;
  /** Whether maxLen trimming is supported; if false, assert entries are kept. Default true. */
  trims?: boolean;
  /** Whether ids follow Redis's "<ms>-<seq>" format (enables checks that compare with parseStreamId). Default false: ids are only compared by the backend's own order via streamRead resumption. */
  redisIds?: boolean;
  /** Also check, in a child process, that nothing keeps the process alive after `close()`. */
  exitCheck?: ExitCheck;
}

/** {@link CacheConformanceOptions} with every default applied. */
export interface ResolvedCacheOptions {
  /** Typed for the base contract: the suite only hands a hook the backends its own factory or hook built. */
  hooks: ErrorHooks;
  timeoutSlackMs: number;
  exitCheck: ExitCheck | undefined;
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
  exitCheck: ExitCheck | undefined;
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
export function resolveCacheOptions<B extends CacheBackend>(
  options: CacheConformanceOptions<B> = {},
): ResolvedCacheOptions {
  const hooks: ErrorHooks = {};
  for (const hook of HOOKS) {
    const fn = options[hook];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new TypeError(`${hook} must be a function, got ${typeof fn}`);
    (hooks as Record<string, unknown>)[hook] = fn;
  }
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
    hooks,
    timeoutSlackMs: nonNegative(options.timeoutSlackMs, 250, 'timeoutSlackMs'),
    exitCheck: checkExitCheck(options.exitCheck),
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
    exitCheck: checkExitCheck(options.exitCheck),
    blockToleranceMs,
    trims: options.trims ?? true,
    redisIds: options.redisIds ?? false,
    blockCaseTimeoutMs: 30_000 + blockToleranceMs * 10,
  };
}

/** Every error hook, in the order the hooks case lists them. */
export const HOOKS = ['withSerializer', 'writeRaw', 'againstSilentServer'] as const;

function checkExitCheck(check: ExitCheck | undefined): ExitCheck | undefined {
  if (check === undefined) return undefined;
  if (typeof check !== 'object' || typeof check.module !== 'string' || check.module.length === 0) {
    throw new TypeError('exitCheck must be { module: string, exportName?: string, boundMs?: number }');
  }
  if (check.boundMs !== undefined) positive(check.boundMs, 0, 'exitCheck.boundMs');
  return check;
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
