import {
  type CacheBackend,
  type L2CacheBackend,
  MemoryBackend,
  TieredCache,
  type TieredCacheOptions,
  type TierOptions,
} from '@tiercache/core';
import { capabilitiesOf } from '@tiercache/core/adapter';
import { describe, expect, it } from 'vitest';
import { borrowed } from './backend-view.js';
import { assertHasMethods, capabilityCases } from './capability.js';
import { LONG_TTL_MS } from './case-ttl.js';
import { FaultyBackend } from './faulty-backend.js';
import type { ResolvedCacheOptions } from './options.js';
import { delay } from './polling.js';
import { codeOf } from './settle.js';
import type { SuiteContext } from './suite-context.js';

/** `backend` under an in-memory L1 in a new cache; the cache is closed (not the backend) afterwards. */
async function inCache(
  lower: CacheBackend,
  options: Omit<TieredCacheOptions, 'tiers'> & { tier?: Omit<TierOptions, 'backend'> },
  body: (cache: TieredCache, l1: MemoryBackend) => Promise<void>,
): Promise<void> {
  const l1 = new MemoryBackend({ name: 'l1' });
  const { tier, ...rest } = options;
  const cache = new TieredCache({ ...rest, tiers: [l1, { backend: lower, ...tier }] });
  try {
    await body(cache, l1);
  } finally {
    await cache.close();
  }
}

/**
 * Register the cases that run the backend as the lower tier under an in-memory L1 inside a
 * `TieredCache`: what a user of the backend relies on, beyond its own methods.
 */
