import type { CacheBackend, L2CacheBackend, StreamingBackend } from '@tiercache/core';
import { describe } from 'vitest';
import { defineCacheCases } from './cache-cases.js';
import { defineL2Cases } from './l2-cases.js';
import {
  type CacheConformanceOptions,
  resolveCacheOptions,
  resolveStreamOptions,
  type StreamConformanceOptions,
} from './options.js';
import { defineStreamCases } from './stream-cases.js';
import { createSuiteContext } from './suite-context.js';

/**
 * Register the `CacheBackend` conformance suite as a vitest `describe` block.
 *
 * `factory` runs in `beforeAll` to build the instance the cases share (closed in `afterAll`
 * with `close?.()`), and again for cases that need an instance of their own (`clear`), which
 * close it themselves. It must return a new instance on every call; against a shared server,
 * give each instance its own namespace so `clear` on one cannot reach the others. Every key
 * the suite writes starts with `tcc:<random suite id>:`, so suites may run in parallel against
 * one server.
 *
 * @param name shown in the `describe` title, e.g. `"redis"`.
 * @example
 * ```ts
 * describeCacheBackend('my-backend', () => new MyBackend({ namespace: `t-${Math.random()}` }));
 * ```
 */
export function describeCacheBackend(
  name: string,
  factory: () => CacheBackend | Promise<CacheBackend>,
  options?: CacheConformanceOptions,
): void {
  const resolved = resolveCacheOptions(options);
  describe(`${name}: CacheBackend conformance`, () => {
    defineCacheCases(createSuiteContext(factory), resolved);
  });
}

/**
 * Register the `CacheBackend` cases and the `L2CacheBackend` (`getWithTtl`) cases for a tier
 * that reports remaining TTLs. Same factory rules as {@link describeCacheBackend}.
 *
 * @example
 * ```ts
 * describeL2Backend('my-backend', () => new MyBackend());
 * ```
 */
export function describeL2Backend(
  name: string,
  factory: () => L2CacheBackend | Promise<L2CacheBackend>,
  options?: CacheConformanceOptions,
): void {
  const resolved = resolveCacheOptions(options);
  describe(`${name}: L2CacheBackend conformance`, () => {
    const ctx = createSuiteContext(factory);
    defineCacheCases(ctx, resolved);
    defineL2Cases(ctx, resolved);
  });
}

/**
 * Register the `StreamingBackend` conformance suite. Each case writes to its own stream named
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
    defineStreamCases(createSuiteContext(factory), resolved);
  });
}
