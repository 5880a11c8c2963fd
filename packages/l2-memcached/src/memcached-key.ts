import { createHash } from 'node:crypto';
import { InvalidKeyError } from '@tiercache/core';
import { validateTierKey } from '@tiercache/core/adapter';
import type { KeyPolicy } from './options.js';

/** memcached's key limit, in bytes, prefix included. */
export const MAX_MEMCACHED_KEY_BYTES = 250;

/**
 * Marks a hashed key. In `'hash'` mode a caller's key that itself starts with it is hashed
 * too, so no plain key can land on a hashed key's name.
 */
const HASHED_MARK = 'h:';

// Space and control characters end a key in memcached's text protocol (and in most tooling).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const BAD_KEY_CHARS = /[\u0000-\u0020\u007f]/;

/**
 * The memcached key for a cache key: `prefix + key`, or, when memcached cannot store that
 * (over 250 bytes, or a space or control character in it), either `prefix + "h:" +
 * base64url(sha256(key))` (`policy` `'hash'`) or an `InvalidKeyError` (`'reject'`).
 *
 * @param prefix `"<namespace>:<version>:"`, already free of bad characters.
 */
export function memcachedKey(key: string, prefix: string, policy: KeyPolicy): string {
  // Also refuses lone surrogates: UTF-8 (and so the sha256 of 'hash') makes them U+FFFD.
  validateTierKey(key);
  const full = prefix + key;
  const hasBadChar = BAD_KEY_CHARS.test(key);
  // UTF-8 takes at least one and at most three bytes per UTF-16 code unit, so most keys are
  // settled by their length alone and only the ones in between are measured.
  const tooLong =
    full.length > MAX_MEMCACHED_KEY_BYTES ||
    (full.length * 3 > MAX_MEMCACHED_KEY_BYTES && Buffer.byteLength(full) > MAX_MEMCACHED_KEY_BYTES);
  if (policy === 'hash') {
    if (hasBadChar || tooLong || key.startsWith(HASHED_MARK)) {
      return `${prefix}${HASHED_MARK}${createHash('sha256').update(key).digest('base64url')}`;
    }
    return full;
  }
  if (hasBadChar) {
    throw new InvalidKeyError(
      'cache key contains a space or control character, which memcached keys cannot hold; encode it or use keyPolicy "hash"',
    );
  }
  if (tooLong) {
    throw new InvalidKeyError(
      `cache key is ${Buffer.byteLength(full)} bytes with its "${prefix}" prefix, over memcached's ${MAX_MEMCACHED_KEY_BYTES}-byte limit; shorten it or use keyPolicy "hash"`,
      'TIERCACHE_KEY_TOO_LONG',
    );
  }
  return full;
}
