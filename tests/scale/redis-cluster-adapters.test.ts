import { randomUUID } from 'node:crypto';
import { type BusTransportStatus, StreamBusTransport, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';
import { eventually, requireGroup } from '@tiercache/test-kit';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const group = await requireGroup('redis-cluster');

/** Lines of `CLIENT LIST` on the node at `port` that match `filter`. */
async function clientsOn(port: number, filter: RegExp): Promise<number> {
  const node = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: true });
  node.on('error', () => undefined);
  try {
    return String(await node.client('LIST'))
      .split('\n')
      .filter((line) => filter.test(line)).length;
  } catch {
    return 0;
  } finally {
    node.disconnect();
  }
}

describe.skipIf(!group)('the Redis adapters on a Redis Cluster', () => {
  const nodes = group?.startupNodes ?? [];
  const admin = new Cluster(nodes);
  admin.on('error', () => undefined);
  beforeAll(() => admin.ping());
  afterAll(() => admin.disconnect());

  /** The port of the master that owns `key` now. */
  async function ownerOf(key: string): Promise<number> {
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
    const owner = admin.slots[slot]?.[0];
    if (!owner) throw new Error(`no owner known for slot ${slot}`);
    return Number(owner.split(':')[1]);
  }

  it('a blocking read blocks on the master owning the stream key; abort unblocks it there and keeps the connection', async () => {
    const prefix = `scale:${randomUUID()}:`;
    const stream = new RedisStream({ cluster: { nodes }, prefix });
    try {
      const owner = await ownerOf(`${prefix}s`);
      const controller = new AbortController();
      const pending = stream.streamRead('s', '$', 10, { blockMs: 10_000, signal: controller.signal });
      await eventually(async () => (await clientsOn(owner, / flags=\S*b/)) === 1);
      controller.abort();
      expect(await pending).toEqual([]);
      await eventually(async () => (await clientsOn(owner, / flags=\S*b/)) === 0);
      // CLIENT UNBLOCK reached the node that blocked: the connection went back to the pool.
      expect(stream.blockingConnections).toBe(1);
      // A blocking read is woken by an entry added on its master.
      const next = stream.streamRead('s', '$', 10, { blockMs: 10_000 });
      await eventually(async () => (await clientsOn(owner, / flags=\S*b/)) === 1);
      const id = await stream.streamAdd('s', [['f', 'v']]);
      expect((await next).map((e) => e.id)).toEqual([id]);
    } finally {
      await stream.close();
    }
  });

  it('a blocking read right after a failover moved its stream reaches the new master (MOVED is followed)', async () => {
    const prefix = `scale:${randomUUID()}:`;
    const stream = new RedisStream({ cluster: { nodes }, prefix, timeoutMs: 2000 });
    try {
      await stream.streamAdd('s', [['n', '1']]);
      const oldMaster = await ownerOf(`${prefix}s`);
      // The stream's replica takes over by a manual failover: no node dies, the slot table of
      // every client is stale until it refreshes, and the old master answers MOVED.
      const lines = String(await admin.call('CLUSTER', 'NODES'))
        .split('\n')
        .map((line) => line.split(' '));
      const masterId = lines.find((f) => f[1]?.startsWith(`127.0.0.1:${oldMaster}@`))?.[0];
      const replicaAddress = lines.find((f) => f[2]?.includes('slave') && f[3] === masterId)?.[1];
      const replicaPort = Number(replicaAddress?.split('@')[0]?.split(':')[1] ?? 0);
      expect(replicaPort).not.toBe(0);
      const replica = new Redis(replicaPort, '127.0.0.1');
      try {
        await replica.call('CLUSTER', 'FAILOVER');
        await eventually(async () => String(await replica.call('ROLE')).startsWith('master'), {
          timeoutMs: 20_000,
        });
      } finally {
        replica.disconnect();
      }
      const next = stream.streamRead('s', '$', 10, { blockMs: 10_000 });
      await eventually(async () => (await clientsOn(replicaPort, / flags=\S*b/)) === 1, {
        timeoutMs: 20_000,
      });
      const id = await stream.streamAdd('s', [['n', '2']]);
      expect((await next).map((e) => e.id)).toEqual([id]);
      await eventually(() => group!.healthy(), { timeoutMs: 60_000 });
    } finally {
      await stream.close();
    }
  }, 90_000);

  it('the Streams bus keeps delivering after the master holding its stream is killed', async () => {
    const prefix = `scale:${randomUUID()}:`;
    const channel = `${prefix}bus`;
    const make = () =>
      new TieredCache<string>({
        tiers: [
          new LruBackend<string>({ maxEntries: 1000 }),
          new RedisBackend<string>({ cluster: { nodes }, prefix, commandTimeoutMs: 500 }),
        ],
        bus: {
          transport: new StreamBusTransport(
            new RedisStream({ cluster: { nodes }, prefix: `${prefix}stream:`, timeoutMs: 500 }),
            { blockMs: 200, retryMinMs: 50, retryMaxMs: 200 },
          ),
          channel,
        },
        ttl: '1m',
      });
    const a = make();
    const b = make();
    try {
      await Promise.all([a.ready(), b.ready()]);
      await a.set('k1', 'old', { broadcast: false });
      expect(await b.get('k1')).toBe('old');
      await a.invalidate('k1');
      await eventually(async () => (await b.get('k1')) === undefined);

      const owner = await ownerOf(`${prefix}stream:${channel}`);
      const handle = group!.nodes.find((n) => n.url.endsWith(`:${owner}`))!;
      await handle.kill();
      try {
        // The replica takes over the bus stream's slot.
        await eventually(() => group!.healthy().catch(() => false), { timeoutMs: 40_000 });
        // Then an invalidation on A reaches B as a bus message again (not only as the L1
        // clear a disconnected reader causes): B's applied count grows.
        await eventually(
          async () => {
            await a.set('k2', 'old', { broadcast: false }).catch(() => undefined);
            if ((await b.get('k2').catch(() => undefined)) !== 'old') return false;
            const applied = b.stats().bus.applied;
            await a.invalidate('k2').catch(() => undefined);
            for (let i = 0; i < 50; i++) {
              if (b.stats().bus.applied > applied && (await b.get('k2').catch(() => 'error')) === undefined) {
                return true;
              }
              await new Promise((r) => setTimeout(r, 20));
            }
            return false;
          },
          { timeoutMs: 40_000 },
        );
      } finally {
        await handle.start();
        await eventually(() => group!.healthy(), { timeoutMs: 60_000 });
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);

  it('consumer groups on streams that live on different masters', async () => {
    const prefix = `scale:${randomUUID()}:`;
    const stream = new RedisStream({ cluster: { nodes }, prefix });
    try {
      // Names chosen so the three stream keys hash to three different masters.
      const names: string[] = [];
      const owners = new Set<number>();
      for (let i = 0; owners.size < 3 && i < 200; i++) {
        const owner = await ownerOf(`${prefix}s${i}`);
        if (!owners.has(owner)) {
          owners.add(owner);
          names.push(`s${i}`);
        }
      }
      expect(owners.size).toBe(3);
      for (const name of names) {
        expect(await stream.createGroup(name, 'g', '0')).toBe(true);
        expect(await stream.createGroup(name, 'g', '0')).toBe(false);
        const ids = [await stream.streamAdd(name, [['n', '1']]), await stream.streamAdd(name, [['n', '2']])];
        const read = await stream.readGroup(name, 'g', 'c1', 10, { blockMs: 1000 });
        expect(read.map((e) => e.id)).toEqual(ids);
        expect((await stream.pending(name, 'g')).count).toBe(2);
        expect(await stream.ack(name, 'g', ...ids)).toBe(2);
        expect((await stream.pending(name, 'g')).count).toBe(0);
      }
    } finally {
      await stream.close();
    }
  });

  it('the pub/sub transport takes { cluster }; when its subscriber node dies it reports disconnected, moves on and delivers again', async () => {
    const channel = `scale:${randomUUID()}:bus`;
    const publisher = new RedisPubSubTransport({ cluster: { nodes } });
    const subscriber = new RedisPubSubTransport({ cluster: { nodes } });
    const received: string[] = [];
    const statuses: BusTransportStatus['kind'][] = [];
    try {
      await subscriber.subscribe(
        channel,
        (m) => received.push(m),
        (s) => statuses.push(s.kind),
      );
      await publisher.publish(channel, 'one');
      await eventually(() => received.includes('one'));

      // The node the subscriber listens on: the one with a pub/sub client on our channel.
      let port = 0;
      for (const node of group!.startupNodes) {
        if ((await clientsOn(node.port, / sub=1 /)) > 0) port = node.port;
      }
      expect(port).not.toBe(0);
      const handle = group!.nodes.find((n) => n.url.endsWith(`:${port}`))!;
      await handle.kill();
      await eventually(() => statuses.includes('disconnected'));
      await eventually(() => statuses.includes('connected'), { timeoutMs: 20_000 });
      // Publishing may fail while a killed master's replica takes over; retry until it lands.
      await eventually(
        async () => {
          await publisher.publish(channel, 'two').catch(() => undefined);
          return received.includes('two');
        },
        { timeoutMs: 30_000 },
      );
      expect(statuses).toEqual(['disconnected', 'connected']);
      await handle.start();
      await eventually(() => group!.healthy(), { timeoutMs: 60_000 });
    } finally {
      await subscriber.close();
      await publisher.close();
    }
  }, 120_000);
});
