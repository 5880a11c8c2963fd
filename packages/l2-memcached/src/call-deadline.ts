import { TierCacheError, TierError, TimeoutError } from '@tiercache/core';

/**
 * Settle what `run` starts within `timeoutMs`: its result, a `TimeoutError` when the time runs out, or a
 * `TierError` wrapping whatever memjs rejected (or threw) with. memjs has its own per-request timeout,
 * but retries, reconnects and a server that accepts connections without answering can run
 * past it; this bound is what guarantees no call hangs.
 */
export function withDeadline<T>(
  tier: string,
  operation: string,
  timeoutMs: number,
  run: () => Promise<T>,
): Promise<T> {
  let work: Promise<T>;
  try {
    work = run();
  } catch (error) {
    // memjs throws synchronously for a few bad inputs (e.g. a number its buffers cannot hold).
    work = Promise.reject(error);
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new TimeoutError(`tier "${tier}" ${operation}`, timeoutMs));
    }, timeoutMs);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof TierCacheError ? error : new TierError(tier, operation, error));
      },
    );
  });
}
