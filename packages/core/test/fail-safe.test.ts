import { describe, expect, it } from 'vitest';
import { FactoryTimeoutError, InvalidOptionError, MemoryBackend, TieredCache } from '../src/index.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cacheWith(options: ConstructorParameters<typeof TieredCache<string>>[0] = {}) {
  const l1 = new MemoryBackend<string>({ name: 'l1' });
  const l2 = new MemoryBackend<string>({ name: 'l2' });
  const cache = new TieredCache<string>({ tiers: [l1, l2], ...options });
  return { l1, l2, cache };
}

describe('grace and fail-safe', () => {
  it('get never returns an entry past its TTL, even while grace keeps it', async () => {
    const { l1, cache } = cacheWith({ grace: '10s' });
    await cache.set('k', 'v', { ttl: 100 });
    expect(await cache.get('k')).toBe('v');
    await wait(150);
    expect(l1.peek('k')).toBe('v'); // still held for grace
    expect(await cache.get('k')).toBeUndefined();
  });

  it('getOrSet serves the stale value when the factory fails, marked stale, and backs off', async () => {
    const { cache } = cacheWith({ grace: '10s', graceBackoff: 200 });
    await cache.set('k', 'old', { ttl: 50 });
    await wait(80);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new Error('db down');
    };
    expect(await cache.getOrSetResult('k', failing)).toEqual({ value: 'old', stale: true });
    expect(await cache.getOrSet('k', failing)).toBe('old');
    expect(calls).toBe(1); // the second call was inside the backoff: no factory run
    expect(cache.stats().staleServed).toBe(1);
    await wait(250);
    expect(await cache.getOrSet('k', async () => 'new')).toBe('new');
  });

  it('without grace a failing factory rejects', async () => {
    const { cache } = cacheWith();
    await cache.set('k', 'old', { ttl: 50 });
    await wait(80);
    await expect(
      cache.getOrSet('k', async () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('db down');
  });

  it('past the hard timeout with a stale value, the stale value is served', async () => {
    const { cache } = cacheWith({ grace: '10s', factoryTimeout: 50 });
    await cache.set('k', 'old', { ttl: 30 });
    await wait(60);
    const result = await cache.getOrSetResult('k', () => new Promise<string>(() => undefined));
    expect(result).toEqual({ value: 'old', stale: true });
  });

  it('past the hard timeout with nothing stale, FactoryTimeoutError', async () => {
    const { cache } = cacheWith({ grace: '10s', factoryTimeout: 50 });
    await expect(cache.getOrSet('none', () => new Promise<string>(() => undefined))).rejects.toBeInstanceOf(
      FactoryTimeoutError,
    );
  });

  it('past the soft timeout the stale value is returned and the factory refreshes the cache in the background', async () => {
    const { cache } = cacheWith({ grace: '10s', factorySoftTimeout: 30 });
    await cache.set('k', 'old', { ttl: 30 });
    await wait(50);
    let runs = 0;
    let finished = false;
    const slow = async () => {
      runs++;
      await wait(150);
      finished = true;
      return 'new';
    };
    expect(await cache.getOrSetResult('k', slow)).toEqual({ value: 'old', stale: true });
    expect(finished).toBe(false); // answered before the factory finished
    // While the background run is going, callers get the stale value without a second run.
    expect(await cache.getOrSet('k', slow)).toBe('old');
    await wait(200);
    expect(await cache.get('k')).toBe('new');
    expect(runs).toBe(1);
  });
});

describe('eager refresh', () => {
  it('many refreshes at once print no MaxListenersExceededWarning', async () => {
    // Each background run listens on the cache's close signal; past 10 at once Node warned
    // (found from outside), though every listener is removed when its run ends.
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const { cache } = cacheWith({ eagerRefresh: 0.1 });
      const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
      for (const k of keys) await cache.set(k, 'v1', { ttl: 2000 });
      await wait(300);
      const slow = async () => {
        await wait(100);
        return 'v2';
      };
      for (const k of keys) expect(await cache.getOrSet(k, slow, { ttl: 2000 })).toBe('v1');
      await wait(200);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
      expect(cache.stats().refreshes).toBe(20);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('with grace, a failing factory is retried once per graceBackoff, not on every hit', async () => {
    // Found from outside: each hit on the value fail-safe kept for the backoff started an eager
    // refresh, so the failing factory ran on every call (10 of 10) instead of once.
    const { cache } = cacheWith({ eagerRefresh: 0.5, grace: '10s', graceBackoff: 2000 });
    await cache.set('k', 'old', { ttl: 50 });
    await wait(80);
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      throw new Error('db down');
    };
    expect(await cache.getOrSetResult('k', failing)).toEqual({ value: 'old', stale: true });
    for (let i = 0; i < 10; i++) {
      expect(await cache.getOrSet('k', failing)).toBe('old');
      await wait(20);
    }
    expect(calls).toBe(1);
  });

  it('a failing eager refresh of a fresh entry is not retried on every hit', async () => {
    const { cache } = cacheWith({ eagerRefresh: 0.1, grace: '10s', graceBackoff: 2000 });
    await cache.set('k', 'v1', { ttl: 2000 });
    await wait(300); // past the refresh point (10 % of the TTL), still fresh
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      throw new Error('db down');
    };
    for (let i = 0; i < 10; i++) {
      expect(await cache.getOrSet('k', failing, { ttl: 2000 })).toBe('v1');
      await wait(20);
    }
    expect(calls).toBe(1);
  });

  it('a hit past the refresh point triggers exactly one background refresh and keeps serving', async () => {
    const { cache } = cacheWith({ eagerRefresh: 0.5 });
    await cache.set('hot', 'v1', { ttl: 200 });
    let runs = 0;
    const factory = async () => {
      runs++;
      await wait(30);
      return `v${runs + 1}`;
    };
    expect(await cache.getOrSet('hot', factory, { ttl: 200 })).toBe('v1'); // fresh, early: no refresh
    expect(runs).toBe(0);
    await wait(120);
    const served = await Promise.all(
      Array.from({ length: 20 }, () => cache.getOrSet('hot', factory, { ttl: 200 })),
    );
    expect(new Set(served)).toEqual(new Set(['v1']));
    expect(runs).toBe(1);
    await wait(60);
    expect(await cache.get('hot')).toBe('v2');
    expect(cache.stats().refreshes).toBe(1);
  });

  it('needs a first tier that can tell remaining TTL, and a fraction in (0, 1)', () => {
    expect(() => new TieredCache({ eagerRefresh: 1.5 })).toThrow(InvalidOptionError);
    const noTtl = {
      name: 'plain',
      get: async () => undefined,
      setWithTtl: async () => {},
      remove: async () => {},
      healthCheck: async () => true,
    };
    expect(() => new TieredCache({ tiers: [noTtl], eagerRefresh: 0.8 })).toThrow(/remaining TTL/);
  });
});
