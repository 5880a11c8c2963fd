import { describe, expect, it } from 'vitest';
import { MemoryBackend, TieredCache } from '../src/index.js';

/**
 * An L1 that offers `peekResolved` (as LruBackend does): one frozen promise per stored entry,
 * made at its first read and dropped by every write, removal or clear. It records what the
 * manager asked, so the tests can tell which fast path answered.
 */
class ResolvingL1<V> extends MemoryBackend<V> {
  readonly #promises = new Map<string, Promise<V>>();
  resolvedCalls = 0;

  peekResolved(key: string): Promise<V> | undefined {
    this.resolvedCalls++;
    const value = this.peek(key);
    if (value === undefined) {
      this.#promises.delete(key);
      return undefined;
    }
    let promise = this.#promises.get(key);
    if (promise === undefined) {
      promise = Object.freeze(Promise.resolve(value));
      this.#promises.set(key, promise);
    }
    return promise;
  }

  override setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#promises.delete(key);
    return super.setWithTtl(key, value, ttlMs);
  }

  override remove(key: string): Promise<void> {
    this.#promises.delete(key);
    return super.remove(key);
  }

  override clear(): Promise<void> {
    this.#promises.clear();
    return super.clear();
  }
}

function setup(options: { grace?: number } = {}) {
  const l1 = new ResolvingL1<unknown>({ name: 'l1' });
  const l2 = new MemoryBackend<unknown>({ name: 'l2' });
  Object.defineProperty(l1, 'local', { value: true });
  const cache = new TieredCache<unknown>({ tiers: [l1, l2], ttl: 60_000, ...options });
  return { cache, l1, l2 };
}

describe('L1 hits answered with the promise the first tier keeps (peekResolved)', () => {
  it("get and getOrSet(key, factory) return the tier's promise, counted and reported as L1 hits", async () => {
    const { cache, l1 } = setup();
    await cache.set('k', { v: 1 });
    const hits: number[] = [];
    cache.on('hit', (e) => hits.push(e.tier));
    cache.resetStats();
    const first = cache.get('k');
    expect(cache.get('k')).toBe(first);
    expect(cache.getOrSet('k', () => ({ v: 'factory' }))).toBe(first);
    await expect(first).resolves.toStrictEqual({ v: 1 });
    expect(l1.resolvedCalls).toBe(3);
    expect(hits).toEqual([0, 0, 0]);
    const stats = cache.stats();
    expect({ requests: stats.requests, hits: stats.hits, l1: stats.tiers[0]!.hits }).toStrictEqual({
      requests: 3,
      hits: 3,
      l1: 3,
    });
    expect(stats.hitRate).toBe(1);
    cache.resetStats();
    expect(cache.stats().requests).toBe(0);
    expect(cache.stats().tiers[0]!.hits).toBe(0);
  });

  it('writes win: after set or delete, no read gets the promise of the replaced value', async () => {
    const { cache } = setup();
    await cache.set('k', 'old');
    const old = cache.get('k');
    await expect(old).resolves.toBe('old');
    await cache.set('k', 'new');
    const after = cache.get('k');
    expect(after).not.toBe(old);
    await expect(after).resolves.toBe('new');
    await cache.delete('k');
    await expect(cache.get('k')).resolves.toBeUndefined();
    await cache.set('k', 'again');
    await cache.clear();
    await expect(cache.get('k')).resolves.toBeUndefined();
  });

  it('once a tagged entry exists, hits go through the tag check (the stored envelope is never returned)', async () => {
    const { cache, l1 } = setup();
    await cache.set('plain', 'p');
    await expect(cache.get('plain')).resolves.toBe('p');
    const before = l1.resolvedCalls;
    await cache.set('t', 'tagged', { tags: ['a'] });
    await expect(cache.get('t')).resolves.toBe('tagged');
    await expect(cache.get('plain')).resolves.toBe('p');
    expect(l1.resolvedCalls).toBe(before);
    await cache.invalidateTags(['a']);
    await expect(cache.get('t')).resolves.toBeUndefined();
  });

  it('with grace, hits need the remaining TTL, so the kept promise is not used', async () => {
    const { cache, l1 } = setup({ grace: 10_000 });
    await cache.set('k', 'v');
    await expect(cache.get('k')).resolves.toBe('v');
    await expect(cache.getOrSet('k', () => 'x')).resolves.toBe('v');
    expect(l1.resolvedCalls).toBe(0);
  });

  it("a miss in L1 is read below and promoted; the next hit is the tier's promise", async () => {
    const { cache, l1, l2 } = setup();
    await l2.setWithTtl('k', 'from-l2', 60_000);
    await expect(cache.get('k')).resolves.toBe('from-l2');
    expect(l1.peek('k')).toBe('from-l2');
    const hit = cache.get('k');
    expect(cache.get('k')).toBe(hit);
    await expect(hit).resolves.toBe('from-l2');
  });
});
