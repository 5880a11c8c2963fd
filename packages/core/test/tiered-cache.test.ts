import { describe, expect, it, vi } from 'vitest';
import {
  type CacheBackend,
  ClosedError,
  FactoryError,
  FactoryTimeoutError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidTtlError,
  InvalidValueError,
  MemoryBackend,
  MemoryBusHub,
  MemoryStream,
  NoStreamError,
  Strategy,
  TieredCache,
  UnsupportedOperationError,
} from '../src/index.js';
import { FaultyTier } from './support/faulty-tier.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns true or `boundMs` passes; returns the elapsed ms. */
async function until(check: () => boolean | Promise<boolean>, boundMs = 5000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > boundMs) throw new Error(`condition not met within ${boundMs} ms`);
    await wait(10);
  }
  return Date.now() - started;
}

function twoTier() {
  const l1 = new MemoryBackend({ name: 'l1' });
  const l2 = new MemoryBackend({ name: 'l2' });
  const cache = new TieredCache({ tiers: [l1, l2] });
  return { l1, l2, cache };
}

describe('TieredCache reads and writes', () => {
  it('set writes every tier and get reads the fastest', async () => {
    const { l1, l2, cache } = twoTier();
    await cache.set('a', { n: 1 });
    expect(l1.peek('a')).toEqual({ n: 1 });
    expect(l2.peek('a')).toEqual({ n: 1 });
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(cache.stats().tiers[0]!.hits).toBe(1);
  });

  it('undefined is a miss and null is a value', async () => {
    const { cache } = twoTier();
    expect(await cache.get('nothing')).toBeUndefined();
    await cache.set('negative', null);
    expect(await cache.get('negative')).toBeNull();
    expect(await cache.has('negative')).toBe(true);
    expect(await cache.has('nothing')).toBe(false);
  });

  it('a lower-tier hit is promoted with its remaining TTL, not a default one', async () => {
    const { l1, l2, cache } = twoTier();
    await l2.setWithTtl('p', 'v', 2000);
    await wait(300);
    expect(await cache.get('p')).toBe('v');
    const promoted = l1.peekWithTtl('p');
    expect(promoted?.value).toBe('v');
    expect(promoted!.ttlMs!).toBeLessThanOrEqual(1700 + 20);
    expect(promoted!.ttlMs!).toBeGreaterThan(1000);
    expect(cache.stats().promotions).toBe(1);
    // It leaves L1 with its source, about 2 s after it was written, not after the 5 min default.
    await until(() => l1.peek('p') === undefined, 4000);
    expect(l2.peek('p')).toBeUndefined();
  });

  it('an entry without expiry is promoted without expiry', async () => {
    const { l1, l2, cache } = twoTier();
    await l2.setWithTtl('forever', 1, undefined);
    await cache.get('forever');
    expect(l1.peekWithTtl('forever')).toEqual({ value: 1, ttlMs: undefined });
  });

  it('promotion "never" keeps hits out of that tier; probability 0.5 promotes about half', async () => {
    const l1 = new MemoryBackend({ name: 'l1' });
    const l2 = new MemoryBackend({ name: 'l2' });
    const never = new TieredCache({ tiers: [{ backend: l1, promotion: 'never' }, l2] });
    await l2.setWithTtl('k', 1, 10_000);
    expect(await never.get('k')).toBe(1);
    expect(l1.peek('k')).toBeUndefined();

    const l1b = new MemoryBackend({ name: 'l1' });
    const l2b = new MemoryBackend({ name: 'l2' });
    const half = new TieredCache({ tiers: [{ backend: l1b, promotion: { probability: 0.5 } }, l2b] });
    for (let i = 0; i < 400; i++) await l2b.setWithTtl(`k${i}`, i, 10_000);
    for (let i = 0; i < 400; i++) await half.get(`k${i}`);
    expect(l1b.size).toBeGreaterThan(120);
    expect(l1b.size).toBeLessThan(280);
  });

  it('getMany reads in order, batches misses to lower tiers and promotes', async () => {
    const { l1, l2, cache } = twoTier();
    await l1.setWithTtl('a', 'A', 10_000);
    await l2.setWithTtl('b', 'B', 10_000);
    expect(await cache.getMany(['a', 'b', 'c'])).toStrictEqual(['A', 'B', undefined]); // no holes
    expect(l1.peek('b')).toBe('B');
    const stats = cache.stats();
    expect(stats.tiers.map((t) => t.hits)).toEqual([1, 1]);
    expect(stats.misses).toBe(1);
  });

  it('setMany writes every tier with each entry TTL', async () => {
    const { l1, l2, cache } = twoTier();
    await cache.setMany([
      { key: 'x', value: 1, ttl: '1s' },
      { key: 'y', value: 2, strategy: Strategy.LongTerm },
    ]);
    expect(l2.peekWithTtl('x')!.ttlMs!).toBeLessThanOrEqual(1000);
    expect(l1.peekWithTtl('y')!.ttlMs!).toBeGreaterThan(10_000_000);
  });

  it('delete removes from every tier', async () => {
    const { l1, l2, cache } = twoTier();
    await cache.set('d', 1);
    await cache.delete('d');
    expect(l1.peek('d')).toBeUndefined();
    expect(l2.peek('d')).toBeUndefined();
    expect(await cache.get('d')).toBeUndefined();
  });

  it('invalidatePattern removes matches in every tier and nothing else', async () => {
    const { l1, l2, cache } = twoTier();
    await cache.set('user:1', 1);
    await cache.set('user:2', 2);
    await cache.set('order:1', 3);
    await cache.invalidatePattern('user:*');
    expect(await cache.get('user:1')).toBeUndefined();
    expect(l2.peek('user:2')).toBeUndefined();
    expect(l1.peek('order:1')).toBe(3);
  });

  it('invalidatePattern names the remote tier that cannot do it, before touching anything', async () => {
    const l1 = new MemoryBackend({ name: 'l1' });
    const inner = new MemoryBackend({ name: 'inner' });
    const remote: CacheBackend = {
      name: 'no-patterns',
      get: (k) => inner.get(k),
      setWithTtl: (k, v, t) => inner.setWithTtl(k, v, t),
      remove: (k) => inner.remove(k),
      healthCheck: () => inner.healthCheck(),
    };
    const cache = new TieredCache({ tiers: [l1, remote] });
    await cache.set('user:1', 1);
    const error = await cache.invalidatePattern('user:*').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedOperationError);
    expect((error as UnsupportedOperationError).code).toBe('TIERCACHE_UNSUPPORTED');
    expect((error as Error).message).toContain('no-patterns');
    expect(l1.peek('user:1')).toBe(1);
  });

  it('clear empties every tier', async () => {
    const { l1, l2, cache } = twoTier();
    await cache.set('a', 1);
    await cache.clear();
    expect(l1.size + l2.size).toBe(0);
  });
});

