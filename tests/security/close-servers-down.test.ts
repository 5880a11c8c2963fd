// Finding 8: close() with Redis down took 1.6-1.9 s (each client's QUIT waited out its timeout
// in ioredis's offline queue). Nothing listens on the port here, as after a server died. Not a
// timing test: the clients' timeout is 10 s, and a close() that waits out even one of them
// takes at least that long; one that does not is done in milliseconds.
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';
import { freePort } from '@tiercache/test-kit';
import { describe, expect, it } from 'vitest';

describe('close() while Redis is down', () => {
  it('a cache with a Redis tier, a pub/sub bus and a Redis stream closes without waiting out any client timeout', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const cache = new TieredCache<string>({
      tiers: [
        new LruBackend<string>({ maxEntries: 10 }),
        new RedisBackend<string>({ url, commandTimeoutMs: 10_000 }),
      ],
      bus: { transport: new RedisPubSubTransport({ url, commandTimeoutMs: 10_000 }) },
      stream: new RedisStream({ url, commandTimeoutMs: 10_000 }),
    });
    cache.ready().catch(() => undefined);
    await cache.get('k');
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    await cache.close();
    const closeMs = performance.now() - started;
    console.log(`close() with Redis down: ${closeMs.toFixed(0)} ms`);
    expect(closeMs).toBeLessThan(5000);
  }, 60_000);
});
