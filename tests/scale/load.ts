import { sleep } from '@tiercache/test-kit';
import { errorKind, type ScenarioFigures, tally } from '../faults/figures.js';

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Calls in flight at once (one worker each). */
  concurrency: number;
  /** How long workers keep starting calls, ms; the run is bounded by it plus one call's guard. */
  durationMs: number;
  /**
   * A call that takes longer than this counts as over its bound (the remote timeout plus
   * generous slack); one that takes 3x longer is abandoned as a hang, so the run always ends.
   */
  boundMs: number;
  /**
   * Pause of each worker between calls, ms. Calls answered from L1 settle without I/O, so
   * workers that never pause would starve the timers and sockets the calls under test need.
   */
  pauseMs: number;
  /** One call of worker `worker`; its `n`th. */
  call: (worker: number, n: number) => Promise<void>;
}

/** What {@link runLoad} measured. */
export interface LoadResult {
  calls: number;
  slowestMs: number;
  /** Calls that took longer than `boundMs` (hangs included). */
  overBound: number;
  /** Calls that rejected, by kind (`HANG` for an abandoned one). */
  errors: Record<string, number>;
}

/** `concurrency` workers calling `call` back to back for `durationMs`; every call timed. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { calls: 0, slowestMs: 0, overBound: 0, errors: {} };
  const stopAt = Date.now() + o.durationMs;
  const worker = async (w: number): Promise<void> => {
    for (let n = 0; Date.now() < stopAt; n++) {
      const started = performance.now();
      let guard: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          o.call(w, n),
          new Promise<never>((_, reject) => {
            guard = setTimeout(
              () => reject(Object.assign(new Error('hang'), { name: 'HANG' })),
              o.boundMs * 3,
            );
          }),
        ]);
      } catch (error) {
        tally(result.errors, errorKind(error));
      } finally {
        clearTimeout(guard);
      }
      const took = performance.now() - started;
      result.calls++;
      result.slowestMs = Math.max(result.slowestMs, took);
      if (took > o.boundMs) result.overBound++;
      await sleep(o.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  return result;
}

/** The figures of one load run, as the scale suite records them, with the scenario's own `notes`. */
export function loadFigures(
  result: LoadResult,
  timeoutMs: number,
  notes: Record<string, number | string | boolean>,
): ScenarioFigures {
  return {
    requests: result.calls,
    timeoutMs,
    slowestMs: result.slowestMs,
    callErrors: result.errors,
    notes: { callsOverBound: result.overBound, ...notes },
  };
}
