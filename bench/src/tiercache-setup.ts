/** tiercache as the scenarios use it: an LruBackend L1 over a RedisBackend L2, wrapped as a {@link CacheUnderTest}. */
import { type CacheBackend, TieredCache, type TieredCacheOptions } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
import { BENCH_TTL_MS, type CacheUnderTest, L1_MAX_ENTRIES } from './peers.js';

/** A TieredCache and the backends it was built from (for closing and checks). */
export interface TiercacheSetup<V> extends CacheUnderTest<V> {
  cache: TieredCache<V>;
  l2: RedisBackend<V> | undefined;
}

/**
 * `TieredCache` with an `LruBackend` L1 and, with `redisUrl`, a `RedisBackend` L2 under
 * `prefix`. Extra options (e.g. `lock: false`) are passed through.
 */
export function createTiercache<V>(
  redisUrl: string | undefined,
  prefix: string,
  extra: Omit<TieredCacheOptions<V>, 'tiers'> = {},
): TiercacheSetup<V> {
  const l1 = new LruBackend<V>({ maxEntries: L1_MAX_ENTRIES });
  const l2 = redisUrl
    ? new RedisBackend<V>({ url: redisUrl, prefix, enableAutoPipelining: true })
    : undefined;
  const tiers: CacheBackend<V>[] = l2 ? [l1, l2] : [l1];
  const cache = new TieredCache<V>({ ttl: BENCH_TTL_MS, ...extra, tiers });
  return {
    name: l2 ? 'tiercache (lru + redis)' : 'tiercache (lru)',
    cache,
    l2,
    get: (key) => cache.get(key),
    set: (key, value) => cache.set(key, value),
    getOrSet: (key, factory) => cache.getOrSet(key, factory),
    ready: async () => {
      if (l2 && !(await l2.healthCheck())) throw new Error(`redis at ${redisUrl} does not answer PING`);
    },
    close: () => cache.close(),
  };
}
