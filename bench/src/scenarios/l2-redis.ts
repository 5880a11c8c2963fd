/**
 * Scenarios 3 and 4, against Redis with 100 calls in flight.
 * 3: L2 hit with a cold L1 — keys written by one instance, each read once by a fresh one.
 * 4: tiered set (L1 + Redis).
 */
import { Redis } from 'ioredis';
import type { BenchOptions } from '../bench-options.js';
import { LatencySamples, runConcurrent } from '../measure.js';
import { BENCH_TTL_MS, type CacheUnderTest, createPeer, PEERS } from '../peers.js';
import {
  baselineRow,
  bestPeerRow,
  type Contender,
  formatRatio,
  measureRounds,
  rowRatio,
  type ScenarioResult,
  tiercacheRow,
} from '../scenario.js';
import type { Servers } from '../servers.js';
import { createTiercache } from '../tiercache-setup.js';
import { type BenchValue, makeKeys, makeValue, RUN_ID } from '../workload.js';

/** Calls in flight in scenarios 3 and 4. */
const IN_FLIGHT = 100;

type Factory = () => CacheUnderTest<BenchValue>;

/** The contenders of 3 and 4 as factories (the readers of 3 are built fresh every round). */
function cacheFactories(redisUrl: string, id: number): Factory[] {
  return [
    () => createTiercache<BenchValue>(redisUrl, `bench:${RUN_ID}:tc${id}:`),
    ...PEERS.map((name) => () => createPeer<BenchValue>(name, redisUrl, `bench-${RUN_ID}-${name}-${id}`)),
  ];
}

function skipped(id: number, title: string, target: string): ScenarioResult {
  return {
    id,
    title,
    unit: 'ops/s',
    rows: [],
    verdicts: [{ target, met: undefined, detail: 'not run' }],
    skipped: 'REDIS_URL is not set (start Redis with scripts/services/start.sh redis)',
  };
}

/** Scenario 3: L2 hit with a cold L1. */
export async function runL2Hit(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  const title = `L2 hit, cold L1: ${options.l2Keys} keys read once each by a fresh instance, ${IN_FLIGHT} in flight`;
  const target = '>= 1.0x raw ioredis GET + JSON.parse (auto-pipelined) and ahead of every peer';
  const latencyTarget = `p99 per read at ${IN_FLIGHT} in flight <= 1.2x raw's p99`;
  const url = servers.redisUrl;
  if (!url) return skipped(3, title, target);
  const count = options.l2Keys;
  const keys = makeKeys(`s3:${RUN_ID}:`, count);
  const values = keys.map((_, i) => makeValue(i));

  const contenders: Contender[] = [];
  for (const [c, factory] of cacheFactories(url, 3).entries()) {
    // The writer fills the shared tier once; every round reads through a brand-new instance.
    const writer = factory();
    await writer.ready();
    await runConcurrent(count, IN_FLIGHT, (i) => writer.set(keys[i]!, values[i]!));
    const name = writer.name;
    await writer.close();
    const hits: number[] = [];
    const latencies = new LatencySamples();
    contenders.push({
      name,
      kind: c === 0 ? 'tiercache' : 'peer',
      latencies,
      run: async () => {
        const reader = factory();
        await reader.ready();
        let found = 0;
        try {
          const run = await runConcurrent(
            count,
            IN_FLIGHT,
            async (i) => {
              if ((await reader.get(keys[i]!)) !== undefined) found++;
            },
            undefined,
            latencies,
          );
          hits.push(found);
          return run.opsPerSec;
        } finally {
          await reader.close();
        }
      },
      note: () =>
        [
          hitNote(hits, count),
          // Said in the table because it makes the row do less work than the others.
          name === 'cache-manager' ? 'its get() does not copy L2 hits into its L1' : '',
        ]
          .filter(Boolean)
          .join('; '),
    });
  }
  const rawPrefix = `bench:${RUN_ID}:raw3:`;
  const filler = new Redis(url, { enableAutoPipelining: true });
  await runConcurrent(count, IN_FLIGHT, (i) =>
    filler.set(rawPrefix + keys[i]!, JSON.stringify(values[i]!), 'PX', BENCH_TTL_MS),
  );
  filler.disconnect();
  const rawHits: number[] = [];
  const rawLatencies = new LatencySamples();
  contenders.push({
    name: 'raw ioredis GET + JSON.parse',
    kind: 'raw',
    baseline: true,
    latencies: rawLatencies,
    run: async () => {
      const client = new Redis(url, { enableAutoPipelining: true });
      await client.ping();
      let found = 0;
      try {
        const run = await runConcurrent(
          count,
          IN_FLIGHT,
          async (i) => {
            const raw = await client.get(rawPrefix + keys[i]!);
            if (raw !== null && JSON.parse(raw) !== undefined) found++;
          },
          undefined,
          rawLatencies,
        );
        rawHits.push(found);
        return run.opsPerSec;
      } finally {
        client.disconnect();
      }
    },
    note: () => hitNote(rawHits, count),
  });
  const rows = await measureRounds(contenders, options.rounds);
  const ours = tiercacheRow(rows);
  const base = baselineRow(rows);
  const best = bestPeerRow(rows);
  const vsRaw = rowRatio(ours, base);
  const vsPeer = rowRatio(ours, best);
  const allHits = rows.every((r) => r.note === undefined || !r.note.includes('MISSES'));
  const p99Ratio = ours?.p99Ms !== undefined && base?.p99Ms ? ours.p99Ms / base.p99Ms : undefined;
  return {
    id: 3,
    title,
    unit: 'ops/s',
    rows,
    verdicts: [
      {
        target,
        met: vsRaw === undefined || vsPeer === undefined ? undefined : vsRaw >= 1 && vsPeer > 1 && allHits,
        detail: `${formatRatio(vsRaw)} raw, ${formatRatio(vsPeer)} ${best?.name ?? 'best peer'}${allHits ? '' : ' (some reads missed)'}`,
      },
      {
        target: latencyTarget,
        met: p99Ratio === undefined ? undefined : p99Ratio <= 1.2,
        detail: `p99 ${ours?.p99Ms?.toFixed(2) ?? '-'} ms vs raw ${base?.p99Ms?.toFixed(2) ?? '-'} ms (${formatRatio(p99Ratio)})`,
      },
    ],
  };
}

