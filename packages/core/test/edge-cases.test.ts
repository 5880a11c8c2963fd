import { describe, expect, it } from 'vitest';
import {
  DeserializationError,
  MemoryBackend,
  MemoryBusHub,
  TieredCache,
  ValueTooLargeError,
} from '../src/index.js';
import { FaultyTier, type TierCall } from './support/faulty-tier.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fault injection: a MemoryBackend that acts as a remote tier (with pattern deletes, clear and
 * locks, without batch or guarded writes) and can be told to fail (a real server cannot be
 * made to refuse one call, or one key, on demand).
 */
function remote(name = 'remote') {
  const mem = new MemoryBackend<string>({ name });
  const tier = new FaultyTier(mem, {
    offer: ['getWithTtl', 'clear', 'removePattern', 'acquireLock', 'releaseLock'],
  });
  return { backend: tier, mem, tier };
}

describe('missed writes and later writes', () => {
  it('a write made after recovery is not overwritten by an older missed one', async () => {
    const l2 = remote('l2');
    const cache = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'l1' }), { backend: l2.backend, breaker: false }],
    });
    l2.tier.fail();
    await cache.set('k', 'v1');
    await cache.set('d', 'old');
    l2.tier.heal();
    await cache.set('k', 'v2');
    await cache.delete('d');
    await expect.poll(() => cache.stats().tiers[1]!.pendingWrites, { timeout: 5000 }).toBe(0);
    expect(await l2.mem.get('k')).toBe('v2');
    expect(await l2.mem.get('d')).toBeUndefined();
  });

  it('a missed write the tier refuses is dropped, and the ones behind it still apply', async () => {
    const l2 = remote('l2');
    const cache = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'l1' }), { backend: l2.backend, breaker: false }],
    });
    l2.tier.fail();
    await cache.set('big', 'x'.repeat(50));
    await cache.set('small', 'ok');
    l2.tier.fail(({ operation, key }: TierCall) =>
      operation === 'setWithTtl' && key === 'big' ? new ValueTooLargeError('l2', 50, 10) : undefined,
    );
    await expect.poll(() => cache.stats().tiers[1]!.pendingWrites, { timeout: 5000 }).toBe(0);
    expect(await l2.mem.get('small')).toBe('ok');
    expect(await l2.mem.get('big')).toBeUndefined();
  });

  it('undecodable stored values do not open the breaker', async () => {
    const l2 = remote('l2');
    l2.tier.fail(({ operation, key }: TierCall) =>
      operation === 'getWithTtl' && key?.startsWith('legacy:')
        ? new DeserializationError('not JSON')
        : undefined,
    );
    const cache = new TieredCache<string>({ tiers: [new MemoryBackend(), l2.backend] });
    for (let i = 0; i < 6; i++) expect(await cache.get(`legacy:${i}`)).toBeUndefined();
    expect(cache.stats().tiers[1]!.breaker).toBe('closed');
  });
});

