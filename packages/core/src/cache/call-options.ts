import { InvalidOptionError, InvalidValueError } from '../errors.js';
import { parseEntryTtl } from '../ttl.js';
import type { Factory, GetOrSetCall, GetOrSetOptions, GetOrSetResult } from './options.js';
import { hasTaggedMark, TAGGED_MARK } from './tagged-entry.js';
import { checkTags } from './tags.js';

/** The per-call argument checks of the public methods, kept off the public class. */

export function resultValue<V>(result: GetOrSetResult<V>): V {
  return result.value;
}

/** How a cache or namespace answers a `getOrSet` from its L1 (`undefined`: go on to the loader). */
export type GetOrSetHit<V> = (
  key: string,
  factory: Factory<V>,
  options: GetOrSetOptions | undefined,
) => V | undefined;
/** How a cache or namespace loads a `getOrSet` that its L1 did not answer. */
export type GetOrSetLoad<V> = (
  key: string,
  factory: Factory<V>,
  options: GetOrSetOptions | undefined,
) => Promise<GetOrSetResult<V>>;

/**
 * The `getOrSet`/`getOrSetResult` call of both `TieredCache` and `CacheNamespace`, either form
 * (`(key, factory, options)` or one object): the options checked (a bad TTL or tag rejects, hit
 * or miss), `forceFresh` past the L1, then `hit`, then `load`.
 */
export function getOrSetCall<V>(
  keyOrCall: string | GetOrSetCall<V>,
  factory: Factory<V> | undefined,
  options: GetOrSetOptions | undefined,
  hit: GetOrSetHit<V>,
  load: GetOrSetLoad<V>,
): Promise<GetOrSetResult<V>> {
  let key = keyOrCall as string;
  if (typeof keyOrCall === 'object' && keyOrCall !== null) ({ key, factory, options } = splitCall(keyOrCall));
  if (options !== undefined) {
    const bad = badCallOptions('getOrSet', options);
    if (bad !== undefined) return Promise.reject(bad);
    if (options.forceFresh) return load(key, factory!, options);
  }
  const value = hit(key, factory!, options);
  if (value !== undefined) return Promise.resolve({ value, stale: false });
  return load(key, factory!, options);
}

/** `{ key, factory, ...options }` taken apart. */
export function splitCall<V>(call: GetOrSetCall<V>): {
  key: string;
  factory: Factory<V>;
  options: GetOrSetOptions;
} {
  const { key, factory, ...options } = call;
  return { key, factory, options };
}

/** Per-call options must be an object: `set(k, v, 1000)` is a mistake, not a default TTL. */
export function checkCallOptions(method: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const hint =
      typeof options === 'number' || typeof options === 'string'
        ? `; for a TTL pass { ttl: ${JSON.stringify(options)} }`
        : '';
    throw new InvalidOptionError(
      `${method}: options must be an object such as { ttl: '5m' }, got ${String(options)}${hint}`,
    );
  }
}

/** The error bad per-call options raise, or `undefined` (a bad TTL or tag is an error at the call, hit or miss). */
export function badCallOptions(method: string, options: GetOrSetOptions): unknown {
  try {
    checkCallOptions(method, options);
    if (options.ttl !== undefined) parseEntryTtl(options.ttl, 'ttl');
    if (options.tags !== undefined) checkTags(options.tags, method);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Reject what can never be a cached value. */
export function validateValue(value: unknown): void {
  if (value === undefined) {
    throw new InvalidValueError('cannot cache undefined (it means "miss"); store null for a negative result');
  }
  const type = typeof value;
  if (type === 'function' || type === 'symbol') {
    throw new InvalidValueError(`cannot cache a ${type}; cache data, not code`);
  }
  // Stored, it would read back as the inner `v` of a tagged entry, not as itself.
  if (hasTaggedMark(value)) {
    throw new InvalidValueError(
      `cannot cache an object with the field ${JSON.stringify(TAGGED_MARK)}: it marks tiercache's own tagged entries`,
    );
  }
}
