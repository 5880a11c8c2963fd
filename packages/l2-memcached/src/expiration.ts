/**
 * memcached reads an expiration of up to 30 days as "seconds from now" and anything larger as
 * an absolute Unix time; a 40-day TTL sent as seconds would be a date in 1970 and expire at once.
 */
export const MAX_RELATIVE_EXPIRATION_S = 30 * 24 * 60 * 60;

/** The largest value the 32-bit expiration field holds. */
const MAX_EXPIRATION_FIELD = 0xffffffff;

/**
 * The expiration field to send for a TTL: whole seconds, relative up to 30 days and absolute
 * beyond, `0` (never) for no TTL.
 *
 * The server's clock ticks once a second, so an item set late in a tick with expiration `n`
 * can vanish after just over `n - 1` seconds. Rounding up and adding one second keeps the
 * item on the server at least as long as the exact expiry in its envelope, which is what
 * reads honour. A TTL past what the 32-bit field can express (year 2106) is sent as `0`:
 * the envelope still ends the entry on time.
 */
export function memcachedExpiration(ttlMs: number | undefined, nowMs: number): number {
  if (ttlMs === undefined) return 0;
  const seconds = Math.ceil(ttlMs / 1000) + 1;
  if (seconds <= MAX_RELATIVE_EXPIRATION_S) return seconds;
  const absolute = Math.ceil(nowMs / 1000) + seconds;
  return absolute > MAX_EXPIRATION_FIELD ? 0 : absolute;
}
