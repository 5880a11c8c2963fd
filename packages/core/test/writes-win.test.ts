import { describe, expect, it } from 'vitest';
import { MemoryBackend, MemoryBusHub, TieredCache } from '../src/index.js';
import { gatedRemote, until } from './support/gated-remote.js';
import { caches, twoTiers } from './support/two-tiers.js';

/**
 * Writes win: a value read from a tier (or computed) before a write, delete, invalidation or
 * clear of its key never lands in a tier after it. Each case starts a read, lets a write
 * complete while the read is in flight, then lets the read finish, and checks what every
 * tier answers afterwards.
 */

describe('writes win over reads in flight (one process)', () => {
  it('get in flight, then delete: the old value does not come back into L1', async () => {
    const { cache, l1, l2 } = twoTiers();
    await l2.mem.setWithTtl('k', 'old', 60_000);
    l2.hold();
    const read = cache.get('k');
    await until(() => l2.waiting === 1);
    await cache.delete('k');
    l2.release();
    expect(await read).toBe('old'); // current when the read began
    expect(l1.peek('k')).toBeUndefined();
    expect(await cache.get('k')).toBeUndefined();
  });

  it('get in flight, then set v2: every later read returns v2', async () => {
    const { cache, l1, l2 } = twoTiers();
    await l2.mem.setWithTtl('k', 'old', 60_000);
    l2.hold();
    const read = cache.get('k');
    await until(() => l2.waiting === 1);
    await cache.set('k', 'v2');
    l2.release();
    await read;
    expect(l1.peek('k')).toBe('v2');
    expect(await cache.get('k')).toBe('v2');
  });

  it('a read that starts while a write is under way does not promote what the write is replacing', async () => {
    const { cache, l1, l2 } = twoTiers();
    await l2.mem.setWithTtl('k', 'old', 60_000);
    // The L2 write of v2 is held back so the read sees the old value while the write runs.
    const setWithTtl = l2.backend.setWithTtl;
    let finishWrite!: () => void;
    l2.backend.setWithTtl = (k, v, t) =>
      new Promise<void>((resolve) => (finishWrite = resolve)).then(() => setWithTtl(k, v, t));
    const write = cache.set('k', 'v2');
    await until(() => finishWrite !== undefined);
    l1.remove('k'); // the L1 copy is gone (evicted), so the read goes to L2
    const read = await cache.get('k');
    expect(read).toBe('old');
    finishWrite();
    await write;
    expect(await cache.get('k')).toBe('v2');
  });

  it('getMany in flight, then delete of one key: that key is not promoted, the others are', async () => {
    const { cache, l1, l2 } = twoTiers();
    await l2.mem.setWithTtl('a', 'A', 60_000);
    await l2.mem.setWithTtl('b', 'B', 60_000);
    l2.hold();
    const read = cache.getMany(['a', 'b']);
    await until(() => l2.waiting === 2);
    await cache.delete('a');
    l2.release();
    expect(await read).toEqual(['A', 'B']);
    expect(l1.peek('a')).toBeUndefined();
    expect(l1.peek('b')).toBe('B');
    expect(await cache.get('a')).toBeUndefined();
  });

  it('getOrSet whose L2 read is in flight when the key is set: the later value stays', async () => {
    const { cache, l2 } = twoTiers();
    await l2.mem.setWithTtl('k', 'old', 60_000);
    l2.hold();
    const read = cache.getOrSet('k', () => 'computed');
    await until(() => l2.waiting === 1);
    await cache.set('k', 'v2');
    l2.release();
    expect(await read).toBe('old');
    expect(await cache.get('k')).toBe('v2');
  });

  it('a getOrSet that comes after an invalidation does not join the run that began before it', async () => {
    const { cache, l2 } = twoTiers();
    await l2.mem.setWithTtl('k', 'old', 60_000);
    l2.hold();
    const before = cache.getOrSet('k', () => 'unused');
    await until(() => l2.waiting === 1);
    await cache.invalidate('k');
    const after = cache.getOrSet('k', () => 'fresh');
    l2.release();
    expect(await before).toBe('old'); // current when it began
    expect(await after).toBe('fresh');
    expect(cache.stats().coalesced).toBe(0);
    expect(await cache.get('k')).toBe('fresh');
  });

  it('a factory that started before an invalidation returns its value but does not store it', async () => {
    const { cache, l1, l2 } = twoTiers();
    let finish!: (v: string) => void;
    const read = cache.getOrSet('k', () => new Promise<string>((resolve) => (finish = resolve)));
    await until(() => finish !== undefined);
    await cache.invalidate('k');
    finish('computed from the old row');
    expect(await read).toBe('computed from the old row');
    expect(l1.peek('k')).toBeUndefined();
    expect(await l2.mem.get('k')).toBeUndefined();
    // The next call computes again.
    expect(await cache.getOrSet('k', () => 'fresh')).toBe('fresh');
    expect(await l2.mem.get('k')).toBe('fresh');
  });

  it('a factory that started before a set does not overwrite the set value', async () => {
    const { cache, l2 } = twoTiers();
    let finish!: (v: string) => void;
    const read = cache.getOrSet('k', () => new Promise<string>((resolve) => (finish = resolve)));
    await until(() => finish !== undefined);
    await cache.set('k', 'v2');
    finish('computed');
    await read;
    expect(await cache.get('k')).toBe('v2');
    expect(await l2.mem.get('k')).toBe('v2');
  });

  it('an eager refresh that started before a set does not overwrite it', async () => {
    const l1 = new MemoryBackend<string>({ name: 'l1' });
    const l2 = gatedRemote<string>('l2');
    const cache = new TieredCache<string>({
      tiers: [l1, l2.backend],
      ttl: 1000,
      eagerRefresh: 0.1,
      lock: false,
    });
    caches.push(cache);
    await cache.set('k', 'v1');
    await new Promise((r) => setTimeout(r, 150)); // past 10 % of the TTL: the next hit refreshes
    let finish!: (v: string) => void;
    expect(await cache.getOrSet('k', () => new Promise<string>((resolve) => (finish = resolve)))).toBe('v1');
    await until(() => finish !== undefined);
    await cache.set('k', 'v2');
    finish('refreshed from before the set');
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get('k')).toBe('v2');
    expect(await l2.mem.get('k')).toBe('v2');
  });

  it('fail-safe does not write the stale value back over a set made while the factory ran', async () => {
    const l1 = new MemoryBackend<string>({ name: 'l1' });
    const l2 = gatedRemote<string>('l2');
    const cache = new TieredCache<string>({ tiers: [l1, l2.backend], ttl: 100, grace: '1m', lock: false });
    caches.push(cache);
    await cache.set('k', 'stale-soon');
    await new Promise((r) => setTimeout(r, 130));
    let fail!: (e: Error) => void;
    const read = cache.getOrSetResult('k', () => new Promise<string>((_, reject) => (fail = reject)));
    await until(() => fail !== undefined);
    await cache.set('k', 'v2');
    fail(new Error('database down'));
    expect(await read).toEqual({ value: 'stale-soon', stale: true });
    expect(await cache.get('k')).toBe('v2');
  });

  it('a bus message that arrives while a read of its key is in flight wins over that read', async () => {
    const hub = new MemoryBusHub();
    const a = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'a-l1' })],
      bus: { transport: hub.transport() },
    });
    const l1 = new MemoryBackend<string>({ name: 'b-l1' });
    const l2 = gatedRemote<string>('shared');
    const b = new TieredCache<string>({
      tiers: [l1, l2.backend],
      lock: false,
      bus: { transport: hub.transport() },
    });
    caches.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    await l2.mem.setWithTtl('k', 'old', 60_000);
    l2.hold();
    const read = b.get('k');
    await until(() => l2.waiting === 1);
    await a.delete('k'); // A's write; its bus message reaches B while B's read is in flight
    await until(() => b.stats().bus.applied >= 1);
    l2.release();
    await read;
    expect(l1.peek('k')).toBeUndefined();
  });
});

