import keyvTestSuite from '@keyv/test-suite';
import { MemoryBackend, TieredCache } from '@tiercache/core';
import { lruTier } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { Keyv } from 'keyv';
import * as vitest from 'vitest';
import { toKeyvStore } from '../src/index.js';

const url = (await requireServer('redis')) ?? '';

// Keyv's own storage-adapter suite (@keyv/test-suite), run as its README says:
// keyvTestSuite(test, Keyv, store), with toKeyvStore over a TieredCache as the store.
// The suite only calls test.it/beforeEach and the test context's expect; its types name the
// vitest 4 it depends on, while the repo runs vitest 3, hence the cast.
const test = vitest as never;

const caches: TieredCache[] = [];
vitest.afterAll(() => Promise.all(caches.map((cache) => cache.close())));

function tiered(l2: MemoryBackend | RedisBackend): TieredCache {
  const cache = new TieredCache({ tiers: [new MemoryBackend({ name: 'l1' }), l2], ttl: '1h' });
  caches.push(cache);
  return cache;
}

vitest.describe('@keyv/test-suite: toKeyvStore over an L1 and an in-memory L2', () => {
  const cache = tiered(new MemoryBackend({ name: 'l2', clone: true }));
  keyvTestSuite(test, Keyv, () => toKeyvStore(cache));
});

vitest.describe('@keyv/test-suite: toKeyvStore over lru-cache and Redis', () => {
  const cache = new TieredCache({
    tiers: [lruTier({ maxEntries: 1000 }), new RedisBackend({ url, prefix: `keyv-suite:${process.pid}:` })],
    ttl: '1h',
  });
  caches.push(cache);
  keyvTestSuite(test, Keyv, () => toKeyvStore(cache));
});
