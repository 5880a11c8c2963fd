/**
 * Scenarios 9 and 10: tags, tiercache against BentoCache's tags, both over the same Redis.
 * 9: tagged L2 hit with a cold L1 (scenario 3 with every entry carrying two tags).
 * 10: invalidate one tag carried by 10 000 entries: the call's wall time and the heap it leaves.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { Redis } from 'ioredis';
import type { BenchOptions } from '../bench-options.js';
import { collectGarbage, now, runConcurrent } from '../measure.js';
import { BENCH_TTL_MS, L1_MAX_ENTRIES } from '../peers.js';
import { type Contender, formatRatio, measureRounds, rowRatio, type ScenarioResult } from '../scenario.js';
import type { Servers } from '../servers.js';
import { createTiercache } from '../tiercache-setup.js';
import { type BenchValue, makeKeys, makeValue, RUN_ID } from '../workload.js';

const IN_FLIGHT = 100;
/** Entries carrying the tag scenario 10 invalidates. */
const TAGGED_ENTRIES = 10_000;

/** What both caches do in these scenarios. */
interface TaggingCache {
  name: string;
  get(key: string): Promise<BenchValue | undefined>;
  set(key: string, value: BenchValue, tags?: string[]): Promise<unknown>;
  invalidateTag(tag: string): Promise<unknown>;
  close(): Promise<void>;
}

function tiercache(url: string, prefix: string): TaggingCache {
  const setup = createTiercache<BenchValue>(url, prefix);
  const cache = setup.cache;
  return {
    name: 'tiercache (lru + redis)',
    get: (key) => cache.get(key),
    set: (key, value, tags) => cache.set(key, value, tags ? { tags } : undefined),
    invalidateTag: (tag) => cache.invalidateTags([tag]),
    close: () => cache.close(),
  };
}

/** BentoCache configured as in the other scenarios (memory L1 without serialization, Redis L2). */
function bentocache(url: string, prefix: string): TaggingCache {
  const connection = new Redis(url, { enableAutoPipelining: true });
  const store = bentostore()
    .useL1Layer(memoryDriver({ maxItems: L1_MAX_ENTRIES, serialize: false }))
    .useL2Layer(redisDriver({ connection }));
  const bento = new BentoCache({ default: 'cache', prefix, ttl: BENCH_TTL_MS, stores: { cache: store } });
  return {
    name: 'bentocache',
    get: (key) => bento.get<BenchValue>({ key }) as Promise<BenchValue | undefined>,
    set: (key, value, tags) => bento.set({ key, value, ttl: BENCH_TTL_MS, ...(tags ? { tags } : {}) }),
    invalidateTag: (tag) => bento.deleteByTag({ tags: [tag] }),
    close: async () => {
      await bento.disconnectAll();
      connection.disconnect();
    },
  };
}

type Build = (url: string, prefix: string) => TaggingCache;

function skipped(id: number, title: string, target: string, unit: string): ScenarioResult {
  return {
    id,
    title,
    unit,
    rows: [],
    verdicts: [{ target, met: undefined, detail: 'not run' }],
    skipped: 'REDIS_URL is not set (start Redis with scripts/services/start.sh redis)',
  };
}

