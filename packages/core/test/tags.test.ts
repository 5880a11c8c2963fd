import { describe, expect, it } from 'vitest';
import {
  DeserializationError,
  InvalidValueError,
  MemoryBackend,
  MemoryBusHub,
  TieredCache,
} from '../src/index.js';
import { until } from './support/gated-remote.js';
import { caches, twoInstances } from './support/two-tiers.js';

describe('tags', () => {
  it('invalidateTags makes every entry with one of the tags a miss in every tier; others stay', async () => {
    const { a, shared } = twoInstances(false);
    await a.cache.set('p1', 'one', { tags: ['product', 'shelf:1'] });
    await a.cache.set('p2', 'two', { tags: ['product'] });
    await a.cache.set('s2', 'shelf two', { tags: ['shelf:2'] });
    await a.cache.set('plain', 'untagged');
    await a.cache.invalidateTags(['shelf:1', 'shelf:2']);
    expect(await a.cache.get('p1')).toBeUndefined();
    expect(await a.cache.get('s2')).toBeUndefined();
    expect(await a.cache.get('p2')).toBe('two');
    expect(await a.cache.get('plain')).toBe('untagged');
    // The shared tier holds the entries still (nothing was listed or deleted) and the tag times.
    expect(await shared.mem.get('p1')).toBeDefined();
    expect(typeof (await shared.mem.get('\u0000tc-tag:shelf:1'))).toBe('number');
  });

  it('getOrSet with tags: after invalidateTags the factory runs again', async () => {
    const { a } = twoInstances(false);
    let runs = 0;
    const load = () => a.cache.getOrSet('k', () => `v${++runs}`, { tags: ['t'] });
    expect(await load()).toBe('v1');
    expect(await load()).toBe('v1');
    await a.cache.invalidateTags(['t']);
    expect(await load()).toBe('v2');
    expect(await a.cache.getOrSet({ key: 'k', factory: () => 'v3', tags: ['t'] })).toBe('v2');
  });

  it('setMany takes tags per entry, in the cache and in a namespace', async () => {
    const { a } = twoInstances(false);
    const users = a.cache.namespace('users');
    await a.cache.setMany([
      { key: 'x', value: 'X', tags: ['t'] },
      { key: 'y', value: 'Y' },
    ]);
    await users.setMany([{ key: 'x', value: 'UX', tags: ['t'] }]);
    await a.cache.invalidateTags(['t']);
    expect(await a.cache.getMany(['x', 'y'])).toEqual([undefined, 'Y']);
    expect(await users.get('x')).toBe('UX');
    await users.invalidateTags(['t']);
    expect(await users.get('x')).toBeUndefined();
  });

  it('a write right after an invalidation of its tag is a hit (same millisecond or not)', async () => {
    const { a } = twoInstances(false);
    for (let i = 0; i < 20; i++) {
      await a.cache.invalidateTags(['t']);
      await a.cache.set(`k${i}`, 'v', { tags: ['t'] });
      expect(await a.cache.get(`k${i}`)).toBe('v');
    }
  });

  it('tags travel with promotion, and the bus invalidates another instance L1 copy', async () => {
    const { a, b } = twoInstances(true);
    await Promise.all([a.cache.ready(), b.cache.ready()]);
    await a.cache.set('k', 'v', { tags: ['t'] });
    await until(() => b.cache.stats().bus.applied === 1); // the set's own message
    expect(await b.cache.get('k')).toBe('v'); // promoted into b's L1 with its tags
    await until(() => b.l1.peek('k') !== undefined);
    expect(b.l1.peek('k')).toMatchObject({ v: 'v', t: ['t'] });
    expect(await b.cache.get('k')).toBe('v');
    expect(b.cache.stats().tiers[0]!.hits).toBe(1); // an L1 hit
    await a.cache.invalidateTags(['t']);
    await until(() => b.cache.stats().bus.applied === 2);
    expect(await b.cache.get('k')).toBeUndefined();
  });

  it('an instance that missed the invalidation (no bus) never serves the entry from the shared tier', async () => {
    const { a, b } = twoInstances(false);
    await b.cache.set('k', 'old', { tags: ['t'] });
    await b.l1.remove('k'); // b's own L1 copy is gone (evicted); the shared tier still has it
    await a.cache.invalidateTags(['t']);
    expect(await b.cache.get('k')).toBeUndefined();
    expect(await b.cache.getMany(['k'])).toEqual([undefined]);
    expect(await b.cache.ttl('k')).toBeUndefined();
    expect(await b.cache.getOrSet('k', () => 'new', { tags: ['t'] })).toBe('new');
    expect(await a.cache.get('k')).toBe('new');
  });

  it('writes win: a factory in flight when its tag is invalidated stores nothing that reads as fresh', async () => {
    const { a, b } = twoInstances(false);
    let release!: (v: string) => void;
    const pending = a.cache.getOrSet('k', () => new Promise<string>((r) => (release = r)), { tags: ['t'] });
    await until(() => release !== undefined);
    await b.cache.invalidateTags(['t']); // another instance: only the time can tell
    await a.cache.invalidateTags(['u']); // and one here (the write clock)
    release('computed-before');
    expect(await pending).toBe('computed-before'); // current when the call began
    expect(await a.cache.get('k')).toBeUndefined();
    expect(await b.cache.get('k')).toBeUndefined();
  });

  it("writes win across instances: a factory that started before another instance's invalidation stores an entry that reads as a miss there", async () => {
    const { a, b } = twoInstances(false);
    let release!: (v: string) => void;
    const pending = a.cache.getOrSet('k', () => new Promise<string>((r) => (release = r)), { tags: ['t'] });
    await until(() => release !== undefined);
    await b.cache.invalidateTags(['t']);
    release('computed-before');
    expect(await pending).toBe('computed-before');
    // a stored it (nothing here told a about the invalidation); its time is the factory's start.
    expect(await b.cache.get('k')).toBeUndefined();
  });

  it('an instance whose first tagged entry comes from fail-safe serves the value, never the stored entry, and obeys a later invalidation', async () => {
    const { a, b, shared } = twoInstances(false, { grace: '1h' });
    // A writes a tagged entry that expires (but stays within grace) in the shared tier.
    await a.cache.set('k', 'old', { tags: ['t'], ttl: 20 });
    await new Promise((r) => setTimeout(r, 40));
    // B has never seen a tagged entry: its first one is the stale value fail-safe serves.
    const down = () => Promise.reject(new Error('db down'));
    expect(await b.cache.getOrSetResult('k', down)).toEqual({ value: 'old', stale: true });
    // Later reads get the value (fail-safe may serve it again) and never the stored entry.
    expect(await b.cache.getOrSet('k', down)).toBe('old');
    expect(await b.cache.get('k')).toSatisfy((v) => v === undefined || v === 'old');
    // The entry is still tagged in the shared tier, and an invalidation reaches B's copy.
    expect(await shared.mem.get('k')).toMatchObject({ v: 'old', t: ['t'] });
    await b.cache.invalidateTags(['t']);
    expect(await b.cache.get('k')).toBeUndefined();
    await expect(b.cache.getOrSet('k', down)).rejects.toThrow('db down');
  });

  it('a tag-invalidated entry is not served as stale by fail-safe', async () => {
    const { a } = twoInstances(false, { grace: '1h' });
    await a.cache.set('k', 'old', { tags: ['t'] });
    await a.cache.invalidateTags(['t']);
    await expect(
      a.cache.getOrSet('k', () => Promise.reject(new Error('down')), { tags: ['t'] }),
    ).rejects.toThrow('down');
  });

  it('the factory can set tags from its value; expire keeps the tags', async () => {
    const { a } = twoInstances(false);
    await a.cache.getOrSet('k', (ctx) => {
      ctx.setTags(['from-value']);
      return 'v';
    });
    expect(await a.cache.expire('k', '2m')).toBe(true);
    await a.cache.invalidateTags(['from-value']);
    expect(await a.cache.get('k')).toBeUndefined();
  });

  it('the tag table forgets tags past its bound but never lets an invalidated entry back', async () => {
    const cache = new TieredCache<string>({ tiers: [new MemoryBackend({ name: 'only' })] });
    caches.push(cache);
    await cache.set('k', 'v', { tags: ['first'] });
    await cache.invalidateTags(['first']);
    for (let i = 0; i < 10_100; i += 50) {
      await cache.invalidateTags(Array.from({ length: 50 }, (_, j) => `filler:${i + j}`));
    }
    expect(await cache.get('k')).toBeUndefined();
    await cache.set('k2', 'v2', { tags: ['first'] });
    expect(await cache.get('k2')).toBe('v2');
  });

  it('an entry in the shared tier whose tags were never invalidated stays a hit after the table forgot tags', async () => {
    const { a } = twoInstances(false);
    await a.cache.set('k', 'v', { tags: ['never-invalidated'] });
    for (let i = 0; i < 10_100; i += 50) {
      await a.cache.invalidateTags(Array.from({ length: 50 }, (_, j) => `filler:${i + j}`));
    }
    await a.l1.remove('k'); // read from the shared tier, where the tag has no time
    expect(await a.cache.get('k')).toBe('v');
  });

  it.each([
    ['not an array', 'tag'],
    ['an empty tag', ['']],
    ['a non-string tag', [1]],
    ['too many tags', Array.from({ length: 65 }, (_, i) => `t${i}`)],
    ['an over-long tag', ['x'.repeat(257)]],
    ['a control character', ['a\u0000b']],
    ['the namespace separator', ['a\u001fb']],
  ])('rejects %s with InvalidOptionError, on set, getOrSet and invalidateTags', async (_, tags) => {
    const cache = new TieredCache<string>();
    caches.push(cache);
    const bad = tags as unknown as string[];
    const code = { code: 'TIERCACHE_BAD_OPTION' };
    await expect(cache.set('k', 'v', { tags: bad })).rejects.toMatchObject(code);
    await expect(cache.getOrSet('k', () => 'v', { tags: bad })).rejects.toMatchObject(code);
    await expect(cache.invalidateTags(bad)).rejects.toMatchObject(code);
    expect(await cache.get('k')).toBeUndefined();
  });
});

