import { describe, expect, it } from 'vitest';
import { type CacheBackend, FOREVER, MemoryBackend, TieredCache } from '../src/index.js';
import { gatedRemote } from './support/gated-remote.js';
import { caches } from './support/two-tiers.js';

describe('forever entries', () => {
  function setup(l1MaxTtl?: string) {
    const l1 = new MemoryBackend<string>({ name: 'l1' });
    const l2 = gatedRemote<string>('l2');
    const writes: (number | undefined)[] = [];
    const setWithTtl = l2.backend.setWithTtl;
    l2.backend.setWithTtl = (k, v, t) => {
      writes.push(t);
      return setWithTtl(k, v, t);
    };
    const setIfUnchanged = l2.backend.setIfUnchanged!;
    l2.backend.setIfUnchanged = (k, v, t, token) => {
      writes.push(t);
      return setIfUnchanged(k, v, t, token);
    };
    const cache = new TieredCache<string>({
      tiers: [l1MaxTtl ? { backend: l1, maxTtl: l1MaxTtl as '1m' } : l1, l2.backend as CacheBackend<string>],
      ttl: '1m',
      lock: false,
    });
    caches.push(cache);
    return { cache, l1, l2, writes };
  }

  it('ttl: FOREVER writes no expiry to the tiers and ttl() answers Infinity', async () => {
    const { cache, l2, writes } = setup();
    await cache.set('k', 'v', { ttl: FOREVER });
    expect(writes).toEqual([undefined]);
    expect(await cache.ttl('k')).toBe(Number.POSITIVE_INFINITY);
    expect((await l2.mem.getWithTtl('k'))?.ttlMs).toBeUndefined();
  });

  it("the string 'forever' works in getOrSet, setTtl and expire; other words stay errors", async () => {
    const { cache, writes } = setup();
    await cache.getOrSet('a', () => 'v', { ttl: 'forever' });
    await cache.getOrSet('b', (ctx) => {
      ctx.setTtl(FOREVER);
      return 'v';
    });
    await cache.set('c', 'v', { ttl: '1m' });
    expect(await cache.expire('c', FOREVER)).toBe(true);
    expect(writes).toEqual([undefined, undefined, 60_000, undefined]);
    await expect(cache.set('d', 'v', { ttl: 'never' as 'forever' })).rejects.toMatchObject({
      code: 'TIERCACHE_BAD_TTL',
    });
  });

  it('an L1 with maxTtl keeps a forever entry that long; the tier below keeps it forever', async () => {
    const { cache, l1, l2 } = setup('1m');
    await cache.set('k', 'v', { ttl: FOREVER });
    expect((await l1.getWithTtl('k'))?.ttlMs).toBeLessThanOrEqual(60_000);
    expect((await l2.mem.getWithTtl('k'))?.ttlMs).toBeUndefined();
    await l1.remove('k');
    expect(await cache.get('k')).toBe('v');
    expect((await l1.getWithTtl('k'))?.ttlMs).toBeLessThanOrEqual(60_000);
  });
});
