import { describeL2Backend } from '@tiercache/conformance';
import { MemoryBackend, TieredCache } from '@tiercache/core';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyvTier, keyvTier } from '../src/index.js';

// Keyv's default Map store serializes every value, so reads return copies.
describeL2Backend('keyv-memory', () => keyvTier(new Keyv()), {
  valueIdentity: 'copy',
  lacks: ['peek', 'lock', 'guardedWrites'],
});

// A bare Map is wrapped in a Keyv with throwOnErrors; same contract.
describeL2Backend('keyv-bare-map', () => keyvTier(new Map()), {
  valueIdentity: 'copy',
  lacks: ['peek', 'lock', 'guardedWrites'],
});

/** A minimal Keyv store without iteration, whose writes can be made to fail. */
function plainStore(): KeyvStoreAdapter & { failWrites: boolean; map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  const store = {
    opts: {},
    failWrites: false,
    map,
    get: async (key: string) => map.get(key),
    set: async (key: string, value: unknown) => {
      if (store.failWrites) throw new Error('disk full');
      map.set(key, value);
    },
    delete: async (key: string) => map.delete(key),
    clear: async () => map.clear(),
    on() {
      return store;
    },
  };
  return store as unknown as KeyvStoreAdapter & { failWrites: boolean; map: Map<string, unknown> };
}

describe('keyvTier', () => {
  it('stores null as a value and tells it apart from a miss', async () => {
    const tier = keyvTier(new Keyv());
    await tier.setWithTtl('nothing', null, 60_000);
    await expect(tier.get('nothing')).resolves.toBeNull();
    await expect(tier.getWithTtl('nothing')).resolves.toMatchObject({ value: null });
    await expect(tier.get('absent')).resolves.toBeUndefined();
    await expect(tier.getMany(['nothing', 'absent'])).resolves.toStrictEqual([null, undefined]);
  });

  it('defaults name to "keyv" and local to true only for a Map store', () => {
    expect(keyvTier(new Keyv()).name).toBe('keyv');
    expect(keyvTier(new Keyv()).local).toBe(true);
    expect(keyvTier(plainStore()).local).toBe(false);
    expect(keyvTier(plainStore(), { name: 'sqlite', local: true })).toMatchObject({
      name: 'sqlite',
      local: true,
    });
  });

  it('writes without a TTL never expire, even when the Keyv has a default TTL', async () => {
    const keyv = new Keyv({ ttl: 50 });
    const tier = keyvTier(keyv);
    await tier.setWithTtl('forever', 'v', undefined);
    await expect(tier.getWithTtl('forever')).resolves.toStrictEqual({ value: 'v', ttlMs: undefined });
    const raw = await keyv.get('forever', { raw: true });
    expect(raw?.expires).toBeUndefined();
  });

  it('goes through the Keyv namespace', async () => {
    const keyv = new Keyv({ namespace: 'app' });
    const tier = keyvTier(keyv);
    await tier.setWithTtl('k', 1, 60_000);
    expect([...(keyv.store as Map<string, unknown>).keys()]).toStrictEqual(['app:k']);
    await expect(keyv.get('k')).resolves.toBe(1);
  });

  it('has removePattern only when Keyv can iterate the store', () => {
    expect(typeof keyvTier(new Keyv()).removePattern).toBe('function');
    expect(keyvTier(plainStore()).removePattern).toBeUndefined();
    expect('removePattern' in keyvTier(plainStore())).toBe(false);
  });

  it('reports a write the store refused, even when Keyv swallowed the error', async () => {
    const store = plainStore();
    const keyv = new Keyv({ store }); // no throwOnErrors: Keyv.set resolves false
    const errors: unknown[] = [];
    keyv.on('error', (e: unknown) => errors.push(e));
    const tier = keyvTier(keyv);
    store.failWrites = true;
    await expect(tier.setWithTtl('k', 1, 1000)).rejects.toMatchObject({
      code: 'TIERCACHE_TIER_FAILED',
      tier: 'keyv',
    });
    await expect(tier.setMany([{ key: 'a', value: 1, ttlMs: 1000 }])).rejects.toMatchObject({
      code: 'TIERCACHE_TIER_FAILED',
    });
    expect(errors.length).toBeGreaterThan(0);
  });

  it('passes the store error through when the tier built the Keyv itself (throwOnErrors)', async () => {
    const store = plainStore();
    const tier = keyvTier(store);
    store.failWrites = true;
    await expect(tier.setWithTtl('k', 1, 1000)).rejects.toThrow('disk full');
  });

  it('healthCheck is false once closed, and calls after close reject', async () => {
    const tier = keyvTier(new Keyv());
    await expect(tier.healthCheck()).resolves.toBe(true);
    await tier.close();
    await expect(tier.healthCheck()).resolves.toBe(false);
    await expect(tier.get('k')).rejects.toMatchObject({ code: 'TIERCACHE_CLOSED' });
  });

  it('close() leaves a Keyv it was given connected, and disconnects it only with closeClient', async () => {
    const given = new Keyv();
    let disconnects = 0;
    given.disconnect = async () => {
      disconnects++;
    };
    await keyvTier(given).close();
    expect(disconnects).toBe(0);
    await keyvTier(given, { closeClient: true }).close();
    expect(disconnects).toBe(1);
    expect(() => keyvTier(given, { closeClient: 'yes' as unknown as boolean })).toThrow(/closeClient/);
  });

  it('rejects unknown or malformed options at construction', () => {
    expect(() => keyvTier(new Keyv(), { namespace: 'x' } as never)).toThrow(/unknown option "namespace"/);
    expect(() => keyvTier(new Keyv(), { name: '' })).toThrow(/non-empty/);
    expect(() => keyvTier(new Keyv(), { local: 'yes' as never })).toThrow(/true or false/);
  });

  it('serves as the L2 of a TieredCache: a hit is promoted into L1 with its remaining TTL', async () => {
    const keyv = new Keyv();
    const l1 = new MemoryBackend({ name: 'l1' });
    const cache = new TieredCache({ tiers: [l1, keyvTier(keyv, { local: false })], ttl: 60_000 });
    await keyv.set('user:1', { name: 'Ada' }, 30_000); // written by someone else, straight to Keyv
    await expect(cache.get('user:1')).resolves.toStrictEqual({ name: 'Ada' });
    const promoted = l1.peekWithTtl('user:1');
    expect(promoted?.value).toStrictEqual({ name: 'Ada' });
    expect(promoted?.ttlMs).toBeLessThanOrEqual(30_000);
    expect(promoted?.ttlMs).toBeGreaterThan(25_000);
    expect(cache.stats().tiers.map((t) => t.hits)).toStrictEqual([0, 1]);

    await cache.set('user:2', null);
    await expect(keyv.get('user:2')).resolves.toBeNull();
    await expect(cache.invalidatePattern('user:*')).resolves.toBe(2);
    await expect(keyv.get('user:1')).resolves.toBeUndefined();
    await cache.close();
  });

  it('is a KeyvTier instance', () => {
    expect(keyvTier(new Keyv())).toBeInstanceOf(KeyvTier);
  });
});

