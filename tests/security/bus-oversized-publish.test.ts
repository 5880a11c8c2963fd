// Attack finding 2 (2026-12-04): one PUBLISH over Redis's pub/sub output buffer limit (32 MB hard
// by default) makes Redis disconnect every subscriber of the channel, before any byte reaches us,
// so `maxMessageBytes` and the secret cannot stop it. The pub/sub transport reconnects and, since
// pub/sub cannot replay what was missed, each instance clears its L1 once. This states what that
// costs (one resync per instance), that no stale value survives it, and that the bus works after.
// It runs on a Redis of its own: the disconnection hits every subscriber of that server.
import { randomUUID } from 'node:crypto';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { eventually, NATIVE_RECIPES, requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnServer, startOwnServer } from './own-server.js';

const redisAvailable = await requireServer('redis');
const SECRET = 'a shared bus secret of 32 bytes!';

describe.runIf(redisAvailable)('a 33 MB PUBLISH on the pub/sub bus channel', () => {
  let server: OwnServer;
  let admin: Redis;
  let url: string;
  const opened: TieredCache<string>[] = [];
  beforeAll(async () => {
    server = await startOwnServer(NATIVE_RECIPES.redis, 'redis-pubsub-limit');
    url = `redis://127.0.0.1:${server.port}`;
    admin = new Redis(url);
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    admin?.disconnect();
    await server?.stop();
  }, 30_000);

  const instance = (prefix: string) => {
    const cache = new TieredCache<string>({
      tiers: [new LruBackend<string>({ maxEntries: 1000 }), new RedisBackend<string>({ url, prefix })],
      bus: { transport: new RedisPubSubTransport({ url }), secret: SECRET, retryMs: 50 },
      ttl: '1m',
    });
    opened.push(cache);
    return cache;
  };

  it('costs each instance one L1 clear (whatever maxMessageBytes and the secret), serves nothing stale, and the bus delivers after', async () => {
    expect(((await admin.config('GET', 'client-output-buffer-limit')) as string[])[1]).toContain(
      'pubsub 33554432 8388608 60',
    );
    const prefix = `big:${randomUUID()}:`;
    const a = instance(prefix);
    const b = instance(prefix);
    await Promise.all([a.ready(), b.ready()]);
    // B's L1 holds a value the shared tier no longer has, as after an invalidation it missed.
    await b.set('k', 'old', { broadcast: false });
    await a.set('k', 'new', { broadcast: false });
    expect(await b.get('k')).toBe('old');

    const receivers = await admin.publish('tiercache-bus', 'x'.repeat(33 * 1024 * 1024));
    expect(receivers).toBe(2);
    await eventually(() => a.stats().bus.resyncs === 1 && b.stats().bus.resyncs === 1, { timeoutMs: 20_000 });
    expect(await b.get('k')).toBe('new');

    // The bus delivers again: an invalidation from A reaches B's L1.
    await b.set('k2', 'old', { broadcast: false });
    await a.invalidate('k2');
    await eventually(async () => (await b.get('k2')) === undefined, { timeoutMs: 15_000 });
    // The message never reached either instance (Redis dropped the connections first).
    expect([a.stats().bus.rejected, b.stats().bus.rejected]).toEqual([0, 0]);
    expect([a.stats().bus.resyncs, b.stats().bus.resyncs]).toEqual([1, 1]);
  }, 60_000);
});
