// Attack finding 7 (2026-12-04): MemoryBackend's deletion marks (kept for guarded writes) were
// bounded in time only: 300 000 deletes of distinct keys over MemoryBackend({ maxEntries: 1000 })
// took the heap from 4.1 to 41.2 MB with size 0. Marks are now bounded in count too (at most
// maxEntries, oldest dropped first), and dropping a mark early never lets a stale guarded write in.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../src/index.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/marks-heap.mjs', import.meta.url));

describe('MemoryBackend deletion marks (finding 7)', () => {
  /**
   * A memory test with a generous margin, not a timing test. Runs against the built package
   * (`pnpm build`), in a child process with --expose-gc: 250 000 TieredCache.delete() and as
   * many MemoryBackend.remove() calls of distinct keys (about 60 MB of marks before the fix).
   */
  it('250 000 deletes of distinct keys grow the heap by less than 4 MB', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', fixture, '250000'], { timeout: 120_000 });
    const result = JSON.parse(stdout) as { deletes: number; growth: number; size: number };
    console.log(
      `heap growth over ${result.deletes} deletes (x2 backends): ${(result.growth / 1e6).toFixed(2)} MB`,
    );
    expect(result.deletes).toBe(250_000);
    expect(result.growth).toBeLessThan(4_000_000);
  }, 120_000);

  it('a guarded write read before a write and delete is refused even once that delete mark was dropped', async () => {
    const backend = new MemoryBackend<string>({ maxEntries: 2 });
    const { token } = await backend.getWithToken('k'); // absent
    await backend.setWithTtl('k', 'newer', 60_000);
    await backend.remove('k');
    // More deletes than the backend keeps marks for: k's mark is dropped.
    for (let i = 0; i < 10; i++) await backend.remove(`other${i}`);
    expect(await backend.setIfUnchanged('k', 'stale', 60_000, token)).toBe(false);
    expect(await backend.get('k')).toBeUndefined();
  });

  it('a guarded write read before a write is refused even once maxEntries evicted that write', async () => {
    const backend = new MemoryBackend<string>({ maxEntries: 2 });
    const { token } = await backend.getWithToken('k'); // absent
    await backend.setWithTtl('k', 'newer', 60_000);
    for (let i = 0; i < 5; i++) await backend.setWithTtl(`other${i}`, 'x', 60_000); // evicts k
    expect(await backend.get('k')).toBeUndefined();
    expect(await backend.setIfUnchanged('k', 'stale', 60_000, token)).toBe(false);
  });

  it('a guarded write read after the key was deleted still succeeds when nothing happened since', async () => {
    const backend = new MemoryBackend<string>({ maxEntries: 2 });
    for (let i = 0; i < 10; i++) await backend.remove(`other${i}`);
    const { token } = await backend.getWithToken('fresh');
    expect(await backend.setIfUnchanged('fresh', 'v', 60_000, token)).toBe(true);
    expect(await backend.get('fresh')).toBe('v');
  });
});
