import { randomUUID } from 'node:crypto';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { eventually, requireServer, sleep } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const memcachedServers = await requireServer('memcached');

describe.skipIf(!redisUrl || !memcachedServers)('l1-lru over Redis over memcached (three tiers)', () => {
  const opened: TieredCache[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
  });

  function stack() {
    const id = randomUUID().slice(0, 8);
    const l1 = new LruBackend<string>({ maxEntries: 1000 });
    const l2 = new RedisBackend<string>({ url: redisUrl!, prefix: `tc-3t:${id}:` });
    const l3 = new MemcachedBackend<string>({ servers: memcachedServers!, namespace: `tc3t${id}` });
    const cache = new TieredCache<string>({ tiers: [l1, l2, l3] });
    opened.push(cache);
    return { l1, l2, l3, cache };
  }

  it('a hit in memcached is promoted into Redis and L1 with its remaining TTL', async () => {
    const { l1, l2, l3, cache } = stack();
    await l3.setWithTtl('deep', 'from memcached', 6000);
    await sleep(1200);
    expect(await cache.get('deep')).toBe('from memcached');
    expect(cache.stats().tiers.map((t) => t.hits)).toEqual([0, 0, 1]);
    await eventually(async () => (await l2.get('deep')) !== undefined); // promotion into Redis runs in the background
    const inRedis = await l2.getWithTtl('deep');
    const inL1 = l1.peekWithTtl('deep');
    expect(inRedis?.value).toBe('from memcached');
    expect(inL1?.value).toBe('from memcached');
    // About 4.8 s left, never more than what memcached had left.
    for (const ttl of [inRedis!.ttlMs!, inL1!.ttlMs!]) {
      expect(ttl).toBeLessThanOrEqual(4900);
      expect(ttl).toBeGreaterThan(3000);
    }
    expect(await cache.get('deep')).toBe('from memcached');
    expect(cache.stats().tiers[0]!.hits).toBe(1);
  });

  it('a hit in Redis is promoted into L1 only; memcached is left alone', async () => {
    const { l1, l2, l3, cache } = stack();
    await l2.setWithTtl('mid', 'from redis', 60_000);
    expect(await cache.get('mid')).toBe('from redis');
    expect(l1.peek('mid')).toBe('from redis');
    expect(await l3.get('mid')).toBeUndefined();
  });

  it('set writes all three tiers and delete removes from all three', async () => {
    const { l1, l2, l3, cache } = stack();
    await cache.set('all', 'everywhere', { ttl: '1m' });
    expect([l1.peek('all'), await l2.get('all'), await l3.get('all')]).toEqual([
      'everywhere',
      'everywhere',
      'everywhere',
    ]);
    await cache.delete('all');
    expect([l1.peek('all'), await l2.get('all'), await l3.get('all')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('invalidatePattern says memcached cannot do it and changes nothing', async () => {
    const { l1, cache } = stack();
    await cache.set('user:1', 'u');
    await expect(cache.invalidatePattern('user:*')).rejects.toMatchObject({
      code: 'TIERCACHE_UNSUPPORTED',
      tier: 'memcached',
    });
    expect(l1.peek('user:1')).toBe('u');
  });
});
