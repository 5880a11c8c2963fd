import { randomUUID } from 'node:crypto';
import { jsonSerializer, type Serializer, TieredCache, v8Serializer } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const memcachedServers = await requireServer('memcached');

const value = () => ({
  at: new Date('2026-11-29T12:00:00.000Z'),
  tags: new Set(['a', 'b']),
  byId: new Map([[1, 'one']]),
  missing: Number.NaN,
  big: 2n ** 70n,
  negativeZero: -0,
  nothing: undefined,
  pattern: /x+/g,
});

const tiers: [string, (serializer: Serializer, ns: string) => RedisBackend | MemcachedBackend][] = [];
if (redisUrl)
  tiers.push([
    'redis',
    (serializer, ns) => new RedisBackend({ url: redisUrl, prefix: `${ns}:`, serializer }),
  ]);
if (memcachedServers)
  tiers.push([
    'memcached',
    (serializer, ns) => new MemcachedBackend({ servers: memcachedServers, namespace: ns, serializer }),
  ]);

describe.each(tiers)('values through %s, as another instance reads them', (_name, shared) => {
  const opened: TieredCache[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
  });
  const pair = (serializer: Serializer) => {
    const ns = `sv-${randomUUID().slice(0, 8)}`;
    const make = () =>
      new TieredCache({ tiers: [new LruBackend({ maxEntries: 10 }), shared(serializer, ns)], ttl: '1m' });
    const [a, b] = [make(), make()];
    opened.push(a, b);
    return { a, b };
  };

  it('v8Serializer: Date, Set, Map, NaN, BigInt, -0, undefined properties and RegExp come back as written', async () => {
    const { a, b } = pair(v8Serializer);
    await a.set('k', value());
    expect(await a.get('k')).toEqual(value()); // L1
    const read = (await b.get('k')) as ReturnType<typeof value>;
    expect(read).toEqual(value());
    expect(Object.is(read.negativeZero, -0)).toBe(true);
    expect('nothing' in read).toBe(true);
  });

  it('JSON (the default) changes them, which is why the docs point to v8Serializer', async () => {
    const { a, b } = pair(jsonSerializer);
    const { big: _big, ...jsonable } = value();
    await a.set('k', jsonable);
    expect(await b.get('k')).toEqual({
      at: '2026-11-29T12:00:00.000Z',
      tags: {},
      byId: {},
      missing: null,
      negativeZero: 0,
      pattern: {},
    });
  });
});

describe('v8Serializer on its own', () => {
  it('refuses functions and undefined with SerializationError and garbage bytes with DeserializationError', () => {
    expect(() => v8Serializer.serialize(() => 1)).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_SERIALIZE' }),
    );
    expect(() => v8Serializer.serialize(undefined)).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_SERIALIZE' }),
    );
    expect(() => v8Serializer.deserialize(new Uint8Array([1, 2, 3]))).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_DESERIALIZE' }),
    );
  });
});
