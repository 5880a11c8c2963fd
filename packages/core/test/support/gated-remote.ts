import { type L2CacheBackend, MemoryBackend, type ValueWithTtl } from '../../src/index.js';

/**
 * A remote tier whose reads can be held in flight until the test releases them: the
 * interleavings the writes-win rule is about (a read that started before a write and ends
 * after it) made deterministic. Fault injection a real server cannot produce on demand; the
 * same sequences run against real Redis in tests/integration/writes-win.test.ts.
 */
export function gatedRemote<V>(name = 'remote') {
  const mem = new MemoryBackend<V>({ name });
  let held: (() => void)[] | undefined;
  const gate = async (): Promise<void> => {
    if (held) await new Promise<void>((resolve) => held!.push(resolve));
  };
  const backend: L2CacheBackend<V> & { local: false } = {
    name,
    local: false,
    get: async (k) => (await backend.getWithTtl(k))?.value,
    getWithTtl: async (k): Promise<ValueWithTtl<V> | undefined> => {
      // Read now (the value as it is when the read starts), answer when released.
      const found = await mem.getWithTtl(k);
      await gate();
      return found;
    },
    getMany: async (keys) => {
      const found = await mem.getMany(keys);
      await gate();
      return found;
    },
    setWithTtl: (k, v, t) => mem.setWithTtl(k, v, t),
    remove: (k) => mem.remove(k),
    clear: () => mem.clear(),
    removePattern: (p) => mem.removePattern(p),
    healthCheck: async () => true,
    getWithToken: async (k) => {
      const found = await mem.getWithToken(k);
      await gate();
      return found;
    },
    setIfUnchanged: (k, v, t, token) => mem.setIfUnchanged(k, v, t, token),
  };
  return {
    backend,
    mem,
    /** From now on reads wait for {@link release}. */
    hold(): void {
      held ??= [];
    },
    /** Answer every held read, and stop holding. */
    release(): void {
      const waiting = held ?? [];
      held = undefined;
      for (const resolve of waiting) resolve();
    },
    /** Reads waiting now. */
    get waiting(): number {
      return held?.length ?? 0;
    },
  };
}

/** Resolve once `condition` holds (checked every ms, up to 2 s). */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}
