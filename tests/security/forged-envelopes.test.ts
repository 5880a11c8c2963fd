// Attack finding 3 (2026-12-04): bytes in a shared tier shaped like the internal tagged-entry
// mark (`{"\u0000tc":1}`, a mark without `v`, an envelope inside an envelope) made get, getMany,
// ttl and getOrSet reject with DeserializationError (no tier:error, the factory never ran), or
// getOrSet resolve `undefined`, ttl() answer Infinity and expire() answer true for an absent key.
// They follow the one unreadable-value policy of contracts.ts now: the tier reports tier:error
// (DeserializationError), the cache answers a miss, and getOrSet runs its factory and stores.
// Redis: a raw SET of the bytes under the cache's full key; memcached: the bytes written by a
// second backend on the same namespace (what another writer's client sends); memory: a shared
// MemoryBackend written directly. Needs REDIS_URL and MEMCACHED_SERVERS (skipped without).
import { randomUUID } from 'node:crypto';
import { type CacheBackend, MemoryBackend, TAGGED_MARK, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const memcachedServers = await requireServer('memcached');

const M = TAGGED_MARK;
/** Stored values carrying the mark without a tagged entry's shape. */
const FORGED: [string, unknown][] = [
  ['the bare mark', { [M]: 1 }],
  ['a mark, tags and time but no v', { [M]: 1, t: ['x'], at: 1 }],
  ['an envelope inside an envelope', { [M]: 1, v: { [M]: 1, v: 'inner', t: ['a'], at: 1 }, t: ['a'], at: 1 }],
  ['a mark that is not 1', { [M]: 2, v: 'x', t: ['a'], at: 1 }],
  ['no tags', { [M]: 1, v: 'x', t: [], at: 1 }],
  ['a write time that is a string', { [M]: 1, v: 'x', t: ['a'], at: '1' }],
  ['an extra field', { [M]: 1, v: 'x', t: ['a'], at: 1, evil: true }],
];

interface Setup {
  /** A fresh shared tier over the same storage (another process's view of it). */
  shared(): CacheBackend<unknown>;
  /** Write `value`'s bytes under the cache key `key`, not through TieredCache. */
  forge(key: string, value: unknown): Promise<void>;
  /** What the shared storage holds under the cache key `key` now, as a value. */
  stored(key: string): Promise<unknown>;
  close(): Promise<void>;
}

const setups: [string, () => Setup][] = [
  [
    'memory',
    () => {
      const memory = new MemoryBackend({ name: 'shared-memory' });
      // Another TieredCache over the same MemoryBackend: a shared in-process tier.
      return {
        shared: () => ({ ...bound(memory), local: false }),
        forge: (key, value) => memory.setWithTtl(key, value, 60_000),
        stored: (key) => memory.get(key),
        close: () => memory.close(),
      };
    },
  ],
];
if (redisUrl) {
  setups.push([
    'redis',
    () => {
      const prefix = `forged:${randomUUID()}:`;
      const admin = new Redis(redisUrl);
      const backends: RedisBackend<unknown>[] = [];
      return {
        shared: () => {
          const backend = new RedisBackend<unknown>({ url: redisUrl, prefix });
          backends.push(backend);
          return backend;
        },
        forge: async (key, value) => {
          await admin.set(`${prefix}${key}`, JSON.stringify(value), 'PX', 60_000);
        },
        // Read back through a backend: what the cache writes carries RedisBackend's expiry header.
        stored: (key) => {
          const reader = new RedisBackend<unknown>({ url: redisUrl, prefix });
          backends.push(reader);
          return reader.get(key);
        },
        close: async () => {
          await Promise.allSettled(backends.map((b) => b.close()));
          admin.disconnect();
        },
      };
    },
  ]);
}
if (memcachedServers) {
  setups.push([
    'memcached',
    () => {
      const namespace = `forged-${randomUUID().slice(0, 8)}`;
      const make = () => new MemcachedBackend<unknown>({ servers: memcachedServers, namespace });
      const writer = make();
      const backends: MemcachedBackend<unknown>[] = [writer];
      return {
        shared: () => {
          const backend = make();
          backends.push(backend);
          return backend;
        },
        forge: (key, value) => writer.setWithTtl(key, value, 60_000),
        stored: (key) => writer.get(key),
        close: async () => {
          await Promise.allSettled(backends.map((b) => b.close()));
        },
      };
    },
  ]);
}

/** `backend`'s methods bound to it, so a spread copy still calls the original. */
function bound(backend: MemoryBackend<unknown>): CacheBackend<unknown> {
  const out: Record<string, unknown> = { name: backend.name };
  for (const method of [
    'get',
    'getWithTtl',
    'getMany',
    'setWithTtl',
    'setMany',
    'remove',
    'healthCheck',
  ] as const) {
    out[method] = backend[method].bind(backend);
  }
  out.getWithToken = backend.getWithToken.bind(backend);
  out.setIfUnchanged = backend.setIfUnchanged.bind(backend);
  out.clear = backend.clear.bind(backend);
  return out as unknown as CacheBackend<unknown>;
}

describe.each(setups)(
  'stored values shaped like the tagged-entry mark, over %s (finding 3)',
  (_name, make) => {
    const setup = make();
    const opened: TieredCache<unknown>[] = [];
    afterAll(async () => {
      await Promise.allSettled(opened.map((c) => c.close()));
      await setup.close();
    });

    function cache(): { cache: TieredCache<unknown>; errors: { tier: number; code: unknown }[] } {
      const c = new TieredCache<unknown>({
        tiers: [new LruBackend<unknown>({ maxEntries: 100 }), setup.shared()],
        ttl: '1m',
      });
      opened.push(c);
      const errors: { tier: number; code: unknown }[] = [];
      c.on('tier:error', (e) => errors.push({ tier: e.tier, code: (e.error as { code?: unknown }).code }));
      return { cache: c, errors };
    }

    it.each(FORGED)(
      '%s: a miss with tier:error for get, getMany, ttl, expire; getOrSet runs its factory',
      async (_label, forged) => {
        const { cache: c, errors } = cache();
        const key = `k-${randomUUID()}`;
        await c.set('good', 'ok');
        await setup.forge(key, forged);

        await expect(c.get(key)).resolves.toBeUndefined();
        await expect(c.getMany([key, 'good'])).resolves.toEqual([undefined, 'ok']);
        await expect(c.ttl(key)).resolves.toBeUndefined();
        await expect(c.has(key)).resolves.toBe(false);
        await expect(c.expire(key, 1000)).resolves.toBe(false);
        expect(errors.length).toBeGreaterThanOrEqual(4);
        for (const e of errors) expect(e).toEqual({ tier: 1, code: 'TIERCACHE_DESERIALIZE' });
        // The breaker stays closed: the server answered.
        expect(c.stats().tiers[1]!.breaker).toBe('closed');

        let runs = 0;
        await expect(
          c.getOrSet(key, () => {
            runs++;
            return 'fresh';
          }),
        ).resolves.toBe('fresh');
        expect(runs).toBe(1);
        await expect(c.getOrSetResult(key, () => 'again')).resolves.toEqual({ value: 'fresh', stale: false });
        // The factory's result replaced the forged bytes in the shared tier: another instance reads it.
        expect(await setup.stored(key)).toBe('fresh');
        const other = cache().cache;
        await expect(other.get(key)).resolves.toBe('fresh');
      },
    );

    it('getOrSetResult over a forged entry without v resolves the factory value, never undefined', async () => {
      const { cache: c, errors } = cache();
      const key = `k-${randomUUID()}`;
      await setup.forge(key, { [M]: 1, t: ['x'], at: 1 });
      await expect(c.getOrSetResult(key, () => 'fresh')).resolves.toEqual({ value: 'fresh', stale: false });
      expect(errors.map((e) => e.code)).toContain('TIERCACHE_DESERIALIZE');
    });

    it('a well-formed tagged entry written by another instance still reads as its value', async () => {
      const { cache: writer } = cache();
      const { cache: reader, errors } = cache();
      await writer.set('tagged', { n: 1 }, { tags: ['t1'] });
      await expect(reader.get('tagged')).resolves.toEqual({ n: 1 });
      await expect(reader.getMany(['tagged'])).resolves.toEqual([{ n: 1 }]);
      expect(errors).toEqual([]);
    });
  },
);
