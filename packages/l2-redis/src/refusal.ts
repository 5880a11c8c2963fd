/**
 * Redis replies that refuse the request itself, so the same request would be refused again
 * (core's `RefusedError`: never retried, no breaker failure): a command over
 * `proto-max-bulk-len` (Redis answers `ERR Protocol error: invalid bulk length` and closes the
 * connection), a string over 512 MB, a TTL Redis cannot take, a key holding another type.
 * Everything else Redis says (`OOM`, `READONLY`, `LOADING`, `BUSY`, `MASTERDOWN`, `NOPERM`,
 * `MISCONF`, ...) depends on the server's state and stays a `TierError`, which core retries.
 */
const PERMANENT =
  /^(ERR Protocol error: invalid (multi)?bulk length|ERR string exceeds maximum allowed size|ERR invalid expire time|ERR value is not an integer or out of range|WRONGTYPE )/;

/** `true` for an ioredis `ReplyError` in which Redis refused the request as invalid. */
export function isIoredisRefusal(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError' && PERMANENT.test(error.message);
}

/**
 * The error a refused batch of same-tick writes rejects each write with: Redis refused the
 * batch as a whole (one value in it was too large), so no write in it can be told apart as the
 * refused one, and each is reported as a plain failure (core keeps it as a missed write, which
 * on Redis is applied as a delete). A lone write is refused on its own, as `RefusedError`.
 */
export function batchRefused(error: unknown, writes: number): unknown {
  if (!isIoredisRefusal(error)) return error;
  const message = (error as Error).message;
  return new Error(`Redis refused a batch of ${writes} writes (${message})`, { cause: error });
}
