import { describe, expect, it } from 'vitest';
import { until } from './support/gated-remote.js';
import { twoInstances } from './support/two-tiers.js';

/**
 * Writes win across instances for the write-backs that take no guarded read of their own: an
 * eager refresh (its entry was an L1 hit, the shared tier was never read) and `expire` (it may
 * read the value from L1). No bus between the instances: only the shared tier can stop B.
 */
describe('writes win across instances for eager refresh and expire (shared tier, no bus)', () => {
  it.each(['set', 'delete'] as const)(
    "B's eager refresh started before A's %s: B's result does not replace A's write in the shared tier",
    async (op) => {
      const { a, b, shared } = twoInstances(false, { ttl: 1000, eagerRefresh: 0.1 });
      await b.cache.set('k', 'v1');
      await new Promise((r) => setTimeout(r, 150)); // past 10 % of the TTL: B's next hit refreshes
      let finish!: (v: string) => void;
      const factory = () => new Promise<string>((resolve) => (finish = resolve));
      expect(await b.cache.getOrSet('k', factory)).toBe('v1');
      await until(() => finish !== undefined);
      if (op === 'set') await a.cache.set('k', 'from A');
      else await a.cache.delete('k');
      finish('refreshed from the old row');
      await until(() => b.cache.stats().factoryRuns === 1 && b.cache.stats().inFlight === 0);
      await new Promise((r) => setTimeout(r, 20));
      expect(await shared.mem.get('k')).toBe(op === 'set' ? 'from A' : undefined);
      expect(b.l1.peek('k')).not.toBe('refreshed from the old row');
      expect(b.cache.stats().supersededWrites).toBe(1);
    },
  );

  it('an eager refresh with nothing written meanwhile is stored everywhere', async () => {
    const { b, shared } = twoInstances(false, { ttl: 1000, eagerRefresh: 0.1 });
    await b.cache.set('k', 'v1');
    await new Promise((r) => setTimeout(r, 150));
    expect(await b.cache.getOrSet('k', () => 'v2')).toBe('v1');
    await until(() => b.l1.peek('k') === 'v2');
    expect(await shared.mem.get('k')).toBe('v2');
  });

  it.each(['set', 'delete'] as const)(
    "B's expire read the key from its L1 before A's %s: B does not write its old value back",
    async (op) => {
      const { a, b, shared } = twoInstances(false);
      await b.cache.set('k', 'v1');
      if (op === 'set') await a.cache.set('k', 'from A');
      else await a.cache.delete('k');
      // B has not heard of A's write (no bus): its L1 still holds v1.
      expect(b.l1.peek('k')).toBe('v1');
      await b.cache.expire('k', '1m');
      expect(await shared.mem.get('k')).toBe(op === 'set' ? 'from A' : undefined);
    },
  );
});
