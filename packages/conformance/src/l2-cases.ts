import type { L2CacheBackend } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { assertHasMethods, capabilityCases } from './capability.js';
import { LONG_TTL_MS } from './case-ttl.js';
import type { ResolvedCacheOptions } from './options.js';
import { delay, pollUntil } from './polling.js';
import type { SuiteContext } from './suite-context.js';

/**
 * Register the `getWithTtl` cases. Remaining-TTL bounds are measured against the wall-clock
 * time around the calls plus `ttlToleranceMs`, never a fixed guess, so a slow run widens the
 * window instead of failing. The upper bound has no tolerance on purpose: a tier that reports
 * more time than it was given makes promotions keep entries alive longer than asked.
 */
export function defineL2Cases(ctx: SuiteContext<L2CacheBackend>, o: ResolvedCacheOptions): void {
  const noExpiry = !o.lacks.has('noExpiry');

  /** Write with `ttlMs` and read back; `elapsed` is the time from before the write to after the read. */
  async function writeThenRead(key: string, value: unknown, ttlMs: number | undefined) {
    const started = Date.now();
    await ctx.backend.setWithTtl(key, value, ttlMs);
    const read = await ctx.backend.getWithTtl(key);
    return { read, elapsed: Date.now() - started };
  }

  describe('getWithTtl', () => {
    it('resolves undefined on a miss', async () => {
      await expect(ctx.backend.getWithTtl(ctx.key('l2-miss'))).resolves.toBeUndefined();
    });

    it('right after a write: the value, and a remaining TTL > 0 and <= the TTL written', async () => {
      const { read, elapsed } = await writeThenRead(ctx.key('l2-fresh'), { fresh: true }, LONG_TTL_MS);
      expect(read?.value).toStrictEqual({ fresh: true });
      expect(read?.ttlMs).toBeGreaterThan(0);
      expect(read?.ttlMs).toBeLessThanOrEqual(LONG_TTL_MS);
      expect(read?.ttlMs).toBeGreaterThanOrEqual(LONG_TTL_MS - elapsed - o.ttlToleranceMs);
    });

    it(
      'the remaining TTL goes down as time passes',
      async () => {
        const key = ctx.key('l2-decreasing');
        await ctx.backend.setWithTtl(key, 'ticking', LONG_TTL_MS);
        const t0 = Date.now();
        const first = await ctx.backend.getWithTtl(key);
        const t1 = Date.now();
        await delay(Math.max(o.shortTtlMs, o.ttlToleranceMs * 2));
        const t2 = Date.now();
        const second = await ctx.backend.getWithTtl(key);
        const t3 = Date.now();
        const drop = (first?.ttlMs ?? Number.NaN) - (second?.ttlMs ?? Number.NaN);
        expect(drop, 'remaining TTL did not go down').toBeGreaterThan(0);
        // The server saw the two reads at least t2 - t1 and at most t3 - t0 apart.
        expect(drop).toBeGreaterThanOrEqual(t2 - t1 - o.ttlToleranceMs);
        expect(drop).toBeLessThanOrEqual(t3 - t0 + o.ttlToleranceMs);
      },
      o.ttlCaseTimeoutMs,
    );

    if (noExpiry) {
      it('reports ttlMs undefined for an entry written without a TTL', async () => {
        const { read } = await writeThenRead(ctx.key('l2-forever'), 'forever', undefined);
        expect(read).toStrictEqual({ value: 'forever', ttlMs: undefined });
      });
    } else {
      it('lacks noExpiry: an entry written without a TTL reports a finite TTL (<= maxTtlMs when declared)', async () => {
        const { read } = await writeThenRead(ctx.key('l2-bounded'), 'bounded', undefined);
        expect(read?.value).toBe('bounded');
        expect(read?.ttlMs).toBeGreaterThan(0);
        expect(Number.isFinite(read?.ttlMs)).toBe(true);
        if (ctx.backend.maxTtlMs !== undefined) expect(read?.ttlMs).toBeLessThanOrEqual(ctx.backend.maxTtlMs);
      });
    }

    it('returns a null value with its TTL', async () => {
      const { read, elapsed } = await writeThenRead(ctx.key('l2-null'), null, LONG_TTL_MS);
      expect(read).toBeDefined();
      expect(read?.value).toBeNull();
      expect(read?.ttlMs).toBeLessThanOrEqual(LONG_TTL_MS);
      expect(read?.ttlMs).toBeGreaterThanOrEqual(LONG_TTL_MS - elapsed - o.ttlToleranceMs);
    });

    it('after an overwrite the remaining TTL reflects the new TTL', async () => {
      const key = ctx.key('l2-overwrite');
      const shorter = LONG_TTL_MS / 2;
      await ctx.backend.setWithTtl(key, 'first', LONG_TTL_MS);
      const { read, elapsed } = await writeThenRead(key, 'second', shorter);
      expect(read?.value).toBe('second');
      expect(read?.ttlMs).toBeLessThanOrEqual(shorter);
      expect(read?.ttlMs).toBeGreaterThanOrEqual(shorter - elapsed - o.ttlToleranceMs);
      const longer = await writeThenRead(key, 'third', LONG_TTL_MS);
      expect(longer.read?.ttlMs).toBeGreaterThan(shorter);
      if (noExpiry) {
        const forever = await writeThenRead(key, 'fourth', undefined);
        expect(forever.read).toStrictEqual({ value: 'fourth', ttlMs: undefined });
      }
    });

    it('agrees with get, and misses after remove', async () => {
      const key = ctx.key('l2-remove');
      await ctx.backend.setWithTtl(key, [1, 'two'], LONG_TTL_MS);
      const read = await ctx.backend.getWithTtl(key);
      expect(read?.value).toStrictEqual(await ctx.backend.get(key));
      await ctx.backend.remove(key);
      await expect(ctx.backend.getWithTtl(key)).resolves.toBeUndefined();
    });

    it(
      'misses once the entry has expired',
      async () => {
        const key = ctx.key('l2-expired');
        await ctx.backend.setWithTtl(key, 'x', o.shortTtlMs);
        const expired = await pollUntil(
          async () => (await ctx.backend.getWithTtl(key)) === undefined,
          o.expiryBoundMs,
        );
        expect(
          expired,
          `getWithTtl still returned the entry ${o.expiryBoundMs} ms after a ${o.shortTtlMs} ms TTL`,
        ).toBe(true);
      },
      o.ttlCaseTimeoutMs,
    );
  });

  capabilityCases(
    'guardedWrites',
    o,
    () => ctx.backend,
    () => {
      describe('guarded writes (getWithToken, setIfUnchanged)', () => {
        it('a key never written reads as a miss with a token, and setIfUnchanged with it stores', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'guardedWrites', 'getWithToken', 'setIfUnchanged');
          const key = ctx.key('guard-absent');
          const read = await b.getWithToken(key);
          expect(read.entry).toBeUndefined();
          expect(typeof read.token).toBe('string');
          await expect(b.setIfUnchanged(key, 'first', LONG_TTL_MS, read.token)).resolves.toBe(true);
          expect(await b.get(key)).toBe('first');
        });

        it('a value read with its token: setIfUnchanged replaces it while nothing else wrote the key', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'guardedWrites', 'getWithToken', 'setIfUnchanged');
          const key = ctx.key('guard-same');
          await b.setWithTtl(key, { v: 1 }, LONG_TTL_MS);
          const read = await b.getWithToken(key);
          expect(read.entry?.value).toStrictEqual({ v: 1 });
          expect(read.token).not.toBe('');
          await expect(b.setIfUnchanged(key, { v: 2 }, LONG_TTL_MS, read.token)).resolves.toBe(true);
          expect(await b.get(key)).toStrictEqual({ v: 2 });
        });

        it('a write by someone else since the read: setIfUnchanged resolves false and leaves the newer value', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'guardedWrites', 'getWithToken', 'setIfUnchanged');
          const key = ctx.key('guard-overwritten');
          const read = await b.getWithToken(key);
          await b.setWithTtl(key, 'newer', LONG_TTL_MS);
          await expect(b.setIfUnchanged(key, 'stale', LONG_TTL_MS, read.token)).resolves.toBe(false);
          expect(await b.get(key)).toBe('newer');
          // A different value written since a value was read counts the same way.
          const second = await b.getWithToken(key);
          await b.setWithTtl(key, 'newest', LONG_TTL_MS);
          await expect(b.setIfUnchanged(key, 'stale', LONG_TTL_MS, second.token)).resolves.toBe(false);
          expect(await b.get(key)).toBe('newest');
        });

        it('a delete since the read: the key misses, and setIfUnchanged with a token from before resolves false', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'guardedWrites', 'getWithToken', 'setIfUnchanged');
          const never = ctx.key('guard-deleted-absent');
          const before = await b.getWithToken(never);
          await b.remove(never);
          expect(await b.getWithTtl(never)).toBeUndefined();
          expect(await b.get(never)).toBeUndefined();
          await expect(b.setIfUnchanged(never, 'stale', LONG_TTL_MS, before.token)).resolves.toBe(false);
          const key = ctx.key('guard-deleted');
          await b.setWithTtl(key, 'old', LONG_TTL_MS);
          const read = await b.getWithToken(key);
          await b.remove(key);
          await expect(b.setIfUnchanged(key, 'stale', LONG_TTL_MS, read.token)).resolves.toBe(false);
          expect(await b.get(key)).toBeUndefined();
          // After the delete, a fresh read's token lets the next value in.
          const after = await b.getWithToken(key);
          expect(after.entry).toBeUndefined();
          await expect(b.setIfUnchanged(key, 'next', LONG_TTL_MS, after.token)).resolves.toBe(true);
          expect(await b.get(key)).toBe('next');
        });

        it('a pattern delete or clear since the read: setIfUnchanged resolves false', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'guardedWrites', 'getWithToken', 'setIfUnchanged');
          if (!b.removePattern && !b.clear) return;
          const key = ctx.key('guard-pattern');
          await b.setWithTtl(key, 'old', LONG_TTL_MS);
          const read = await b.getWithToken(key);
          if (b.removePattern) await b.removePattern(`${key}*`);
          else await b.clear!();
          await expect(b.setIfUnchanged(key, 'stale', LONG_TTL_MS, read.token)).resolves.toBe(false);
          expect(await b.get(key)).toBeUndefined();
        });
      });
    },
  );
}