describe('writes win across instances through the shared tier (guarded writes)', () => {
  function sharedPair() {
    const shared = gatedRemote<string>('shared');
    // No bus between them: only the shared tier can stop B's stale write.
    const a = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'a' }), shared.backend],
      lock: false,
    });
    const bL1 = new MemoryBackend<string>({ name: 'b' });
    const b = new TieredCache<string>({ tiers: [bL1, shared.backend], lock: false });
    caches.push(a, b);
    return { a, b, bL1, shared };
  }

  it.each(['invalidate', 'set', 'invalidatePattern', 'clear'] as const)(
    "B's factory read its source before A's %s: B's value is not stored in the shared tier or in B's L1",
    async (op) => {
      const { a, b, bL1, shared } = sharedPair();
      await shared.mem.setWithTtl('user:1', 'v0', 60_000);
      await shared.mem.remove('user:1'); // expired or invalidated earlier: B misses
      let finish!: (v: string) => void;
      const read = b.getOrSet('user:1', () => new Promise<string>((r) => (finish = r)));
      await until(() => finish !== undefined);
      if (op === 'invalidate') await a.invalidate('user:1');
      else if (op === 'set') await a.set('user:1', 'from A');
      else if (op === 'invalidatePattern') await a.invalidatePattern('user:*');
      else await a.clear();
      finish('from the old row');
      expect(await read).toBe('from the old row');
      expect(await shared.mem.get('user:1')).toBe(op === 'set' ? 'from A' : undefined);
      expect(bL1.peek('user:1')).toBeUndefined();
      expect(b.stats().supersededWrites).toBe(1);
    },
  );

  it('with nothing written in between, the factory result is stored everywhere as before', async () => {
    const { b, bL1, shared } = sharedPair();
    expect(await b.getOrSet('k', () => 'computed')).toBe('computed');
    expect(await shared.mem.get('k')).toBe('computed');
    expect(bL1.peek('k')).toBe('computed');
    expect(b.stats().supersededWrites).toBe(0);
  });
});

