// How LruBackend expires entries without a clock check on every read: each entry is a Slot
// that knows when it expires, and one timer per backend removes entries as they fall due
// (ExpiryQueue). A hit is then one lru-cache get of a TTL-less cache plus one field read, and
// through peekResolved not even a promise allocation.

/** The timers and clock of the process as it started, so a test's fake timers cannot stop expiry. */
const { setTimeout: startTimer, clearTimeout: stopTimer, performance: clock } = globalThis;

/** Milliseconds from the monotonic clock (`performance.now()` of the real clock). */
export const monotonicNow = (): number => clock.now();

/** setTimeout's longest delay; a later deadline is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Most entries one timer run removes, so a mass expiry never holds the event loop long. */
const MAX_PER_SWEEP = 10_000;
/** Dead slots (overwritten, deleted, evicted) tolerated in the queue beyond twice the live entries. */
const SLACK = 1_024;

/**
 * One stored value, its key, and when it expires (`performance.now()` ms; `Infinity`: never).
 * `resolved` is the frozen promise of the value that `peekResolved` hands every reader, made at
 * the first such read; a write makes a new slot, so it never outlives the value it resolves to.
 */
export class Slot<V> {
  resolved: Promise<V> | undefined = undefined;

  constructor(
    readonly key: string,
    readonly value: V,
    readonly expiresAt: number,
  ) {}
}

/**
 * A clock reading that may be reused for up to `resolutionMs` (until a timer clears it), so
 * reads that need the time (remaining TTLs) do not each pay for `performance.now()`. Every
 * exact reading (`read`) refreshes it, so a reused reading is never older than the last write.
 * `resolutionMs` 0: every call reads the clock.
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
    const now = clock.now();
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

/** What the queue asks of its cache: is a slot still the stored one, drop it, how many are stored. */
export interface ExpiryTarget {
  isLive(slot: Slot<unknown>): boolean;
  drop(slot: Slot<unknown>): void;
  readonly size: number;
}

/**
 * The slots that expire, in a binary min-heap on `expiresAt`, and one unref'd timer set for the
 * earliest (never sooner than `resolutionMs` from now, so close deadlines share a run). A run
 * drops every due slot that is still stored (at most {@link MAX_PER_SWEEP}, then runs again).
 * Slots that were overwritten, deleted or evicted stay until they fall due or the queue holds
 * more than twice the stored entries plus {@link SLACK}; it is then rebuilt from the live ones,
 * so it never grows with the number of writes.
 */
export class ExpiryQueue {
  #heap: Slot<unknown>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (`Infinity` without one). */
  #dueAt = Number.POSITIVE_INFINITY;
  readonly #target: ExpiryTarget;
  readonly #minDelayMs: number;
  readonly #run = (): void => this.#sweep();

  constructor(target: ExpiryTarget, resolutionMs: number) {
    this.#target = target;
    this.#minDelayMs = Math.max(1, resolutionMs);
  }

  /** Slots queued, live or dead. */
  get length(): number {
    return this.#heap.length;
  }

  /** Queue a slot with a finite `expiresAt`; `now` is the reading it was computed from. */
  add(slot: Slot<unknown>, now: number): void {
    if (this.#heap.length >= 2 * this.#target.size + SLACK) this.#compact();
    this.#heap.push(slot);
    this.#siftUp(this.#heap.length - 1);
    if (slot.expiresAt < this.#dueAt) this.#schedule(slot.expiresAt, now);
  }

  /** Forget every slot and the timer. */
  clear(): void {
    this.#heap = [];
    if (this.#timer !== undefined) stopTimer(this.#timer);
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
  }

  #sweep(): void {
    this.#timer = undefined;
    this.#dueAt = Number.POSITIVE_INFINITY;
    const now = clock.now();
    const heap = this.#heap;
    const target = this.#target;
    for (let n = 0; n < MAX_PER_SWEEP && heap.length > 0 && heap[0]!.expiresAt <= now; n++) {
      const slot = this.#pop();
      if (target.isLive(slot)) target.drop(slot);
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

  /** Keep the live slots only, as a heap again (bottom-up, linear time). */
  #compact(): void {
    const target = this.#target;
    this.#heap = this.#heap.filter((slot) => target.isLive(slot));
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #pop(): Slot<unknown> {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const slot = heap[index]!;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.expiresAt <= slot.expiresAt) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = slot;
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
      if (heap[child]!.expiresAt >= slot.expiresAt) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = slot;
  }
}
