import { describe, expect, it } from 'vitest';
import { MemoryBackend, TieredCache } from '../src/index.js';
import { gatedRemote, until } from './support/gated-remote.js';
import { caches, twoTiers } from './support/two-tiers.js';

/**
 * Stats and events equal what happened on every L1-hit path: the cache's own (untagged and
 * tagged entries, eager refresh), a namespace's, and a getOrSet waiting for another instance's
 * lock. Every request ends as exactly one of a hit, a miss or coalesced.
 */
function counts(cache: TieredCache<string>) {
  const { requests, hits, misses, coalesced, factoryRuns } = cache.stats();
  return { requests, hits, misses, coalesced, factoryRuns };
}

describe('one L1-hit path: get, getOrSet and getOrSetResult count and report alike', () => {
  it.each([
    ['untagged entry', false, false],
    ['tagged entry', true, false],
    ['namespace entry', false, true],
    ['tagged namespace entry', true, true],
  ] as const)(
    '%s: one hit event and one hit each, requests balanced',
    async (_name, withTags, inNamespace) => {
      const { cache } = twoTiers();
      const view = inNamespace ? cache.namespace('ns') : cache;
      await view.set('k', 'v', withTags ? { tags: ['t'] } : undefined);
      cache.resetStats();
      const hits: number[] = [];
      cache.on('hit', (e) => hits.push(e.tier));
      expect(await view.get('k')).toBe('v');
      expect(await view.getOrSet('k', () => 'x')).toBe('v');
      expect(await view.getOrSetResult('k', () => 'x')).toEqual({ value: 'v', stale: false });
      expect(await view.getOrSet({ key: 'k', factory: () => 'x' })).toBe('v');
      expect(hits).toEqual([0, 0, 0, 0]);
      expect(counts(cache)).toEqual({ requests: 4, hits: 4, misses: 0, coalesced: 0, factoryRuns: 0 });
    },
  );

  it('eager refresh hits (getOrSet and getOrSetResult) count one hit and emit one hit event each', async () => {
    const cache = new TieredCache<string>({
      tiers: [new MemoryBackend<string>({ name: 'l1' }), gatedRemote<string>('l2').backend],
      ttl: '1m',
      eagerRefresh: 0.5,
      lock: false,
    });
    caches.push(cache);
    await cache.set('k', 'v');
    cache.resetStats();
    const hits: number[] = [];
    cache.on('hit', (e) => hits.push(e.tier));
    await cache.getOrSet('k', () => 'x');
    await cache.getOrSetResult('k', () => 'x');
    expect(hits).toEqual([0, 0]);
    expect(counts(cache)).toEqual({ requests: 2, hits: 2, misses: 0, coalesced: 0, factoryRuns: 0 });
  });
});

describe("a getOrSet waiting on another instance's lock counts one outcome", () => {
  function lockedPair() {
    const shared = gatedRemote<string>('shared');
    const mem = shared.mem;
    const lockable = Object.assign(shared.backend, {
      acquireLock: (k: string, lease: number) => mem.acquireLock(k, lease),
      releaseLock: (k: string, token: string) => mem.releaseLock(k, token),
    });
    const make = (name: string) =>
      new TieredCache<string>({ tiers: [new MemoryBackend({ name }), lockable], lock: { poll: 5 } });
    const a = make('a');
    const b = make('b');
    caches.push(a, b);
    return { a, b };
  }

  it.each([
    { where: 'in the cache, untagged' },
    { where: 'in the cache, tagged', withTags: true },
    { where: 'in a namespace', inNamespace: true },
  ])(
    '$where: the waiter that finds the value counts one hit, and its joiners one coalesced each',
    async ({ withTags, inNamespace }) => {
      const { a, b } = lockedPair();
      const va = inNamespace ? a.namespace('ns') : a;
      const vb = inNamespace ? b.namespace('ns') : b;
      const options = withTags ? { tags: ['t'] } : undefined;
      let finish!: (v: string) => void;
      const first = va.getOrSet('k', () => new Promise<string>((r) => (finish = r)), options);
      await until(() => finish !== undefined);
      const waiting = vb.getOrSet('k', () => 'b computed', options);
      const joined = vb.getOrSetResult('k', () => 'b computed', options);
      await new Promise((r) => setTimeout(r, 30)); // b is polling the lock
      finish('a computed');
      expect(await Promise.all([first, waiting])).toEqual(['a computed', 'a computed']);
      expect(await joined).toEqual({ value: 'a computed', stale: false });
      expect(counts(b)).toEqual({ requests: 2, hits: 1, misses: 0, coalesced: 1, factoryRuns: 0 });
    },
  );
});

describe('events for the batch calls match their counters', () => {
  // Found from outside: getMany counted its misses without a `miss` event, setMany wrote
  // without a `set` event.
  it('getMany: one miss event per key it found in no tier, beside stats().misses', async () => {
    const { cache } = twoTiers();
    await cache.set('a', 'v');
    cache.resetStats();
    const missed: string[] = [];
    cache.on('miss', (e) => missed.push(e.key));
    expect(await cache.getMany(['a', 'b', 'c'])).toEqual(['v', undefined, undefined]);
    expect(missed).toEqual(['b', 'c']);
    expect(cache.stats().misses).toBe(2);
  });

  it('setMany: one set event per key, as set gives', async () => {
    const { cache } = twoTiers();
    const set: string[] = [];
    cache.on('set', (e) => set.push(e.key));
    await cache.setMany([
      { key: 'a', value: '1' },
      { key: 'b', value: '2', ttl: '1m' },
    ]);
    expect(set).toEqual(['a', 'b']);
  });
});
