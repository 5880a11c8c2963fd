/**
 * Scenario 8: bus throughput. One instance invalidates distinct keys at a paced offered rate
 * (above the target) for a fixed time; another instance on the same bus must drop every one of
 * them from its L1. Measured: invalidations per second from the first call to the receiver's
 * last applied key, the receiver's resyncs (a gap clears its whole L1) and the sender's queue
 * overflows (which turn waiting invalidations into one clear); the target is none of either.
 * Sender and receiver share this process, so the figure is also bounded by one core doing both.
 */
import { type BusTransport, StreamBusTransport, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisPubSubTransport } from '@tiercache/l2-redis';
import { KafkaStream } from '@tiercache/stream-kafka';
import { RedisStream } from '@tiercache/stream-redis';
import type { BenchOptions } from '../bench-options.js';
import { now } from '../measure.js';
import { type Contender, measureRounds, type ScenarioResult } from '../scenario.js';
import type { Servers } from '../servers.js';
import { RUN_ID } from '../workload.js';

const OFFERED_PER_S = 120_000;
const TARGET = 100_000;

interface Pair {
  name: string;
  a: TieredCache<number>;
  b: TieredCache<number>;
  applied: number;
  resyncs: number;
  overflows: number;
  messages: number;
}

function makePair(name: string, transport: () => BusTransport): Pair {
  const channel = `bench-bus-${RUN_ID}-${name}`;
  const make = () =>
    new TieredCache<number>({
      tiers: [new LruBackend<number>({ maxEntries: 1000 })],
      bus: { transport: transport(), channel },
    });
  const pair: Pair = { name, a: make(), b: make(), applied: 0, resyncs: 0, overflows: 0, messages: 0 };
  pair.b.on('delete', ({ source }) => {
    if (source === 'bus') pair.applied++;
  });
  return pair;
}

/** Scenario 8. */
export async function runBusThroughput(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  const seconds = options.quick ? 0.5 : 1;
  const count = OFFERED_PER_S * seconds;
  const title = `Bus throughput: one instance invalidates ${count.toLocaleString('en')} distinct keys offered at ${OFFERED_PER_S.toLocaleString('en')}/s; time until another instance applied all`;
  const target = `>= ${TARGET.toLocaleString('en')} invalidations/s on each transport with 0 resyncs (gaps) and 0 overflows`;
  const pairs: Pair[] = [];
  if (servers.redisUrl) {
    const url = servers.redisUrl;
    pairs.push(makePair('redis pub/sub', () => new RedisPubSubTransport({ url })));
    pairs.push(
      makePair(
        'Redis Streams',
        () =>
          new StreamBusTransport(new RedisStream({ url, prefix: `bench:${RUN_ID}:bus:` }), {
            closeStream: true,
            blockMs: 500,
          }),
      ),
    );
  }
  if (servers.kafkaBrokers) {
    const brokers = servers.kafkaBrokers;
    pairs.push(
      makePair(
        'Kafka',
        () =>
          new StreamBusTransport(
            new KafkaStream({ brokers, topicPrefix: `bench-${RUN_ID}.`, logLevel: 'nothing' }),
            { closeStream: true, blockMs: 500 },
          ),
      ),
    );
  }
  if (pairs.length === 0) {
    return {
      id: 8,
      title,
      unit: 'invalidations/s',
      rows: [],
      verdicts: [{ target, met: undefined, detail: 'not run' }],
      skipped: 'neither REDIS_URL nor KAFKA_BROKERS is set',
    };
  }
  try {
    for (const p of pairs) await Promise.all([p.a.ready(), p.b.ready()]);
    let round = 0;
    const contenders: Contender[] = pairs.map((p) => ({
      name: `tiercache bus, ${p.name}`,
      kind: 'tiercache',
      run: async () => {
        const prefix = `r${round++}:`;
        const applied0 = p.applied;
        const sent0 = p.a.stats().bus.sent;
        const resyncs0 = p.b.stats().bus.resyncs;
        const overflows0 = p.a.stats().bus.overflows;
        const started = now();
        let issued = 0;
        let failed: unknown;
        const fail = (error: unknown) => {
          failed = error;
        };
        while (issued < count) {
          const due = Math.min(count, Math.floor(((now() - started) * OFFERED_PER_S) / 1000));
          // Not awaited one by one: the offered rate is the point, and the receiver's count is the measure.
          while (issued < due) p.a.invalidate(`${prefix}${issued++}`).catch(fail);
          await new Promise((r) => setImmediate(r));
        }
        if (failed) throw failed;
        const deadline = Date.now() + 60_000;
        while (p.applied - applied0 < count && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 2));
        const elapsed = now() - started;
        if (p.applied - applied0 < count)
          throw new Error(`${p.name}: ${p.applied - applied0} of ${count} applied in 60 s`);
        p.resyncs += p.b.stats().bus.resyncs - resyncs0;
        p.overflows += p.a.stats().bus.overflows - overflows0;
        p.messages += p.a.stats().bus.sent - sent0;
        return (count * 1000) / elapsed;
      },
      note: () =>
        `resyncs ${p.resyncs}, overflows ${p.overflows}; ${p.messages.toLocaleString('en')} messages over all rounds (warm-up included)`,
    }));
    const rows = await measureRounds(contenders, options.rounds);
    const verdicts = rows.map((row, i) => {
      const p = pairs[i]!;
      const met =
        row.median === undefined ? undefined : row.median >= TARGET && p.resyncs === 0 && p.overflows === 0;
      return {
        target: `${target} — ${p.name}`,
        met,
        detail: `${row.median === undefined ? '-' : Math.round(row.median).toLocaleString('en')} invalidations/s, ${p.resyncs} resyncs, ${p.overflows} overflows`,
      };
    });
    return { id: 8, title, unit: 'invalidations/s', rows, verdicts };
  } finally {
    await Promise.allSettled(pairs.flatMap((p) => [p.a.close(), p.b.close()]));
  }
}
