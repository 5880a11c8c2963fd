import { randomUUID } from 'node:crypto';
import { type BusTransport, StreamBusTransport, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';
import {
  eventually,
  keysEverywhere,
  type RedisTargetConnection,
  redisAdmin,
  redisConnection,
  requireRedis,
  sleep,
  TcpProxy,
} from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

// The single server here; the kit's Redis Cluster when the scale project runs this file.
const target = await requireRedis();
const url = target?.kind === 'server' ? target.url : undefined;

describe.skipIf(!target)(`two TieredCache instances on one Redis${target?.label ?? ''}`, () => {
  const opened: TieredCache[] = [];
  const connection: RedisTargetConnection = target ? redisConnection(target) : { url: '' };
  const admin = target ? redisAdmin(target) : undefined;
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    admin?.disconnect();
  });

  type Transport = 'pubsub' | 'streams';
  function instance(
    prefix: string,
    transport: Transport,
    busConnection: RedisTargetConnection = connection,
  ): TieredCache<string> {
    const bus: BusTransport =
      transport === 'pubsub'
        ? new RedisPubSubTransport({ ...busConnection })
        : new StreamBusTransport(new RedisStream({ ...busConnection, prefix: `${prefix}stream:` }), {
            blockMs: 200,
            retryMinMs: 50,
            retryMaxMs: 200,
          });
    const cache = new TieredCache<string>({
      tiers: [
        new LruBackend<string>({ maxEntries: 10_000 }),
        new RedisBackend<string>({ ...connection, prefix }),
      ],
      bus: { transport: bus, channel: `${prefix}bus` },
      ttl: '1m',
    });
    opened.push(cache);
    return cache;
  }

  async function pair(transport: Transport) {
    const prefix = `tc-it:${randomUUID()}:`;
    const a = instance(prefix, transport);
    const b = instance(prefix, transport);
    await Promise.all([a.ready(), b.ready()]);
    return { a, b, prefix };
  }

  describe.each(['pubsub', 'streams'] as const)('with the %s transport', (transport) => {
    it('invalidate on A: B stops returning the old value', async () => {
      const { a, b } = await pair(transport);
      await a.set('product:1', 'old', { broadcast: false });
      expect(await b.get('product:1')).toBe('old'); // promoted into B's L1
      await a.invalidate('product:1');
      await eventually(async () => (await b.get('product:1')) === undefined);
    });

    it('invalidatePattern, clear and a broadcast set reach B', async () => {
      const { a, b } = await pair(transport);
      for (const k of ['user:1', 'user:2', 'order:1']) await a.set(k, `${k}-v1`, { broadcast: false });
      for (const k of ['user:1', 'user:2', 'order:1']) expect(await b.get(k)).toBe(`${k}-v1`);

      await a.invalidatePattern('user:*');
      await eventually(
        async () => (await b.get('user:1')) === undefined && (await b.get('user:2')) === undefined,
      );
      expect(await b.get('order:1')).toBe('order:1-v1');

      await a.set('order:1', 'order:1-v2', { broadcast: true });
      await eventually(async () => (await b.get('order:1')) === 'order:1-v2');

      await a.clear();
      await eventually(async () => (await b.get('order:1')) === undefined);
      expect(b.stats().bus.applied).toBeGreaterThanOrEqual(3);
    });
  });

  // A TCP proxy cuts one instance off one server; on a cluster, the scale suite kills nodes instead.
  if (url)
    it.each(['streams', 'pubsub'] as const)(
      'replay (%s): B is cut off while A invalidates 100 keys; after reconnecting B serves none of them',
      async (transport) => {
        const prefix = `tc-it:${randomUUID()}:`;
        const server = new URL(url);
        const proxy = await TcpProxy.start(server.hostname, Number(server.port));
        const a = instance(prefix, transport);
        const b = instance(prefix, transport, { url: `redis://127.0.0.1:${proxy.port}` });
        await Promise.all([a.ready(), b.ready()]);
        for (let i = 0; i < 100; i++) await a.set(`k${i}`, `old${i}`, { broadcast: false });
        for (let i = 0; i < 100; i++) expect(await b.get(`k${i}`)).toBe(`old${i}`);

        proxy.cut(); // B's bus connection (and only B's) is gone
        await sleep(300);
        for (let i = 0; i < 100; i++) await a.invalidate(`k${i}`);
        expect(await b.get('k0')).toBe('old0'); // stale in B's L1: B could not hear about it
        proxy.restore();

        await eventually(
          async () => {
            for (let i = 0; i < 100; i++) if ((await b.get(`k${i}`)) !== undefined) return false;
            return true;
          },
          { timeoutMs: 20_000 },
        );
        if (transport === 'streams') {
          // Caught up by replaying what it missed, not by dropping its whole L1.
          await eventually(() => b.stats().bus.applied >= 100);
          expect(b.stats().bus.resyncs).toBe(0);
        } else {
          // Pub/sub cannot replay: the bus cleared B's L1 on reconnect.
          expect(b.stats().bus.resyncs).toBeGreaterThanOrEqual(1);
        }
        await proxy.close();
      },
      40_000,
    );

  it('1000 concurrent getOrSet calls for one cold key across two instances run the factory once', async () => {
    const prefix = `tc-it:${randomUUID()}:`;
    const make = () => {
      const cache = new TieredCache<string>({
        tiers: [
          new LruBackend<string>({ maxEntries: 100 }),
          new RedisBackend<string>({ ...connection, prefix }),
        ],
      });
      opened.push(cache);
      return cache;
    };
    const a = make();
    const b = make();
    let runs = 0;
    const factory = async () => {
      runs++;
      await sleep(50);
      return 'computed once';
    };
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).getOrSet('cold', factory)),
    );
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['computed once']));
    expect(a.stats().factoryRuns + b.stats().factoryRuns).toBe(1);
  });

  it('when the lock holder stops mid-factory, another instance runs the factory after the lease expires', async () => {
    const prefix = `tc-it:${randomUUID()}:`;
    const make = () => {
      const cache = new TieredCache<string>({
        tiers: [
          new LruBackend<string>({ maxEntries: 100 }),
          new RedisBackend<string>({ ...connection, prefix }),
        ],
        lock: { lease: 800 },
      });
      opened.push(cache);
      return cache;
    };
    const holder = make();
    const other = make();
    let holderStarted = false;
    // The holder's factory never finishes, as if its process had hung or died holding the lock.
    void holder
      .getOrSet('k', () => {
        holderStarted = true;
        return new Promise<string>(() => undefined);
      })
      .catch(() => undefined);
    await eventually(() => holderStarted);
    const lockKeys = await keysEverywhere(admin!, `${prefix}*`);
    expect(lockKeys.some((k) => k.includes('lock'))).toBe(true);
    let otherRuns = 0;
    const value = await other.getOrSet('k', async () => {
      otherRuns++;
      return 'taken over';
    });
    expect(value).toBe('taken over');
    expect(otherRuns).toBe(1);
  });
});
