import { type CacheBackend, RESERVED_KEY_PREFIX } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { assertHasMethods, capabilityCases } from './capability.js';
import { caseTtl, LONG_TTL_MS } from './case-ttl.js';
import type { ResolvedCacheOptions } from './options.js';
import { pollUntil } from './polling.js';
import type { SuiteContext } from './suite-context.js';

/**
 * Register the cases of the optional `CacheBackend` capabilities (getMany, setMany,
 * removePattern, clear, peek, lock) inside the current `describe` block, each through
 * {@link capabilityCases}: its cases when the backend has it, else one case that its methods
 * are absent.
 */
export function defineCapabilityCases(ctx: SuiteContext<CacheBackend>, o: ResolvedCacheOptions): void {
  const { noExpiry, foreverTtl, expiresWithin } = caseTtl(o);

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

        it("keeps the cache's reserved keys (a NUL first: tag times) whatever the pattern", async () => {
          const b = ctx.backend;
          assertHasMethods(b, 'removePattern', 'removePattern');
          const p = ctx.key('pattern-reserved');
          const reserved = `${RESERVED_KEY_PREFIX}${p}:tag`;
          await b.setWithTtl(reserved, 'tag time', LONG_TTL_MS);
          await b.setWithTtl(`${p}:tag`, 'entry', LONG_TTL_MS);
          await expect(b.removePattern(`*${p}*`)).resolves.toBe(1);
          await expect(
            b.get(reserved),
            'removePattern deleted a reserved key: a tag invalidation time, whose loss brings back invalidated entries',
          ).resolves.toBe('tag time');
          await b.remove(reserved);
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

        it(
          'peekResolved (when offered) resolves to what peek reads; a write, a removal or expiry ends a shared promise',
          async () => {
            const b = ctx.backend;
            if (typeof b.peekResolved !== 'function') {
              expect(b.peekResolved, 'peekResolved is optional: absent or a function').toBeUndefined();
              return;
            }
            const key = ctx.key('peek-resolved');
            const nul = ctx.key('peek-resolved-null');
            await b.setWithTtl(key, { r: 1 }, LONG_TTL_MS);
            await b.setWithTtl(nul, null, LONG_TTL_MS);
            const first = b.peekResolved(key);
            expect(first).toBeInstanceOf(Promise);
            await expect(first).resolves.toStrictEqual(b.peek!(key));
            await expect(b.peekResolved(nul)).resolves.toBeNull();
            // A miss is undefined itself, never a promise of undefined.
            expect(b.peekResolved(ctx.key('peek-resolved-miss'))).toBeUndefined();
            const second = b.peekResolved(key);
            // One promise handed to every reader must be frozen: no reader can change it for the others.
            if (second === first) expect(Object.isFrozen(first)).toBe(true);
            await b.setWithTtl(key, { r: 2 }, LONG_TTL_MS);
            const afterWrite = b.peekResolved(key);
            expect(afterWrite, 'the promise of the replaced value after a write').not.toBe(first);
            await expect(afterWrite).resolves.toStrictEqual({ r: 2 });
            await b.remove(key);
            expect(b.peekResolved(key)).toBeUndefined();
            const short = ctx.key('peek-resolved-expiry');
            await b.setWithTtl(short, 'x', o.shortTtlMs);
            expect(b.peekResolved(short)).toBeInstanceOf(Promise);
            expect(await pollUntil(() => b.peekResolved!(short) === undefined, o.expiryBoundMs)).toBe(true);
          },
          o.ttlCaseTimeoutMs,
        );
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
