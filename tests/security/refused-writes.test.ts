// Finding 5's other half: a write the server refuses as invalid must be dropped, never retried
// (it used to be kept as a missed write, and every later write of the process queued behind it
// for ever). Each case runs on a server of its own, whose limits it changes: a memcached with a
// 64 KiB item size limit (below the backend's 1 MiB maxValueBytes, so only the server refuses)
// and a Redis with `proto-max-bulk-len` 1 MB; outages are a TCP proxy cut between cache and server.
import { randomUUID } from 'node:crypto';
import { type CacheEvents, RefusedError, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { eventually, NATIVE_RECIPES, TcpProxy, withArgs } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnServer, startOwnServer } from './own-server.js';

const AFTER = 20;
const after = (i: number) => `after:${i}`;

/** A cache of [LRU, remote] that records the missed writes its remote tier refused; closed with `opened`. */
function cacheOver<V>(remote: MemcachedBackend<V> | RedisBackend<V>, opened: { close(): Promise<void> }[]) {
  const cache = new TieredCache<V>({ tiers: [new LruBackend<V>({ maxEntries: 1000 }), remote], ttl: '1m' });
  opened.push(cache);
  const refused: CacheEvents['write:refused'][] = [];
  cache.on('write:refused', (event) => refused.push(event));
  return { cache, refused, tier: () => cache.stats().tiers[1]! };
}

describe('a memcached that refuses a value over its item size limit (-I 64k)', () => {
  let server: OwnServer;
  let proxy: TcpProxy;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    server = await startOwnServer(
      withArgs(NATIVE_RECIPES.memcached, () => ['-I', '64k', '-o', 'slab_chunk_max=32768']),
      'memcached-64k',
    );
    proxy = await TcpProxy.start('127.0.0.1', server.port);
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((o) => o.close()));
    await proxy?.close();
    await server?.stop();
  });

  function backends() {
    const namespace = `refused-${randomUUID().slice(0, 8)}`;
    const viaProxy = new MemcachedBackend<string>({
      servers: `127.0.0.1:${proxy.port}`,
      namespace,
      timeoutMs: 300,
      retries: 0,
    });
    const direct = new MemcachedBackend<string>({ servers: `127.0.0.1:${server.port}`, namespace });
    opened.push(viaProxy, direct);
    return { viaProxy, direct };
  }

  const big = 'x'.repeat(200 * 1024);

  it('at the call: RefusedError, no tier failure, nothing kept; the next writes land at once', async () => {
    const { viaProxy, direct } = backends();
    const { cache, tier } = cacheOver(viaProxy, opened);
    await cache.set('big', 'small before');
    for (let i = 0; i < 6; i++) await expect(cache.set('big', big)).rejects.toBeInstanceOf(RefusedError);
    expect(tier()).toMatchObject({ breaker: 'closed', pendingWrites: 0, errors: 0 });
    for (let i = 0; i < AFTER; i++) await cache.set(after(i), `v${i}`);
    for (let i = 0; i < AFTER; i++) expect(await direct.get(after(i))).toBe(`v${i}`);
    // As for a value refused before sending: the key is absent from every tier.
    expect(await direct.get('big')).toBeUndefined();
    expect(await cache.get('big')).toBeUndefined();
  });

  it('at replay after an outage: the refused write is dropped with write:refused, the writes behind it land', async () => {
    const { viaProxy, direct } = backends();
    const { cache, refused, tier } = cacheOver(viaProxy, opened);
    await direct.setWithTtl('big', 'the value before the outage', 60_000);
    proxy.cut();
    await cache.set('big', big); // tolerated: kept as a missed write
    for (let i = 0; i < AFTER; i++) await cache.set(after(i), `v${i}`);
    expect(tier().pendingWrites).toBe(AFTER + 1);
    proxy.restore();
    await eventually(() => tier().pendingWrites === 0, { timeoutMs: 20_000 });
    for (let i = 0; i < AFTER; i++) expect(await direct.get(after(i))).toBe(`v${i}`);
    expect(tier().refusedWrites).toBe(1);
    expect(refused).toMatchObject([{ tier: 1, kind: 'set', key: 'big', error: expect.any(RefusedError) }]);
    // The older value must not come back in its place.
    expect(await direct.get('big')).toBeUndefined();
    expect(await cache.get('big')).toBeUndefined();
  });
});