describe('stats and events count what happened', () => {
  it('hits + misses + coalesced = requests, across get, getOrSet, getOrSetResult and getMany', async () => {
    const { cache, l2 } = twoTiers();
    await l2.mem.setWithTtl('in-l2', 'v', 60_000);
    await cache.get('in-l2'); // L2 hit
    await cache.get('in-l2'); // L1 hit
    await cache.get('nowhere'); // miss
    await cache.getOrSet('computed', () => 'c'); // miss (factory)
    await cache.getOrSetResult('computed', () => 'c'); // L1 hit
    let finish!: (v: string) => void;
    const first = cache.getOrSet('slow', () => new Promise<string>((r) => (finish = r)));
    const joined = cache.getOrSet('slow', () => 'never'); // coalesced
    await until(() => finish !== undefined);
    finish('s');
    await Promise.all([first, joined]);
    await cache.getMany(['in-l2', 'nothing']); // one hit, one miss
    const s = cache.stats();
    expect(s.requests).toBe(9);
    expect(s.hits + s.misses + s.coalesced).toBe(s.requests);
    expect({ hits: s.hits, misses: s.misses, coalesced: s.coalesced }).toEqual({
      hits: 4,
      misses: 4,
      coalesced: 1,
    });
  });

  it("a getOrSet that waits for another instance's lock and finds its value counts one hit, no miss", async () => {
    const shared = gatedRemote<string>('shared');
    const mem = shared.mem;
    const lockable = Object.assign(shared.backend, {
      acquireLock: (k: string, lease: number) => mem.acquireLock(k, lease),
      releaseLock: (k: string, token: string) => mem.releaseLock(k, token),
    });
    const a = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'a' }), lockable],
      lock: { poll: 5 },
    });
    const b = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'b' }), lockable],
      lock: { poll: 5 },
    });
    caches.push(a, b);
    let finish!: (v: string) => void;
    const first = a.getOrSet('k', () => new Promise<string>((r) => (finish = r)));
    await until(() => finish !== undefined);
    const second = b.getOrSet('k', () => 'b computed');
    await new Promise((r) => setTimeout(r, 30)); // b is polling the lock
    finish('a computed');
    expect(await Promise.all([first, second])).toEqual(['a computed', 'a computed']);
    const s = b.stats();
    expect({ requests: s.requests, hits: s.hits, misses: s.misses, factoryRuns: s.factoryRuns }).toEqual({
      requests: 1,
      hits: 1,
      misses: 0,
      factoryRuns: 0,
    });
  });

  it('calls refused up front are not requests; expire and ttl count nothing; an abort while waiting for a lock is a miss', async () => {
    const { cache } = twoTiers();
    await cache.set('k', 'v');
    cache.resetStats();
    await expect(cache.get('')).rejects.toMatchObject({ code: 'TIERCACHE_BAD_KEY' });
    await expect(cache.getOrSet('k', () => 'x', { ttl: -1 })).rejects.toMatchObject({
      code: 'TIERCACHE_BAD_TTL',
    });
    await expect(cache.getOrSet('', () => 'x')).rejects.toMatchObject({ code: 'TIERCACHE_BAD_KEY' });
    await expect(cache.getOrSet('k2', () => 'x', { signal: AbortSignal.abort() })).rejects.toBeDefined();
    await cache.expire('k', '1m');
    await cache.ttl('k');
    expect(cache.stats()).toMatchObject({ requests: 0, hits: 0, misses: 0, coalesced: 0 });

    const shared = gatedRemote<string>('shared');
    const held = Object.assign(shared.backend, {
      acquireLock: async () => undefined, // another process holds it
      releaseLock: async () => true,
    });
    const waiting = new TieredCache<string>({
      tiers: [new MemoryBackend({ name: 'w' }), held],
      lock: { poll: 5 },
    });
    caches.push(waiting);
    const gone = new AbortController();
    setTimeout(() => gone.abort(new Error('gave up')), 30);
    await expect(waiting.getOrSet('locked', () => 'x', { signal: gone.signal })).rejects.toThrow('gave up');
    await new Promise((r) => setTimeout(r, 20)); // the run behind it ends once its last caller left
    const s = waiting.stats();
    expect({ requests: s.requests, hits: s.hits, misses: s.misses, coalesced: s.coalesced }).toEqual({
      requests: 1,
      hits: 0,
      misses: 1,
      coalesced: 0,
    });
  });

  it('an L1 hit emits one hit event from get, getOrSet and getOrSetResult alike', async () => {
    const { cache } = twoTiers();
    await cache.set('k', 'v');
    const hits: number[] = [];
    cache.on('hit', (e) => hits.push(e.tier));
    await cache.get('k');
    await cache.getOrSet('k', () => 'x');
    await cache.getOrSetResult('k', () => 'x');
    expect(hits).toEqual([0, 0, 0]);
  });
});
