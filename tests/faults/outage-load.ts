import type { TieredCache } from '@tiercache/core';
import { sleep } from '@tiercache/test-kit';
import { errorKind, tally } from './figures.js';

/** Where a call started relative to the fault. */
export type Phase = 'before' | 'outage' | 'after';

/** A fault to inject while the load runs. */
export interface Fault {
  /** Take the server away (SIGSTOP, SIGKILL); resolves once it is away. */
  inject(): Promise<void>;
  /** Bring it back (SIGCONT, start); resolves once the script says it is back. */
  recover(): Promise<void>;
}

/** Options of {@link runOutageLoad}. */
export interface OutageLoadOptions {
  cache: TieredCache<string>;
  /** Total `getOrSet` calls. */
  total: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Keys already in L1 and L2 before the run: L1 must keep serving them during the outage. */
  hotKeys: readonly string[];
  /** Share of calls that go to a never-seen key (a miss that reaches the remote tier), 0..1. */
  coldShare: number;
  /** Prefix of the never-seen keys. */
  coldPrefix: string;
  /** The fault is injected when this many calls have started. */
  faultAtCall: number;
  /** How long the server stays away while calls keep coming, ms. */
  outageMs: number;
  fault: Fault;
  /** Pause of each worker between calls, ms: spreads the calls over the outage. */
  pauseMs: number;
  /** Hard bound on the whole run, ms: the loop stops by itself even if calls are slow. */
  deadlineMs: number;
}

/** Per-phase results of {@link runOutageLoad}. */
export interface PhaseFigures {
  calls: number;
  slowestMs: number;
  /** Calls that were answered straight from L1 (hot keys only, measured by the stats' tier 0 hits). */
  l1Hits: number;
}

/** What {@link runOutageLoad} measured. */
export interface OutageLoadResult {
  calls: number;
  phases: Record<Phase, PhaseFigures>;
  /** Calls that rejected, by kind. */
  callErrors: Record<string, number>;
  /** Calls that resolved with something other than the value their key must have. */
  wrongValues: number;
  /** `true` when the deadline cut the run short. */
  hitDeadline: boolean;
  /** How long the server was actually away, ms (inject resolved to recover resolved). */
  outageMs: number;
}

/** The value every key must have: hot keys were written with it, the factory returns it. */
export function valueFor(key: string): string {
  return `value-of:${key}`;
}

/**
 * Run `total` bounded `getOrSet` calls from `concurrency` workers; inject the fault when
 * `faultAtCall` calls have started, keep it for `outageMs`, recover, and finish the calls.
 * Every call is timed; the phase is the one in force when the call started.
 */
export async function runOutageLoad(o: OutageLoadOptions): Promise<OutageLoadResult> {
  const started = Date.now();
  const phases: Record<Phase, PhaseFigures> = {
    before: { calls: 0, slowestMs: 0, l1Hits: 0 },
    outage: { calls: 0, slowestMs: 0, l1Hits: 0 },
    after: { calls: 0, slowestMs: 0, l1Hits: 0 },
  };
  const callErrors: Record<string, number> = {};
  let phase: Phase = 'before';
  let next = 0;
  let wrongValues = 0;
  let hitDeadline = false;
  let outageMs = 0;
  let faultTask: Promise<void> | undefined;
  let l1HitsAtPhaseStart = o.cache.stats().tiers[0]!.hits;

  const switchPhase = (to: Phase): void => {
    const hits = o.cache.stats().tiers[0]!.hits;
    phases[phase].l1Hits += hits - l1HitsAtPhaseStart;
    l1HitsAtPhaseStart = hits;
    phase = to;
  };

  const startFault = async (): Promise<void> => {
    await o.fault.inject();
    const awayAt = Date.now();
    switchPhase('outage');
    try {
      await sleep(o.outageMs);
    } finally {
      await o.fault.recover();
      outageMs = Date.now() - awayAt;
      switchPhase('after');
    }
  };

  const worker = async (): Promise<void> => {
    while (next < o.total) {
      if (Date.now() - started > o.deadlineMs) {
        hitDeadline = true;
        return;
      }
      const index = next++;
      if (index === o.faultAtCall) {
        faultTask = startFault();
        // Awaited after the load; until then a failure must not count as an unhandled rejection.
        faultTask.catch(() => undefined);
      }
      const cold = Math.random() < o.coldShare;
      const key = cold ? `${o.coldPrefix}${index}` : o.hotKeys[index % o.hotKeys.length]!;
      const callPhase = phase;
      const t0 = performance.now();
      try {
        const value = await o.cache.getOrSet(key, () => valueFor(key));
        if (value !== valueFor(key)) wrongValues++;
      } catch (error) {
        tally(callErrors, errorKind(error));
      }
      const ms = performance.now() - t0;
      const figures = phases[callPhase];
      figures.calls++;
      if (ms > figures.slowestMs) figures.slowestMs = ms;
      await sleep(o.pauseMs);
    }
  };

  await Promise.all(Array.from({ length: o.concurrency }, () => worker()));
  // The fault task always recovers the server, even when the calls finished first.
  await faultTask;
  switchPhase(phase);
  return {
    calls: phases.before.calls + phases.outage.calls + phases.after.calls,
    phases,
    callErrors,
    wrongValues,
    hitDeadline,
    outageMs,
  };
}
