import {
  type CacheBackend,
  InvalidOptionError,
  MemoryBackend,
  MemoryBusHub,
  TieredCache,
} from '@tiercache/core';
import { eventually } from '@tiercache/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTR, instrumentCache, METRIC } from '../src/index.js';
import { testMetrics } from './metric-reader.js';

const caches: TieredCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

function twoTierCache(name = 'catalog') {
  const l1 = new MemoryBackend({ name: 'l1' });
  const l2 = new MemoryBackend({ name: 'l2' });
  const cache = new TieredCache<unknown>({ name, tiers: [l1, l2], ttl: 60_000 });
  caches.push(cache);
  return { cache, l1, l2 };
}

/** A remote tier whose every call fails. */
function downTier(): CacheBackend {
  const down = () => Promise.reject(new Error('connection refused'));
  return { name: 'redis', get: down, setWithTtl: down, remove: down, healthCheck: async () => false };
}

describe('instrumentCache', () => {
  it('records exact counts for a known sequence of calls', async () => {
    const { provider, collect } = testMetrics();
    const { cache, l1 } = twoTierCache();
    instrumentCache(cache, { meterProvider: provider, attributes: { 'deployment.environment': 'test' } });

    await cache.set('a', 1);
    await cache.get('a'); // L1 hit
    await l1.remove('a');
    await cache.get('a'); // L2 hit, promoted into L1
    await cache.get('nope'); // miss
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const callers = [1, 2, 3].map(() =>
      cache.getOrSet('f', async () => {
        await gate;
        return 'F';
      }),
    );
    release();
    await expect(Promise.all(callers)).resolves.toStrictEqual(['F', 'F', 'F']);
    await expect(
      cache.getOrSet('e', () => {
        throw new Error('db down');
      }),
    ).rejects.toThrow('db down');

    const m = await collect();
    const base = { [ATTR.cacheName]: 'catalog', 'deployment.environment': 'test' };
    expect(m.value(METRIC.requests, base)).toBe(7);
    expect(m.value(METRIC.hits, { ...base, [ATTR.tier]: 'l1' })).toBe(1);
    expect(m.value(METRIC.hits, { ...base, [ATTR.tier]: 'l2' })).toBe(1);
    expect(m.value(METRIC.misses, base)).toBe(3);
    expect(m.value(METRIC.coalesced, base)).toBe(2);
    expect(m.value(METRIC.promotions, { ...base, [ATTR.tierFrom]: 'l2', [ATTR.tierTo]: 'l1' })).toBe(1);
    // Semantic conventions: a failed run carries error.type, a successful one no outcome at all.
    const runs = m.points(METRIC.factoryRuns).map((p) => [p.attributes[ATTR.errorType], p.value]);
    expect(runs).toStrictEqual(
      expect.arrayContaining([
        [undefined, 1],
        ['Error', 1],
      ]),
    );
    expect(runs).toHaveLength(2);
    expect(m.points(METRIC.factoryRuns).some((p) => 'outcome' in p.attributes)).toBe(false);
    const durations = m.points(METRIC.factoryDuration);
    expect(durations.map((p) => (p.value as { count: number }).count)).toStrictEqual([1, 1]);
    expect(m.descriptor(METRIC.factoryDuration)?.unit).toBe('s');
    // Recorded in seconds: these factories took far less than one.
    for (const p of durations) expect((p.value as { max?: number }).max ?? 0).toBeLessThan(1);
    expect(m.value(METRIC.factoryInFlight, base)).toBe(0);
    expect(m.value(METRIC.breakerState, { [ATTR.tier]: 'l1' })).toBe(0);
    expect(m.value(METRIC.breakerState, { [ATTR.tier]: 'l2' })).toBe(0);
    expect(m.value(METRIC.busSent, base)).toBe(0);
    expect(m.points(METRIC.tierErrors)).toStrictEqual([]);
  });

  it('counts tier errors by operation and reports the breaker opening', async () => {
    const { provider, collect } = testMetrics();
    const cache = new TieredCache<unknown>({
      name: 'flaky',
      tiers: [
        new MemoryBackend({ name: 'l1' }),
        { backend: downTier(), breaker: { failureThreshold: 2, openMs: 60_000 } },
      ],
    });
    caches.push(cache);
    instrumentCache(cache, { meterProvider: provider });

    await expect(cache.get('x')).resolves.toBeUndefined();
    let m = await collect();
    expect(m.value(METRIC.tierErrors, { [ATTR.tier]: 'redis', [ATTR.operation]: 'get' })).toBe(1);
    expect(m.value(METRIC.breakerState, { [ATTR.tier]: 'redis' })).toBe(0);

    await cache.get('x'); // second failure opens the breaker
    await cache.get('x'); // skipped while open: still reported as a failed get
    m = await collect();
    expect(m.value(METRIC.tierErrors, { [ATTR.tier]: 'redis', [ATTR.operation]: 'get' })).toBe(3);
    expect(m.value(METRIC.breakerState, { [ATTR.tier]: 'redis' })).toBe(2);
    expect(m.value(METRIC.breakerState, { [ATTR.tier]: 'l1' })).toBe(0);
    expect(m.value(METRIC.misses)).toBe(3);

    await cache.set('y', 1); // tolerated write failure
    m = await collect();
    expect(m.value(METRIC.tierErrors, { [ATTR.tier]: 'redis', [ATTR.operation]: 'set' })).toBe(1);
    await expect(cache.get('y')).resolves.toBe(1); // L1 keeps serving
  });

  it('reports bus messages sent, received and applied per cache', async () => {
    const { provider, collect } = testMetrics();
    const hub = new MemoryBusHub();
    const a = new TieredCache<unknown>({ name: 'a', bus: { transport: hub.transport() } });
    const b = new TieredCache<unknown>({ name: 'b', bus: { transport: hub.transport() } });
    caches.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    instrumentCache(a, { meterProvider: provider });
    instrumentCache(b, { meterProvider: provider });

    await a.set('k', 1);
    await a.delete('k');
    await eventually(() => b.stats().bus.applied === 2);

    const m = await collect();
    expect(m.value(METRIC.busSent, { [ATTR.cacheName]: 'a' })).toBe(2);
    expect(m.value(METRIC.busReceived, { [ATTR.cacheName]: 'b' })).toBe(2);
    expect(m.value(METRIC.busApplied, { [ATTR.cacheName]: 'b' })).toBe(2);
    expect(m.value(METRIC.busSent, { [ATTR.cacheName]: 'b' })).toBe(0);
    expect(m.value(METRIC.busErrors, { [ATTR.cacheName]: 'a' })).toBe(0);
    expect(m.value(METRIC.busQueued, { [ATTR.cacheName]: 'a' })).toBe(0);
  });

  it('counters never go down when the cache resets its stats', async () => {
    const { provider, collect } = testMetrics();
    const { cache } = twoTierCache();
    instrumentCache(cache, { meterProvider: provider });
    await cache.set('a', 1);
    await cache.get('a');
    await cache.get('a');
    expect((await collect()).value(METRIC.hits, { [ATTR.tier]: 'l1' })).toBe(2);
    cache.resetStats();
    await cache.get('a');
    expect((await collect()).value(METRIC.hits, { [ATTR.tier]: 'l1' })).toBe(3);
    expect((await collect()).value(METRIC.requests)).toBe(3);
  });

  it('tiers that share a name get separate series', async () => {
    const { provider, collect } = testMetrics();
    const cache = new TieredCache<unknown>({ tiers: [new MemoryBackend(), new MemoryBackend()] });
    caches.push(cache);
    instrumentCache(cache, { meterProvider: provider });
    await cache.set('a', 1);
    await cache.get('a');
    const m = await collect();
    expect(m.value(METRIC.hits, { [ATTR.tier]: 'memory#0' })).toBe(1);
    expect(m.value(METRIC.hits, { [ATTR.tier]: 'memory#1' })).toBe(0);
  });

  it('stops recording after the returned function is called', async () => {
    const { provider, collect } = testMetrics();
    const { cache } = twoTierCache();
    const stop = instrumentCache(cache, { meter: provider.getMeter('custom') });
    await cache.getOrSet('f', () => 'F');
    await cache.get('f');
    let m = await collect();
    expect(m.value(METRIC.factoryRuns)).toBe(1);
    expect(m.value(METRIC.hits, { [ATTR.tier]: 'l1' })).toBe(1);
    stop();
    stop(); // idempotent
    await cache.getOrSet('g', () => 'G');
    await cache.get('f');
    await cache.get('f');
    m = await collect();
    // Cumulative series may keep their last value after the stop, but must not grow.
    expect(m.value(METRIC.factoryRuns) ?? 1).toBe(1);
    expect(m.value(METRIC.hits, { [ATTR.tier]: 'l1' }) ?? 1).toBe(1);
  });

  it('follows the semantic conventions: additive values are up-down counters, the scope has a version, error.type is bounded', async () => {
    const { provider, collect } = testMetrics();
    const { cache } = twoTierCache();
    instrumentCache(cache, { meterProvider: provider });
    class QueryTimeout extends Error {}
    const coded = Object.assign(new Error('late'), { code: 'TIERCACHE_TIMEOUT' });
    for (const error of [new QueryTimeout('slow'), coded, 'a string']) {
      await cache.getOrSet(`k${String(error)}`, () => Promise.reject(error)).catch(() => undefined);
    }
    const m = await collect();
    expect(m.descriptor(METRIC.factoryInFlight)?.kind).toBe('up-down sum');
    expect(m.descriptor(METRIC.busQueued)?.kind).toBe('up-down sum');
    expect(m.descriptor(METRIC.breakerState)?.kind).toBe('gauge');
    expect(m.descriptor(METRIC.hits)?.kind).toBe('monotonic sum');
    const version = (await import('../package.json', { with: { type: 'json' } })).default.version;
    expect(m.scopes()).toStrictEqual([{ name: '@tiercache/otel', version }]);
    const types = m.points(METRIC.factoryRuns).map((p) => p.attributes[ATTR.errorType]);
    // A thrown non-Error reaches listeners wrapped in core's FactoryError.
    expect(types.sort()).toStrictEqual(['QueryTimeout', 'TIERCACHE_FACTORY_FAILED', 'TIERCACHE_TIMEOUT']);
  });

  it('keeps error.type bounded: past 32 distinct types the rest are _OTHER', async () => {
    const { provider, collect } = testMetrics();
    const { cache } = twoTierCache();
    instrumentCache(cache, { meterProvider: provider });
    for (let i = 0; i < 40; i++) {
      const error = Object.assign(new Error('x'), { code: `E${i}` });
      await cache.getOrSet(`k${i}`, () => Promise.reject(error)).catch(() => undefined);
    }
    const points = (await collect()).points(METRIC.factoryRuns);
    expect(points).toHaveLength(33);
    expect(points.find((p) => p.attributes[ATTR.errorType] === '_OTHER')?.value).toBe(8);
  });

  it('rejects bad arguments', () => {
    const { provider } = testMetrics();
    const { cache } = twoTierCache();
    expect(() => instrumentCache({} as TieredCache, {})).toThrow(/TieredCache/);
    expect(() => instrumentCache(cache, { meter: provider.getMeter('x'), meterProvider: provider })).toThrow(
      /not both/,
    );
    expect(() => instrumentCache(cache, { provider } as never)).toThrow(/unknown option "provider"/);
  });

  it('rejects options that are not an object with InvalidOptionError', () => {
    const { cache } = twoTierCache();
    for (const options of [1000, 'x', null, [], true]) {
      expect(() => instrumentCache(cache, options as never), String(options)).toThrow(InvalidOptionError);
    }
  });
});
