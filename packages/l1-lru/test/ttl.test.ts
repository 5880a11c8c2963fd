import { describe, expect, it } from 'vitest';
import { LruBackend } from '../src/index.js';

describe('TTL options', () => {
  it('defaultTtlMs applies to writes without a TTL, not to writes with one', async () => {
    const l1 = new LruBackend({ maxEntries: 10, defaultTtlMs: 5_000 });
    await l1.setWithTtl('default', 1, undefined);
    await l1.setWithTtl('explicit', 2, 60_000);
    expect(l1.peekWithTtl('default')?.ttlMs).toBeLessThanOrEqual(5_000);
    expect(l1.peekWithTtl('default')?.ttlMs).toBeGreaterThan(0);
    expect(l1.peekWithTtl('explicit')?.ttlMs).toBeGreaterThan(5_000);
  });

  it('maxTtlMs caps longer TTLs and writes without one, and is exposed for the manager', async () => {
    const l1 = new LruBackend({ maxEntries: 10, maxTtlMs: 10_000 });
    expect(l1.maxTtlMs).toBe(10_000);
    await l1.setWithTtl('long', 1, 3_600_000);
    await l1.setWithTtl('forever', 2, undefined);
    await l1.setWithTtl('short', 3, 1_000);
    expect(l1.peekWithTtl('long')?.ttlMs).toBeLessThanOrEqual(10_000);
    expect(l1.peekWithTtl('forever')?.ttlMs).toBeLessThanOrEqual(10_000);
    expect(l1.peekWithTtl('short')?.ttlMs).toBeLessThanOrEqual(1_000);
  });

  it('rounds a fractional TTL down, but never to 0 (which lru-cache reads as "forever")', async () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    await l1.setWithTtl('frac', 1, 1500.9);
    expect(l1.peekWithTtl('frac')?.ttlMs).toBeLessThanOrEqual(1500);
    await l1.setWithTtl('tiny', 1, 0.5);
    const tiny = l1.peekWithTtl('tiny');
    expect(tiny === undefined || tiny.ttlMs === 1).toBe(true);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects ttlMs %s with InvalidTtlError',
    async (ttl) => {
      const l1 = new LruBackend({ maxEntries: 10 });
      await expect(l1.setWithTtl('k', 1, ttl)).rejects.toMatchObject({ code: 'TIERCACHE_BAD_TTL' });
      await expect(l1.setMany([{ key: 'k', value: 1, ttlMs: ttl }])).rejects.toMatchObject({
        code: 'TIERCACHE_BAD_TTL',
      });
      await expect(l1.get('k')).resolves.toBeUndefined();
    },
  );
});

/** Busy-wait without yielding, so no timer (lru-cache's clock refresh included) can run. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('clock resolution (ttlResolutionMs)', () => {
  it.each([1, 0, 50])(
    'never reports more TTL than was written, even when the reused clock reading predates the write (resolution %i)',
    async (ttlResolutionMs) => {
      const l1 = new LruBackend({ maxEntries: 10, ttlResolutionMs });
      await l1.setWithTtl('warm', 1, 60_000);
      // This read takes a clock reading that lru-cache keeps until a timer clears it; the event
      // loop is then held, so the next write starts later than that reading.
      expect(l1.peek('warm')).toBe(1);
      blockFor(20);
      await l1.setWithTtl('k', 1, 1_000);
      const read = l1.peekWithTtl('k');
      expect(read?.ttlMs).toBeLessThanOrEqual(1_000);
      expect(read?.ttlMs).toBeGreaterThan(900);
      const viaGet = await l1.getWithTtl('k');
      expect(viaGet?.ttlMs).toBeLessThanOrEqual(1_000);
    },
  );

  it.each([1, 0, 50])(
    'reports no more TTL than is left, even while the event loop is held (resolution %i)',
    async (ttlResolutionMs) => {
      const l1 = new LruBackend({ maxEntries: 10, ttlResolutionMs });
      await l1.setWithTtl('k', 1, 100);
      const started = performance.now();
      blockFor(50);
      const read = l1.peekWithTtl('k');
      const left = 100 - (performance.now() - started);
      expect(read?.ttlMs).toBeLessThanOrEqual(left);
      expect(read?.ttlMs).toBeGreaterThan(0);
      blockFor(60);
      // Past its expiry with the timer unable to run: a miss for remaining-TTL reads.
      expect(l1.peekWithTtl('k')).toBeUndefined();
      await expect(l1.getWithTtl('k')).resolves.toBeUndefined();
    },
  );

  it('a copy promoted from an LruBackend below never outlives it, even after the loop was held', async () => {
    const { TieredCache } = await import('@tiercache/core');
    const upper = new LruBackend<string>({ name: 'upper', maxEntries: 10, ttlResolutionMs: 0 });
    const lower = new LruBackend<string>({ name: 'lower', maxEntries: 10 });
    const cache = new TieredCache<string>({ tiers: [upper, lower] });
    await lower.setWithTtl('k', 'v', 100);
    blockFor(60);
    await expect(cache.get('k')).resolves.toBe('v');
    const promoted = upper.peekWithTtl('k');
    const source = lower.peekWithTtl('k');
    expect(promoted?.ttlMs).toBeLessThanOrEqual(source?.ttlMs ?? 0);
    expect(promoted?.ttlMs).toBeLessThanOrEqual(40);
    await cache.close();
  });

  it('still expires entries once timers run (bounded polling)', async () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    await l1.setWithTtl('k', 'v', 30);
    expect(l1.peek('k')).toBe('v');
    const deadline = Date.now() + 5_000;
    while (l1.peek('k') !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(l1.peek('k')).toBeUndefined();
    await expect(l1.getWithTtl('k')).resolves.toBeUndefined();
  });

  it('returns a copy from peekWithTtl in structured mode', async () => {
    const l1 = new LruBackend<{ n: number }>({ maxEntries: 10, clone: 'structured' });
    await l1.setWithTtl('k', { n: 1 }, 60_000);
    const first = l1.peekWithTtl('k');
    const second = l1.peekWithTtl('k');
    expect(first?.value).toStrictEqual({ n: 1 });
    expect(first?.value).not.toBe(second?.value);
  });
});

describe('values and lifecycle', () => {
  it('rejects undefined as a value (it means a miss)', async () => {
    const l1 = new LruBackend<unknown>({ maxEntries: 10 });
    await expect(l1.setWithTtl('k', undefined, 1_000)).rejects.toMatchObject({ code: 'TIERCACHE_BAD_VALUE' });
  });

  it('is local and has no lock capability', () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    expect(l1.local).toBe(true);
    expect('acquireLock' in l1).toBe(false);
  });

  it('after close: healthCheck is false, writes reject with ClosedError, reads miss', async () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    await l1.setWithTtl('k', 1, 1_000);
    await l1.close();
    await expect(l1.healthCheck()).resolves.toBe(false);
    await expect(l1.setWithTtl('k', 1, 1_000)).rejects.toMatchObject({ code: 'TIERCACHE_CLOSED' });
    expect(l1.peek('k')).toBeUndefined();
    expect(l1.size).toBe(0);
  });

  it('removePattern does not count expired entries', async () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    await l1.setWithTtl('p:live', 1, 60_000);
    await l1.setWithTtl('p:dead', 1, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(l1.removePattern('p:*')).resolves.toBe(1);
    expect(l1.size).toBe(0);
  });
});
