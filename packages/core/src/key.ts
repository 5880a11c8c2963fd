import { InvalidKeyError } from './errors.js';

/** The longest key (in UTF-16 code units) the manager accepts unless told otherwise. */
export const DEFAULT_MAX_KEY_LENGTH = 1024;

/**
 * Check a cache key: a non-empty string of at most `maxLength` characters without control
 * characters (they break text protocols and logs) and without lone UTF-16 surrogates (UTF-8
 * cannot encode them: every one becomes U+FFFD, so `"x\uD800"` and `"x\uDBFF"` would be the
 * same bytes in Redis or Memcached and read each other's values). Throws {@link InvalidKeyError}.
 */
export function validateKey(key: unknown, maxLength = DEFAULT_MAX_KEY_LENGTH): asserts key is string {
  validateTierKey(key);
  if (key.length > maxLength) {
    throw new InvalidKeyError(
      `cache key is ${key.length} characters, over the limit of ${maxLength}; hash long keys or raise maxKeyLength`,
      'TIERCACHE_KEY_TOO_LONG',
    );
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new InvalidKeyError(
      'cache key contains a control character (U+0000-U+001F or U+007F); remove or encode it',
    );
  }
}

/**
 * The key check every tier applies to what it is handed, whoever calls it (the manager, or an
 * application using a backend directly): a non-empty string of whole characters — no lone
 * UTF-16 surrogate, which UTF-8 turns into U+FFFD so that `"x\uD800"`, `"x\uDBFF"` and
 * `"x\uFFFD"` would be one key on the wire. It allows what a tier must store for the manager
 * (the reserved NUL-prefixed records, any length); {@link validateKey} adds the manager's own
 * rules. `what` names the value in the message (`"cache key"`, `"removePattern pattern"`).
 * Throws {@link InvalidKeyError} (`TIERCACHE_BAD_KEY`).
 */
export function validateTierKey(key: unknown, what = 'cache key'): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError(`${what} must be a string, got ${key === null ? 'null' : typeof key}`);
  }
  if (key.length === 0) throw new InvalidKeyError(`${what} must not be empty`);
  if (hasLoneSurrogate(key)) {
    throw new InvalidKeyError(
      `${what} contains a lone UTF-16 surrogate, which has no UTF-8 encoding and would collide with other keys in a shared tier; build keys from whole characters (or encode binary ids, e.g. as hex)`,
    );
  }
}

/**
 * `true` when `text` holds half of a surrogate pair on its own (no UTF-8 encoding: it becomes
 * U+FFFD on the wire). Keys, patterns and tags are refused for it.
 */
export function hasLoneSurrogate(text: string): boolean {
  // With the u flag a surrogate class matches only halves that are not part of a pair.
  return /[\uD800-\uDFFF]/u.test(text);
}

/**
 * Keys that start with this (NUL) are the cache's own records in a shared tier, such as a
 * tag's invalidation time. No user key can start with it (keys cannot hold control
 * characters), and a backend's `removePattern` must leave them alone: deleting a tag's time
 * would bring back the entries it invalidated. `clear()` may remove them with everything else.
 */
export const RESERVED_KEY_PREFIX = '\u0000';

/**
 * Compile a glob (`*` = any run of characters, `?` = one character, `\\` escapes) into a
 * RegExp anchored at both ends. Used by in-process tiers and the bus to apply patterns. It
 * never matches a reserved key (one that starts with {@link RESERVED_KEY_PREFIX}).
 *
 * Patterns can come from other instances over the bus, so matching must not backtrack: a
 * naive `[\s\S]*` per star takes seconds for `*a*a*b` against a 1 000-character key. Every
 * segment between two stars is matched at its first occurrence (which is always correct for
 * fixed-length segments) inside a lookahead and consumed by a back-reference, the JavaScript
 * idiom for an atomic group, so a test costs O(key length x pattern length).
 */
export function globToRegExp(pattern: string): RegExp {
  // `(?!\u0000)`: a key that starts with NUL is one of the cache's own records (a tag's
  // invalidation time, see RESERVED_KEY_PREFIX), never a user key, and no pattern matches it.
  const start = '^(?!\\u0000)';
  const segments: string[] = [''];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      segments[segments.length - 1] += escapeRegExp(pattern[++i]!);
    } else if (ch === '*') segments.push('');
    else if (ch === '?') segments[segments.length - 1] += '[\\s\\S]';
    else segments[segments.length - 1] += escapeRegExp(ch);
  }
  if (segments.length === 1) return new RegExp(`${start}${segments[0]}$`);
  let out = `${start}${segments[0]}`;
  let group = 0;
  for (let i = 1; i < segments.length - 1; i++) {
    if (segments[i] === '') continue;
    group++;
    out += `(?=([\\s\\S]*?${segments[i]}))(?:\\${group})`;
  }
  return new RegExp(`${out}[\\s\\S]*${segments[segments.length - 1]}$`);
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}
