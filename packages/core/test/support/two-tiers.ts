import { afterEach } from 'vitest';
import { MemoryBackend, TieredCache } from '../../src/index.js';
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
