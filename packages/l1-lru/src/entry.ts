// What LruBackend stores in lru-cache for each key: the value, when it expires, and the promise
// of it that `peekResolved` hands every reader (made at the first such read). lru-cache holds
// the entries without TTLs: the backend checks `expiresAt` against a clock reading it may reuse
// (CoarseClock), which costs a hit less than lru-cache's own expiry check. A write stores a new
// Entry, so a kept promise never outlives the value it resolves to.

/**
 * `performance.now` and the timers as the module loaded: some fake-timer libraries replace
 * `now` on the `performance` object itself, and a test's fake timers would otherwise hold the
 * reused reading forever.
 */
const readClock: () => number = performance.now.bind(performance);
const { setTimeout: startTimer } = globalThis;

/** Milliseconds from the real monotonic clock. */
export const monotonicNow = (): number => readClock();

/**
 * A clock reading that may be reused for up to `resolutionMs` (until a timer clears it), so a
 * hit does not pay for `performance.now()`. Every exact reading (`read`, which writes use)
 * refreshes it, so a reused reading is never older than the last write: an entry is never
 * seen expired before its time, only up to the reading's age after it. `resolutionMs` 0: every
 * call reads the clock.
 */
export class CoarseClock {
  readonly #resolutionMs: number;
  #reading = 0;
  #armed = false;
  readonly #forget = (): void => {
    this.#reading = 0;
    this.#armed = false;
  };

  constructor(resolutionMs: number) {
    this.#resolutionMs = resolutionMs;
  }

  /** The reused reading, or a fresh one. */
  now(): number {
    return this.#reading || this.read();
  }

  /** A fresh reading, kept for reuse. */
  read(): number {
    const now = readClock();
    if (this.#resolutionMs > 0) {
      this.#reading = now;
      if (!this.#armed) {
        this.#armed = true;
        startTimer(this.#forget, this.#resolutionMs).unref();
      }
    }
    return now;
  }
}

/**
 * One stored value, when it expires (`performance.now()` ms; `Infinity`: never) and, once read
 * through `peekResolved`, its frozen resolved promise.
 */
export class Entry<V> {
  resolved: Promise<V> | undefined = undefined;

  constructor(
    readonly value: V,
    readonly expiresAt: number,
  ) {}
}

/**
 * The kept promise of `entry`'s value, made at the first call. A value with a `then` method
 * would be adopted as a promise: it gets a new promise per read, as `Promise.resolve(value)`
 * gives, instead of one shared result.
 */
export function resolvedOf<V>(entry: Entry<V>): Promise<V> {
  const resolved = entry.resolved;
  if (resolved !== undefined) return resolved;
  const value = entry.value;
  if (isThenable(value)) return Promise.resolve(value);
  const kept = Object.freeze(Promise.resolve(value));
  entry.resolved = kept;
  return kept;
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