/** Scenario 9: tagged L2 hit, cold L1. */
export async function runTaggedL2Hit(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  const title = `Tagged L2 hit, cold L1: ${options.l2Keys} keys with 2 tags each, read once each by a fresh instance, ${IN_FLIGHT} in flight`;
  const target = '>= 0.9x bentocache (tagged); for reference, the same reads untagged';
  const url = servers.redisUrl;
  if (!url) return skipped(9, title, target, 'ops/s');
  const count = options.l2Keys;
  const keys = makeKeys(`s9:${RUN_ID}:`, count);
  const contenders: Contender[] = [];
  const cases: [string, Build, boolean][] = [
    ['tiercache (lru + redis), tagged', tiercache, true],
    ['bentocache, tagged', bentocache, true],
    ['tiercache (lru + redis), untagged', tiercache, false],
  ];
  for (const [index, [name, build, tagged]] of cases.entries()) {
    const prefix = `bench:${RUN_ID}:s9-${index}:`;
    const writer = build(url, prefix);
    await runConcurrent(count, IN_FLIGHT, (i) =>
      writer.set(keys[i]!, makeValue(i), tagged ? [`group:${i % 100}`, 'all'] : undefined),
    );
    await writer.close();
    let least = count;
    contenders.push({
      name,
      kind: index === 1 ? 'peer' : 'tiercache',
      reference: !tagged,
      run: async () => {
        const reader = build(url, prefix);
        let found = 0;
        try {
          const run = await runConcurrent(count, IN_FLIGHT, async (i) => {
            if ((await reader.get(keys[i]!)) !== undefined) found++;
          });
          least = Math.min(least, found);
          return run.opsPerSec;
        } finally {
          await reader.close();
        }
      },
      note: () => (least === count ? `all ${count} reads hit` : `MISSES: only ${least}/${count} hit`),
    });
  }
  const rows = await measureRounds(contenders, options.rounds);
  const vsBento = rowRatio(rows[0], rows[1]);
  const vsUntagged = rowRatio(rows[0], rows[2]);
  return {
    id: 9,
    title,
    unit: 'ops/s',
    rows,
    verdicts: [
      {
        target,
        met: vsBento === undefined ? undefined : vsBento >= 0.9,
        detail: `${formatRatio(vsBento)} bentocache; ${formatRatio(vsUntagged)} untagged`,
      },
    ],
  };
}

/** Scenario 10: invalidate one tag of 10 000 entries (wall time of the call, heap left after it). */
export async function runInvalidateTag(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  const title = `Invalidate a tag of ${TAGGED_ENTRIES} entries (entries written beforehand, untimed); heap retained after GC in the notes`;
  const target = 'time independent of the entry count; every entry a miss afterwards';
  const url = servers.redisUrl;
  if (!url) return skipped(10, title, target, 'ms');
  const contenders: Contender[] = [];
  const allMissed: boolean[] = [];
  const caches: TaggingCache[] = [];
  for (const [index, build] of [tiercache, bentocache].entries()) {
    const heap: number[] = [];
    let round = 0;
    let missed = true;
    const cache = build(url, `bench:${RUN_ID}:s10-${index}:`);
    caches.push(cache);
    const keys = makeKeys('e', TAGGED_ENTRIES);
    contenders.push({
      name: cache.name,
      kind: index === 0 ? 'tiercache' : 'peer',
      run: async () => {
        const tag = `big:${round++}`;
        const prefix = `r${round}:`;
        await runConcurrent(TAGGED_ENTRIES, IN_FLIGHT, (i) =>
          cache.set(prefix + keys[i]!, makeValue(i), [tag]),
        );
        collectGarbage();
        const before = process.memoryUsage().heapUsed;
        const started = now();
        await cache.invalidateTag(tag);
        const elapsed = now() - started;
        collectGarbage();
        heap.push(process.memoryUsage().heapUsed - before);
        for (const i of [0, 4321, TAGGED_ENTRIES - 1]) {
          if ((await cache.get(prefix + keys[i]!)) !== undefined) missed = false;
        }
        allMissed[index] = missed;
        return elapsed;
      },
      note: () => {
        const sorted = [...heap].sort((a, b) => a - b);
        const mid = sorted[Math.floor(sorted.length / 2)] ?? 0;
        return `heap retained ${(mid / 1024).toFixed(0)} KiB (median); ${missed ? 'entries read as misses after it' : 'SOME ENTRIES STILL HIT'}`;
      },
    });
  }
  const rows = await measureRounds(contenders, options.rounds);
  await Promise.all(caches.map((c) => c.close()));
  return {
    id: 10,
    title,
    unit: 'ms',
    lowerIsBetter: true,
    rows,
    verdicts: [
      {
        target,
        met: rows.every((r) => r.median !== undefined) && allMissed.every(Boolean),
        detail: rows.map((r) => `${r.name} ${r.median?.toFixed(2) ?? '-'} ms`).join('; '),
      },
    ],
  };
}
