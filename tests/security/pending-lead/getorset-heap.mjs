// Child process of getorset-heap.pending.ts (run with --expose-gc): `misses` getOrSet calls on
// distinct keys over a small bounded L1, heap after a full GC before and after; prints JSON.
import { TieredCache } from '../../../packages/core/dist/index.js';
import { LruBackend } from '../../../packages/l1-lru/dist/index.js';

const misses = Number(process.argv[2] ?? 500_000);
const cache = new TieredCache({ tiers: [new LruBackend({ maxEntries: 1000 })], ttl: '1m' });
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const run = async (from, to) => {
  for (let i = from; i < to; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(to, i + 100); j++) batch.push(cache.getOrSet(`k${j}`, async () => j));
    await Promise.all(batch);
  }
};
await run(0, 50_000); // warm-up: JIT, L1 full
const before = heap();
await run(50_000, 50_000 + misses);
const after = heap();
await cache.close();
process.stdout.write(`${JSON.stringify({ misses, before, after, growthBytes: after - before })}\n`);
