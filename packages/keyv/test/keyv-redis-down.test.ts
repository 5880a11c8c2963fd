import { createKeyv } from '@keyv/redis';
import { MemoryBackend, TieredCache } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { keyvTier } from '../src/index.js';

describe('keyvTier over @keyv/redis when Redis cannot be reached', () => {
  it('tier errors are tolerated, the breaker opens and L1 keeps serving', async () => {
    // Port 1 on loopback: nothing listens there, connections are refused at once.
    const keyv = createKeyv('redis://127.0.0.1:1', { throwOnErrors: true, connectionTimeout: 200 });
    const tier = keyvTier(keyv, { name: 'redis', closeClient: true });
    const cache = new TieredCache<unknown>({
      tiers: [
        new MemoryBackend({ name: 'l1' }),
        { backend: tier, timeout: 2_000, breaker: { failureThreshold: 2, openMs: 60_000 } },
      ],
      ttl: 60_000,
    });
    try {
      await expect(tier.healthCheck()).resolves.toBe(false);
      await expect(cache.set('k', { v: 1 })).resolves.toBeUndefined(); // written to L1, L2 failure tolerated
      await expect(cache.get('k')).resolves.toStrictEqual({ v: 1 });
      await expect(cache.get('absent')).resolves.toBeUndefined(); // second failure: breaker opens
      const stats = cache.stats();
      expect(stats.tiers[1]?.breaker).toBe('open');
      expect(stats.tiers[1]?.errors).toBe(2);
      await expect(cache.getOrSet('computed', () => 'fresh')).resolves.toBe('fresh'); // skipped, not awaited
      expect(cache.stats().tiers[1]?.errors).toBeGreaterThan(2);
    } finally {
      await cache.close();
    }
  });
});
