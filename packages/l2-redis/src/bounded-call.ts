import { TierCacheError, TierError, TimeoutError } from '@tiercache/core';

/**
 * Settle `promise` within `timeoutMs` or reject with core's {@link TimeoutError}.
 *
 * ioredis's own `commandTimeout` only exists on clients we create; a client handed to us
 * may have none, and a command parked in ioredis's offline queue while Redis is down would
 * otherwise wait for reconnection indefinitely. Failures other than timeouts become a
 * {@link TierError} naming the tier and the operation; errors that are already tiercache's
 * own (serialization, closed) pass through unchanged.
 */
export function boundedCall<T>(
  tier: string,
  operation: string,
  timeoutMs: number,
  promise: Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new TimeoutError(`redis tier "${tier}" (${operation})`, timeoutMs)),
      timeoutMs,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(toTierError(tier, operation, timeoutMs, error));
      },
    );
  });
}

/** Map an ioredis failure onto core's error classes. */
export function toTierError(tier: string, operation: string, timeoutMs: number, error: unknown): Error {
  if (error instanceof TierCacheError) return error;
  // ioredis rejects with a plain Error carrying exactly this message when commandTimeout fires.
  if (error instanceof Error && error.message === 'Command timed out') {
    return new TimeoutError(`redis tier "${tier}" (${operation})`, timeoutMs);
  }
  return new TierError(tier, operation, error);
}
