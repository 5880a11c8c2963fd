import { describe, expect, it } from 'vitest';
import type { CacheNamespace } from '../src/index.js';
import { until } from './support/gated-remote.js';
import { twoInstances, twoTiers } from './support/two-tiers.js';

/**
 * Writes win inside a namespace view (its keys and tags are its own; its `clear()` is an
 * invalidation of its tag): a read or a factory of a namespace key in flight across a write of
 * that key, or across the namespace's `clear()`, writes nothing back after it.
 */
const WRITES = ['delete', 'set', 'invalidatePattern', 'invalidateTags', 'clear'] as const;
type Write = (typeof WRITES)[number];

/** How `k` is stored in the tiers inside the namespace `ns`. */
const STORED = '\u001fns\u001fk';

function apply(ns: CacheNamespace<string>, write: Write): Promise<unknown> {
  if (write === 'delete') return ns.delete('k');
  if (write === 'set') return ns.set('k', 'new');
  if (write === 'invalidatePattern') return ns.invalidatePattern('k*');
  if (write === 'invalidateTags') return ns.invalidateTags(['t']);
  return ns.clear();
}

const after = (write: Write): string | undefined => (write === 'set' ? 'new' : undefined);

describe('writes win in a namespace', () => {
  it.each(WRITES)(
    'a get of a namespace key in flight, then the namespace %s: no later read returns the old value',
    async (write) => {
      const { cache, l1, l2 } = twoTiers();
      const ns = cache.namespace('ns');
      await ns.set('k', 'old', { tags: ['t'] });
      await l1.remove(STORED); // in the shared tier only: the read goes there
      l2.hold();
      const read = ns.get('k');
      await until(() => l2.waiting === 1);
      const written = apply(ns, write);
      if (write === 'invalidateTags' || write === 'clear') {
        // Storing a tag's time reads it first (compare-and-set), and this tier holds that read
        // too: both are released together, the write still under way when the read answers.
        await until(() => l2.waiting === 2);
      } else await written;
      l2.release();
      await Promise.all([read, written]);
      expect(await ns.get('k')).toBe(after(write));
      expect(await ns.getOrSet('k', () => 'recomputed')).toBe(write === 'set' ? 'new' : 'recomputed');
    },
  );

  it.each(WRITES)(
    'a namespace getOrSet whose factory started before the namespace %s stores nothing',
    async (write) => {
      const { cache, l1, l2 } = twoTiers();
      const ns = cache.namespace('ns');
      let finish!: (v: string) => void;
      const read = ns.getOrSet('k', () => new Promise<string>((r) => (finish = r)), { tags: ['t'] });
      await until(() => finish !== undefined);
      await apply(ns, write);
      finish('computed from the old row');
      expect(await read).toBe('computed from the old row');
      expect(await ns.get('k')).toBe(after(write));
      expect(l1.peek(STORED)).not.toMatchObject({ v: 'computed from the old row' });
      expect(await l2.mem.get(STORED)).not.toMatchObject({ v: 'computed from the old row' });
    },
  );

  it.each(['clear', 'invalidateTags'] as const)(
    "across instances, no bus: B's namespace factory started before A's namespace %s; B's entry reads as a miss everywhere",
    async (write) => {
      const { a, b } = twoInstances(false);
      let finish!: (v: string) => void;
      const read = b.cache
        .namespace('ns')
        .getOrSet('k', () => new Promise<string>((r) => (finish = r)), { tags: ['t'] });
      await until(() => finish !== undefined);
      await apply(a.cache.namespace('ns'), write);
      finish('computed from the old row');
      expect(await read).toBe('computed from the old row');
      expect(await a.cache.namespace('ns').get('k')).toBeUndefined();
      await b.l1.remove(STORED);
      expect(await b.cache.namespace('ns').get('k')).toBeUndefined();
    },
  );
});