function hitNote(hits: readonly number[], count: number): string {
  if (hits.length === 0) return '';
  const least = Math.min(...hits);
  return least === count ? `all ${count} reads hit` : `MISSES: only ${least}/${count} reads hit in a round`;
}

/** Scenario 4: tiered set, L1 + Redis. */
export async function runTieredSet(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  const title = `Tiered set (L1 + Redis), ${IN_FLIGHT} in flight`;
  const target = '>= 0.9x raw ioredis SET PX (auto-pipelined)';
  const url = servers.redisUrl;
  if (!url) return skipped(4, title, target);
  // Keys cycle through a fixed set so a long run rewrites entries instead of growing Redis.
  const distinct = options.l2Keys;
  const keys = makeKeys(`s4:${RUN_ID}:`, distinct);
  const values = keys.map((_, i) => makeValue(i));
  const cap = 5_000_000;
  const caches = cacheFactories(url, 4).map((factory) => factory());
  const raw = new Redis(url, { enableAutoPipelining: true });
  const rawPrefix = `bench:${RUN_ID}:raw4:`;
  try {
    for (const cache of caches) await cache.ready();
    await raw.ping();
    const contenders: Contender[] = caches.map((cache, c) => {
      const latencies = new LatencySamples();
      return {
        name: cache.name,
        kind: c === 0 ? 'tiercache' : 'peer',
        latencies,
        run: async () =>
          (
            await runConcurrent(
              cap,
              IN_FLIGHT,
              (i) => cache.set(keys[i % distinct]!, values[i % distinct]!),
              options.roundMs,
              latencies,
            )
          ).opsPerSec,
      };
    });
    const rawLatencies = new LatencySamples();
    contenders.push({
      name: 'raw ioredis SET PX + JSON.stringify',
      kind: 'raw',
      baseline: true,
      latencies: rawLatencies,
      run: async () =>
        (
          await runConcurrent(
            cap,
            IN_FLIGHT,
            (i) =>
              raw.set(
                rawPrefix + keys[i % distinct]!,
                JSON.stringify(values[i % distinct]!),
                'PX',
                BENCH_TTL_MS,
              ),
            options.roundMs,
            rawLatencies,
          )
        ).opsPerSec,
    });
    const rows = await measureRounds(contenders, options.rounds);
    const vsRaw = rowRatio(tiercacheRow(rows), baselineRow(rows));
    return {
      id: 4,
      title,
      unit: 'ops/s',
      rows,
      verdicts: [
        { target, met: vsRaw === undefined ? undefined : vsRaw >= 0.9, detail: `${formatRatio(vsRaw)} raw` },
      ],
    };
  } finally {
    raw.disconnect();
    await Promise.allSettled(caches.map((cache) => cache.close()));
  }
}
