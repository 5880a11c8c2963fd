import { afterEach } from 'vitest';
import { type CacheBackend, MemoryBackend, MemoryBusHub, TieredCache } from '../../src/index.js';
import { gatedRemote } from './gated-remote.js';

/** Caches a test opened; closed after each test of the file that imports this. */
export const caches: TieredCache<string>[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

/** An in-memory L1 over a remote tier whose reads can be held in flight (`gatedRemote`). */
export function twoTiers(options: ConstructorParameters<typeof TieredCache<string>>[0] = {}) {
  const l1 = new MemoryBackend<string>({ name: 'l1' });
  const l2 = gatedRemote<string>('l2');
  const cache = new TieredCache<string>({ tiers: [l1, l2.backend], ttl: '1m', lock: false, ...options });
  caches.push(cache);
  return { cache, l1, l2 };
}

/** Two instances (own L1 each) over one shared remote tier, optionally joined by a bus. */
export function twoInstances(
  withBus: boolean,
  options: ConstructorParameters<typeof TieredCache<string>>[0] = {},
) {
  const shared = gatedRemote<string>('shared');
  const hub = withBus ? new MemoryBusHub() : undefined;
  const make = (name: string) => {
    const l1 = new MemoryBackend<string>({ name: `${name}-l1` });
    const cache = new TieredCache<string>({
      tiers: [l1, shared.backend as CacheBackend<string>],
      ttl: '1m',
      lock: false,
      ...(hub ? { bus: { transport: hub.transport() } } : {}),
      ...options,
    });
    caches.push(cache);
    return { cache, l1 };
  };
  return { a: make('a'), b: make('b'), shared };
}
