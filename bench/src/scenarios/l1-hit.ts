/**
 * Scenarios 1 and 2: L1 hits on 1000 hot keys, one awaited call after another.
 * 1 is `get`; 2 is `getOrSet` (the factory runs once per key, in the untimed warm-up).
 */
import { LRUCache } from 'lru-cache';
import type { BenchOptions } from '../bench-options.js';
import { opsSequential, opsSync } from '../measure.js';
import { BENCH_TTL_MS, type CacheUnderTest, createPeer, L1_MAX_ENTRIES, PEERS } from '../peers.js';
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
import { type BenchValue, HOT_KEYS, makeKeys, makeValue, RUN_ID } from '../workload.js';

type Mode = 'get' | 'getOrSet';

/** Scenario 1: L1-hit `get`. */
export function runL1Get(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  return runL1(options, servers, 'get');
}

/** Scenario 2: `getOrSet` on hot keys (L1 hit after the first call). */
export function runL1GetOrSet(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  return runL1(options, servers, 'getOrSet');
}

async function runL1(options: BenchOptions, servers: Servers, mode: Mode): Promise<ScenarioResult> {
  const id = mode === 'get' ? 1 : 2;
  const keys = makeKeys(`bench:${RUN_ID}:s${id}:`, HOT_KEYS);
  const values = keys.map((_, i) => makeValue(i));
  const factoryFor = (i: number) => async (): Promise<BenchValue> => values[i % HOT_KEYS]!;
  const caches: CacheUnderTest<BenchValue>[] = [
    createTiercache<BenchValue>(servers.redisUrl, `bench:${RUN_ID}:tc${id}:`),
    ...PEERS.map((name) => createPeer<BenchValue>(name, servers.redisUrl, `bench-${RUN_ID}-${name}-${id}`)),
  ];
  const raw = new LRUCache<string, BenchValue>({ max: L1_MAX_ENTRIES });
  // The same work as tiercache's L1: every entry has the cache's TTL (lru-cache then checks
  // expiry on each get, which the TTL-less baseline does not). A reference, not the baseline.
  const rawTtl = new LRUCache<string, BenchValue>({ max: L1_MAX_ENTRIES, ttlResolution: 1 });
  try {
    for (const cache of caches) await cache.ready();
    // Fill: every key goes through the cache's own write path once, then every read is an L1 hit.
    for (const cache of caches) {
      for (let i = 0; i < HOT_KEYS; i++) {
        if (mode === 'get') await cache.set(keys[i]!, values[i]!);
        else await cache.getOrSet(keys[i]!, factoryFor(i));
      }
      for (let i = 0; i < HOT_KEYS; i++) {
        if ((await cache.get(keys[i]!)) === undefined)
          throw new Error(`${cache.name}: key ${i} is not a hit`);
      }
    }
    for (let i = 0; i < HOT_KEYS; i++) {
      raw.set(keys[i]!, values[i]!);
      rawTtl.set(keys[i]!, values[i]!, { ttl: BENCH_TTL_MS });
    }

    const ms = options.roundMs;
    const key = (i: number): string => keys[i % HOT_KEYS]!;
    // One round of the raw client doing what the mode does (`getOrSet`: get, and on a miss the factory and a set).
    const rawRound = (lru: LRUCache<string, BenchValue>, ttl?: number): Promise<number> =>
      mode === 'get'
        ? opsSequential((i) => lru.get(key(i)), ms)
        : opsSequential(async (i) => {
            const k = key(i);
            let value = lru.get(k);
            if (value === undefined) {
              value = await factoryFor(i)();
              lru.set(k, value, ttl === undefined ? undefined : { ttl });
            }
            return value;
          }, ms);
    const contenders: Contender[] = caches.map((cache, c) => ({
      name: cache.name,
      kind: c === 0 ? 'tiercache' : 'peer',
      run: () =>
        mode === 'get'
          ? opsSequential((i) => cache.get(key(i)), ms)
          : opsSequential((i) => cache.getOrSet(key(i), factoryFor(i)), ms),
    }));
    contenders.push(
      {
        name: 'raw lru-cache get (awaited)',
        kind: 'raw',
        baseline: true,
        run: () => rawRound(raw),
      },
      {
        name: 'raw lru-cache get, same TTL as tiercache (awaited, reference)',
        kind: 'raw',
        reference: true,
        run: () => rawRound(rawTtl, BENCH_TTL_MS),
      },
      {
        name: 'raw lru-cache get (sync, reference)',
        kind: 'raw',
        reference: true,
        run: async () => opsSync((i) => raw.get(key(i)), ms),
      },
    );
    const rows = await measureRounds(contenders, options.rounds);
    const tc = tiercacheRow(rows);
    const vsRaw = rowRatio(tc, baselineRow(rows));
    const vsSameTtl = rowRatio(
      tc,
      rows.find((r) => r.name.startsWith('raw lru-cache get, same TTL')),
    );
    const best = bestPeerRow(rows);
    const vsPeer = rowRatio(tc, best);
    // Issue 16: the L1 rows must stay where they are while the shared tiers get faster.
    const [minRaw, minPeer] = [0.9, 20];
    return {
      id,
      title:
        mode === 'get'
          ? 'L1 hit, sequential awaited get (1000 hot keys)'
          : 'getOrSet on hot keys (L1 hit), sequential awaited',
      unit: 'ops/s',
      rows,
      verdicts: [
        {
          target: `>= ${minRaw}x raw lru-cache (awaited) and >= ${minPeer}x best peer`,
          met: vsRaw === undefined || vsPeer === undefined ? undefined : vsRaw >= minRaw && vsPeer >= minPeer,
          detail: `${formatRatio(vsRaw)} raw, ${formatRatio(vsPeer)} ${best?.name ?? 'best peer'}; ${formatRatio(vsSameTtl)} raw with the same TTL`,
        },
      ],
    };
  } finally {
    await Promise.allSettled(caches.map((cache) => cache.close()));
  }
}
