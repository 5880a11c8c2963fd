// Issue 13 finding 5: set(k, v, { ttl: 1e20 }) resolved, Redis refused it, the write was kept
// for replay forever and every later write queued behind it. TTLs are now bounded at the call
// (MAX_TTL_MS, what every tier can store and read back). Needs a Redis (REDIS_URL).
import { randomUUID } from 'node:crypto';
import { InvalidTtlError, MAX_TTL_MS, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const url = await requireServer('redis');

describe.skipIf(!url)('an absurd TTL (finding 5)', () => {
  const admin = url ? new Redis(url) : undefined;
  afterAll(() => admin?.disconnect());

  function cache(prefix: string) {
    return new TieredCache<string>({
      tiers: [new LruBackend<string>({ maxEntries: 100 }), new RedisBackend<string>({ url: url!, prefix })],
      ttl: '1m',
    });
  }

  for (const ttl of [1e20, 1e16, 9.2e18, Number.MAX_SAFE_INTEGER]) {
    it(`set(k, v, { ttl: ${ttl} }) is rejected or bounded, and later writes reach Redis at once`, async () => {
      const prefix = `ttl:${randomUUID()}:`;
      const c = cache(prefix);
      try {
        const outcome = await c.set('absurd', 'v', { ttl }).then(
          () => 'stored',
          (error: unknown) => error,
        );
        if (outcome !== 'stored') expect(outcome).toBeInstanceOf(InvalidTtlError);
        else {
          // Bounded: stored with a TTL Redis accepts, and readable by another instance.
          const pttl = await admin!.pttl(`${prefix}absurd`);
          expect(pttl).toBeGreaterThan(0);
          const other = cache(prefix);
          expect(await other.get('absurd')).toBe('v');
          await other.close();
        }
        for (let i = 0; i < 20; i++) await c.set(`after:${i}`, 'v');
        for (let i = 0; i < 20; i++) expect(await admin!.exists(`${prefix}after:${i}`)).toBe(1);
        await new Promise((r) => setTimeout(r, 1500));
        expect(c.stats().tiers[1]!.breaker).toBe('closed');
        expect(c.stats().tiers[1]!.pendingWrites).toBe(0);
      } finally {
        await c.close();
      }
    });
  }
});

// Attack finding 5 (2026-12-04): a grace the tiers cannot store was accepted by the constructor,
// then every set rejected with InvalidTtlError on [lru, redis] and [lru, memcached]. Now it is
// refused at construction; a valid per-call TTL that grace takes past MAX_TTL_MS is stored for
// MAX_TTL_MS. Needs REDIS_URL and MEMCACHED_SERVERS.
const memcachedServers = await requireServer('memcached');
const sharedTiers: [string, () => RedisBackend<string> | MemcachedBackend<string>][] = [];
if (url)
  sharedTiers.push(['redis', () => new RedisBackend<string>({ url, prefix: `grace:${randomUUID()}:` })]);
if (memcachedServers) {
  sharedTiers.push([
    'memcached',
    () =>
      new MemcachedBackend<string>({
        servers: memcachedServers,
        namespace: `grace-${randomUUID().slice(0, 8)}`,
      }),
  ]);
}

describe.each(sharedTiers)('grace bounds over [lru, %s] (finding 5)', (_name, make) => {
  it.each([1e20, 1e15 + 1, '9007199254740993ms'])(
    'grace %j is an InvalidTtlError in the constructor',
    (grace) => {
      const l2 = make();
      try {
        expect(
          () =>
            new TieredCache<string>({
              tiers: [new LruBackend<string>({ maxEntries: 100 }), l2],
              grace: grace as number,
            }),
        ).toThrow(InvalidTtlError);
      } finally {
        void l2.close();
      }
    },
  );

  it('set with a valid TTL that grace takes past MAX_TTL_MS resolves, is stored, and later writes go on', async () => {
    const l2 = make();
    const c = new TieredCache<string>({
      tiers: [new LruBackend<string>({ maxEntries: 100 }), l2],
      ttl: '1m',
      grace: '1h',
    });
    const errors: unknown[] = [];
    c.on('tier:error', (e) => errors.push(e.error));
    try {
      await c.set('max', 'v', { ttl: MAX_TTL_MS });
      const stored = await l2.getWithTtl('max');
      expect(stored?.value).toBe('v');
      if (stored?.ttlMs !== undefined) expect(stored.ttlMs).toBeLessThanOrEqual(MAX_TTL_MS);
      for (let i = 0; i < 5; i++) await c.set(`after:${i}`, 'v');
      for (let i = 0; i < 5; i++) expect(await l2.get(`after:${i}`)).toBe('v');
      expect(errors).toEqual([]);
      expect(c.stats().tiers[1]!.pendingWrites).toBe(0);
    } finally {
      await c.close();
    }
  });
});
