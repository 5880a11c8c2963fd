import { randomUUID } from 'node:crypto';
import { createKeyv } from '@keyv/redis';
import { describeL2Backend } from '@tiercache/conformance';
import { MemoryBackend, TieredCache } from '@tiercache/core';
import { requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { keyvTier } from '../src/index.js';

const url = await requireServer('redis');

/** A Keyv on @keyv/redis in a namespace no other run uses, with store errors surfaced. */
function redisKeyv(redisUrl: string) {
  return createKeyv(redisUrl, { namespace: `tc-keyv-${randomUUID()}`, throwOnErrors: true });
}

describe.skipIf(!url)('keyvTier over @keyv/redis against a real Redis', () => {
  const redisUrl = url ?? '';

  describeL2Backend('keyv-redis', () => keyvTier(redisKeyv(redisUrl), { closeClient: true }), {
    lacks: ['peek', 'lock', 'guardedWrites'],
    valueIdentity: 'copy',
  });

  describe('as the L2 of a TieredCache', () => {
    const caches: TieredCache[] = [];
    afterAll(async () => {
      await Promise.all(caches.map((c) => c.close()));
    });

    it('is remote by default and shares entries between two caches', async () => {
      const keyvA = redisKeyv(redisUrl);
      const keyvB = createKeyv(redisUrl, { namespace: keyvA.namespace, throwOnErrors: true });
      const l1b = new MemoryBackend({ name: 'l1-b' });
      // removePattern walks the namespace with @keyv/redis's SCAN (COUNT 10): on a big shared
      // database that takes longer than the default 1 s tier timeout.
      const a = new TieredCache<unknown>({
        name: 'a',
        tiers: [new MemoryBackend(), { backend: keyvTier(keyvA, { closeClient: true }), timeout: '20s' }],
        ttl: 60_000,
      });
      const b = new TieredCache<unknown>({
        name: 'b',
        tiers: [l1b, keyvTier(keyvB, { closeClient: true })],
        ttl: 60_000,
      });
      caches.push(a, b);
      expect(keyvTier(keyvA).local).toBe(false);

      await a.set('order:1', { total: 42 }, { ttl: 20_000 });
      await expect(b.get('order:1')).resolves.toStrictEqual({ total: 42 });
      expect(b.stats().tiers.map((t) => t.hits)).toStrictEqual([0, 1]);
      const promoted = l1b.peekWithTtl('order:1');
      expect(promoted?.ttlMs).toBeGreaterThan(0);
      expect(promoted?.ttlMs).toBeLessThanOrEqual(20_000);

      await a.set('order:2', null);
      await expect(b.get('order:2')).resolves.toBeNull();
      await expect(a.invalidatePattern('order:*')).resolves.toBe(2);
      await expect(keyvB.get('order:1')).resolves.toBeUndefined();
    });

    it('getOrSet runs the factory once and stores the result in Redis', async () => {
      const keyv = redisKeyv(redisUrl);
      const cache = new TieredCache<unknown>({
        tiers: [new MemoryBackend(), keyvTier(keyv, { closeClient: true })],
        ttl: 60_000,
      });
      caches.push(cache);
      let runs = 0;
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          cache.getOrSet('report', async () => {
            runs++;
            return { rows: 3 };
          }),
        ),
      );
      expect(runs).toBe(1);
      expect(results).toStrictEqual(Array.from({ length: 5 }, () => ({ rows: 3 })));
      const raw = await keyv.get('report', { raw: true });
      expect(raw?.value).toStrictEqual({ rows: 3 });
      expect(typeof raw?.expires).toBe('number');
    });
  });
});
