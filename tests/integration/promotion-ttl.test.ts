import { randomUUID } from 'node:crypto';
import { MemoryBackend, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
import { eventually, requireServer, sleep } from '@tiercache/test-kit';
import { describe, expect, it } from 'vitest';

const url = await requireServer('redis');

describe('an entry promoted into l1-lru keeps its remaining TTL', () => {
  it('over core’s in-memory L2: ~2 s left in L2 → gone from L1 about 2 s later, not after the 5 min default', async () => {
    const l1 = new LruBackend<string>({ maxEntries: 100 });
    const l2 = new MemoryBackend<string>({ name: 'l2' });
    const cache = new TieredCache<string>({ tiers: [l1, l2] });
    await l2.setWithTtl('p', 'v', 2000);
    expect(await cache.get('p')).toBe('v');
    const promoted = l1.peekWithTtl('p');
    expect(promoted?.ttlMs).toBeLessThanOrEqual(2000);
    expect(promoted?.ttlMs).toBeGreaterThan(1500);
    // Gone within about 2 s (the bound is a hang guard), far from the 300 s default TTL.
    await eventually(() => l1.peek('p') === undefined, { timeoutMs: 5000 });
    await cache.close();
  });

  it.skipIf(!url)('over Redis: the TTL Redis reports is the one L1 gets', async () => {
    const l1 = new LruBackend<string>({ maxEntries: 100 });
    const l2 = new RedisBackend<string>({ url: url!, prefix: `tc-pt:${randomUUID()}:` });
    const cache = new TieredCache<string>({ tiers: [l1, l2] });
    await l2.setWithTtl('p', 'v', 2000);
    await sleep(500);
    expect(await cache.get('p')).toBe('v');
    const promoted = l1.peekWithTtl('p');
    expect(promoted?.ttlMs).toBeLessThanOrEqual(1500);
    expect(promoted?.ttlMs).toBeGreaterThan(1000);
    await eventually(() => l1.peek('p') === undefined, { timeoutMs: 5000 });
    expect(await cache.get('p')).toBeUndefined();
    await cache.close();
  });
});