describe('TTLs, strategies and tier scales', () => {
  it('strategies have the seed TTLs', () => {
    expect(Strategy.RealTime.ttlMs).toBe(10_000);
    expect(Strategy.ShortTerm.ttlMs).toBe(300_000);
    expect(Strategy.MediumTerm.ttlMs).toBe(3_600_000);
    expect(Strategy.LongTerm.ttlMs).toBe(10_800_000);
    expect(Strategy.Custom('90s').ttlMs).toBe(90_000);
    expect(() => Strategy.Custom('-1s' as '1s')).toThrow(InvalidTtlError);
  });

  it('accepts ms and "90s"/"5m"/"2h" TTLs', async () => {
    const { l2, cache } = twoTier();
    for (const [ttl, ms] of [
      [1500, 1500],
      ['90s', 90_000],
      ['5m', 300_000],
      ['2h', 7_200_000],
    ] as const) {
      await cache.set(`t${ms}`, 1, { ttl });
      const left = l2.peekWithTtl(`t${ms}`)!.ttlMs!;
      expect(left).toBeLessThanOrEqual(ms);
      expect(left).toBeGreaterThan(ms - 100);
    }
  });

  it('3-tier stack: each tier keeps the entry for TTL × its scale', async () => {
    const tiers = [0.1, 0.5, 1].map((scale, i) => ({
      backend: new MemoryBackend({ name: `t${i}` }),
      ttlScale: scale,
    }));
    const cache = new TieredCache({ tiers });
    await cache.set('k', 'v', { ttl: '100s' });
    const left = tiers.map((t) => t.backend.peekWithTtl('k')!.ttlMs!);
    expect(left[0]).toBeGreaterThan(9_900);
    expect(left[0]).toBeLessThanOrEqual(10_000);
    expect(left[1]).toBeGreaterThan(49_900);
    expect(left[1]).toBeLessThanOrEqual(50_000);
    expect(left[2]).toBeGreaterThan(99_900);
  });

  it('4-tier stack: a hit in the last tier is promoted into all three upper tiers with scaled remaining TTL', async () => {
    const tiers = [0.25, 0.5, 0.75, 1].map((scale, i) => ({
      backend: new MemoryBackend({ name: `L${i + 1}` }),
      ttlScale: scale,
    }));
    const cache = new TieredCache({ tiers });
    await tiers[3]!.backend.setWithTtl('deep', 'v', 40_000);
    expect(await cache.get('deep')).toBe('v');
    const left = tiers.map((t) => t.backend.peekWithTtl('deep')!.ttlMs!);
    expect(left[0]).toBeGreaterThan(9_800);
    expect(left[0]).toBeLessThanOrEqual(10_000);
    expect(left[1]).toBeGreaterThan(19_800);
    expect(left[1]).toBeLessThanOrEqual(20_000);
    expect(left[2]).toBeGreaterThan(29_800);
    expect(left[2]).toBeLessThanOrEqual(30_000);
    expect(cache.stats().tiers[3]!.hits).toBe(1);
    expect(cache.stats().promotions).toBe(3);
  });

  it('maxTtl caps what a tier keeps', async () => {
    const l1 = new MemoryBackend({ name: 'l1' });
    const cache = new TieredCache({ tiers: [{ backend: l1, maxTtl: '1s' }, new MemoryBackend()] });
    await cache.set('k', 1, { ttl: '1h' });
    expect(l1.peekWithTtl('k')!.ttlMs!).toBeLessThanOrEqual(1000);
  });

  it.each([
    [-1, 'negative'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [0, 'greater than 0'],
    ['5 parsecs', 'not a duration'],
    ['', 'not a duration'],
  ])('a bad TTL (%s) is an InvalidTtlError (a TypeError) at the call', async (ttl, words) => {
    const { cache } = twoTier();
    const error = await cache.set('k', 1, { ttl: ttl as number }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTtlError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as InvalidTtlError).code).toBe('TIERCACHE_BAD_TTL');
    expect((error as Error).message).toContain(words);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('a bad TTL in the options is an error at construction', () => {
    expect(() => new TieredCache({ ttl: '-5m' as '5m' })).toThrow(InvalidTtlError);
    expect(() => new TieredCache({ tiers: [] })).toThrow(InvalidOptionError);
    expect(() => new TieredCache({ tiers: [{ backend: new MemoryBackend(), ttlScale: 0 }] })).toThrow(
      /ttlScale/,
    );
    expect(
      () => new TieredCache({ tiers: [{ backend: new MemoryBackend(), promotion: { probability: 2 } }] }),
    ).toThrow(/promotion/);
    expect(() => new TieredCache({ jitter: 3 })).toThrow(/jitter/);
    expect(() => new TieredCache({ name: '' })).toThrow(InvalidOptionError);
    expect(() => new TieredCache({ broadcastSets: 'yes' as unknown as boolean })).toThrow(/broadcastSets/);
    expect(() => new TieredCache({ strategy: {} as never })).toThrow(/strategy/);
    expect(() => new TieredCache({ stream: {} as never })).toThrow(/StreamingBackend/);
    expect(
      () => new TieredCache({ tiers: [new MemoryBackend(), { backend: new MemoryBackend(), maxTtl: 0 }] }),
    ).toThrow(InvalidTtlError);
    expect(
      () =>
        new TieredCache({
          tiers: [new MemoryBackend(), { backend: new MemoryBackend(), breaker: { failureThreshold: -1 } }],
        }),
    ).toThrow(/failureThreshold/);
    expect(
      () =>
        new TieredCache({
          tiers: [new MemoryBackend(), { backend: new MemoryBackend(), breaker: { openMs: 'x' as never } }],
        }),
    ).toThrow(/openMs/);
    const transport = new MemoryBusHub().transport();
    expect(() => new TieredCache({ bus: { transport, maxQueue: -5 } })).toThrow(/maxQueue/);
    expect(() => new TieredCache({ bus: { transport, retryMs: -1 } })).toThrow(/retryMs/);
    expect(() => new TieredCache({ bus: { transport: {} as never } })).toThrow(/BusTransport/);
  });

  it('jitter shortens TTLs by up to the fraction', async () => {
    const l1 = new MemoryBackend();
    const cache = new TieredCache({ tiers: [l1], jitter: 0.2 });
    const lefts: number[] = [];
    for (let i = 0; i < 50; i++) {
      await cache.getOrSet(`j${i}`, () => i, { ttl: '100s' });
      lefts.push(l1.peekWithTtl(`j${i}`)!.ttlMs!);
    }
    expect(Math.min(...lefts)).toBeGreaterThanOrEqual(80_000 - 50);
    expect(Math.max(...lefts)).toBeLessThanOrEqual(100_000);
    expect(new Set(lefts.map((l) => Math.round(l / 1000))).size).toBeGreaterThan(5);
  });
});

describe('keys and values', () => {
  it.each([
    ['', 'TIERCACHE_BAD_KEY'],
    ['x'.repeat(1025), 'TIERCACHE_KEY_TOO_LONG'],
    ['a\nb', 'TIERCACHE_BAD_KEY'],
    ['nul\u0000', 'TIERCACHE_BAD_KEY'],
    [42, 'TIERCACHE_BAD_KEY'],
    [null, 'TIERCACHE_BAD_KEY'],
  ])('a bad key (%j) is an InvalidKeyError on every call', async (key, code) => {
    const { cache } = twoTier();
    const k = key as string;
    for (const call of [
      () => cache.get(k),
      () => cache.set(k, 1),
      () => cache.delete(k),
      () => cache.getOrSet(k, () => 1),
      () => cache.getMany([k]),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidKeyError);
      expect((error as InvalidKeyError).code).toBe(code);
    }
  });

  it('unicode and long keys up to the limit work', async () => {
    const { cache } = twoTier();
    for (const key of ['ключ', '鍵🔑', 'a b:c/d', 'x'.repeat(1024)]) {
      await cache.set(key, key);
      expect(await cache.get(key)).toBe(key);
    }
  });

  it('undefined, functions and symbols cannot be cached', async () => {
    const { cache } = twoTier();
    for (const value of [undefined, () => 1, Symbol('s')]) {
      await expect(cache.set('k', value)).rejects.toBeInstanceOf(InvalidValueError);
    }
  });

  it('the L1 hit path returns the stored reference (no clone) by default', async () => {
    const { cache } = twoTier();
    const value = { deep: [1, 2, 3] };
    await cache.set('ref', value);
    expect(await cache.get('ref')).toBe(value);
  });
});

describe('getOrSet and single-flight', () => {
  it('1000 concurrent calls for one cold key run the factory once and all get the value', async () => {
    const cache = new TieredCache<{ built: boolean }>({ tiers: [new MemoryBackend(), new MemoryBackend()] });
    const factory = vi.fn(async () => {
      await wait(20);
      return { built: true };
    });
    const results = await Promise.all(Array.from({ length: 1000 }, () => cache.getOrSet('cold', factory)));
    expect(factory).toHaveBeenCalledTimes(1);
    expect(results.every((r) => r === results[0] && r.built)).toBe(true);
    const stats = cache.stats();
    expect(stats.factoryRuns).toBe(1);
    expect(stats.coalesced).toBe(999);
    expect(stats.inFlight).toBe(0);
  });

  it('a factory error reaches every waiter, caches nothing, and the next call runs the factory again', async () => {
    const { l1, l2, cache } = twoTier();
    let calls = 0;
    const failing = async () => {
      calls++;
      await wait(10);
      throw new Error('db down');
    };
    const settled = await Promise.allSettled(Array.from({ length: 50 }, () => cache.getOrSet('e', failing)));
    expect(calls).toBe(1);
    expect(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'db down')).toBe(
      true,
    );
    expect(l1.peek('e')).toBeUndefined();
    expect(l2.peek('e')).toBeUndefined();
    expect(await cache.getOrSet('e', () => 'recovered')).toBe('recovered');
    expect(calls).toBe(1);
    expect(cache.stats().factoryRuns).toBe(2);
    expect(cache.stats().factoryErrors).toBe(1);
  });

  it('a factory that throws a non-Error rejects with FactoryError keeping the thrown value', async () => {
    const { cache } = twoTier();
    const error = await cache
      .getOrSet('s', () => {
        throw 'just a string';
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).cause).toBe('just a string');
  });

  it('a factory that returns undefined is an InvalidValueError and caches nothing', async () => {
    const { cache } = twoTier();
    await expect(cache.getOrSet('u', () => undefined as unknown as number)).rejects.toBeInstanceOf(
      InvalidValueError,
    );
    expect(await cache.get('u')).toBeUndefined();
  });

  it('a factory past its hard timeout fails every waiter with FactoryTimeoutError and sees its signal aborted', async () => {
    const { cache } = twoTier();
    let aborted = false;
    const never = ({ signal }: { signal: AbortSignal }) =>
      new Promise<number>(() => {
        signal.addEventListener('abort', () => {
          aborted = true;
        });
      });
    const settled = await Promise.allSettled([
      cache.getOrSet('slow', never, { timeout: 50 }),
      cache.getOrSet('slow', never, { timeout: 50 }),
    ]);
    for (const s of settled) expect(s.status === 'rejected' && s.reason).toBeInstanceOf(FactoryTimeoutError);
    expect(aborted).toBe(true);
  });

  it('one waiter aborting does not cancel the run for the others; all aborting cancels it', async () => {
    const { cache } = twoTier();
    const a = new AbortController();
    let factorySignal: AbortSignal | undefined;
    const factory = async ({ signal }: { signal: AbortSignal }) => {
      factorySignal = signal;
      await wait(50);
      return 'done';
    };
    const first = cache.getOrSet('k', factory, { signal: a.signal });
    const second = cache.getOrSet('k', factory);
    a.abort();
    await expect(first).rejects.toThrow();
    expect(await second).toBe('done');
    expect(factorySignal?.aborted).toBe(false);

    const b = new AbortController();
    const c = new AbortController();
    const p1 = cache.getOrSet('k2', factory, { signal: b.signal });
    const p2 = cache.getOrSet('k2', factory, { signal: c.signal });
    b.abort();
    c.abort();
    await expect(p1).rejects.toThrow();
    await expect(p2).rejects.toThrow();
    expect(factorySignal?.aborted).toBe(true);
  });

  it('getOrSet finds a value in a lower tier without running the factory', async () => {
    const { l1, l2, cache } = twoTier();
    await l2.setWithTtl('warm', 'from-l2', 5000);
    const factory = vi.fn(() => 'fresh');
    expect(await cache.getOrSet('warm', factory)).toBe('from-l2');
    expect(factory).not.toHaveBeenCalled();
    expect(l1.peek('warm')).toBe('from-l2');
  });

  it('two instances sharing a lockable tier run the factory once for 1000 concurrent calls', async () => {
    // A MemoryBackend that claims to be remote, so the lock path is used (the real Redis test is in l2-redis).
    const shared = new MemoryBackend({ name: 'shared' });
    Object.defineProperty(shared, 'local', { value: false });
    const a = new TieredCache({ tiers: [new MemoryBackend({ name: 'a' }), shared] });
    const b = new TieredCache({ tiers: [new MemoryBackend({ name: 'b' }), shared] });
    let runs = 0;
    const factory = async () => {
      runs++;
      await wait(20);
      return 'once';
    };
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).getOrSet('shared-cold', factory)),
    );
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['once']));
  });
});