describe("keyvTier keeps Keyv's expiry semantics", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports the TTL left by Keyv's clock and misses once Keyv says the entry expired", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const keyv = new Keyv();
    const tier = keyvTier(keyv);
    await tier.setWithTtl('k', 'v', 10_000);
    vi.setSystemTime(1_004_000);
    expect(await tier.getWithTtl('k')).toStrictEqual({ value: 'v', ttlMs: 6_000 });
    vi.setSystemTime(1_010_001);
    expect(await tier.get('k')).toBeUndefined();
    expect(await tier.getWithTtl('k')).toBeUndefined();
    // Keyv itself agrees: the entry is gone for every Keyv user of the store, not just this tier.
    expect(await keyv.get('k')).toBeUndefined();
  });

  it('promotes out of a Keyv tier with the TTL Keyv has left, not the original one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(2_000_000);
    const keyv = new Keyv();
    await keyv.set('k', 'v', 10_000);
    vi.setSystemTime(2_007_000);
    const l1 = new MemoryBackend({ name: 'l1' });
    const cache = new TieredCache({ tiers: [l1, keyvTier(keyv)], ttl: '1h' });
    try {
      expect(await cache.get('k')).toBe('v');
      const promoted = l1.peekWithTtl('k');
      expect(promoted?.ttlMs).toBeLessThanOrEqual(3_000);
      expect(promoted?.ttlMs).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });
});
