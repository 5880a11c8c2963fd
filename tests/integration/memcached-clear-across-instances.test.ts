/**
 * Writes win across instances for `clear()` over a memcached tier. memcached clears a namespace
 * by moving it to a new version, which other backends cache for `versionCacheMs`; without being
 * told, another instance whose L1 the bus had just emptied read the cleared entries with its old
 * version and promoted them into L1 (and into Redis with three tiers) for their whole TTL.
 * Found from outside (50 of 50 keys stale 5 s after the clear); this failed before
 * `dropCachedState`.
 */
import { randomUUID } from 'node:crypto';
import { MemoryBusHub, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { eventually, requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const memcachedServers = await requireServer('memcached');
const KEYS = Array.from({ length: 50 }, (_, i) => `k${i}`);

describe.skipIf(!redisUrl || !memcachedServers)("another instance's clear() over memcached", () => {
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
  });

  function pair(withRedis: boolean) {
    const id = randomUUID().slice(0, 8);
    const hub = new MemoryBusHub();
    const make = () => {
      const tiers = [
        new LruBackend<string>({ maxEntries: 1000 }),
        ...(withRedis ? [new RedisBackend<string>({ url: redisUrl!, prefix: `tc-mcc:${id}:` })] : []),
        // A long version cache, so the window the fix closes is wide open without it.
        new MemcachedBackend<string>({
          servers: memcachedServers!,
          prefix: `tcmcc${id}`,
          versionCacheMs: 60_000,
        }),
      ];
      const cache = new TieredCache<string>({
        tiers,
        ttl: '1m',
        lock: false,
        bus: { transport: hub.transport() },
      });
      opened.push(cache);
      return cache;
    };
    return { a: make(), b: make() };
  }

  for (const withRedis of [false, true]) {
    it(`${withRedis ? 'l1 → Redis → memcached' : 'l1 → memcached'}: B reads no cleared entry back, and neither does A`, async () => {
      const { a, b } = pair(withRedis);
      await Promise.all([a.ready(), b.ready()]);
      for (const k of KEYS) await a.set(k, 'before');
      // B knows the namespace version (and holds the keys in L1).
      for (const k of KEYS) expect(await b.get(k)).toBe('before');
      const applied = b.stats().bus.applied;
      await a.clear();
      await eventually(() => b.stats().bus.applied > applied, { timeoutMs: 5000 });
      const inB = await Promise.all(KEYS.map((k) => b.get(k)));
      expect(inB.filter((v) => v !== undefined)).toHaveLength(0);
      const inA = await Promise.all(KEYS.map((k) => a.get(k)));
      expect(inA.filter((v) => v !== undefined)).toHaveLength(0);
    });
  }
});