describe('writes that fail in a tier', () => {
  /** A remote tier with only the required methods that refuses connections on demand. */
  function flaky() {
    const backend = new FaultyTier(new MemoryBackend({ name: 'inner' }), { name: 'flaky' });
    return {
      backend,
      setDown: (down: boolean) => (down ? backend.fail(new Error('ECONNREFUSED')) : backend.heal()),
    };
  }

  it('tolerated by default: reported in stats and events, L1 keeps serving', async () => {
    // Fault injection: a backend that refuses connections on demand (a real server cannot be told to fail one call).
    const { backend, setDown } = flaky();
    const l1 = new MemoryBackend({ name: 'l1' });
    const cache = new TieredCache({ tiers: [l1, { backend, breaker: false }] });
    const errors: string[] = [];
    cache.on('tier:error', (e) => errors.push(`${e.tierName}:${e.operation}`));
    setDown(true);
    await cache.set('k', 'v');
    expect(await cache.get('k')).toBe('v');
    expect(await cache.get('other')).toBeUndefined();
    expect(cache.stats().tiers[1]!.errors).toBe(2);
    expect(errors).toEqual(['flaky:set', 'flaky:get']);
  });

  it('writes missed while a tier is down are applied, in order, when it answers again', async () => {
    // Fault injection: the flaky backend refuses calls on demand (the fault suite does this with real servers).
    const { backend, setDown } = flaky();
    const l2 = backend;
    const cache = new TieredCache({
      tiers: [new MemoryBackend({ name: 'l1' }), { backend: l2, breaker: false }],
    });
    await cache.set('deleted', 'before');
    await cache.set('updated', 'old');
    setDown(true);
    await cache.delete('deleted');
    await cache.set('updated', 'new', { ttl: '1m' });
    await cache.set('temp', 'x');
    await cache.delete('temp'); // last write per key wins
    expect(cache.stats().tiers[1]!.pendingWrites).toBe(3);
    setDown(false);
    // A fresh instance reads the tier directly: before the replay it must not see the old values
    // through this cache, and after it the tier itself holds the writes.
    expect(await cache.get('deleted')).toBeUndefined();
    // Applied on the next call that reaches the tier, or by the retry timer (1 s) without traffic.
    await vi.waitFor(
      () => {
        expect(cache.stats().tiers[1]!.pendingWrites).toBe(0);
      },
      { timeout: 5000, interval: 50 },
    );
    expect(await l2.get('deleted')).toBeUndefined();
    expect(await l2.get('updated')).toBe('new');
    expect(await l2.get('temp')).toBeUndefined();
  });

  it('reads of a tier with missed writes are answered from them until they are applied', async () => {
    const { backend, setDown } = flaky();
    const l1 = new MemoryBackend({ name: 'l1' });
    const cache = new TieredCache({ tiers: [l1, { backend, breaker: false }] });
    await cache.set('k', 'old');
    setDown(true);
    await cache.delete('k');
    setDown(false);
    await l1.clear(); // as another instance with an empty L1 would be
    expect(await cache.get('k')).toBeUndefined(); // not the stale 'old' still in the tier
  });

  it('maxPendingWrites bounds what is kept; the oldest missed writes are dropped and counted', async () => {
    const { backend, setDown } = flaky();
    const cache = new TieredCache({
      tiers: [new MemoryBackend(), { backend, breaker: false, maxPendingWrites: 2 }],
    });
    setDown(true);
    for (const k of ['a', 'b', 'c']) await cache.set(k, k);
    expect(cache.stats().tiers[1]).toMatchObject({ pendingWrites: 2, droppedWrites: 1 });
  });

  it('raised with writeFailures: "raise"', async () => {
    const { backend, setDown } = flaky();
    const cache = new TieredCache({
      tiers: [new MemoryBackend(), { backend, breaker: false }],
      writeFailures: 'raise',
    });
    setDown(true);
    await expect(cache.set('k', 'v')).rejects.toMatchObject({ code: 'TIERCACHE_TIER_FAILED', tier: 'flaky' });
  });

  it('the breaker opens after repeated failures and the tier is skipped, then closes after a good probe', async () => {
    const { backend, setDown } = flaky();
    const cache = new TieredCache({
      tiers: [new MemoryBackend(), { backend, breaker: { failureThreshold: 3, openMs: 100 } }],
    });
    const states: string[] = [];
    cache.on('breaker:state', (e) => states.push(e.state));
    setDown(true);
    for (let i = 0; i < 5; i++) await cache.get(`m${i}`);
    expect(cache.stats().tiers[1]!.breaker).toBe('open');
    expect(cache.stats().tiers[1]!.errors).toBe(5); // 3 failures + 2 skipped while open
    setDown(false);
    await wait(120);
    await cache.get('probe');
    expect(cache.stats().tiers[1]!.breaker).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });
});

