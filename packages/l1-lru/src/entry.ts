// What LruBackend stores in lru-cache for each key: the value and the promise of it that
// `peekResolved` hands every reader (made at the first such read). A write stores a new Entry,
// so a kept promise never outlives the value it resolves to.

/**
 * `performance.now` as the module loaded, for lru-cache's expiry clock and remaining TTLs: some
 * fake-timer libraries replace `now` on the `performance` object itself, which would skew both.
 */
const readClock: () => number = performance.now.bind(performance);

/** Milliseconds from the real monotonic clock. */
export const monotonicNow = (): number => readClock();

/** The clock handed to lru-cache (its `perf` option). */
export const realPerf = { now: monotonicNow };

/** One stored value and, once read through `peekResolved`, its frozen resolved promise. */
export class Entry<V> {
  resolved: Promise<V> | undefined = undefined;

  constructor(readonly value: V) {}
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
  return (entry.resolved = Object.freeze(Promise.resolve(value)));
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
