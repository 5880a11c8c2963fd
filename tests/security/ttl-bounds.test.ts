// Issue 13 finding 5: set(k, v, { ttl: 1e20 }) resolved, Redis refused it, the write was kept
// for replay forever and every later write queued behind it. TTLs are now bounded at the call
// (MAX_TTL_MS, what every tier can store and read back). Needs a Redis (REDIS_URL).
import { randomUUID } from 'node:crypto';
import { InvalidTtlError, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
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
