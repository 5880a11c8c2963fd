import { TierCacheError, TierError, TimeoutError } from '@tiercache/core';

/**
 * Settle `promise` within `timeoutMs` or reject with core's {@link TimeoutError}; other
 * failures become a {@link TierError} naming the stream backend and the operation.
 * A client handed to us may have no ioredis `commandTimeout`, and a command parked in the
 * offline queue while Redis is down would otherwise wait for reconnection indefinitely.
 */
export function boundedCall<T>(
  backend: string,
  operation: string,
  timeoutMs: number,
  promise: Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new TimeoutError(`redis stream backend "${backend}" (${operation})`, timeoutMs)),
      timeoutMs,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(toStreamError(backend, operation, timeoutMs, error));
      },
    );
  });
}

/** Map an ioredis failure onto core's error classes. */
export function toStreamError(backend: string, operation: string, timeoutMs: number, error: unknown): Error {
  if (error instanceof TierCacheError) return error;
  if (error instanceof Error && error.message === 'Command timed out') {
    return new TimeoutError(`redis stream backend "${backend}" (${operation})`, timeoutMs);
  }
  return new TierError(backend, operation, error);
}
