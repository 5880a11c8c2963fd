// Attack finding 1 (2026-12-04): one XADD with the largest possible id stops a Redis Streams bus.
// Every later add fails ("ERR The stream has exhausted the last possible ID"); once the operator
// deletes the stream, receivers must follow the new one instead of waiting at the forged id for ever.
import { randomUUID } from 'node:crypto';
import { StreamBusTransport, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisStream } from '@tiercache/stream-redis';
import { eventually, requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { invalidationArrives } from './bus-setups.js';

const redisUrl = await requireServer('redis');
const MAX_ID = '18446744073709551615-18446744073709551615';

describe.runIf(redisUrl)('a Redis Streams bus whose stream holds a forged id', () => {
  const admin = redisUrl ? new Redis(redisUrl) : undefined;
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    admin?.disconnect();
  }, 30_000);

  /** Two instances on a stream of their own, one invalidation already delivered; and the stream's key. */
  async function pair() {
    const prefix = `pos:${randomUUID()}:`;
    const channel = 'bus';
    const make = () => {
      const cache = new TieredCache<string>({
        tiers: [new LruBackend<string>({ maxEntries: 1000 })],
        bus: {
          channel,
          retryMs: 50,
          transport: new StreamBusTransport(new RedisStream({ url: redisUrl!, prefix }), {
            blockMs: 100,
            retryMinMs: 20,
            retryMaxMs: 200,
            closeStream: true,
          }),
        },
        ttl: '1m',
      });
      opened.push(cache);
      return cache;
    };
    const a = make();
    const b = make();
    await Promise.all([a.ready(), b.ready()]);
    await invalidationArrives(a, b, 'k1');
    return { a, b, key: prefix + channel };
  }

  it('adds fail with a clear error; after the stream is deleted, receivers resync and follow the new stream', async () => {
    const { a, b, key } = await pair();
    const errors: unknown[] = [];
    a.on('bus:error', (e) => errors.push(e.error));

    // The forger: one entry with the largest id a stream can hold. B reads it (and rejects its content).
    await admin!.xadd(key, MAX_ID, 'm', 'x');
    await eventually(() => b.stats().bus.rejected === 1, { timeoutMs: 15_000 });
    await b.set('k2', 'old', { broadcast: false });
    await a.invalidate('k2');
    await eventually(() => errors.length > 0, { timeoutMs: 15_000 });
    const error = errors[0] as Error & { code?: string };
    expect(error.code).toBe('TIERCACHE_TIER_FAILED');
    expect(error.message).toContain('exhausted');
    expect(error.message).toContain(`DEL ${key}`);
    expect(await b.get('k2')).toBe('old'); // the denial of service: nothing gets through

    // The operator deletes the stream; A's retried send creates a new one, at ids below the forged one.
    const resyncsBefore = b.stats().bus.resyncs;
    await admin!.del(key);
    await eventually(() => b.stats().bus.resyncs > resyncsBefore, { timeoutMs: 15_000 });
    expect(await b.get('k2')).toBeUndefined(); // cleared by the resync
    await invalidationArrives(a, b, 'k3');
    await invalidationArrives(a, b, 'k4');
  }, 60_000);

  it('a stream deleted and recreated under a reader (no forgery) does not leave it behind', async () => {
    const { a, b, key } = await pair();
    // Ids ahead of every entry the new stream will get soon: a reader positioned there hears nothing.
    await admin!.xadd(key, `${Date.now() + 3_600_000}-0`, 'm', 'x');
    await eventually(() => b.stats().bus.rejected === 1, { timeoutMs: 15_000 });
    const resyncsBefore = b.stats().bus.resyncs;
    await admin!.del(key);
    await b.set('k2', 'old', { broadcast: false });
    await a.invalidate('k2');
    await eventually(() => b.stats().bus.resyncs > resyncsBefore, { timeoutMs: 15_000 });
    expect(await b.get('k2')).toBeUndefined();
    await invalidationArrives(a, b, 'k3');
  }, 60_000);
});
