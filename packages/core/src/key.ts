import { InvalidKeyError } from './errors.js';

/** The longest key (in UTF-16 code units) the manager accepts unless told otherwise. */
export const DEFAULT_MAX_KEY_LENGTH = 1024;

/**
 * Check a cache key: a non-empty string of at most `maxLength` characters without control
 * characters (they break text protocols and logs). Throws {@link InvalidKeyError}.
 */
export function validateKey(key: unknown, maxLength = DEFAULT_MAX_KEY_LENGTH): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidKeyError(`cache key must be a string, got ${key === null ? 'null' : typeof key}`);
  }
  if (key.length === 0) throw new InvalidKeyError('cache key must not be empty');
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
 * Compile a glob (`*` = any run of characters, `?` = one character, `\` escapes) into a
 * RegExp anchored at both ends. Used by in-process tiers and the bus to apply patterns.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[++i]!);
    } else if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else out += escapeRegExp(ch);
  }
  return new RegExp(`${out}$`);
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}
