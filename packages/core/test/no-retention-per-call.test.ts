import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/miss-heap.mjs', import.meta.url));

/**
 * Nothing is kept per call: 500 000 getOrSet misses (each a factory run) leave the heap where
 * it was, give or take a generous margin (a memory test, not a timing test). On Node 20 a
 * per-run `AbortSignal.any([...])` tied to the cache's long-lived close signal kept ~52 bytes
 * per miss (+20 MB here); the runs now link their signals with listeners they remove.
 * Runs against the built package (`pnpm build`), in a child process with --expose-gc.
 */
it('500 000 getOrSet misses grow the heap by less than 8 MB', async () => {
  const { stdout } = await run(process.execPath, ['--expose-gc', fixture, '500000'], { timeout: 120_000 });
  const result = JSON.parse(stdout) as { misses: number; growth: number; stats: number };
  console.log(`heap growth over ${result.misses} misses: ${(result.growth / 1e6).toFixed(2)} MB`);
  expect(result.stats).toBeGreaterThanOrEqual(550_000);
  expect(result.growth).toBeLessThan(8_000_000);
}, 120_000);
