import { InvalidTtlError } from './errors.js';

/**
 * A duration: milliseconds as a number, or a string such as `"500ms"`, `"90s"`, `"5m"`,
 * `"2h"`, `"1d"` (one number and one unit; decimals allowed: `"1.5h"`).
 */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`;

/** Units accepted in a {@link Duration} string. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PARSED_MAX = 256;
const parsed = new Map<string, number>();
const DURATION_RE = /^(\d+(?:\.\d+)?)\s?(ms|s|m|h|d)$/;

/**
 * Parse a {@link Duration} into milliseconds. Throws {@link InvalidTtlError} (a `TypeError`)
 * for negative, NaN, infinite or unparsable input; never falls back to a default.
 *
 * @param what names the option in the error message, e.g. `"ttl"`.
 */
export function parseDuration(input: unknown, what = 'duration'): number {
  if (typeof input === 'number') {
    if (Number.isNaN(input))
      throw new InvalidTtlError(`${what} is NaN; pass milliseconds (>= 0) or a string like "90s"`);
    if (!Number.isFinite(input)) {
      throw new InvalidTtlError(
        `${what} is ${input}; pass a finite TTL (a long one such as "365d" for entries that should live long), or leave it out for the default`,
      );
    }
    if (input < 0)
      throw new InvalidTtlError(
        `${what} is negative (${input}); pass milliseconds >= 0 or a string like "90s"`,
      );
    return input;
  }
  if (typeof input === 'string') {
    const known = parsed.get(input);
    if (known !== undefined) return known;
    const match = DURATION_RE.exec(input.trim());
    if (match) {
      const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
      if (Number.isFinite(ms)) {
        const rounded = Math.round(ms);
        // Hot paths pass the same few literals ("5m") on every call: remember them (bounded).
        if (parsed.size >= PARSED_MAX) parsed.clear();
        parsed.set(input, rounded);
        return rounded;
      }
    }
    throw new InvalidTtlError(
      `${what} "${input}" is not a duration; use milliseconds or a number with one unit of ms, s, m, h, d (e.g. "90s", "5m", "2h")`,
    );
  }
  throw new InvalidTtlError(
    `${what} must be a number of milliseconds or a string like "5m", got ${typeof input}`,
  );
}

/**
 * Parse a TTL for an entry: a positive {@link Duration}. `0` is refused: an entry that
 * expires at once is a bug at the call site, not a cache entry. `undefined` passes through
 * and means "never expires".
 */
export function parseTtl(input: unknown, what = 'ttl'): number | undefined {
  if (input === undefined) return undefined;
  const ms = parseDuration(input, what);
  if (ms <= 0) {
    throw new InvalidTtlError(
      `${what} must be greater than 0 (got ${String(input)}); to remove an entry call delete()`,
    );
  }
  return ms;
}
