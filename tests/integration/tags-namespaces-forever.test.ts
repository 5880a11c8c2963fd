import { randomUUID } from 'node:crypto';
import { createKeyv } from '@keyv/redis';
import {
  type CacheBackend,
  FOREVER,
  InvalidKeyError,
  type L2CacheBackend,
  MemoryBackend,
  TieredCache,
} from '@tiercache/core';
import { keyvTier } from '@tiercache/keyv';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const memcachedServers = await requireServer('memcached');

/**
 * Tags, namespaces and forever entries on each real shared tier: two caches (each with its own
 * L1, no bus between them) share one backend namespace, so everything one sees of the other's
 * invalidations comes through the shared tier: the tag times stored there as ordinary keys.
 */
const backends: [string, string | undefined, (ns: string) => L2CacheBackend<string>][] = [
  ['Redis', redisUrl, (ns) => new RedisBackend<string>({ url: redisUrl!, prefix: `${ns}:` })],
  [
    'Memcached',
    memcachedServers,
    (ns) => new MemcachedBackend<string>({ servers: memcachedServers!, prefix: ns }),
  ],
  [
    'the Keyv tier (@keyv/redis)',
    redisUrl,
    (ns) =>
      keyvTier<string>(createKeyv(redisUrl!, { namespace: ns, throwOnErrors: true }), { closeClient: true }),
  ],
];

describe.each(backends)('tags, namespaces and FOREVER on %s', (_, server, backend) => {
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
  });

  function pair() {
    const ns = `tc-tags-${randomUUID().slice(0, 8)}`;
    const make = () => {
      const cache = new TieredCache<string>({
        tiers: [new LruBackend<string>({ maxEntries: 1000 }), { backend: backend(ns), timeout: '5s' }],
        ttl: '1m',
      });
      opened.push(cache);
      return cache;
    };
    return { a: make(), b: make(), l2: backend(ns) };
  }

  it.skipIf(!server)(
    'a later invalidatePattern that matches the tag names brings back nothing a tag or a namespace clear removed',
    async () => {
      const { a, b } = pair();
      await a.set('product:1', 'old price', { tags: ['catalog'] });
      const users = a.namespace('users');
      await users.set('alice', 'deleted account');
      await a.invalidateTags(['catalog']);
      await users.clear();
      // The patterns match the tag-time keys' text ("catalog", "users"), not the entries.
      await a.invalidatePattern('*catalog*').catch(() => undefined);
      await a.invalidatePattern('*users*').catch(() => undefined);
      expect(await b.get('product:1')).toBeUndefined();
      expect(await b.namespace('users').get('alice')).toBeUndefined();
    },
  );

  it.skipIf(!server)(
    'invalidateTags in one instance makes the other miss, through the shared tier',
    async () => {
      const { a, b } = pair();
      await a.set('p1', 'one', { tags: ['product', 'shelf:1'] });
      await a.set('p2', 'two', { tags: ['product'] });
      await a.set('plain', 'untagged');
      await b.invalidateTags(['shelf:1']);
      expect(await b.get('p1')).toBeUndefined();
      expect(await b.get('p2')).toBe('two');
      let runs = 0;
      expect(await b.getOrSet('p1', () => `new${++runs}`, { tags: ['shelf:1'] })).toBe('new1');
      await b.invalidateTags(['product']);
      expect(await b.get('p2')).toBeUndefined();
      expect(await b.get('plain')).toBe('untagged');
    },
  );

  it.skipIf(!server)(
    'a namespace cleared by one instance is empty for the other; the rest stays',
    async () => {
      const { a, b } = pair();
      await a.namespace('users').set('1', 'alice');
      await a.namespace('posts').set('1', 'hello');
      await a.set('1', 'root');
      await b.namespace('users').clear();
      expect(await b.namespace('users').get('1')).toBeUndefined();
      expect(await b.namespace('posts').get('1')).toBe('hello');
      expect(await b.get('1')).toBe('root');
      await b.namespace('users').set('1', 'alice again');
      expect(await b.namespace('users').get('1')).toBe('alice again');
    },
  );

  it.skipIf(!server)('FOREVER stores no expiry in the shared tier; ttl() answers Infinity', async () => {
    const { a, l2 } = pair();
    await a.set('forever', 'v', { ttl: FOREVER });
    const stored = await l2.getWithTtl('forever');
    expect(stored?.value).toBe('v');
    expect(stored?.ttlMs).toBeUndefined();
    expect(await a.ttl('forever')).toBe(Number.POSITIVE_INFINITY);
    await (l2 as CacheBackend<string>).close?.();
  });
});

describe.skipIf(!memcachedServers)('FOREVER next to memcached 30-day rule', () => {
  it('an entry of 40 days and a forever one both read back with the right remaining TTL', async () => {
    const l2 = new MemcachedBackend<string>({
      servers: memcachedServers!,
      prefix: `tc-f-${randomUUID().slice(0, 8)}`,
    });
    const cache = new TieredCache<string>({ tiers: [new MemoryBackend<string>(), l2] });
    try {
      await cache.set('forty', 'v', { ttl: '40d' });
      await cache.set('forever', 'v', { ttl: FOREVER });
      const forty = (await l2.getWithTtl('forty'))?.ttlMs ?? 0;
      expect(forty).toBeGreaterThan(39 * 86_400_000);
      expect((await l2.getWithTtl('forever'))?.ttlMs).toBeUndefined();
    } finally {
      await cache.close();
    }
  });
});

describe('tags on memcached with keyPolicy "reject"', () => {
  it.skipIf(!memcachedServers)(
    'a tagged set rejects with InvalidKeyError and leaves the key absent in every tier (its tags could never be read)',
    async () => {
      const cache = new TieredCache<string>({
        tiers: [
          new LruBackend<string>({ maxEntries: 100 }),
          new MemcachedBackend<string>({
            servers: memcachedServers!,
            prefix: `tc-reject-${randomUUID().slice(0, 8)}`,
            keyPolicy: 'reject',
          }),
        ],
        ttl: '1m',
      });
      try {
        await expect(cache.set('k', 'v', { tags: ['t'] })).rejects.toBeInstanceOf(InvalidKeyError);
        expect(await cache.get('k')).toBeUndefined();
        await expect(cache.getOrSet('g', () => 'v', { tags: ['t'] })).rejects.toBeInstanceOf(InvalidKeyError);
        // Untagged entries are unaffected.
        await cache.set('plain', 'p');
        expect(await cache.get('plain')).toBe('p');
      } finally {
        await cache.close();
      }
    },
  );
});
