/**
 * Scenario 5: a stampede. 1000 concurrent getOrSet for one cold key, half on each of two
 * instances sharing Redis; the factory takes 20 ms. Counted: factory runs and wall time.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { BenchOptions } from '../bench-options.js';
import { now } from '../measure.js';
import { type CacheUnderTest, createPeer, PEERS } from '../peers.js';
import { type Contender, measureRounds, type ScenarioResult } from '../scenario.js';
import type { Servers } from '../servers.js';
import { createTiercache } from '../tiercache-setup.js';
import { type BenchValue, makeValue, RUN_ID } from '../workload.js';

const CALLERS = 1000;
const FACTORY_MS = 20;

/** Scenario 5. */
export async function runStampede(options: BenchOptions, servers: Servers): Promise<ScenarioResult> {
  const title = `Stampede: ${CALLERS} concurrent getOrSet on one cold key across 2 instances sharing Redis (factory ${FACTORY_MS} ms)`;
  const target = 'exactly 1 factory run across both instances, every round';
  const url = servers.redisUrl;
  if (!url) {
    return {
      id: 5,
      title,
      unit: 'ms wall',
      rows: [],
      verdicts: [{ target, met: undefined, detail: 'not run' }],
      skipped: 'REDIS_URL is not set (start Redis with scripts/services/start.sh redis)',
    };
  }
  const pairs: [CacheUnderTest<BenchValue>, CacheUnderTest<BenchValue>][] = [
    [
      createTiercache<BenchValue>(url, `bench:${RUN_ID}:tc5:`),
      createTiercache<BenchValue>(url, `bench:${RUN_ID}:tc5:`),
    ],
    ...PEERS.map(
      (name) =>
        [
          createPeer<BenchValue>(name, url, `bench-${RUN_ID}-${name}-5`),
          createPeer<BenchValue>(name, url, `bench-${RUN_ID}-${name}-5`),
        ] as [CacheUnderTest<BenchValue>, CacheUnderTest<BenchValue>],
    ),
  ];
  const runsByContender: number[][] = pairs.map(() => []);
  try {
    for (const [a, b] of pairs) {
      await a.ready();
      await b.ready();
    }
    let round = 0;
    const contenders: Contender[] = pairs.map(([a, b], c) => ({
      name: a.name,
      kind: c === 0 ? 'tiercache' : 'peer',
      run: async () => {
        const key = `stampede:${RUN_ID}:${c}:${round++}`;
        let runs = 0;
        const factory = async (): Promise<BenchValue> => {
          runs++;
          await delay(FACTORY_MS);
          return makeValue(runs);
        };
        const started = now();
        const results = await Promise.all(
          Array.from({ length: CALLERS }, (_, i) => (i % 2 === 0 ? a : b).getOrSet(key, factory)),
        );
        const wall = now() - started;
        if (results.some((value) => value === undefined)) throw new Error(`${a.name}: a caller got no value`);
        runsByContender[c]!.push(runs);
        return wall;
      },
      note: () => `factory runs per round (warm-up first): ${runsByContender[c]!.join(', ')}`,
    }));
    const rows = await measureRounds(contenders, options.rounds);
    // The warm-up round is a stampede too, and counts for the verdict.
    const tcRuns = runsByContender[0]!;
    const met = tcRuns.length === 0 ? undefined : tcRuns.every((runs) => runs === 1);
    return {
      id: 5,
      title,
      unit: 'ms wall',
      lowerIsBetter: true,
      rows,
      verdicts: [{ target, met, detail: `tiercache factory runs per round: ${tcRuns.join(', ') || '-'}` }],
    };
  } finally {
    await Promise.allSettled(pairs.flat().map((cache) => cache.close()));
  }
}
