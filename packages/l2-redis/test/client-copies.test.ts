import { randomUUID } from 'node:crypto';
import { InvalidOptionError, TieredCache } from '@tiercache/core';
import { requireServer } from '@tiercache/test-kit';
import { Redis as Redis5 } from 'ioredis';
import { Redis as Redis6 } from 'ioredis-6';
import { describe, expect, it } from 'vitest';
import { isRedisClient, isRedisCluster } from '../src/connection.js';
import { RedisBackend, RedisPubSubTransport } from '../src/index.js';

const url = (await requireServer('redis')) ?? '';

// ioredis is a peer dependency: the application's copy (another 5.x, or 6.x) must be accepted,
// which an `instanceof` check against our own copy would refuse.
describe('a client from the application’s own ioredis copy', () => {
  it('is a different class from ours, and is recognised by what it can do', () => {
    const six = new Redis6(url, { lazyConnect: true });
    try {
      expect(six instanceof Redis5).toBe(false);
      expect(isRedisClient(six)).toBe(true);
      expect(isRedisCluster(six as never)).toBe(false);
    } finally {
      six.disconnect();
    }
  });

  it('RedisBackend stores and reads through an ioredis 6 client, and leaves it open on close()', async () => {
    const six = new Redis6(url);
    try {
      const backend = new RedisBackend({ client: six as never, prefix: `copies:${randomUUID()}:` });
      await backend.setWithTtl('k', { n: 6 }, 10_000);
      expect(await backend.get('k')).toEqual({ n: 6 });
      const { value, ttlMs } = (await backend.getWithTtl('k')) ?? {};
      expect(value).toEqual({ n: 6 });
      expect(ttlMs).toBeGreaterThan(9_000);
      await backend.close();
      expect(await six.ping()).toBe('PONG');
    } finally {
      six.disconnect();
    }
  });

  it('RedisPubSubTransport delivers through an ioredis 6 client', async () => {
    const six = new Redis6(url);
    const transport = new RedisPubSubTransport({ client: six as never });
    try {
      const channel = `copies:${randomUUID()}`;
      const received: string[] = [];
      await transport.subscribe(channel, (m) => received.push(m));
      await transport.publish(channel, 'hello');
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).toEqual(['hello']);
    } finally {
      await transport.close();
      six.disconnect();
    }
  });

  it('a TieredCache over an ioredis 6 client round-trips a value', async () => {
    const six = new Redis6(url);
    const cache = new TieredCache<number>({
      tiers: [new RedisBackend({ client: six as never, prefix: `copies:${randomUUID()}:` })],
    });
    try {
      await cache.set('answer', 42);
      expect(await cache.get('answer')).toBe(42);
    } finally {
      await cache.close();
      six.disconnect();
    }
  });

  it('something that is not a client is refused with InvalidOptionError naming what is missing', () => {
    const notAClient = { get() {}, set() {}, status: 'ready', options: {} };
    expect(() => new RedisBackend({ client: notAClient as never })).toThrow(InvalidOptionError);
    expect(() => new RedisBackend({ client: notAClient as never })).toThrow(
      /ioredis 5 or 6.*without call, duplicate/,
    );
    expect(() => new RedisBackend({ client: 'redis://x' as never })).toThrow(/got string/);
  });
});