export function defineInCacheCases(
  ctx: SuiteContext<CacheBackend>,
  o: ResolvedCacheOptions,
  kind: 'cache' | 'l2',
): void {
  describe('in a TieredCache (under an in-memory L1)', () => {
    it(
      'a hit is promoted into L1 with the remaining TTL, not a fresh one',
      async () => {
        const b = ctx.backend;
        const key = ctx.key('promote');
        const ttl = LONG_TTL_MS / 2;
        const wait = o.ttlToleranceMs * 2 + 300;
        const writeStarted = Date.now();
        await b.setWithTtl(key, { promoted: true }, ttl);
        const written = Date.now();
        await delay(wait);
        await inCache(borrowed(b), { ttl: LONG_TTL_MS }, async (cache, l1) => {
          const readStarted = Date.now();
          await expect(cache.get(key)).resolves.toStrictEqual({ promoted: true });
          const promoted = l1.peekWithTtl(key);
          expect(promoted?.value, 'the hit was not copied into L1').toStrictEqual({ promoted: true });
          const ttlMs = promoted?.ttlMs ?? Number.NaN;
          if (typeof (b as { getWithTtl?: unknown }).getWithTtl === 'function') {
            expect(
              ttlMs,
              `L1 got a TTL of ${ttlMs} ms; the entry had at most ${ttl - (readStarted - written)} ms left: getWithTtl must report the remaining TTL`,
            ).toBeLessThanOrEqual(ttl - (readStarted - written) + o.ttlToleranceMs);
            expect(ttlMs).toBeGreaterThanOrEqual(ttl - (Date.now() - writeStarted) - o.ttlToleranceMs);
          } else {
            // Without getWithTtl the cache cannot know what is left: it uses its default TTL.
            expect(ttlMs).toBeGreaterThan(0);
            expect(ttlMs).toBeLessThanOrEqual(LONG_TTL_MS);
          }
        });
      },
      o.ttlCaseTimeoutMs,
    );

    it('tags and namespaces: an invalidation by one cache is a miss for another cache over the backend', async () => {
      const b = ctx.backend;
      const key = ctx.key('tagged');
      const tag = ctx.key('tag');
      // Shared the way a remote tier is: the tag times are read from the backend, not from memory.
      const shared = borrowed(b, { local: false });
      await inCache(shared, { ttl: LONG_TTL_MS }, async (writer) => {
        await writer.set(key, 'tagged', { tags: [tag] });
        await writer.set(`${key}:plain`, 'untagged');
        await writer.namespace(tag).set(key, 'in a namespace');
        await inCache(borrowed(b, { local: false }), { ttl: LONG_TTL_MS }, async (other) => {
          await expect(other.get(key)).resolves.toBe('tagged');
          await other.invalidateTags([tag]);
          await other.namespace(tag).clear();
        });
        await inCache(borrowed(b, { local: false }), { ttl: LONG_TTL_MS }, async (reader) => {
          await expect(
            reader.get(key),
            'a tagged entry read back after invalidateTags: the backend must store the tag time under its reserved key (a key starting with U+0000) and read it back',
          ).resolves.toBeUndefined();
          await expect(reader.namespace(tag).get(key)).resolves.toBeUndefined();
          await expect(reader.get(`${key}:plain`)).resolves.toBe('untagged');
        });
      });
    });

    it('the breaker opens while the backend fails, and closes once it answers again', async () => {
      const b = ctx.backend;
      const key = ctx.key('breaker');
      await b.setWithTtl(key, 'after recovery', LONG_TTL_MS);
      const faulty = new FaultyBackend(borrowed(b));
      const states: string[] = [];
      await inCache(
        faulty,
        { ttl: LONG_TTL_MS, tier: { breaker: { failureThreshold: 3, openMs: 150 } } },
        async (cache) => {
          cache.on('breaker:state', (e) => states.push(e.state));
          faulty.fail();
          for (let i = 0; i < 5; i++) await expect(cache.get(`${key}:down-${i}`)).resolves.toBeUndefined();
          expect(cache.stats().tiers[1]!.breaker, 'after 3 failures in a row').toBe('open');
          expect(faulty.failures, 'an open breaker must skip the tier').toBe(3);
          faulty.heal();
          await delay(200);
          await expect(cache.get(key), 'read through the backend after recovery').resolves.toBe(
            'after recovery',
          );
          expect(cache.stats().tiers[1]!.breaker).toBe('closed');
          expect(states).toStrictEqual(['open', 'half-open', 'closed']);
        },
      );
    });

    it(
      'fail-safe: within grace a failing factory gets the value the backend still holds',
      async () => {
        const b = ctx.backend;
        const key = ctx.key('fail-safe');
        await inCache(borrowed(b), { ttl: o.shortTtlMs, grace: '1m' }, async (cache, l1) => {
          await expect(cache.getOrSet(key, () => 'fresh')).resolves.toBe('fresh');
          await delay(o.shortTtlMs + o.ttlToleranceMs + 50);
          await l1.clear(); // only the backend holds it now
          const result = await cache.getOrSetResult(key, () => {
            throw new Error('the source is down');
          });
          expect(result.value, 'the backend must keep an entry for its TTL plus grace').toBe('fresh');
          if (typeof (b as { getWithTtl?: unknown }).getWithTtl === 'function') {
            expect(
              result.stale,
              'past its TTL the value must be served as stale: the backend reported more time left than the entry had (getWithTtl and getWithToken must report the remaining TTL)',
            ).toBe(true);
          }
        });
      },
      o.ttlCaseTimeoutMs,
    );

    if (o.lacks.has('removePattern')) {
      it('lacks removePattern: invalidatePattern rejects with UnsupportedOperationError naming the tier', async () => {
        const b = ctx.backend;
        await inCache(borrowed(b, { local: false }), { ttl: LONG_TTL_MS }, async (cache) => {
          const error = await cache.invalidatePattern(`${ctx.key('pattern')}:*`).catch((e: unknown) => e);
          expect(codeOf(error)).toBe('TIERCACHE_UNSUPPORTED');
          expect(String(error)).toContain(b.name);
        });
      });
    } else {
      it('invalidatePattern reaches the backend: matching keys are gone from it, others stay', async () => {
        const b = ctx.backend;
        assertHasMethods(b, 'removePattern', 'removePattern');
        const p = ctx.key('pattern');
        await inCache(borrowed(b), { ttl: LONG_TTL_MS }, async (cache) => {
          for (const k of [`${p}:a`, `${p}:b`, `${p}-other`]) await cache.set(k, k);
          await cache.invalidatePattern(`${p}:*`);
          const reach =
            'invalidatePattern calls removePattern on the tier: it must delete every key matching the glob';
          await expect(b.get(`${p}:a`), reach).resolves.toBeUndefined();
          await expect(b.get(`${p}:b`), reach).resolves.toBeUndefined();
          await expect(
            b.get(`${p}-other`),
            'removePattern deleted a key the glob does not match',
          ).resolves.toBe(`${p}-other`);
          await expect(cache.get(`${p}:a`)).resolves.toBeUndefined();
        });
      });
    }

    if (o.lacks.has('clear')) {
      it('lacks clear: clear rejects with UnsupportedOperationError naming the tier', async () => {
        const b = ctx.backend;
        await inCache(borrowed(b), { ttl: LONG_TTL_MS }, async (cache) => {
          const error = await cache.clear().catch((e: unknown) => e);
          expect(codeOf(error)).toBe('TIERCACHE_UNSUPPORTED');
          expect(String(error)).toContain(b.name);
        });
      });
    } else {
      it('clear reaches the backend (checked on a fresh instance from the factory)', async () => {
        await ctx.withIsolated(async (b) => {
          assertHasMethods(b, 'clear', 'clear');
          const keys = [ctx.key('clear-a'), ctx.key('clear-b')];
          await inCache(borrowed(b), { ttl: LONG_TTL_MS }, async (cache) => {
            for (const k of keys) await cache.set(k, k);
            await cache.clear();
            for (const k of keys)
              await expect(
                b.get(k),
                `${k} is still in the backend after cache.clear(), which calls its clear(): clear must empty the backend's namespace`,
              ).resolves.toBeUndefined();
          });
        });
      });
    }

    capabilityCases(
      'guardedWrites',
      o,
      () => ctx.backend,
      () => {
        it("guarded writes (when the backend has them): a getOrSet factory that started before another instance's invalidate does not store its value", async () => {
          const b = ctx.backend as L2CacheBackend;
          if (kind === 'cache' && b.getWithToken === undefined && b.setIfUnchanged === undefined) {
            // Guarded writes are an L2 capability: a plain CacheBackend may simply not have them.
            expect(capabilitiesOf(b).guardedWrites).toBe(false);
            return;
          }
          assertHasMethods(b, 'guardedWrites', 'getWithToken', 'setIfUnchanged');
          const key = ctx.key('guarded');
          // Shared the way a remote tier is, so the cache uses the guarded path even for an in-process backend.
          const shared = borrowed(b, { local: false });
          const other = new TieredCache({
            tiers: [new MemoryBackend({ name: 'other-l1' }), shared],
            ttl: LONG_TTL_MS,
            lock: false,
          });
          try {
            await inCache(shared, { ttl: LONG_TTL_MS, lock: false }, async (cache) => {
              let started!: () => void;
              let finish!: () => void;
              const running = new Promise<void>((r) => (started = r));
              const gate = new Promise<void>((r) => (finish = r));
              const load = cache.getOrSet(key, async () => {
                started();
                await gate;
                return 'computed before the invalidate';
              });
              await running;
              await other.invalidate(key);
              finish();
              await expect(load, 'the caller still gets what its factory computed').resolves.toBe(
                'computed before the invalidate',
              );
              await expect(
                b.get(key),
                'setIfUnchanged stored a value over a delete made after its token was read',
              ).resolves.toBeUndefined();
              await expect(other.get(key)).resolves.toBeUndefined();
            });
          } finally {
            await other.close();
          }
        });
      },
    );
  });
}
