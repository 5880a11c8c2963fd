import type { CacheBackend } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { assertHasMethods, capabilityCases } from './capability.js';
import type { ResolvedCacheOptions } from './options.js';
import { delay, pollUntil } from './polling.js';
import { largeValue, SAMPLE_VALUES } from './sample-values.js';
import type { SuiteContext } from './suite-context.js';

/** A TTL no case waits out: entries written with it must be there for the whole case. */
export const LONG_TTL_MS = 60_000;

/** Register every `CacheBackend` case inside the current `describe` block. */
export function defineCacheCases(ctx: SuiteContext<CacheBackend>, o: ResolvedCacheOptions): void {
  const noExpiry = !o.lacks.has('noExpiry');
  /** The TTL to write when a case means "no expiry" but the backend cannot do that. */
  const foreverTtl = noExpiry ? undefined : LONG_TTL_MS;
  const expiresWithin = (b: CacheBackend, key: string): Promise<boolean> =>
    pollUntil(async () => (await b.get(key)) === undefined, o.expiryBoundMs);

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

  describe('getMany', () => {
    capabilityCases(
      'getMany',
      o,
      () => ctx.backend,
      () => {
        it('resolves hits and misses in key order, keeping null as a value', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'getMany', 'getMany');
          const [k1, k2, k3, k4] = ['hit', 'miss', 'null', 'hit2'].map((l) => ctx.key(`get-many-${l}`)) as [
            string,
            string,
            string,
            string,
          ];
          await b.setWithTtl(k1, { one: 1 }, LONG_TTL_MS);
          await b.setWithTtl(k3, null, LONG_TTL_MS);
          await b.setWithTtl(k4, 'four', LONG_TTL_MS);
          await expect(b.getMany([k1, k2, k3, k4, k1])).resolves.toStrictEqual([
            { one: 1 },
            undefined,
            null,
            'four',
            { one: 1 },
          ]);
        });

        it('resolves [] for no keys', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'getMany', 'getMany');
          await expect(b.getMany([])).resolves.toStrictEqual([]);
        });
      },
    );
  });

  describe('setMany', () => {
    capabilityCases(
      'setMany',
      o,
      () => ctx.backend,
      () => {
        it('stores every entry, readable with get', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'setMany', 'setMany');
          const base = ctx.key('set-many');
          const entries = [
            { key: `${base}:a`, value: { a: 1 }, ttlMs: LONG_TTL_MS },
            { key: `${base}:b`, value: null, ttlMs: LONG_TTL_MS },
            { key: `${base}:c`, value: 'c', ttlMs: foreverTtl },
          ];
          await b.setMany(entries);
          for (const e of entries) await expect(b.get(e.key), e.key).resolves.toStrictEqual(e.value);
        });

        it(
          'honours each entry’s own TTL',
          async () => {
            const b = ctx.backend;
            assertHasMethods(b, 'setMany', 'setMany');
            const base = ctx.key('set-many-ttl');
            await b.setMany([
              { key: `${base}:short`, value: 'short', ttlMs: o.shortTtlMs },
              { key: `${base}:long`, value: 'long', ttlMs: LONG_TTL_MS },
            ]);
            expect(await expiresWithin(b, `${base}:short`), 'the short-TTL entry never expired').toBe(true);
            await expect(b.get(`${base}:long`)).resolves.toBe('long');
          },
          o.ttlCaseTimeoutMs,
        );

        it('accepts an empty list', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'setMany', 'setMany');
          await expect(b.setMany([])).resolves.toBeUndefined();
        });
      },
    );
  });

  describe('removePattern', () => {
    capabilityCases(
      'removePattern',
      o,
      () => ctx.backend,
      () => {
        it('removes only the keys matching "*" and resolves how many', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'removePattern', 'removePattern');
          const p = ctx.key('pattern');
          const matching = [`${p}:user:1`, `${p}:user:2`, `${p}:user:10`];
          const others = [`${p}:order:1`, `${p}-user:3`, `${p}:use:1`];
          await Promise.all([...matching, ...others].map((k) => b.setWithTtl(k, k, LONG_TTL_MS)));
          await expect(b.removePattern(`${p}:user:*`)).resolves.toBe(3);
          for (const k of matching) await expect(b.get(k), k).resolves.toBeUndefined();
          for (const k of others) await expect(b.get(k), k).resolves.toBe(k);
        });

        it('"?" matches exactly one character', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'removePattern', 'removePattern');
          const p = ctx.key('pattern-one');
          await Promise.all([`${p}:1`, `${p}:2`, `${p}:10`].map((k) => b.setWithTtl(k, k, LONG_TTL_MS)));
          await expect(b.removePattern(`${p}:?`)).resolves.toBe(2);
          await expect(b.get(`${p}:10`)).resolves.toBe(`${p}:10`);
          await expect(b.get(`${p}:1`)).resolves.toBeUndefined();
        });

        it('a backslash makes a glob character literal', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'removePattern', 'removePattern');
          const p = ctx.key('pattern-escape');
          await b.setWithTtl(`${p}:a*b`, 'star', LONG_TTL_MS);
          await b.setWithTtl(`${p}:aXb`, 'x', LONG_TTL_MS);
          await expect(b.removePattern(`${p}:a\\*b`)).resolves.toBe(1);
          await expect(b.get(`${p}:a*b`)).resolves.toBeUndefined();
          await expect(b.get(`${p}:aXb`)).resolves.toBe('x');
        });

        it('resolves 0 when nothing matches', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'removePattern', 'removePattern');
          await expect(b.removePattern(`${ctx.key('pattern-none')}:*`)).resolves.toBe(0);
        });
      },
    );
  });

  describe('clear', () => {
    capabilityCases(
      'clear',
      o,
      () => ctx.backend,
      () => {
        it('empties the instance (checked on a fresh instance from the factory) and leaves it usable', async () => {
          await ctx.withIsolated(async (b) => {
            assertHasMethods(b, 'clear', 'clear');
            const keys = [ctx.key('clear-a'), ctx.key('clear-b'), ctx.key('clear-c')];
            await b.setWithTtl(keys[0]!, 'a', LONG_TTL_MS);
            await b.setWithTtl(keys[1]!, null, LONG_TTL_MS);
            await b.setWithTtl(keys[2]!, 'c', foreverTtl);
            await b.clear();
            for (const k of keys) await expect(b.get(k), k).resolves.toBeUndefined();
            await b.setWithTtl(keys[0]!, 'again', LONG_TTL_MS);
            await expect(b.get(keys[0]!)).resolves.toBe('again');
          });
        });
      },
    );
  });

  describe('peek', () => {
    capabilityCases(
      'peek',
      o,
      () => ctx.backend,
      () => {
        it('reads synchronously: a hit, null as a value, undefined on a miss', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'peek', 'peek', 'peekWithTtl');
          const hit = ctx.key('peek-hit');
          const nul = ctx.key('peek-null');
          await b.setWithTtl(hit, { p: 1 }, LONG_TTL_MS);
          await b.setWithTtl(nul, null, LONG_TTL_MS);
          const read = b.peek(hit);
          expect(read).not.toBeInstanceOf(Promise);
          expect(read).toStrictEqual({ p: 1 });
          expect(b.peek(nul)).toBeNull();
          expect(b.peek(ctx.key('peek-miss'))).toBeUndefined();
          await b.remove(hit);
          expect(b.peek(hit)).toBeUndefined();
        });

        it(
          'does not return an expired entry',
          async () => {
            const b = ctx.backend;
            assertHasMethods(b, 'peek', 'peek', 'peekWithTtl');
            const key = ctx.key('peek-expiry');
            await b.setWithTtl(key, 'x', o.shortTtlMs);
            expect(await pollUntil(() => b.peek(key) === undefined, o.expiryBoundMs)).toBe(true);
            expect(b.peekWithTtl(key)).toBeUndefined();
          },
          o.ttlCaseTimeoutMs,
        );

        it('peekWithTtl reads the value and its remaining TTL synchronously', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'peek', 'peek', 'peekWithTtl');
          const key = ctx.key('peek-ttl');
          const started = Date.now();
          await b.setWithTtl(key, 'v', LONG_TTL_MS);
          const read = b.peekWithTtl(key);
          const elapsed = Date.now() - started;
          expect(read).not.toBeInstanceOf(Promise);
          expect(read?.value).toBe('v');
          expect(read?.ttlMs).toBeGreaterThan(0);
          expect(read?.ttlMs).toBeLessThanOrEqual(LONG_TTL_MS);
          expect(read?.ttlMs).toBeGreaterThanOrEqual(LONG_TTL_MS - elapsed - o.ttlToleranceMs);
          expect(b.peekWithTtl(ctx.key('peek-ttl-miss'))).toBeUndefined();
          if (noExpiry) {
            const forever = ctx.key('peek-ttl-forever');
            await b.setWithTtl(forever, null, undefined);
            expect(b.peekWithTtl(forever)).toStrictEqual({ value: null, ttlMs: undefined });
          }
        });
      },
    );
  });

  describe('locks', () => {
    capabilityCases(
      'lock',
      o,
      () => ctx.backend,
      () => {
        it('a second acquire fails while the lease is held; release frees it for the next holder', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'lock', 'acquireLock', 'releaseLock');
          const key = ctx.key('lock');
          const first = await b.acquireLock(key, LONG_TTL_MS);
          expect(typeof first).toBe('string');
          await expect(b.acquireLock(key, LONG_TTL_MS)).resolves.toBeUndefined();
          await expect(b.releaseLock(key, first!)).resolves.toBe(true);
          const second = await b.acquireLock(key, LONG_TTL_MS);
          expect(typeof second).toBe('string');
          expect(second).not.toBe(first);
          await b.releaseLock(key, second!);
        });

        it('release with a wrong or stale token returns false and keeps the lease', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'lock', 'acquireLock', 'releaseLock');
          const key = ctx.key('lock-token');
          const first = await b.acquireLock(key, LONG_TTL_MS);
          await expect(b.releaseLock(key, `${first}-not-mine`)).resolves.toBe(false);
          await expect(b.acquireLock(key, LONG_TTL_MS)).resolves.toBeUndefined();
          await expect(b.releaseLock(key, first!)).resolves.toBe(true);
          await expect(b.releaseLock(key, first!)).resolves.toBe(false);
          const second = await b.acquireLock(key, LONG_TTL_MS);
          await expect(b.releaseLock(key, first!)).resolves.toBe(false);
          await expect(b.releaseLock(key, second!)).resolves.toBe(true);
        });

        it('locks on different keys are independent', async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'lock', 'acquireLock', 'releaseLock');
          const [ka, kc] = [ctx.key('lock-a'), ctx.key('lock-c')];
          const a = await b.acquireLock(ka, LONG_TTL_MS);
          const c = await b.acquireLock(kc, LONG_TTL_MS);
          expect(typeof a).toBe('string');
          expect(typeof c).toBe('string');
          await expect(b.releaseLock(ka, a!)).resolves.toBe(true);
          await expect(b.acquireLock(kc, LONG_TTL_MS)).resolves.toBeUndefined();
          await expect(b.releaseLock(kc, c!)).resolves.toBe(true);
        });

        it(
          'a lease expires on its own after leaseMs',
          async () => {
            const b = ctx.backend;
            assertHasMethods(b, 'lock', 'acquireLock', 'releaseLock');
            const key = ctx.key('lock-lease');
            const first = await b.acquireLock(key, o.shortTtlMs);
            expect(typeof first).toBe('string');
            let next: string | undefined;
            const reacquired = await pollUntil(async () => {
              next = await b.acquireLock(key, LONG_TTL_MS);
              return next !== undefined;
            }, o.expiryBoundMs);
            expect(reacquired, `lease of ${o.shortTtlMs} ms still held after ${o.expiryBoundMs} ms`).toBe(
              true,
            );
            await expect(b.releaseLock(key, first!)).resolves.toBe(false);
            await expect(b.releaseLock(key, next!)).resolves.toBe(true);
          },
          o.ttlCaseTimeoutMs,
        );
      },
    );
  });
}
