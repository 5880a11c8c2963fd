import { MemoryBackend, TieredCache } from '@tiercache/core';
import { eventually } from '@tiercache/test-kit';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import { TieredKeyvStore, toKeyvStore } from '../src/index.js';

const caches: TieredCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

function tieredCache(): TieredCache {
  const cache = new TieredCache({
    tiers: [new MemoryBackend({ name: 'l1' }), new MemoryBackend({ name: 'l2', clone: true })],
    ttl: 60_000,
  });
  caches.push(cache);
  return cache;
}

describe('toKeyvStore with Keyv defaults (serializer on, namespace "keyv")', () => {
  it('round-trips values and the TieredCache holds the plain value under the namespaced key', async () => {
    const tiered = tieredCache();
    const keyv = new Keyv({ store: toKeyvStore(tiered) });
    const value = { id: 1, tags: ['a'], note: ':starts with a colon', nothing: null };
    await expect(keyv.set('user:1', value)).resolves.toBe(true);
    await expect(keyv.get('user:1')).resolves.toStrictEqual(value);
    await expect(tiered.get('keyv:user:1')).resolves.toStrictEqual(value);
    await expect(tiered.get('user:1')).resolves.toBeUndefined();
  });

  it('keeps null a value and Buffers as Buffers', async () => {
    const keyv = new Keyv({ store: toKeyvStore(tieredCache()) });
    await keyv.set('nothing', null);
    await expect(keyv.get('nothing')).resolves.toBeNull();
    await expect(keyv.has('nothing')).resolves.toBe(true);
    await expect(keyv.get('missing')).resolves.toBeUndefined();
    await keyv.set('bytes', Buffer.from('hi'));
    await expect(keyv.get('bytes')).resolves.toStrictEqual(Buffer.from('hi'));
  });

  it('sees entries written straight to the TieredCache', async () => {
    const tiered = tieredCache();
    const keyv = new Keyv({ store: toKeyvStore(tiered) });
    await tiered.set('keyv:plain', 'just a string');
    await expect(keyv.get('plain')).resolves.toBe('just a string');
    await expect(keyv.getMany(['plain', 'none'])).resolves.toStrictEqual(['just a string', undefined]);
  });

  it('passes the TTL on: the entry expires in every tier', async () => {
    const tiered = tieredCache();
    const keyv = new Keyv({ store: toKeyvStore(tiered) });
    await keyv.set('short', 'v', 100);
    await expect(tiered.get('keyv:short')).resolves.toBe('v');
    await eventually(async () => (await tiered.get('keyv:short')) === undefined);
    await expect(keyv.get('short')).resolves.toBeUndefined();
  });

  it('delete reports whether the key was there; clear removes only the namespace', async () => {
    const tiered = tieredCache();
    const keyv = new Keyv({ store: toKeyvStore(tiered) });
    await keyv.set('a', 1);
    await tiered.set('other:b', 2);
    await expect(keyv.delete('a')).resolves.toBe(true);
    await expect(keyv.delete('a')).resolves.toBe(false);
    await keyv.set('c', 3);
    await keyv.clear();
    await expect(keyv.get('c')).resolves.toBeUndefined();
    await expect(tiered.get('other:b')).resolves.toBe(2);
  });

  it('refuses input that is not what Keyv hands a store', async () => {
    const store = toKeyvStore(tieredCache());
    await expect(store.set('k', 'not json')).rejects.toMatchObject({ code: 'TIERCACHE_DESERIALIZE' });
    await expect(store.set('k', 42)).rejects.toMatchObject({ code: 'TIERCACHE_BAD_VALUE' });
    expect(() => toKeyvStore({} as TieredCache)).toThrow(/TieredCache/);
    expect(store).toBeInstanceOf(TieredKeyvStore);
  });
});

describe('toKeyvStore under cache-manager', () => {
  function cacheManagerOver(tiered: TieredCache) {
    // No Keyv serializer (the tiers serialize on their own) and no prefix (shared keys).
    const keyv = new Keyv({
      store: toKeyvStore(tiered),
      namespace: '',
      serialize: undefined,
      deserialize: undefined,
    });
    return createCache({ stores: [keyv] });
  }

  it('set/get/del through cache-manager are what the TieredCache sees', async () => {
    const tiered = tieredCache();
    const cm = cacheManagerOver(tiered);
    const value = { sku: 'X-1', price: 9.5, stock: null };
    await expect(cm.set('product:1', value, 30_000)).resolves.toStrictEqual(value);
    await expect(cm.get('product:1')).resolves.toStrictEqual(value);
    await expect(tiered.get('product:1')).resolves.toStrictEqual(value);

    await tiered.set('product:2', 'written by tiercache');
    await expect(cm.get('product:2')).resolves.toBe('written by tiercache');

    await cm.del('product:1');
    await expect(tiered.get('product:1')).resolves.toBeUndefined();
    await expect(cm.get('product:1')).resolves.toBeUndefined();

    await cm.set('nothing', null);
    await expect(cm.get('nothing')).resolves.toBeNull();
  });

  it('mset/mget/mdel and clear', async () => {
    const tiered = tieredCache();
    const cm = cacheManagerOver(tiered);
    await cm.mset<unknown>([
      { key: 'a', value: 1 },
      { key: 'b', value: { two: 2 }, ttl: 30_000 },
    ]);
    await expect(tiered.getMany(['a', 'b'])).resolves.toStrictEqual([1, { two: 2 }]);
    await expect(cm.mget(['a', 'b', 'c'])).resolves.toStrictEqual([1, { two: 2 }, undefined]);
    await cm.mdel(['a']);
    await expect(tiered.get('a')).resolves.toBeUndefined();
    await cm.clear();
    await expect(tiered.get('b')).resolves.toBeUndefined();
  });

  it('wrap runs the function once, stores the result in the TieredCache and serves it after', async () => {
    const tiered = tieredCache();
    const cm = cacheManagerOver(tiered);
    let runs = 0;
    const load = async () => {
      runs++;
      return { rows: [1, 2, 3] };
    };
    const [first, second] = await Promise.all([
      cm.wrap('report', load, 30_000),
      cm.wrap('report', load, 30_000),
    ]);
    expect(first).toStrictEqual({ rows: [1, 2, 3] });
    expect(second).toStrictEqual({ rows: [1, 2, 3] });
    expect(runs).toBe(1);
    await expect(tiered.get('report')).resolves.toStrictEqual({ rows: [1, 2, 3] });
    await expect(cm.wrap('report', load, 30_000)).resolves.toStrictEqual({ rows: [1, 2, 3] });
    expect(runs).toBe(1);
  });

  it('a cache-manager TTL expires the entry in the TieredCache', async () => {
    const tiered = tieredCache();
    const cm = cacheManagerOver(tiered);
    await cm.set('brief', 'v', 100);
    await eventually(async () => (await tiered.get('brief')) === undefined);
    await expect(cm.get('brief')).resolves.toBeUndefined();
  });
});
