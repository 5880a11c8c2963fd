import { randomUUID } from 'node:crypto';
import { type BusTransport, StreamBusTransport, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';
import { eventually, requireServer, sleep, TcpProxy } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FiguresRecorder } from './figures.js';
import { UnhandledRejections } from './unhandled-rejections.js';

const url = await requireServer('redis');

const KEYS = 40;
/** How long B's bus stays cut while A writes and invalidates. */
const CUT_MS = 1500;

interface Instance {
  cache: TieredCache<string>;
  l1: LruBackend<string>;
}

/** Which bus transport a scenario uses. */
interface TransportKind {
  name: string;
  /** `true` when the transport replays what was missed (streams); `false` = resync (pub/sub). */
  replays: boolean;
  /** A transport on `busUrl`; its connections carry the client name `connectionName`. */
  make: (busUrl: string, tag: string, connectionName: string) => BusTransport;
}

const transports: TransportKind[] = [
  {
    name: 'redis-streams bus',
    replays: true,
    make: (busUrl, tag, connectionName) =>
      new StreamBusTransport(
        new RedisStream({
          url: busUrl,
          redis: { connectionName },
          prefix: `faults:bus:${tag}:`,
          commandTimeoutMs: 500,
        }),
        { blockMs: 300, retryMinMs: 50, retryMaxMs: 500 },
      ),
  },
  {
    name: 'redis-pubsub bus',
    replays: false,
    make: (busUrl, _tag, connectionName) =>
      new RedisPubSubTransport({ url: busUrl, redis: { connectionName }, commandTimeoutMs: 500 }),
  },
];

/** How B's bus is cut for {@link CUT_MS}, while A and B's L2 keep talking to Redis. */
interface CutMethod {
  name: string;
  /**
   * `true` when nothing gets through while cut (the proxy). Killing connections only churns
   * them: the client reconnects within milliseconds, and some messages get through between kills.
   */
  holds: boolean;
  /** Prepare for one scenario; returns the URL B's bus connects to. */
  setUp: () => Promise<string>;
  /** Cut B's bus connections (named `connectionName`) and keep them cut until `heal`. */
  cut: (connectionName: string) => void;
  heal: () => Promise<void>;
  /** How many connection attempts the cut turned away or killed. */
  casualties: () => number;
  tearDown: () => Promise<void>;
}

