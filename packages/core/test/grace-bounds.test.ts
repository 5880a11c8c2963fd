// Attack finding 5 (2026-12-04): `new TieredCache({ grace: 1e20 })` (or 1e15 + 1, or
// '9007199254740993ms') was accepted, then every set rejected with InvalidTtlError because the
// stored TTL (ttl + grace) was past MAX_TTL_MS. Now: a grace (or graceBackoff) the tiers cannot
// store is an InvalidTtlError at construction, and a per-call TTL that is valid but plus grace
// (or times a tier's ttlScale) is past MAX_TTL_MS is stored for MAX_TTL_MS.
import { describe, expect, it } from 'vitest';
import {
  type CacheBackend,
  InvalidTtlError,
  MAX_TTL_MS,
  MemoryBackend,
  parseTtl,
  TieredCache,
  type ValueWithTtl,
} from '../src/index.js';

/** A remote-like tier over a MemoryBackend that, like every shipped adapter, refuses a TTL past MAX_TTL_MS. */
class StrictTier implements CacheBackend<string> {
  readonly name = 'strict';
  readonly inner = new MemoryBackend<string>();
  readonly ttls = new Map<string, number | undefined>();
  get(key: string) {
    return this.inner.get(key);
  }
  getWithTtl(key: string): Promise<ValueWithTtl<string> | undefined> {
    return this.inner.getWithTtl(key);
  }
  async setWithTtl(key: string, value: string, ttlMs: number | undefined) {
    this.ttls.set(key, parseTtl(ttlMs, 'ttlMs'));
    return this.inner.setWithTtl(key, value, ttlMs);
  }
  remove(key: string) {
    return this.inner.remove(key);
  }
  healthCheck() {
    return Promise.resolve(true);
  }
}

describe('grace bounds (finding 5)', () => {
  it.each([
    [1e20, undefined],
    [MAX_TTL_MS + 1, undefined],
    ['9007199254740993ms', undefined],
    // Valid on its own, but the default TTL plus it is past MAX_TTL_MS.
    [MAX_TTL_MS - 60_000 + 1, '1m'],
    [MAX_TTL_MS, undefined],
  ])('grace %j (ttl %j) is an InvalidTtlError in the constructor', (grace, ttl) => {
    let error: unknown;
    try {
      new TieredCache({
        tiers: [new StrictTier()],
        grace: grace as number,
        ...(ttl ? { ttl: ttl as '1m' } : {}),
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidTtlError);
    expect((error as Error).message).toMatch(/grace/);
    expect((error as Error).message).toContain(String(MAX_TTL_MS));
  });

  it('graceBackoff plus grace past MAX_TTL_MS is an InvalidTtlError in the constructor', () => {
    expect(
      () => new TieredCache({ tiers: [new StrictTier()], grace: '1h', graceBackoff: MAX_TTL_MS }),
    ).toThrow(InvalidTtlError);
  });

  it('the largest grace the default TTL leaves room for is accepted, and writes work', async () => {
    const tier = new StrictTier();
    const cache = new TieredCache<string>({ tiers: [tier], ttl: '1m', grace: MAX_TTL_MS - 60_000 });
    await cache.set('k', 'v');
    expect(tier.ttls.get('k')).toBe(MAX_TTL_MS);
    await expect(cache.get('k')).resolves.toBe('v');
    await cache.close();
  });

  it('a per-call TTL that is valid but plus grace is past MAX_TTL_MS is stored for MAX_TTL_MS', async () => {
    const tier = new StrictTier();
    const cache = new TieredCache<string>({ tiers: [tier], ttl: '1m', grace: '1h' });
    const errors: unknown[] = [];
    cache.on('tier:error', (e) => errors.push(e.error));
    await cache.set('max', 'v', { ttl: MAX_TTL_MS });
    await cache.setMany([{ key: 'many', value: 'w', ttl: MAX_TTL_MS - 1 }]);
    await expect(cache.getOrSet('gos', () => 'x', { ttl: MAX_TTL_MS })).resolves.toBe('x');
    await expect(cache.expire('max', MAX_TTL_MS)).resolves.toBe(true);
    for (const key of ['max', 'many', 'gos']) expect(tier.ttls.get(key)).toBe(MAX_TTL_MS);
    await expect(cache.getMany(['max', 'many', 'gos'])).resolves.toEqual(['v', 'w', 'x']);
    expect(errors).toEqual([]);
    await cache.close();
  });

  it('a tier whose ttlScale takes a valid TTL past MAX_TTL_MS stores it for MAX_TTL_MS', async () => {
    const tier = new StrictTier();
    const cache = new TieredCache<string>({ tiers: [{ backend: tier, ttlScale: 2 }], ttl: '1m' });
    await cache.set('k', 'v', { ttl: MAX_TTL_MS / 2 + 1 });
    expect(tier.ttls.get('k')).toBe(MAX_TTL_MS);
    await expect(cache.get('k')).resolves.toBe('v');
    await cache.close();
  });
});
