import { InvalidTtlError } from './errors.js';

/**
 * A duration: milliseconds as a number, or a string in the grammar of the `ms` package (which
 * BentoCache and many apps use): a number, optional spaces, and a unit, short or long, any
 * case — `"500ms"`, `"90s"`, `"5m"`, `"2h"`, `"1d"`, `"1w"`, `"1y"`, `"1.5h"`, `"2 days"`,
 * `"10 minutes"`, `"1 hour"`. A bare number string (`"100"`) is milliseconds; a year is 365.25
 * days.
 */
export type Duration =
  | number
  | `${number}`
  | `${number}${DurationUnitAnyCase}`
  | `${number} ${DurationUnitAnyCase}`;

/** Units accepted in a {@link Duration} string (also in upper case or capitalised). */
export type DurationUnit =
  | 'ms'
  | 'msec'
  | 'msecs'
  | 'millisecond'
  | 'milliseconds'
  | 's'
  | 'sec'
  | 'secs'
  | 'second'
  | 'seconds'
  | 'm'
  | 'min'
  | 'mins'
  | 'minute'
  | 'minutes'
  | 'h'
  | 'hr'
  | 'hrs'
  | 'hour'
  | 'hours'
  | 'd'
  | 'day'
  | 'days'
  | 'w'
  | 'week'
  | 'weeks'
  | 'y'
  | 'yr'
  | 'yrs'
  | 'year'
  | 'years';

/** {@link DurationUnit} in lower case, upper case or capitalised, as `ms` accepts. */
export type DurationUnitAnyCase = DurationUnit | Uppercase<DurationUnit> | Capitalize<DurationUnit>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Milliseconds per unit, keyed by the unit's first letters as the grammar below groups them. */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: SECOND,
  sec: SECOND,
  secs: SECOND,
  second: SECOND,
  seconds: SECOND,
  m: MINUTE,
  min: MINUTE,
  mins: MINUTE,
  minute: MINUTE,
  minutes: MINUTE,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
  w: 7 * DAY,
  week: 7 * DAY,
  weeks: 7 * DAY,
  y: 365.25 * DAY,
  yr: 365.25 * DAY,
  yrs: 365.25 * DAY,
  year: 365.25 * DAY,
  years: 365.25 * DAY,
};
const PARSED_MAX = 256;
/** Longer strings are refused before the regex runs (as `ms` does), whatever they hold. */
const MAX_DURATION_LENGTH = 100;
const parsed = new Map<string, number>();
const DURATION_RE = /^(-?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]+)?$/i;

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
    const ms = parseDurationString(input, what);
    // Hot paths pass the same few literals ("5m") on every call: remember them (bounded).
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(input, ms);
    return ms;
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
  if (ms > MAX_TTL_MS) {
    throw new InvalidTtlError(
      `${what} ${String(input)} is longer than the longest TTL every tier can store and read back (${MAX_TTL_MS} ms, about 31 000 years); pass a shorter one`,
    );
  }
  return ms;
}

/**
 * The TTL of an entry that never expires: `set(key, value, { ttl: FOREVER })` (or the string
 * `'forever'`). Each tier keeps it as long as it can: no expiry on Redis (no `PX`), on Keyv
 * stores and in lru-cache; expiration `0` on memcached (never, until evicted by memory
 * pressure); a tier with `maxTtl` (e.g. an L1 capped at 1 min) keeps it that long and gets it
 * back by promotion from the tier below. `ttl(key)` answers `Infinity`.
 */
export const FOREVER = 'forever';

/** An entry's TTL: a {@link Duration}, or {@link FOREVER} for no expiry. */
export type EntryTtl = Duration | typeof FOREVER;

/**
 * Parse an entry's TTL: {@link FOREVER} is `undefined` (no expiry); anything else as
 * {@link parseTtl}, which refuses `undefined` here (a missing TTL is the caller's default).
 */
export function parseEntryTtl(input: unknown, what = 'ttl'): number | undefined {
  if (input === FOREVER) return undefined;
  if (input === undefined) {
    throw new InvalidTtlError(`${what} is missing; pass a duration such as "5m", or FOREVER for no expiry`);
  }
  return parseTtl(input, what);
}

/**
 * The longest TTL an entry may have: 10^15 ms (about 31 700 years). Every tier stores and
 * reads it back: Redis's expiry header holds up to 16 digits and `PX` takes it; memcached
 * keeps entries past 2106 as "no expiry" with the exact expiry in its envelope; lru-cache and
 * Keyv store it as a number. Longer ones (`1e20`) were refused by Redis or written unreadable,
 * so they are refused here, at the call.
 */
export const MAX_TTL_MS = 1e15;

function parseDurationString(input: string, what: string): number {
  const match = input.length <= MAX_DURATION_LENGTH ? DURATION_RE.exec(input.trim()) : null;
  const unitMs = match ? (match[2] === undefined ? 1 : UNIT_MS[match[2].toLowerCase()]) : undefined;
  if (match && unitMs !== undefined) {
    const amount = Number(match[1]);
    if (amount < 0) {
      throw new InvalidTtlError(`${what} "${input}" is negative; pass a duration >= 0 such as "90s"`);
    }
    const ms = amount * unitMs;
    if (Number.isFinite(ms)) return Math.round(ms);
  }
  throw new InvalidTtlError(
    `${what} "${input}" is not a duration; use milliseconds, or a number and a unit as the ms package writes them: ms, s, m, h, d, w, y or their long forms (e.g. "90s", "5m", "2 days", "10 minutes", "1w")`,
  );
}
