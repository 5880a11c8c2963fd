import {
  type CacheBackend,
  MemoryBackend,
  MemoryStream,
  StreamBusTransport,
  type StreamingBackend,
  TieredCache,
} from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import type { Product } from './catalog-db.js';

/** The cache the demo runs on, and a line saying what it is made of. */
export interface DemoCache {
  cache: TieredCache<Product>;
  description: string[];
}

/**
 * With no configuration: l1-lru over core's in-memory L2 and in-memory stream (the embedded
 * default). With `REDIS_URL`: l1-lru over Redis, with Redis Streams for events and the bus.
 */
export async function createDemoCache(): Promise<DemoCache> {
  const l1 = new LruBackend<Product>({ name: 'l1-lru', maxEntries: 1000 });
  const redisUrl = process.env.REDIS_URL;
  let l2: CacheBackend<Product>;
  let stream: StreamingBackend;
  let description: string[];
  if (redisUrl) {
    // Loaded only when asked for, so the embedded demo needs no Redis client at all.
    const { RedisBackend } = await import('@tiercache/l2-redis');
    const { RedisStream } = await import('@tiercache/stream-redis');
    const prefix = `tiercache-demo:${process.pid}:`;
    l2 = new RedisBackend<Product>({ url: redisUrl, prefix });
    stream = new RedisStream({ url: redisUrl, prefix: `${prefix}stream:` });
    description = [
      `L1: l1-lru (1000 entries)`,
      `L2: Redis at ${redisUrl} (REDIS_URL)`,
      'events and invalidation bus: Redis Streams',
    ];
  } else {
    l2 = new MemoryBackend<Product>({ name: 'memory-l2' });
    stream = new MemoryStream();
    description = [
      'L1: l1-lru (1000 entries)',
      'L2: in-memory (embedded default; set REDIS_URL to use Redis)',
      'events and invalidation bus: in-memory stream',
    ];
  }
  const cache = new TieredCache<Product>({
    name: 'catalog',
    tiers: [{ backend: l1, ttlScale: 0.5 }, l2],
    ttl: '5m',
    stream,
    bus: { transport: new StreamBusTransport(stream, { blockMs: 500 }), channel: 'catalog:bus' },
  });
  await cache.ready();
  return { cache, description };
}
