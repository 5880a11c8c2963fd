import type { CacheBackend, L2CacheBackend, StreamingBackend } from '@tiercache/core';
import { describe } from 'vitest';
import { defineCacheCases } from './cache-cases.js';
import { defineErrorCases } from './error-cases.js';
import { defineInCacheCases } from './in-cache-cases.js';
import { defineL2Cases } from './l2-cases.js';
import { defineCacheLifecycleCases, defineStreamLifecycleCases } from './lifecycle-cases.js';
import {
  type CacheConformanceOptions,
  resolveCacheOptions,
  resolveStreamOptions,
  type StreamConformanceOptions,
} from './options.js';
import { defineStreamArgumentCases } from './stream-arg-cases.js';
import { defineStreamCases } from './stream-cases.js';
import { createSuiteContext } from './suite-context.js';

/**
 * Register the `CacheBackend` conformance suite as a vitest `describe` block: the method
 * cases, then the groups every backend runs — `lifecycle` (after `close()`), `errors` (the
 * error categories; hooks in `options` enable the cases that need them) and `in a TieredCache`
 * (the backend as the lower tier under an in-memory L1).
 *
 * `factory` runs in `beforeAll` to build the instance the cases share (closed in `afterAll`
 * with `close?.()`), and again for cases that need an instance of their own (`clear`,
 * lifecycle), which close it themselves. It must return a new instance on every call; against
 * a shared server, give each instance its own namespace so `clear` on one cannot reach the
 * others. Every key the suite writes starts with `tcc:<random suite id>:`, so suites may run
 * in parallel against one server.
 *
 * @param name shown in the `describe` title, e.g. `"redis"`.
 * @example
 * ```ts
 * describeCacheBackend('my-backend', () => new MyBackend({ namespace: `t-${Math.random()}` }));
 * ```
 */
export function describeCacheBackend<B extends CacheBackend>(
  name: string,
  factory: () => B | Promise<B>,
  options?: CacheConformanceOptions<B>,
): void {
  const resolved = resolveCacheOptions(options);
  describe(`${name}: CacheBackend conformance`, () => {
    const ctx = createSuiteContext(factory);
    defineCacheCases(ctx, resolved);
    defineCacheLifecycleCases(ctx, resolved);
    defineErrorCases(ctx, resolved);
    defineInCacheCases(ctx, resolved, 'cache');
  });
}

/**
 * Register the `CacheBackend` cases and the `L2CacheBackend` (`getWithTtl`, guarded writes)
 * cases for a tier that reports remaining TTLs, with the same groups as
 * {@link describeCacheBackend}. Same factory rules.
 *
 * @example
 * ```ts
 * describeL2Backend('my-backend', () => new MyBackend());
 * ```
 */
export function describeL2Backend<B extends L2CacheBackend>(
  name: string,
  factory: () => B | Promise<B>,
  options?: CacheConformanceOptions<B>,
): void {
  const resolved = resolveCacheOptions(options);
  describe(`${name}: L2CacheBackend conformance`, () => {
    const ctx = createSuiteContext(factory);
    defineCacheCases(ctx, resolved);
    defineL2Cases(ctx, resolved);
    defineCacheLifecycleCases(ctx, resolved);
    defineErrorCases(ctx, resolved);
    defineInCacheCases(ctx, resolved, 'l2');
  });
}

/**
 * Register only the `in a TieredCache` group: the backend as the lower tier under an
 * in-memory L1 — promotion keeps the remaining TTL, the breaker opens on failures and closes
 * on recovery, fail-safe serves a stale value within grace, `invalidatePattern` and `clear`
 * reach it (or reject with `UnsupportedOperationError` when `lacks` says it cannot), and with
 * guarded writes a factory that started before another instance's `invalidate` does not store
 * its value. {@link describeCacheBackend} and {@link describeL2Backend} include it; this is for
 * a backend whose own methods are checked elsewhere.
 *
 * @example
 * ```ts
 * describeBackendInCache('my-backend', () => new MyBackend(), { lacks: ['removePattern'] });
 * ```
 */
export function describeBackendInCache<B extends CacheBackend>(
  name: string,
  factory: () => B | Promise<B>,
  options?: CacheConformanceOptions<B>,
): void {
  const resolved = resolveCacheOptions(options);
  describe(`${name}: in a TieredCache`, () => {
    defineInCacheCases(createSuiteContext(factory), resolved, 'cache');
  });
}

/**
 * Register the `StreamingBackend` conformance suite: the method cases, `stream arguments`
 * (the same error for the same bad call on every backend), `stream id order`
 * (`compareStreamIds`) and `lifecycle`. Each case writes to its own stream named
 * `tcc-<random suite id>-<n>-<label>` (letters, digits and `-` only, valid as a Kafka topic),
 * so suites can share a server. Same factory lifecycle as {@link describeCacheBackend}.
 *
 * @example
 * ```ts
 * describeStreamingBackend('my-stream', () => new MyStream(), { redisIds: true });
 * ```
 */
export function describeStreamingBackend(
  name: string,
  factory: () => StreamingBackend | Promise<StreamingBackend>,
  options?: StreamConformanceOptions,
): void {
  const resolved = resolveStreamOptions(options);
  describe(`${name}: StreamingBackend conformance`, () => {
    const ctx = createSuiteContext(factory);
    defineStreamCases(ctx, resolved);
    defineStreamArgumentCases(ctx);
    defineStreamLifecycleCases(ctx, resolved);
  });
}
