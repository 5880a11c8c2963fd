// needs lead's tiered-cache change (issue 13 finding 6: the per-run AbortSignal.any in getOrSet).
// Not in the default run (vitest picks up *.test.ts only): rename to getorset-heap.test.ts once
// tiered-cache.ts no longer links a per-run signal to the cache's long-lived one.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./getorset-heap.mjs', import.meta.url));

describe('getOrSet keeps nothing per call (finding 6)', () => {
  it('500 000 misses on distinct keys grow the heap after GC by less than 8 MB (the leak: ~26 MB)', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', script, '500000'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const { growthBytes } = JSON.parse(out.trim().split('\n').pop()!) as { growthBytes: number };
    expect(growthBytes).toBeLessThan(8 * 1024 * 1024);
  }, 180_000);
});
