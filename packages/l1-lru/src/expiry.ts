// How LruBackend expires entries without a clock check on every read: each entry is a Slot
// that knows when it expires, and one timer per backend removes entries as they fall due
// (ExpiryQueue). A hit is then one lru-cache get of a TTL-less cache plus one field read, and
// through peekResolved not even a promise allocation.

/**
 * The timers and clock of the process as it started, so a test's fake timers cannot stop or
 * skew expiry: the functions themselves are kept, since some fake-timer libraries replace
 * `now` on the original `performance` object.
 */
const { setTimeout: startTimer, clearTimeout: stopTimer } = globalThis;
const readClock: () => number = performance.now.bind(performance);

/** Milliseconds from the real monotonic clock (`performance.now()` as the module loaded). */
export const monotonicNow = (): number => readClock();

/** setTimeout's longest delay; a later deadline is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Most entries one timer run removes, so a mass expiry never holds the event loop long. */
const MAX_PER_SWEEP = 10_000;

/**
 * One stored value, its key, and when it expires (`performance.now()` ms; `Infinity`: never).
 * `resolved` is the frozen promise of the value that `peekResolved` hands every reader, made at
 * the first such read; a write makes a new slot, so it never outlives the value it resolves to.
 */
export class Slot<V> {
  resolved: Promise<V> | undefined = undefined;
  /** Where the slot is in its {@link ExpiryQueue} (-1: not queued). */
  queueIndex = -1;

  constructor(
    readonly key: string,
    readonly value: V,
    readonly expiresAt: number,
  ) {}
}

/**
 * The slots that expire, in a binary min-heap on `expiresAt` where each slot knows its index,
 * and one unref'd timer set for the earliest (never sooner than `resolutionMs` from now, so
 * close deadlines share a run). A slot leaves the queue when it is overwritten, deleted or
 * evicted (`remove`, from lru-cache's dispose hook), so the queue holds the stored slots with a
 * TTL and nothing else: no dead slot keeps a replaced value alive. A run hands every due slot
 * to `expire` (at most {@link MAX_PER_SWEEP}, then it runs again).
 */
export class ExpiryQueue {
  #heap: Slot<unknown>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (`Infinity` without one). */
  #dueAt = Number.POSITIVE_INFINITY;
  readonly #expire: (slot: Slot<unknown>) => void;
  readonly #minDelayMs: number;
  readonly #run = (): void => this.#sweep();

  constructor(expire: (slot: Slot<unknown>) => void, resolutionMs: number) {
    this.#expire = expire;
    this.#minDelayMs = Math.max(1, resolutionMs);
  }

  /** Slots queued. */
  get length(): number {
    return this.#heap.length;
  }

  /** Queue a slot with a finite `expiresAt`; `now` is the reading it was computed from. */
  add(slot: Slot<unknown>, now: number): void {
    const heap = this.#heap;
    slot.queueIndex = heap.length;
    heap.push(slot);
    this.#siftUp(slot.queueIndex);
    // A slot due less than the minimum delay before the timer is swept by it, that late at
    // most; only an earlier one moves the timer (a burst of short TTLs moves it once).
    if (slot.expiresAt + this.#minDelayMs <= this.#dueAt) this.#schedule(slot.expiresAt, now);
  }

  /** Take `slot` out of the queue; a slot that is not in it is ignored. */
  remove(slot: Slot<unknown>): void {
    const heap = this.#heap;
    const i = slot.queueIndex;
    if (i < 0 || heap[i] !== slot) return;
    slot.queueIndex = -1;
    const last = heap.pop()!;
    if (last === slot) return;
    heap[i] = last;
    last.queueIndex = i;
    this.#siftDown(i);
    this.#siftUp(last.queueIndex);
  }

  /** Forget every slot and the timer. */
  clear(): void {
    for (const slot of this.#heap) slot.queueIndex = -1;
    this.#heap = [];
    if (this.#timer !== undefined) stopTimer(this.#timer);
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
    const now = readClock();
    const heap = this.#heap;
    for (let n = 0; n < MAX_PER_SWEEP && heap.length > 0 && heap[0]!.expiresAt <= now; n++) {
      const slot = heap[0]!;
      this.remove(slot);
      this.#expire(slot);
    }
    if (heap.length > 0) this.#schedule(heap[0]!.expiresAt, now);
  }

  #schedule(at: number, now: number): void {
    if (this.#timer !== undefined) stopTimer(this.#timer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(this.#minDelayMs, Math.ceil(at - now)));
    this.#timer = startTimer(this.#run, delay);
    this.#timer.unref();
    this.#dueAt = now + delay;
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const slot = heap[index]!;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (above.expiresAt <= slot.expiresAt) break;
      heap[i] = above;
      above.queueIndex = i;
      i = parent;
    }
    heap[i] = slot;
    slot.queueIndex = i;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const slot = heap[index]!;
    const n = heap.length;
    let i = index;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap[child + 1]!.expiresAt < heap[child]!.expiresAt) child++;
      const below = heap[child]!;
      if (below.expiresAt >= slot.expiresAt) break;
      heap[i] = below;
      below.queueIndex = i;
      i = child;
    }
    heap[i] = slot;
    slot.queueIndex = i;
  }
}
