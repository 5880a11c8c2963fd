/**
 * Scenario 7: memory. An L1 bounded at 64 MB by bytes is filled with twice that (as counted by
 * its own `sizeOf`), then the heap it holds after a full GC is compared with the bound.
 */
import { TieredCache } from '@tiercache/core';
import { estimateSize, LruBackend } from '@tiercache/l1-lru';
import type { BenchOptions } from '../bench-options.js';
import { collectGarbage } from '../measure.js';
import type { ScenarioResult } from '../scenario.js';
import { type BenchValue, makeValue } from '../workload.js';

const MB = 1024 * 1024;
const BOUND = 64 * MB;

/** Scenario 7. */
export async function runMemory(_options: BenchOptions): Promise<ScenarioResult> {
  const title = 'Memory: L1 bounded at 64 MB by bytes, filled with 2x that';
  const target = 'heap held within 10% of the byte bound';
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === 'function';
  if (!hasGc) {
    return {
      id: 7,
      title,
      unit: 'MB',
      rows: [],
      verdicts: [{ target, met: undefined, detail: 'not run' }],
      skipped: 'node was started without --expose-gc (run it through scripts/bench.sh)',
    };
  }
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  let l1: LruBackend<BenchValue> | undefined = new LruBackend<BenchValue>({ maxBytes: BOUND });
  let cache: TieredCache<BenchValue> | undefined = new TieredCache<BenchValue>({ ttl: '1h', tiers: [l1] });
  let written = 0;
  let entries = 0;
  while (written < 2 * BOUND) {
    const key = `mem:${entries}`;
    const value = makeValue(entries);
    written += estimateSize(value) + key.length * 2;
    await cache.set(key, value);
    entries++;
  }
  collectGarbage();
  const held = process.memoryUsage().heapUsed - before;
  const kept = l1.size;
  const counted = l1.calculatedSize;
  await cache.close();
  cache = undefined;
  l1 = undefined;
  const share = held / BOUND;
  const perEntry = held / kept;
  return {
    id: 7,
    title,
    unit: 'MB',
    rows: [
      {
        name: 'tiercache LruBackend (maxBytes 64 MB), heap held after GC',
        kind: 'tiercache',
        median: held / MB,
        rounds: [held / MB],
        note: `${entries} entries written (${(written / MB).toFixed(0)} MB counted), ${kept} kept, ${(counted / MB).toFixed(1)} MB counted by sizeOf; ${perEntry.toFixed(0)} B of heap per entry kept (estimate ${(counted / kept).toFixed(0)} B)`,
      },
      { name: 'byte bound', kind: 'raw', baseline: true, median: BOUND / MB, rounds: [BOUND / MB] },
    ],
    verdicts: [
      {
        target,
        met: Math.abs(share - 1) <= 0.1,
        detail: `${(held / MB).toFixed(1)} MB held = ${share.toFixed(2)}x the bound`,
      },
    ],
  };
}
