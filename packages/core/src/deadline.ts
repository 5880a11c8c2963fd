import { TierCacheError, TierError, TimeoutError } from './errors.js';

/** Reject with {@link TimeoutError} if `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Map a backend client's failure onto core's errors: tiercache's own errors pass through,
 * a failure `isTimeout` recognises (a client's own command timeout) becomes a
 * {@link TimeoutError}, anything else a {@link TierError} naming the tier and operation.
 */
export function toTierError(
  tier: string,
  operation: string,
  timeoutMs: number,
  error: unknown,
  isTimeout?: (error: unknown) => boolean,
): Error {
  if (error instanceof TierCacheError) return error;
  if (isTimeout?.(error)) return new TimeoutError(`tier "${tier}" ${operation}`, timeoutMs);
  return new TierError(tier, operation, error);
}

/**
 * The one way adapters bound a call to their server: settle within `timeoutMs` or reject
 * with {@link TimeoutError}; failures are mapped by {@link toTierError}. Clients park commands
 * while reconnecting (ioredis's offline queue, memjs retries), so without this bound a call
 * to a server that went away could wait for ever. `call` may be a promise or a function that
 * starts the work (a synchronous throw then becomes a rejection).
 */
export function boundedCall<T>(
  tier: string,
  operation: string,
  timeoutMs: number,
  call: Promise<T> | (() => Promise<T>),
  isTimeout?: (error: unknown) => boolean,
): Promise<T> {
  let work: Promise<T>;
  try {
    work = typeof call === 'function' ? call() : call;
  } catch (error) {
    work = Promise.reject(error);
  }
  return withTimeout(work, timeoutMs, `tier "${tier}" ${operation}`).catch((error: unknown) => {
    throw toTierError(tier, operation, timeoutMs, error, isTimeout);
  });
}
