import { randomUUID } from 'node:crypto';
import { type CacheBackend, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { eventually } from '@tiercache/test-kit';
import { expect } from 'vitest';
import { errorKind, type FiguresRecorder, tally } from './figures.js';
import { type Fault, runOutageLoad, valueFor } from './outage-load.js';
import { UnhandledRejections } from './unhandled-rejections.js';

/** The remote tier's timeout in the outage scenarios: every call to the server is bounded by it. */
export const REMOTE_TIMEOUT_MS = 200;
/** The hang check's margin: generous, because this checks "never hangs", not speed. */
export const HANG_MARGIN_MS = 2000;
/** `getOrSet` calls per scenario. */
export const TOTAL_CALLS = 10_000;
const HOT_KEYS = 200;

/** One server outage under load, against a cache of L1 lru + the given L2. */
export interface OutageScenario {
  /** Row name in the figures table. */
  name: string;
  /** A fresh L2 backend (private namespace) whose calls are bounded by {@link REMOTE_TIMEOUT_MS}. */
  makeL2: () => CacheBackend<string>;
  /** Read `key` straight from the server, bypassing the cache: proves writes reach it again. */
  readRaw: (key: string) => Promise<string | undefined>;
  fault: Fault;
  /** How long the server stays away, ms. */
  outageMs: number;
  figures: FiguresRecorder;
}

/**
 * Run {@link TOTAL_CALLS} `getOrSet` calls over [lru, L2] with breaker
 * `{ failureThreshold: 3, openMs: 500 }`, take the server away during the run, bring it back,
 * and check: no call hangs, no call fails, L1 keeps serving hot keys, the breaker opens and
 * closes again, writes reach the server again, and no promise rejection goes unhandled.
 */
export async function runOutageScenario(s: OutageScenario): Promise<void> {
  const cache = new TieredCache<string>({
    name: `faults:${s.name}`,
    ttl: '10m',
    tiers: [
      new LruBackend<string>({ maxEntries: 20_000 }),
      { backend: s.makeL2(), timeout: REMOTE_TIMEOUT_MS, breaker: { failureThreshold: 3, openMs: 500 } },
    ],
  });
  const hotKeys = Array.from({ length: HOT_KEYS }, (_, i) => `hot:${i}`);
  const unhandled = new UnhandledRejections().start();
  try {
    for (const key of hotKeys) await cache.set(key, valueFor(key));
    const transitions: string[] = [];
    cache.on('breaker:state', ({ state }) => transitions.push(state));
    const tierErrors: Record<string, number> = {};
    cache.on('tier:error', ({ error }) => tally(tierErrors, errorKind(error)));

    const result = await runOutageLoad({
      cache,
      total: TOTAL_CALLS,
      concurrency: 20,
      hotKeys,
      coldShare: 0.2,
      coldPrefix: 'cold:',
      faultAtCall: 2500,
      outageMs: s.outageMs,
      fault: s.fault,
      pauseMs: 10,
      deadlineMs: 90_000,
    });

    // Recovery: each probe is a real call, which is what lets the half-open breaker close.
    let probe = 0;
    // The figures are recorded whether or not it closed; the failure is asserted after that.
    const notClosed = await eventually(
      async () => {
        await cache.get(`probe:${probe++}`);
        return cache.stats().tiers[1]!.breaker === 'closed';
      },
      { timeoutMs: 15_000, intervalMs: 50, message: 'the L2 breaker to close once the server answers again' },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    const closed = notClosed === undefined;
    const key = `after-recovery:${randomUUID()}`;
    if (closed) await cache.set(key, 'written-after-recovery');
    const reachedServer = closed ? await s.readRaw(key) : undefined;

    const slowest = Math.max(
      result.phases.before.slowestMs,
      result.phases.outage.slowestMs,
      result.phases.after.slowestMs,
    );
    s.figures.record(s.name, {
      requests: result.calls,
      requestsDuringOutage: result.phases.outage.calls,
      callErrors: result.callErrors,
      tierErrors,
      timeoutMs: REMOTE_TIMEOUT_MS,
      slowestDuringOutageMs: result.phases.outage.slowestMs,
      slowestMs: slowest,
      breakerTransitions: transitions,
      notes: {
        outageMs: result.outageMs,
        l1HitsDuringOutage: result.phases.outage.l1Hits,
        wrongValues: result.wrongValues,
        unhandledRejections: unhandled.reasons.length,
        recoveryProbes: probe,
      },
    });

    expect(result.hitDeadline, 'the load finished before its deadline').toBe(false);
    expect(result.calls).toBe(TOTAL_CALLS);
    expect(result.phases.outage.calls, 'calls were made while the server was away').toBeGreaterThan(100);
    // Hang check: no call waits much longer than one remote timeout.
    expect(slowest).toBeLessThan(REMOTE_TIMEOUT_MS + HANG_MARGIN_MS);
    // The cache degrades to L1 + factory: every call got its own value.
    expect(result.callErrors).toEqual({});
    expect(result.wrongValues).toBe(0);
    expect(result.phases.outage.l1Hits, 'L1 kept serving hot keys').toBeGreaterThan(0);
    expect(Object.keys(tierErrors).length, 'the outage was noticed').toBeGreaterThan(0);
    expect(transitions, 'the breaker opened during the outage').toContain('open');
    expect(notClosed, 'the breaker closed once the server answered again').toBeUndefined();
    expect(transitions.at(-1)).toBe('closed');
    expect(reachedServer, 'a write after recovery reached the server').toBe(
      JSON.stringify('written-after-recovery'),
    );
    expect(unhandled.describe()).toEqual([]);
  } finally {
    unhandled.stop();
    await cache.close();
  }
}