describe('a Redis that refuses a command over proto-max-bulk-len (1 MB)', () => {
  let server: OwnServer;
  let proxy: TcpProxy & { url: string };
  let admin: Redis;
  const opened: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    server = await startOwnServer(NATIVE_RECIPES.redis, 'redis-refusing');
    admin = new Redis({ host: '127.0.0.1', port: server.port });
    await admin.config('SET', 'proto-max-bulk-len', '1mb');
    proxy = await TcpProxy.forUrl(`redis://127.0.0.1:${server.port}`);
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((o) => o.close()));
    admin?.disconnect();
    await proxy?.close();
    await server?.stop();
  });

  function backend() {
    const prefix = `refused:${randomUUID()}:`;
    const redis = new RedisBackend<string>({ url: proxy.url, prefix, timeoutMs: 300 });
    opened.push(redis);
    return { redis, prefix };
  }

  const big = 'x'.repeat(1536 * 1024);

  it('a key holding another type (WRONGTYPE) is a RefusedError: a miss, never a breaker failure', async () => {
    const { redis, prefix } = backend();
    const { cache, tier } = cacheOver(redis, opened);
    const errors: unknown[] = [];
    cache.on('tier:error', ({ error }) => errors.push(error));
    await admin.rpush(`${prefix}list`, 'a', 'b');
    for (let i = 0; i < 6; i++) expect(await cache.get('list')).toBeUndefined();
    expect(errors).toHaveLength(6);
    for (const error of errors) expect(error).toBeInstanceOf(RefusedError);
    expect(tier().breaker).toBe('closed');
  });

  it('at replay after an outage: nothing waits behind the refused value (missed sets are applied as deletes)', async () => {
    const { redis, prefix } = backend();
    const { cache, tier } = cacheOver(redis, opened);
    await admin.set(`${prefix}big`, 'the value before the outage');
    proxy.cut();
    await cache.set('big', big);
    for (let i = 0; i < AFTER; i++) await cache.set(after(i), `v${i}`);
    expect(tier().pendingWrites).toBe(AFTER + 1);
    proxy.restore();
    await eventually(() => tier().pendingWrites === 0, { timeoutMs: 20_000 });
    const other = cacheOver(new RedisBackend<string>({ url: proxy.url, prefix }), opened).cache;
    expect(await other.get('big')).toBeUndefined(); // not the value from before the outage
    for (let i = 0; i < AFTER; i++) await cache.set(`later:${i}`, `v${i}`);
    expect(tier().pendingWrites).toBe(0);
    for (let i = 0; i < AFTER; i++) expect(await other.get(`later:${i}`)).toBe(`v${i}`);
  });

  it('a refusal that depends on the server (OOM) is retried until it passes, never dropped', async () => {
    const { redis, prefix } = backend();
    const { cache, tier } = cacheOver(redis, opened);
    const replayErrors: string[] = [];
    cache.on('tier:error', ({ operation, error }) => {
      if (operation === 'replay') replayErrors.push(String((error as Error).message));
    });
    await admin.set(`${prefix}k`, 'the value before the outage');
    proxy.cut();
    await cache.set('k', 'new');
    proxy.restore();
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      await eventually(() => replayErrors.filter((m) => m.includes('OOM')).length >= 2, {
        timeoutMs: 20_000,
      });
      expect(tier()).toMatchObject({ pendingWrites: 1, refusedWrites: 0 });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await eventually(() => tier().pendingWrites === 0, { timeoutMs: 20_000 });
    expect(tier().refusedWrites).toBe(0);
    expect(await admin.get(`${prefix}k`)).not.toBe('the value before the outage');
  });
});
