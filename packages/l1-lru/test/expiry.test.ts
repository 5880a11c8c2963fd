import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LruBackend } from '../src/index.js';

const run = promisify(execFile);
/** The real timer and clock, taken before any test fakes timers. */
const { setTimeout: realSetTimeout, performance: realPerformance } = globalThis;
const realSleep = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms));

/** Busy-wait without yielding, so no timer can run. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await realSleep(5);
  }
  return true;
}

describe('expiry', () => {
  it('an overwrite with a longer TTL is not removed at the old expiry', async () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    await l1.setWithTtl('k', 'old', 20);
    await l1.setWithTtl('k', 'new', 60_000);
    await realSleep(80);
    expect(l1.peek('k')).toBe('new');
    // And an overwrite with a shorter TTL expires at its own time.
    await l1.setWithTtl('j', 'long', 60_000);
    await l1.setWithTtl('j', 'short', 20);
    expect(await until(() => l1.peek('j') === undefined, 5_000)).toBe(true);
  });

  it('never expires early: every read within the TTL of a 2-6 ms entry is a hit', async () => {
    for (const ttlResolutionMs of [0, 1]) {
      const l1 = new LruBackend({ maxEntries: 10, ttlResolutionMs });
      for (let run = 0; run < 200; run++) {
        const ttl = 2 + (run % 5);
        const before = realPerformance.now();
        await l1.setWithTtl('k', run, ttl);
        // Poll with timers free to run until (time before the write) + TTL; a read counts when
        // it ended before that (its own clock reading was earlier still).
        for (;;) {
          const seen = l1.peek('k');
          if (realPerformance.now() >= before + ttl) break;
          expect(seen, `resolution ${ttlResolutionMs}, run ${run}`).toBe(run);
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    }
  }, 20_000);

  it('a fake clock that patches performance.now itself does not skew expiry', async () => {
    const original = performance.now;
    const l1 = new LruBackend({ maxEntries: 10, ttlResolutionMs: 0 });
    // What @sinonjs/fake-timers 15 does: replace now on the original performance object.
    performance.now = () => original.call(performance) + 3_600_000;
    try {
      await l1.setWithTtl('k', 'v', 100);
    } finally {
      performance.now = original;
    }
    expect(l1.peekWithTtl('k')?.ttlMs).toBeLessThanOrEqual(100);
    await realSleep(150);
    expect(l1.peek('k')).toBeUndefined();
  });

  it('ttlResolutionMs 0 checks the clock on every read, even while the event loop is held; remaining-TTL reads always do', async () => {
    const exact = new LruBackend({ maxEntries: 10, ttlResolutionMs: 0 });
    const coarse = new LruBackend({ maxEntries: 10 });
    await exact.setWithTtl('k', 'v', 10);
    await coarse.setWithTtl('k', 'v', 10);
    blockFor(30);
    expect(exact.peek('k')).toBeUndefined();
    expect(exact.peekResolved?.('k')).toBeUndefined();
    // A remaining-TTL read always reads the clock; then the entry is gone for every read.
    expect(coarse.peekWithTtl('k')).toBeUndefined();
    expect(await until(() => coarse.peek('k') === undefined, 5_000)).toBe(true);
  });

  it('does not keep the process alive: a script with entries that expire in an hour exits', async () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = `const { LruBackend } = await import(${JSON.stringify(dist)});
      const l1 = new LruBackend({ maxEntries: 10 });
      await l1.setWithTtl('k', 1, 3_600_000);
      console.log(l1.peek('k'));`;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('1');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('300 000 writes with a long TTL and 300 000 peekResolved reads (one key overwritten; distinct keys evicted) grow the heap by less than 8 MB', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/expiry-heap.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, ['--expose-gc', fixture, '300000'], { timeout: 120_000 });
    const result = JSON.parse(stdout) as {
      writes: number;
      growth: number;
      sizes: number[];
      last: { i: number };
    };
    console.log(`heap growth over 2 x ${result.writes} writes: ${(result.growth / 1e6).toFixed(2)} MB`);
    expect(result.sizes).toStrictEqual([1, 1_000]);
    expect(result.last).toStrictEqual({ i: 299_999 });
    expect(result.growth).toBeLessThan(8_000_000);
  }, 120_000);
});

describe('peekResolved: one frozen promise per write', () => {
  it('hands every read of one write the same frozen promise, and a write a new one', async () => {
    const l1 = new LruBackend<{ n: number }>({ maxEntries: 10 });
    await l1.setWithTtl('k', { n: 1 }, 60_000);
    const first = l1.peekResolved!('k');
    expect(l1.peekResolved!('k')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    await expect(first).resolves.toStrictEqual({ n: 1 });
    await l1.setWithTtl('k', { n: 2 }, 60_000);
    const second = l1.peekResolved!('k');
    expect(second).not.toBe(first);
    await expect(second).resolves.toStrictEqual({ n: 2 });
    await l1.remove('k');
    expect(l1.peekResolved!('k')).toBeUndefined();
  });

  it('gives a thenable value a new promise per read, as Promise.resolve(peek(key)) would', async () => {
    const l1 = new LruBackend<unknown>({ maxEntries: 10 });
    let thens = 0;
    // Defined rather than written as a literal `then` (a lint rule refuses those).
    const thenable = Object.defineProperty({}, 'then', {
      value(resolve: (v: string) => void) {
        thens++;
        resolve('adopted');
      },
    });
    await l1.setWithTtl('t', thenable, 60_000);
    await expect(l1.peekResolved!('t')).resolves.toBe('adopted');
    await expect(l1.peekResolved!('t')).resolves.toBe('adopted');
    expect(thens).toBe(2);
  });

  it('is not offered with clone: structured (each read gets its own copy)', () => {
    expect(new LruBackend({ maxEntries: 10, clone: 'structured' }).peekResolved).toBeUndefined();
    expect(typeof new LruBackend({ maxEntries: 10, clone: 'freeze' }).peekResolved).toBe('function');
  });
});