describe.skipIf(!url)("another instance invalidates while B's bus connection is cut", () => {
  const figures = new FiguresRecorder();
  const { hostname, port } = new URL(url ?? 'redis://127.0.0.1:6379');
  let admin: Redis;

  beforeAll(() => {
    admin = new Redis(url!);
  });

  afterAll(() => {
    admin.disconnect();
    figures.flush();
  });

  /** Kill every connection named `name` (CLIENT LIST + CLIENT KILL ID); resolves how many. */
  async function killNamed(name: string): Promise<number> {
    const list = String(await admin.client('LIST'));
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.client('KILL', 'ID', id).catch(() => undefined);
    return ids.length;
  }

  /** A TCP proxy in front of Redis for B's bus only: cut = close its sockets and refuse new ones. */
  function proxyCut(): CutMethod {
    let proxy: TcpProxy | undefined;
    return {
      name: 'proxy cut',
      holds: true,
      setUp: async () => {
        proxy = await TcpProxy.start(hostname, Number(port));
        return `redis://127.0.0.1:${proxy.port}`;
      },
      cut: () => proxy!.cut(),
      heal: async () => proxy!.restore(),
      casualties: () => proxy!.refused,
      tearDown: async () => {
        proxy?.restore();
        await proxy?.close();
      },
    };
  }

  /**
   * `CLIENT KILL ID` of B's named bus connections, again every 20 ms for the whole cut: one
   * kill alone lasts only until the client reconnects (tens of ms).
   */
  function clientKillCut(): CutMethod {
    let killed = 0;
    let killing: Promise<void> | undefined;
    let stop = false;
    return {
      name: 'CLIENT KILL every 20 ms',
      holds: false,
      setUp: async () => url!,
      cut: (connectionName) => {
        stop = false;
        killing = (async () => {
          const until = Date.now() + 30_000; // bounded even if heal is never called
          while (!stop && Date.now() < until) {
            killed += await killNamed(connectionName);
            await sleep(20);
          }
        })();
      },
      heal: async () => {
        stop = true;
        await killing;
      },
      casualties: () => killed,
      tearDown: async () => {
        stop = true;
        await killing;
      },
    };
  }

  function instance(kind: TransportKind, busUrl: string, prefix: string, channel: string, tag: string) {
    const l1 = new LruBackend<string>({ maxEntries: 1000 });
    const connectionName = `faults-bus-${tag}-${randomUUID().slice(0, 8)}`;
    const cache = new TieredCache<string>({
      ttl: '10m',
      tiers: [l1, { backend: new RedisBackend<string>({ url: url!, prefix }), timeout: 1000 }],
      bus: { transport: kind.make(busUrl, tag, connectionName), channel, retryMs: 100 },
    });
    return { cache, l1, connectionName };
  }

  for (const makeCut of [proxyCut, clientKillCut]) {
    for (const kind of transports) {
      const scenario = `${kind.name}, ${makeCut().name}`;
      it(`${scenario}: after the cut heals, B serves none of the stale L1 entries`, async () => {
        const method = makeCut();
        const busUrl = await method.setUp();
        const tag = randomUUID();
        const prefix = `faults:${tag}:`;
        const channel = `faults:bus:${tag}`;
        const a: Instance = instance(kind, url!, prefix, channel, tag);
        // Only B's bus is cut: its L2 reads stay direct, so the fault is the bus alone.
        const b = instance(kind, busUrl, prefix, channel, tag);
        const unhandled = new UnhandledRejections().start();
        const keys = Array.from({ length: KEYS }, (_, i) => `k:${i}`);
        try {
          await Promise.all([a.cache.ready(), b.cache.ready()]);
          for (const key of keys) await a.cache.set(key, 'v1');
          // A's sets are broadcast; let them reach B before B reads, or they would drop B's copies later.
          await eventually(() => b.cache.stats().bus.applied >= KEYS, {
            message: "A's sets to reach B over the bus",
          });
          for (const key of keys) expect(await b.cache.get(key)).toBe('v1');
          expect(
            keys.every((key) => b.l1.peek(key) === 'v1'),
            "B's L1 holds every key",
          ).toBe(true);

          const errorsBefore = b.cache.stats().bus.errors;
          const appliedBefore = b.cache.stats().bus.applied;
          method.cut(b.connectionName);
          await eventually(() => b.cache.stats().bus.errors > errorsBefore, {
            message: "B's bus to notice the cut",
          });

          // A updates half the keys and invalidates the other half while B cannot hear it.
          const updated = keys.slice(0, KEYS / 2);
          const invalidated = keys.slice(KEYS / 2);
          for (const key of updated) await a.cache.set(key, 'v2');
          for (const key of invalidated) await a.cache.invalidate(key);
          const staleDuringCut = keys.filter((key) => b.l1.peek(key) === 'v1').length;
          await sleep(CUT_MS);
          await method.heal();
          const healedAt = Date.now();

          // The figures are recorded whether or not it healed; the failure is asserted after that.
          const stillStale = await eventually(
            async () => {
              for (const key of keys) if ((await b.cache.get(key)) === 'v1') return false;
              return true;
            },
            {
              timeoutMs: 15_000,
              intervalMs: 25,
              message: 'B to stop serving the values A changed during the cut',
            },
          ).then(
            () => undefined,
            (error: unknown) => error,
          );
          const stats = b.cache.stats();
          figures.record(scenario, {
            notes: {
              keys: KEYS,
              cutMs: CUT_MS,
              staleInBL1DuringCut: staleDuringCut,
              healedAfterMs: Date.now() - healedAt,
              busErrors: stats.bus.errors,
              appliedAfterCut: stats.bus.applied - appliedBefore,
              resyncs: stats.bus.resyncs,
              connectionsRefusedOrKilled: method.casualties(),
              unhandledRejections: unhandled.reasons.length,
            },
          });

          // The cut was real: B's connections were refused or killed, and (for a cut that holds)
          // B still held the old values while A changed them.
          expect(method.casualties(), 'B lost connections during the cut').toBeGreaterThan(0);
          if (method.holds) expect(staleDuringCut).toBe(KEYS);
          expect(stillStale, 'B stopped serving stale values once its bus was back').toBeUndefined();
          for (const key of updated) expect(await b.cache.get(key)).toBe('v2');
          for (const key of invalidated) expect(await b.cache.get(key)).toBeUndefined();
          if (kind.replays) {
            // Streams replay what was published during the cut: B applied A's messages.
            expect(stats.bus.applied - appliedBefore).toBeGreaterThanOrEqual(KEYS);
          } else {
            // Pub/sub lost those messages: B recovers by clearing its local tiers on reconnect.
            expect(stats.bus.resyncs).toBeGreaterThan(0);
          }
          expect(unhandled.describe()).toEqual([]);
        } finally {
          unhandled.stop();
          await method.tearDown();
          await Promise.allSettled([a.cache.close(), b.cache.close()]);
          // The bus streams have no TTL: remove them so runs do not pile up on the server.
          const streams = await admin.keys(`faults:bus:${tag}:*`);
          if (streams.length > 0) await admin.del(...streams);
        }
      }, 60_000);
    }
  }
});