describe('grace with a capped L1, cancellation and soft timeouts', () => {
  it('eager refresh with an L1 maxTtl shorter than the TTL refreshes once, not on every hit', async () => {
    const cache = new TieredCache<string>({
      tiers: [{ backend: new MemoryBackend(), maxTtl: '2s' }],
      ttl: '60s',
      eagerRefresh: 0.8,
    });
    let runs = 0;
    const factory = async () => {
      runs++;
      await wait(5);
      return 'v';
    };
    await cache.getOrSet('k', factory);
    for (let i = 0; i < 100; i++) await cache.getOrSet('k', factory);
    expect(runs).toBe(1);
  });

  it('an L1 whose maxTtl cannot hold the grace window still serves hits', async () => {
    const cache = new TieredCache<string>({
      tiers: [
        { backend: new MemoryBackend({ name: 'l1' }), maxTtl: '2s' },
        new MemoryBackend({ name: 'l2' }),
      ],
      ttl: '60s',
      grace: '10s',
    });
    await cache.set('k', 'v');
    for (let i = 0; i < 3; i++) expect(await cache.get('k')).toBe('v');
    expect(cache.stats().tiers[0]!.hits).toBe(3);
  });

  it('a cancelled caller does not make the cache serve an expired value as fresh', async () => {
    const cache = new TieredCache<string>({ ttl: 50, grace: '1m' });
    await cache.set('k', 'old');
    await wait(80);
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('client went away')), 10);
    const honouring = ({ signal }: { signal: AbortSignal }) =>
      new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => resolve('new'), 50);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(signal.reason);
        });
      });
    await expect(cache.getOrSet('k', honouring, { signal: caller.signal })).rejects.toThrow(
      'client went away',
    );
    expect(cache.stats().staleServed).toBe(0);
    expect(await cache.getOrSetResult('k', () => 'new')).toEqual({ value: 'new', stale: false });
  });

  it('a factory may return any string, "soft" included', async () => {
    const cache = new TieredCache<string>({ ttl: 20, grace: '1m', factorySoftTimeout: 1000 });
    await cache.set('k', 'old');
    await wait(40);
    expect(await cache.getOrSetResult('k', () => 'soft')).toEqual({ value: 'soft', stale: false });
  });

  it('an already-aborted signal rejects without running the factory', async () => {
    const cache = new TieredCache<string>();
    let runs = 0;
    await expect(
      cache.getOrSet('k', () => String(++runs), { signal: AbortSignal.abort(new Error('gave up')) }),
    ).rejects.toThrow('gave up');
    expect(runs).toBe(0);
    expect(cache.stats().inFlight).toBe(0);
  });

  it('getMany does not return entries kept only for grace', async () => {
    const cache = new TieredCache<string>({
      tiers: [new MemoryBackend(), new MemoryBackend()],
      ttl: 50,
      grace: '1m',
    });
    await cache.set('a', 'A');
    await wait(80);
    expect(await cache.getMany(['a'])).toStrictEqual([undefined]);
  });
});

describe('close', () => {
  it('waits for the lock release and bus message that in-flight work adds as it ends', async () => {
    const l2 = remote('l2');
    const hub = new MemoryBusHub();
    const cache = new TieredCache<string>({
      tiers: [new MemoryBackend(), { backend: l2.backend, breaker: false }],
      bus: { transport: hub.transport() },
    });
    await cache.ready();
    const pending = cache.getOrSet('k', async () => {
      await wait(50);
      return 'v';
    });
    await wait(10);
    await cache.close();
    expect(await pending).toBe('v');
    expect(await l2.mem.acquireLock('getOrSet:k', 1000)).toBeDefined(); // released, not left to expire
    expect(cache.stats().bus.sent).toBe(1);
  });

  it('aborts background refreshes, and a second close waits for the first', async () => {
    let aborted = false;
    const cache = new TieredCache<string>({ eagerRefresh: 0.5, ttl: 100, closeTimeout: 200 });
    await cache.set('k', 'v');
    await wait(60);
    await cache.getOrSet('k', ({ signal }) => {
      signal.addEventListener('abort', () => {
        aborted = true;
      });
      return new Promise<string>(() => undefined);
    });
    const first = cache.close();
    const second = cache.close();
    expect(second).toBe(first);
    await second;
    expect(aborted).toBe(true);
  });
});

describe('bus loss the receiver cannot see in sequence numbers', () => {
  it('a sender whose queue overflows before the receiver first heard from it sends one clear instead of losing a delete', async () => {
    const hub = new MemoryBusHub();
    const real = hub.transport();
    let down = true;
    const flaky = {
      name: 'flaky',
      publish: (c: string, m: string) => (down ? Promise.reject(new Error('down')) : real.publish(c, m)),
      subscribe: real.subscribe.bind(real),
      close: () => real.close(),
    };
    const a = new TieredCache<string>({
      tiers: [new MemoryBackend()],
      bus: { transport: flaky, maxQueue: 2, retryMs: 20 },
    });
    const bL1 = new MemoryBackend<string>();
    const b = new TieredCache<string>({ tiers: [bL1], bus: { transport: hub.transport() } });
    await Promise.all([a.ready(), b.ready()]);
    await b.set('user:1', 'stale', { broadcast: false });
    await a.delete('user:1');
    await a.set('x', '1');
    await a.set('y', '1');
    await a.set('z', '1'); // the delete is in flight; 3 more wait, over maxQueue 2: they become one clear
    expect(a.stats().bus.overflows).toBe(1);
    down = false;
    await expect.poll(() => bL1.peek('user:1'), { timeout: 5000 }).toBeUndefined();
    expect(await b.get('user:1')).toBeUndefined();
    await Promise.all([a.close(), b.close()]);
  });
});
