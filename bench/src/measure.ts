/**
 * How every figure is taken: the same loops for tiercache, the raw clients and the peers, so
 * the only difference between two rows is the code under test.
 */

/** Milliseconds from a monotonic clock. */
export const now = (): number => performance.now();

/** Keeps results alive so the JIT cannot drop a loop whose result is unused. */
export const sink: { value: unknown } = { value: undefined };

/** The median of `values` (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Operations between two clock reads: large enough that reading the clock costs nothing. */
const BATCH = 2_000;

/**
 * Ops/s of `op` awaited one after another for about `durationMs` (whole batches, so at least
 * one batch). `maxOps` bounds the loop in count as well as time.
 */
export async function opsSequential(
  op: (i: number) => unknown,
  durationMs: number,
  maxOps = 50_000_000,
): Promise<number> {
  let ops = 0;
  const start = now();
  let elapsed = 0;
  do {
    for (let j = 0; j < BATCH; j++) sink.value = await op(ops + j);
    ops += BATCH;
    elapsed = now() - start;
  } while (elapsed < durationMs && ops < maxOps);
  return (ops / elapsed) * 1000;
}

/** Ops/s of a synchronous `op` called in a plain loop (the raw, un-awaited figure). */
export function opsSync(op: (i: number) => unknown, durationMs: number, maxOps = 500_000_000): number {
  let ops = 0;
  const start = now();
  let elapsed = 0;
  do {
    for (let j = 0; j < BATCH; j++) sink.value = op(ops + j);
    ops += BATCH;
    elapsed = now() - start;
  } while (elapsed < durationMs && ops < maxOps);
  return (ops / elapsed) * 1000;
}

/** Most latency samples kept per contender (a full run takes about 600 000 per time-bounded row). */
const MAX_SAMPLES = 2_000_000;

/**
 * Per-call latencies of one contender over its timed rounds, for the p50/p99 columns. The
 * clock is read around every call of every contender alike (two `performance.now()` per call).
 */
export class LatencySamples {
  #samples: number[] = [];

  /** Record one call's latency in ms (dropped beyond the bound). */
  add(ms: number): void {
    if (this.#samples.length < MAX_SAMPLES) this.#samples.push(ms);
  }

  /** Forget the samples so far (the untimed warm-up's). */
  clear(): void {
    this.#samples = [];
  }

  /** The `q`-quantile (0..1) in ms, nearest rank; `undefined` without samples. */
  quantile(q: number): number | undefined {
    if (this.#samples.length === 0) return undefined;
    const sorted = Float64Array.from(this.#samples).sort();
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }
}

/** What a concurrent run did. */
export interface ConcurrentRun {
  /** Operations completed. */
  ops: number;
  /** Wall time in ms. */
  elapsedMs: number;
  /** ops / elapsed, per second. */
  opsPerSec: number;
}

/**
 * Run `op(0..total-1)` with `concurrency` calls in flight, stopping early (between calls) once
 * `durationMs` has passed when given. Every call is awaited before the run resolves; with
 * `latencies`, each call's latency is recorded there.
 */
export async function runConcurrent(
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
  durationMs = Number.POSITIVE_INFINITY,
  latencies?: LatencySamples,
): Promise<ConcurrentRun> {
  let next = 0;
  let done = 0;
  const start = now();
  const deadline = start + durationMs;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      if (latencies === undefined) sink.value = await op(i);
      else {
        const t0 = now();
        sink.value = await op(i);
        latencies.add(now() - t0);
      }
      done++;
      // Checking the clock every 64 calls keeps the timer out of the measured cost.
      if ((done & 63) === 0 && now() > deadline) {
        next = total;
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const elapsedMs = now() - start;
  return { ops: done, elapsedMs, opsPerSec: (done / elapsedMs) * 1000 };
}

/** Collect garbage (twice, so weak and finalised objects go too) when node runs with --expose-gc. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') {
    gc();
    gc();
  }
}
