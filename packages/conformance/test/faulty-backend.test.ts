import { type CacheBackend, MemoryBackend, TieredCache, ValueTooLargeError } from '@tiercache/core';
import { capabilitiesOf } from '@tiercache/core/adapter';
import { describe, expect, it } from 'vitest';
import { FaultyBackend, type FaultyCall } from '../src/index.js';

const inner = () => new MemoryBackend({ name: 'inner' });

describe('FaultyBackend', () => {
  it('offers exactly the optional methods of what it wraps (no peek), and acts remote', () => {
    const full = new FaultyBackend(inner());
    expect(capabilitiesOf(full)).toMatchObject({
      getMany: true,
      setMany: true,
      removePattern: true,
      clear: true,
      lock: true,
      guardedWrites: true,
      getWithTtl: true,
      peek: false,
      peekWithTtl: false,
    });
    expect(full.local).toBe(false);
    const bare: CacheBackend = {
      name: 'bare',
      get: async () => undefined,
      setWithTtl: async () => undefined,
      remove: async () => undefined,
      healthCheck: async () => true,
    };
    expect(capabilitiesOf(new FaultyBackend(bare))).toMatchObject({
      getMany: false,
      removePattern: false,
      clear: false,
      lock: false,
      guardedWrites: false,
      getWithTtl: false,
    });
  });

  it('fail: every call rejects with a TierError (or the error given), healthCheck false; heal: calls pass', async () => {
    const b = new FaultyBackend(inner());
    await b.setWithTtl('k', 'v', 60_000);
    b.fail();
    await expect(b.get('k')).rejects.toMatchObject({ code: 'TIERCACHE_TIER_FAILED', operation: 'get' });
    await expect(b.getWithTtl!('k')).rejects.toMatchObject({ code: 'TIERCACHE_TIER_FAILED' });
    await expect(b.healthCheck()).resolves.toBe(false);
    b.fail(({ key }: FaultyCall) => (key === 'big' ? new ValueTooLargeError('inner', 10, 1) : undefined));
    await expect(b.setWithTtl('big', 'x', 1000)).rejects.toBeInstanceOf(ValueTooLargeError);
    await expect(b.get('k')).resolves.toBe('v');
    b.heal();
    await expect(b.get('k')).resolves.toBe('v');
    expect(b.failures).toBe(3);
  });

  it('hang: calls wait until healed, then go through', async () => {
    const b = new FaultyBackend(inner());
    await b.setWithTtl('k', 'v', 60_000);
    b.hang();
    let settled = false;
    const read = b.get('k').then((v) => {
      settled = true;
      return v;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    b.heal();
    await expect(read).resolves.toBe('v');
  });

  it('hang then close: held calls reject with ClosedError', async () => {
    const b = new FaultyBackend(inner());
    b.hang();
    const read = b.get('k');
    await b.close();
    await expect(read).rejects.toMatchObject({ code: 'TIERCACHE_CLOSED' });
  });

  it('slow(ms): calls answer after about ms', async () => {
    const b = new FaultyBackend(inner()).slow(80);
    const started = Date.now();
    await b.get('k');
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('flaky(rate): fails about that share of calls, the same ones for the same seed', async () => {
    const run = async (seed: number) => {
      const b = new FaultyBackend(inner(), { seed }).flaky(0.3);
      const outcomes: boolean[] = [];
      for (let i = 0; i < 400; i++)
        outcomes.push(
          await b.get('k').then(
            () => true,
            () => false,
          ),
        );
      return outcomes;
    };
    const first = await run(7);
    const failed = first.filter((ok) => !ok).length;
    expect(failed).toBeGreaterThan(80);
    expect(failed).toBeLessThan(160);
    expect(await run(7)).toStrictEqual(first);
    expect(await run(8)).not.toStrictEqual(first);
  });

  it('drives a TieredCache: while the tier fails, fail-safe serves the stale L1 value and reports the tier', async () => {
    const remote = new FaultyBackend(inner());
    const cache = new TieredCache({
      tiers: [new MemoryBackend({ name: 'l1' }), remote],
      ttl: 50,
      grace: '1m',
    });
    const failures: string[] = [];
    cache.on('tier:error', (e) => failures.push(`${e.tierName}:${e.operation}`));
    await cache.getOrSet('k', () => 'v1');
    await new Promise((r) => setTimeout(r, 80));
    remote.fail();
    const result = await cache.getOrSetResult('k', () => {
      throw new Error('source down');
    });
    expect(result).toStrictEqual({ value: 'v1', stale: true });
    expect(failures).toContain('inner:get');
    await cache.close();
  });
});
