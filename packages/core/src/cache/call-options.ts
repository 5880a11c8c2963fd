import { InvalidOptionError } from '../errors.js';
import { parseEntryTtl } from '../ttl.js';
import type { Factory, GetOrSetCall, GetOrSetOptions, GetOrSetResult } from './options.js';
import { checkTags } from './tags.js';

/** The per-call argument checks of the public methods, kept off the public class. */

export function resultValue<V>(result: GetOrSetResult<V>): V {
  return result.value;
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
