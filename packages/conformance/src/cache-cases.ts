import type { CacheBackend } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { defineCapabilityCases } from './capability-cases.js';
import { caseTtl, LONG_TTL_MS } from './case-ttl.js';
import type { ResolvedCacheOptions } from './options.js';
import { delay } from './polling.js';
import { largeValue, SAMPLE_VALUES } from './sample-values.js';
import type { SuiteContext } from './suite-context.js';

/**
 * Register every `CacheBackend` case inside the current `describe` block: the methods every
 * backend has, then the optional capabilities (`capability-cases.ts`).
 */
export function defineCacheCases(ctx: SuiteContext<CacheBackend>, o: ResolvedCacheOptions): void {
  const { noExpiry, foreverTtl, expiresWithin } = caseTtl(o);

  describe('basics', () => {
    it('has a non-empty string name', () => {
      expect(typeof ctx.backend.name).toBe('string');
      expect(ctx.backend.name.length).toBeGreaterThan(0);
    });

    it('healthCheck resolves true', async () => {
      await expect(ctx.backend.healthCheck()).resolves.toBe(true);
    });

    it('get of a missing key resolves undefined', async () => {
      await expect(ctx.backend.get(ctx.key('never-written'))).resolves.toBeUndefined();
    });

    it('null is a value: get resolves null, not undefined', async () => {
      const key = ctx.key('null');
      await ctx.backend.setWithTtl(key, null, LONG_TTL_MS);
      await expect(ctx.backend.get(key)).resolves.toBeNull();
    });

    it('overwriting a key replaces its value', async () => {
      const key = ctx.key('overwrite');
      await ctx.backend.setWithTtl(key, { v: 1 }, LONG_TTL_MS);
      await ctx.backend.setWithTtl(key, 'second', LONG_TTL_MS);
      await expect(ctx.backend.get(key)).resolves.toBe('second');
    });

    it('get misses after remove', async () => {
      const key = ctx.key('remove');
      await ctx.backend.setWithTtl(key, 'here', LONG_TTL_MS);
      await ctx.backend.remove(key);
      await expect(ctx.backend.get(key)).resolves.toBeUndefined();
    });

    it('removing a missing key, or the same key twice, resolves', async () => {
      const key = ctx.key('remove-twice');
      await expect(ctx.backend.remove(ctx.key('remove-missing'))).resolves.toBeUndefined();
      await ctx.backend.setWithTtl(key, 1, LONG_TTL_MS);
      await expect(ctx.backend.remove(key)).resolves.toBeUndefined();
      await expect(ctx.backend.remove(key)).resolves.toBeUndefined();
      await expect(ctx.backend.get(key)).resolves.toBeUndefined();
    });

    it('independent keys do not interfere', async () => {
      const a = ctx.key('independent-a');
      const b = ctx.key('independent-b');
      await ctx.backend.setWithTtl(a, 'a1', LONG_TTL_MS);
      await ctx.backend.setWithTtl(b, 'b1', LONG_TTL_MS);
      await ctx.backend.setWithTtl(a, 'a2', LONG_TTL_MS);
      await expect(ctx.backend.get(b)).resolves.toBe('b1');
      await ctx.backend.remove(a);
      await expect(ctx.backend.get(b)).resolves.toBe('b1');
      await expect(ctx.backend.get(a)).resolves.toBeUndefined();
    });
  });

  describe('TTL', () => {
    it(
      'an entry is readable before its TTL runs out',
      async () => {
        const key = ctx.key('alive');
        await ctx.backend.setWithTtl(key, 'alive', LONG_TTL_MS);
        await delay(o.shortTtlMs);
        await expect(ctx.backend.get(key)).resolves.toBe('alive');
      },
      o.ttlCaseTimeoutMs,
    );

    it(
      'an entry expires after its TTL',
      async () => {
        const key = ctx.key('expires');
        await ctx.backend.setWithTtl(key, 'soon gone', o.shortTtlMs);
        expect(
          await expiresWithin(ctx.backend, key),
          `still there ${o.expiryBoundMs} ms after a ${o.shortTtlMs} ms TTL`,
        ).toBe(true);
      },
      o.ttlCaseTimeoutMs,
    );

    if (noExpiry) {
      it(
        'an entry written without a TTL outlives a short-TTL entry written after it',
        async () => {
          const forever = ctx.key('no-expiry');
          const sentinel = ctx.key('no-expiry-sentinel');
          await ctx.backend.setWithTtl(forever, 'forever', undefined);
          await ctx.backend.setWithTtl(sentinel, 'short', o.shortTtlMs);
          expect(await expiresWithin(ctx.backend, sentinel), 'the short-TTL sentinel never expired').toBe(
            true,
          );
          await expect(ctx.backend.get(forever)).resolves.toBe('forever');
        },
        o.ttlCaseTimeoutMs,
      );
    } else {
      it('lacks noExpiry: an entry written without a TTL is still stored (under a bounded TTL)', async () => {
        const key = ctx.key('bounded-no-expiry');
        await ctx.backend.setWithTtl(key, 'bounded', undefined);
        await expect(ctx.backend.get(key)).resolves.toBe('bounded');
      });
    }

    it(
      'overwriting with a longer TTL replaces the earlier short one',
      async () => {
        const key = ctx.key('ttl-extended');
        const sentinel = ctx.key('ttl-extended-sentinel');
        await ctx.backend.setWithTtl(key, 'short', o.shortTtlMs);
        await ctx.backend.setWithTtl(key, 'long', foreverTtl);
        await ctx.backend.setWithTtl(sentinel, 'short', o.shortTtlMs);
        expect(await expiresWithin(ctx.backend, sentinel), 'the short-TTL sentinel never expired').toBe(true);
        await expect(ctx.backend.get(key)).resolves.toBe('long');
      },
      o.ttlCaseTimeoutMs,
    );

    it(
      'overwriting with a short TTL replaces the earlier long one',
      async () => {
        const key = ctx.key('ttl-shortened');
        await ctx.backend.setWithTtl(key, 'long', foreverTtl);
        await ctx.backend.setWithTtl(key, 'short', o.shortTtlMs);
        expect(await expiresWithin(ctx.backend, key), 'the overwrite kept the earlier, longer TTL').toBe(
          true,
        );
      },
      o.ttlCaseTimeoutMs,
    );
  });

  describe('keys', () => {
    it('stores unicode keys, and keys differing only in normalization are distinct', async () => {
      const base = ctx.key('unicode');
      const keys = [`${base}:ключ`, `${base}:键`, `${base}:🔑`, `${base}:caf\u00e9`, `${base}:cafe\u0301`];
      await Promise.all(keys.map((k, i) => ctx.backend.setWithTtl(k, i, LONG_TTL_MS)));
      for (const [i, k] of keys.entries()) await expect(ctx.backend.get(k), k).resolves.toBe(i);
    });

    it('stores keys with spaces, colons, slashes and glob characters', async () => {
      const base = ctx.key('punctuation');
      const keys = [
        `${base} with spaces`,
        `${base}:a:b:c`,
        `${base}/path/to\\thing`,
        `${base}*?[x]`,
        `${base}%20+&=#"'`,
      ];
      await Promise.all(keys.map((k, i) => ctx.backend.setWithTtl(k, `v${i}`, LONG_TTL_MS)));
      for (const [i, k] of keys.entries()) await expect(ctx.backend.get(k), k).resolves.toBe(`v${i}`);
    });

    it(`stores a ${o.longKeyLength}-character key, distinct from one differing only in its last character`, async () => {
      const base = ctx.key('long-');
      const stem = base.padEnd(o.longKeyLength - 1, 'k');
      const a = `${stem}a`;
      const b = `${stem}b`;
      expect(a.length).toBe(o.longKeyLength);
      await ctx.backend.setWithTtl(a, 'A', LONG_TTL_MS);
      await ctx.backend.setWithTtl(b, 'B', LONG_TTL_MS);
      await expect(ctx.backend.get(a)).resolves.toBe('A');
      await expect(ctx.backend.get(b)).resolves.toBe('B');
    });
  });

  describe('values', () => {
    it('round-trips JSON-like values of every type', async () => {
      const base = ctx.key('types');
      await Promise.all(
        SAMPLE_VALUES.map(([label, v]) => ctx.backend.setWithTtl(`${base}:${label}`, v, LONG_TTL_MS)),
      );
      for (const [label, v] of SAMPLE_VALUES) {
        expect(await ctx.backend.get(`${base}:${label}`), label).toStrictEqual(v);
      }
    });

    it(`round-trips a large value (${o.largeValueBytes} bytes)`, async () => {
      const key = ctx.key('large');
      const value = largeValue(o.largeValueBytes);
      await ctx.backend.setWithTtl(key, value, LONG_TTL_MS);
      const got = (await ctx.backend.get(key)) as typeof value | undefined;
      expect(got?.blob.length).toBe(value.blob.length);
      expect(got).toStrictEqual(value);
    }, 30_000);

    if (o.valueIdentity === 'copy') {
      it('stores and returns copies: mutating what was written or read does not change the entry', async () => {
        const key = ctx.key('copy');
        const written = { nested: { n: 1 }, list: [1] };
        await ctx.backend.setWithTtl(key, written, LONG_TTL_MS);
        written.nested.n = 2;
        written.list.push(2);
        const read = (await ctx.backend.get(key)) as typeof written;
        expect(read).toStrictEqual({ nested: { n: 1 }, list: [1] });
        expect(read).not.toBe(written);
        read.nested.n = 3;
        await expect(ctx.backend.get(key)).resolves.toStrictEqual({ nested: { n: 1 }, list: [1] });
      });
    } else if (o.valueIdentity === 'same') {
      it('returns the same reference that was written', async () => {
        const key = ctx.key('same');
        const written = { nested: { n: 1 } };
        await ctx.backend.setWithTtl(key, written, LONG_TTL_MS);
        expect(await ctx.backend.get(key)).toBe(written);
      });
    }
  });

  describe('concurrency', () => {
    it('concurrent writers to one key leave one of the written values', async () => {
      const key = ctx.key('contended');
      const written = Array.from({ length: 16 }, (_, i) => ({ writer: i }));
      await Promise.all(written.map((v) => ctx.backend.setWithTtl(key, v, LONG_TTL_MS)));
      expect(written).toContainEqual(await ctx.backend.get(key));
    });

    it('concurrent writes to many keys are all readable', async () => {
      const base = ctx.key('many');
      const keys = Array.from({ length: 50 }, (_, i) => `${base}:${i}`);
      await Promise.all(keys.map((k, i) => ctx.backend.setWithTtl(k, { i }, LONG_TTL_MS)));
      const read = await Promise.all(keys.map((k) => ctx.backend.get(k)));
      expect(read).toStrictEqual(keys.map((_, i) => ({ i })));
    });
  });

  defineCapabilityCases(ctx, o);
}
