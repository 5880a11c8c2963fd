// Finding 4: keys with lone UTF-16 surrogates collide in shared tiers; a cache key named
// `lock:getOrSet:<k>` occupied the distributed lock of getOrSet(<k>).
import { randomUUID } from 'node:crypto';
import { InvalidKeyError, TieredCache } from '@tiercache/core';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const memcachedServers = await requireServer('memcached');

const shared: [string, () => RedisBackend<string> | MemcachedBackend<string>][] = [];
if (redisUrl)
  shared.push(['redis', () => new RedisBackend<string>({ url: redisUrl, prefix: `sec:${randomUUID()}:` })]);
if (memcachedServers)
  shared.push([
    'memcached',
    () =>
      new MemcachedBackend<string>({
        servers: memcachedServers,
        namespace: `sec-${randomUUID().slice(0, 8)}`,
      }),
  ]);

describe.each(shared)('keys over %s', (_name, make) => {
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
  });

  it('lone surrogates are refused with InvalidKeyError; whole characters (pairs) work', async () => {
    const cache = new TieredCache<string>({ tiers: [make()], ttl: '1m' });
    opened.push(cache);
    for (const key of ['x\uD800', 'x\uDBFF', '\uDC00x', 'a\uDFFFb']) {
      await expect(cache.set(key, 'v')).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(cache.get(key)).rejects.toBeInstanceOf(InvalidKeyError);
    }
    await cache.set('x\uD83D\uDE00', 'smile');
    await cache.set('x\uD83D\uDE01', 'grin');
    expect(await cache.get('x\uD83D\uDE00')).toBe('smile');
    expect(await cache.get('x\uD83D\uDE01')).toBe('grin');
  });
});

describe.skipIf(!redisUrl)('lock keys and cache keys on Redis', () => {
  it('a cache key named lock:getOrSet:<k> does not hold the lock of getOrSet(<k>)', async () => {
    const backend = new RedisBackend<string>({ url: redisUrl!, prefix: `sec:${randomUUID()}:` });
    const cache = new TieredCache<string>({ tiers: [backend], ttl: '1m', lock: { lease: 20_000 } });
    try {
      await cache.set('lock:getOrSet:k', 'an ordinary value');
      const token = await backend.acquireLock('getOrSet:k', 1000);
      expect(token).toBeDefined();
      await backend.releaseLock('getOrSet:k', token!);
      const started = Date.now();
      expect(await cache.getOrSet('k', async () => 'computed')).toBe('computed');
      expect(Date.now() - started).toBeLessThan(2000);
      expect(await cache.get('lock:getOrSet:k')).toBe('an ordinary value');
    } finally {
      await cache.close();
    }
  });

  it('a lockPrefix a cache key could reach is refused at construction', () => {
    expect(() => new RedisBackend({ url: redisUrl!, prefix: 'app:', lockPrefix: 'app:lock:' })).toThrow(
      /overlaps/,
    );
    expect(() => new RedisBackend({ url: redisUrl!, prefix: 'app:', lockPrefix: 'app-lock:' })).not.toThrow();
  });
});