describe('health, streams and close', () => {
  it('healthCheck reports each tier', async () => {
    const { cache } = twoTier();
    const health = await cache.healthCheck();
    expect(health.healthy).toBe(true);
    expect(health.tiers.map((t) => t.name)).toEqual(['l1', 'l2']);
  });

  it('stream pass-through uses the configured StreamingBackend, and says so when there is none', async () => {
    const cache = new TieredCache({ stream: new MemoryStream() });
    const id = await cache.publishToStream('events', [['type', 'created']]);
    expect(await cache.readStreamLatest('events', 1)).toEqual([{ id, fields: [['type', 'created']] }]);
    expect(await cache.readStream('events', '0', 10)).toHaveLength(1);
    const bare = new TieredCache();
    expect(() => bare.publishToStream('events', [])).toThrow(NoStreamError);
  });

  it('close waits for an in-flight factory, then rejects new calls with ClosedError', async () => {
    const { cache } = twoTier();
    const pending = cache.getOrSet('slow', async () => {
      await wait(50);
      return 1;
    });
    await cache.close();
    expect(await pending).toBe(1);
    await expect(cache.set('k', 1)).rejects.toBeInstanceOf(ClosedError);
    await expect(cache.get('other')).rejects.toBeInstanceOf(ClosedError);
  });
});
