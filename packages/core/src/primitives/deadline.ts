import { RefusedError, TierCacheError, TierError, TimeoutError } from '../errors.js';
import { redactSecrets } from '../redact.js';

interface Pending {
  deadline: number;
  expire: () => void;
}

/** Timeouts at or above this share one sweeping timer; shorter ones get their own. */
const SWEEP_MIN_MS = 100;
const SWEEP_EVERY_MS = 20;
const pending = new Set<Pending>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = performance.now();
  for (const entry of pending) {
    if (entry.deadline <= now) {
      pending.delete(entry);
      entry.expire();
    }
  }
  if (pending.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Reject with {@link TimeoutError} if `promise` has not settled within `ms`.
 *
 * Remote calls run at tens of thousands per second, and a `setTimeout`/`clearTimeout` pair for
 * each is a measurable share of an L2 hit; so timeouts of 100 ms and more share one timer that
 * sweeps every 20 ms (they fire up to 20 ms late, never early), and only shorter ones get a
 * timer of their own.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms < SWEEP_MIN_MS) {
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
  return new Promise<T>((resolve, reject) => {
    const entry: Pending = {
      deadline: performance.now() + ms,
      expire: () => reject(new TimeoutError(what, ms)),
    };
    pending.add(entry);
    if (sweeper === undefined) {
      // Kept referenced, like the setTimeout it replaces: it runs only while calls are pending.
      sweeper = setInterval(sweep, SWEEP_EVERY_MS);
    }
    promise.then(
      (value) => {
        pending.delete(entry);
        resolve(value);
      },
      (error: unknown) => {
        pending.delete(entry);
        reject(error);
      },
    );
  });
}

/**
 * Map a backend client's failure onto core's errors: tiercache's own errors pass through,
 * a failure `isTimeout` recognises (a client's own command timeout) becomes a
 * {@link TimeoutError}, one `isRefusal` recognises (the server refused this request as invalid
 * and would refuse it again) a {@link RefusedError}, anything else a {@link TierError} naming
 * the tier and operation, with credentials removed from the client's error first (it becomes
 * our `cause`).
 */
export function toTierError(
  tier: string,
  operation: string,
  timeoutMs: number,
  error: unknown,
  isTimeout?: (error: unknown) => boolean,
  isRefusal?: (error: unknown) => boolean,
): Error {
  if (error instanceof TierCacheError) return error;
  if (isTimeout?.(error)) return new TimeoutError(`tier "${tier}" ${operation}`, timeoutMs);
  if (isRefusal?.(error)) return new RefusedError(tier, operation, redactSecrets(error));
  return new TierError(tier, operation, redactSecrets(error));
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
  isRefusal?: (error: unknown) => boolean,
): Promise<T> {
  let work: Promise<T>;
  try {
    work = typeof call === 'function' ? call() : call;
  } catch (error) {
    work = Promise.reject(error);
  }
  return withTimeout(work, timeoutMs, `tier "${tier}" ${operation}`).catch((error: unknown) => {
    throw toTierError(tier, operation, timeoutMs, error, isTimeout, isRefusal);
  });
}