describe('tags on the bus', () => {
  it('a forged tag time in the far future is taken as now: entries written after it are hits', async () => {
    const hub = new MemoryBusHub();
    const cache = new TieredCache<string>({ bus: { transport: hub.transport(), channel: 'c' } });
    caches.push(cache);
    await cache.ready();
    await cache.set('old', 'v', { tags: ['t'] });
    const forger = hub.transport();
    await forger.publish('c', JSON.stringify({ v: 2, src: 'forger', seq: 1, tags: [['t', 1e15]] }));
    await until(() => cache.stats().bus.applied === 1);
    expect(await cache.get('old')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2));
    await cache.set('new', 'v', { tags: ['t'] });
    expect(await cache.get('new')).toBe('v');
  });
});

describe('a stored entry that claims to be tagged is checked like any stored bytes', () => {
  it.each([
    ['tags that are not a list', { '\u0000tc': 1, v: 'x', t: 'shelf', at: 1 }],
    ['a tag that is not a string', { '\u0000tc': 1, v: 'x', t: [7], at: 1 }],
    ['a write time that is not a number', { '\u0000tc': 1, v: 'x', t: ['shelf'], at: 'now' }],
  ])(
    '%s: a miss reported as tier:error with DeserializationError, not a rejection or a TypeError',
    async (_name, forged) => {
      const { a, shared } = twoInstances(false);
      const errors: unknown[] = [];
      a.cache.on('tier:error', (e) => errors.push(e.error));
      await shared.mem.setWithTtl('forged', forged as unknown as string, 60_000);
      await expect(a.cache.get('forged')).resolves.toBeUndefined();
      await expect(a.cache.getMany(['forged'])).resolves.toEqual([undefined]);
      expect(errors).toHaveLength(2);
      for (const error of errors) expect(error).toBeInstanceOf(DeserializationError);
      // The cache still works for other keys.
      await a.cache.set('ok', 'fine', { tags: ['shelf'] });
      expect(await a.cache.get('ok')).toBe('fine');
    },
  );
});

describe('a value shaped like the stored form of a tagged entry', () => {
  const lookalike = { '\u0000tc': 1, v: 'NOT-MY-VALUE', t: [], at: 0 };
  it('is refused with InvalidValueError by set, setMany and a getOrSet factory (it would read back as another value)', async () => {
    const { a } = twoInstances(false);
    const cache = a.cache as unknown as TieredCache<unknown>;
    await expect(cache.set('k', lookalike)).rejects.toBeInstanceOf(InvalidValueError);
    await expect(cache.setMany([{ key: 'k', value: lookalike }])).rejects.toBeInstanceOf(InvalidValueError);
    await expect(cache.getOrSet('k', () => lookalike)).rejects.toBeInstanceOf(InvalidValueError);
    expect(await cache.get('k')).toBeUndefined();
    // An ordinary object with other control-free fields is stored as is.
    await cache.set('k', { v: 'mine', t: [], at: 0 });
    expect(await cache.get('k')).toEqual({ v: 'mine', t: [], at: 0 });
  });
});
