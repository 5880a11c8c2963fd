/**
 * Escape every glob metacharacter Redis's MATCH understands (`* ? [ ] \`), so a prefix such
 * as `app[1]:` matches only itself.
 */
export function escapeRedisGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Translate tiercache's glob (`*`, `?`, `\` escapes; nothing else is special) into a Redis
 * MATCH pattern under `prefix`. Redis also treats `[...]` as a character class, which the
 * contract does not, so brackets are escaped.
 */
export function toRedisMatch(prefix: string, pattern: string): string {
  let out = escapeRedisGlob(prefix);
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      out += escapeRedisGlob(pattern[++i]!);
    } else if (ch === '[' || ch === ']' || ch === '\\') {
      out += `\\${ch}`;
    } else {
      out += ch;
    }
  }
  return out;
}
