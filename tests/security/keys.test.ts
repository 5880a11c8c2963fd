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

/** Attack finding 8: the backends used directly (their README quick starts), not only through TieredCache. */
describe.each(shared)('a %s backend used directly refuses lone surrogates', (name, make) => {
  const lone = ['user:\uD800', 'user:\uDBFF', 'user:\uDC00', 'a\uDFFFb', '\uD800'];

  it('in every key-taking method, with InvalidKeyError (TIERCACHE_BAD_KEY), touching nothing', async () => {
    const backend = make();
    try {
      await backend.setWithTtl('user:\uFFFD', 'replacement-char', 60_000);
      const refused: string[] = [];
      for (const key of lone) {
        const calls: [string, () => Promise<unknown>][] = [
          ['setWithTtl', () => backend.setWithTtl(key, 'forged', 60_000)],
          ['get', () => backend.get(key)],
          ['getWithTtl', () => backend.getWithTtl(key)],
          ['getMany', () => backend.getMany(['user:ok', key])],
          ['setMany', () => backend.setMany([{ key, value: 'forged', ttlMs: 60_000 }])],
          ['remove', () => backend.remove(key)],
        ];
        for (const [method, call] of calls) {
          const error = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          if (error instanceof InvalidKeyError && error.code === 'TIERCACHE_BAD_KEY') refused.push(method);
          else expect.fail(`${name}.${method}(${JSON.stringify(key)}) gave ${String(error)}`);
        }
      }
      expect(refused).toHaveLength(lone.length * 6);
      // Nothing was written over the entry a lone surrogate would have become (U+FFFD in UTF-8).
      expect(await backend.get('user:\uFFFD')).toBe('replacement-char');
      // Whole characters (a surrogate pair) are keys like any other.
      await backend.setWithTtl('user:\uD83D\uDE00', 'smile', 60_000);
      expect(await backend.get('user:\uD83D\uDE00')).toBe('smile');
    } finally {
      await backend.close();
    }
  });
});

describe.skipIf(!redisUrl)('RedisBackend.removePattern with a lone surrogate', () => {
  it('is refused with InvalidKeyError and removes nothing', async () => {
    const backend = new RedisBackend<string>({ url: redisUrl!, prefix: `sec:${randomUUID()}:` });
    try {
      await backend.setWithTtl('user:\uFFFD', 'kept', 60_000);
      for (const pattern of ['user:\uDC00', 'user:\uD800*', '*\uDFFF']) {
        await expect(backend.removePattern(pattern)).rejects.toMatchObject({
          name: 'InvalidKeyError',
          code: 'TIERCACHE_BAD_KEY',
        });
      }
      expect(await backend.get('user:\uFFFD')).toBe('kept');
      const cache = new TieredCache<string>({ tiers: [backend] });
      await expect(cache.invalidatePattern('user:\uDC00')).rejects.toMatchObject({
        code: 'TIERCACHE_BAD_KEY',
      });
      expect(await backend.get('user:\uFFFD')).toBe('kept');
    } finally {
      await backend.close();
    }
  });
});

describe.each(shared)('tags with lone surrogates over %s', (_name, make) => {
  it('are refused in set, getOrSet and invalidateTags with a typed error', async () => {
    const cache = new TieredCache<string>({ tiers: [make()], ttl: '1m' });
    try {
      for (const tag of ['t\uD800', 't\uDFFF', '\uDBFF']) {
        const bad = { code: 'TIERCACHE_BAD_OPTION', name: 'InvalidOptionError' };
        await expect(cache.set('k', 'v', { tags: [tag] })).rejects.toMatchObject(bad);
        await expect(cache.getOrSet('k2', async () => 'v', { tags: ['fine', tag] })).rejects.toMatchObject(
          bad,
        );
        await expect(cache.invalidateTags([tag])).rejects.toMatchObject(bad);
        await expect(cache.namespace('ns').invalidateTags([tag])).rejects.toMatchObject(bad);
      }
      // A tag of whole characters works, and its entries go when it is invalidated.
      await cache.set('k', 'v', { tags: ['t\uD83D\uDE00'] });
      expect(await cache.get('k')).toBe('v');
      await cache.invalidateTags(['t\uD83D\uDE00']);
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.get('k2')).toBeUndefined();
    } finally {
      await cache.close();
    }
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
