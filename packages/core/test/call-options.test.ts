import { describe, expect, it } from 'vitest';
import { MemoryBackend, MemoryBusHub, TieredCache } from '../src/index.js';
import { caches, twoTiers } from './support/two-tiers.js';

describe('getOrSet with one options object', () => {
  it('takes { key, factory, ttl } and counts one request', async () => {
    const { cache, l2 } = twoTiers();
    expect(await cache.getOrSet({ key: 'k', factory: () => 'v', ttl: '10s' })).toBe('v');
    const stored = await l2.mem.getWithTtl('k');
    expect(stored?.ttlMs).toBeLessThanOrEqual(10_000);
    expect(await cache.getOrSetResult({ key: 'k', factory: () => 'other' })).toEqual({
      value: 'v',
      stale: false,
    });
    expect(cache.stats().requests).toBe(2);
  });
});

describe('the factory context', () => {
  it('skip(): the value is returned but stored nowhere', async () => {
    const { cache, l1, l2 } = twoTiers();
    const value = await cache.getOrSet('k', (ctx) => {
      ctx.skip();
      return 'not for caching';
    });
    expect(value).toBe('not for caching');
    expect(l1.peek('k')).toBeUndefined();
    expect(await l2.mem.get('k')).toBeUndefined();
  });

  it('setTtl(): the value is stored for the TTL the factory chose', async () => {
    const { cache, l2 } = twoTiers();
    await cache.getOrSet('k', (ctx) => {
      ctx.setTtl('2s');
      return 'short-lived';
    });
    const stored = await l2.mem.getWithTtl('k');
    expect(stored?.ttlMs).toBeGreaterThan(1000);
    expect(stored?.ttlMs).toBeLessThanOrEqual(2000);
    expect(await cache.ttl('k')).toBeLessThanOrEqual(2000);
  });

  it('stale and fail(): the factory sees the stale value, and fail() serves no stale value', async () => {
    const { cache } = twoTiers({ ttl: 50, grace: '1m' });
    await cache.set('k', 'old');
    await new Promise((r) => setTimeout(r, 80));
    let seen: string | undefined;
    await expect(
      cache.getOrSet('k', (ctx) => {
        seen = ctx.stale;
        return ctx.fail(new Error('the row is gone'));
      }),
    ).rejects.toThrow('the row is gone');
    expect(seen).toBe('old');
    // A plain failure still gets fail-safe.
    expect(
      await cache.getOrSetResult('k', () => {
        throw new Error('database down');
      }),
    ).toEqual({ value: 'old', stale: true });
  });
});

describe('per-call options', () => {
  it('forceFresh runs the factory past an L1 hit, once for concurrent forceFresh calls, and stores the result', async () => {
    const { cache, l1 } = twoTiers();
    await cache.set('k', 'cached');
    let runs = 0;
    const factory = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return 'fresh';
    };
    const results = await Promise.all(
      [1, 2, 3].map(() => cache.getOrSet('k', factory, { forceFresh: true })),
    );
    expect(results).toEqual(['fresh', 'fresh', 'fresh']);
    expect(runs).toBe(1);
    expect(l1.peek('k')).toBe('fresh');
  });

  it('grace: false throws the factory error even with a stale value at hand', async () => {
    const { cache } = twoTiers({ ttl: 50, grace: '1m' });
    await cache.set('k', 'old');
    await new Promise((r) => setTimeout(r, 80));
    await expect(
      cache.getOrSet(
        'k',
        () => {
          throw new Error('database down');
        },
        { grace: false },
      ),
    ).rejects.toThrow('database down');
  });

  it('localOnly writes L1 and leaves the shared tier alone (set and getOrSet)', async () => {
    const { cache, l1, l2 } = twoTiers();
    await cache.set('a', 'A', { localOnly: true });
    await cache.getOrSet('b', () => 'B', { localOnly: true });
    expect(l1.peek('a')).toBe('A');
    expect(l1.peek('b')).toBe('B');
    expect(await l2.mem.get('a')).toBeUndefined();
    expect(await l2.mem.get('b')).toBeUndefined();
  });
});

describe('deleteMany, ttl, expire', () => {
  it('deleteMany removes every key from every tier and tells other instances in one message', async () => {
    const hub = new MemoryBusHub();
    const a = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'a' })],
      bus: { transport: hub.transport() },
    });
    const bL1 = new MemoryBackend<string>({ name: 'b' });
    const b = new TieredCache<string>({ tiers: [bL1], bus: { transport: hub.transport() } });
    caches.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    for (const k of ['x', 'y', 'z']) await bL1.setWithTtl(k, k, 60_000);
    await a.set('x', 'x', { broadcast: false });
    const sentBefore = a.stats().bus.sent;
    await a.deleteMany(['x', 'y', 'y']);
    expect(await a.get('x')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(a.stats().bus.sent - sentBefore).toBe(1);
    expect(bL1.peek('x')).toBeUndefined();
    expect(bL1.peek('y')).toBeUndefined();
    expect(bL1.peek('z')).toBe('z');
  });

  it('ttl() is the remaining logical TTL from the fastest tier, undefined for a missing key', async () => {
    const { cache, l1 } = twoTiers();
    await cache.set('k', 'v', { ttl: '30s' });
    const left = await cache.ttl('k');
    expect(left).toBeGreaterThan(29_000);
    expect(left).toBeLessThanOrEqual(30_000);
    l1.remove('k');
    expect(await cache.ttl('k')).toBeGreaterThan(29_000); // from L2
    expect(await cache.ttl('missing')).toBeUndefined();
  });

  it('expire() gives a key a new TTL in every tier, keeping its value; false for a missing key', async () => {
    const { cache, l2 } = twoTiers();
    await cache.set('k', 'v', { ttl: '1h' });
    expect(await cache.expire('k', '5s')).toBe(true);
    expect(await cache.get('k')).toBe('v');
    expect((await l2.mem.getWithTtl('k'))?.ttlMs).toBeLessThanOrEqual(5000);
    expect(await cache.ttl('k')).toBeLessThanOrEqual(5000);
    expect(await cache.expire('missing', '5s')).toBe(false);
  });
});

describe('TTL bounds', () => {
  it('a TTL longer than every tier can store is refused at the call, and later writes are not held up', async () => {
    const { cache, l2 } = twoTiers();
    await expect(cache.set('k', 'v', { ttl: 1e20 })).rejects.toMatchObject({ code: 'TIERCACHE_BAD_TTL' });
    await expect(cache.getOrSet('k', () => 'v', { ttl: 1e16 })).rejects.toMatchObject({
      code: 'TIERCACHE_BAD_TTL',
    });
    await cache.set('other', 'x', { ttl: '100y' });
    expect(await l2.mem.get('other')).toBe('x');
    expect(cache.stats().tiers[1]!.pendingWrites).toBe(0);
  });
});
