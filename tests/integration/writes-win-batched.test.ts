import { randomUUID } from 'node:crypto';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { eventually, requireServer, TcpProxy } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const url = await requireServer('redis');

/**
 * Writes win against the features that came after the write clock: same-tick MGET batching
 * of reads (l2-redis `coalesceReads`), SET_MANY batching of writes, tags and namespaces. Each
 * case reads 50 keys that are in Redis only, in one tick (one MGET), lets the write complete
 * while the reads are in flight, then checks that no later read anywhere returns the old value.
 */
const KEYS = Array.from({ length: 50 }, (_, i) => `k${i}`);
const WRITES = [
  'delete',
  'set',
  'deleteMany',
  'setMany',
  'invalidatePattern',
  'invalidateTags',
  'namespace clear',
] as const;
type Write = (typeof WRITES)[number];

describe.skipIf(!url)('writes win over batched reads in flight (real Redis)', () => {
  const opened: { close(): Promise<unknown> }[] = [];
  const stats = new Redis(url!);
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    stats.disconnect();
  });

  /** MGET calls Redis has served so far (to show the reads were batched). */
  async function mgets(): Promise<number> {
    const info = await stats.info('commandstats');
    return Number(/cmdstat_mget:calls=(\d+)/.exec(info)?.[1] ?? 0);
  }

  function cache(
    prefix: string,
    redisUrl = url!,
    extra: Partial<ConstructorParameters<typeof TieredCache<string>>[0]> = {},
  ) {
    const l1 = new LruBackend<string>({ maxEntries: 10_000 });
    const c = new TieredCache<string>({
      tiers: [l1, new RedisBackend<string>({ url: redisUrl, prefix })],
      ttl: '1m',
      lock: false,
      ...extra,
    });
    opened.push(c);
    return { cache: c, l1 };
  }

  /** Store 'old' under every key in Redis only (tagged, or in the namespace, as the write needs). */
  async function seed(prefix: string, write: Write): Promise<void> {
    const writer = new TieredCache<string>({
      tiers: [new RedisBackend<string>({ url: url!, prefix })],
      ttl: '1m',
      lock: false,
    });
    const view = write === 'namespace clear' ? writer.namespace('ns') : writer;
    const tags = write === 'invalidateTags' ? { tags: ['t'] } : undefined;
    await Promise.all(KEYS.map((k) => view.set(k, 'old', tags)));
    await writer.close();
  }

  /** The write under test, from `c` (the reading cache itself, or another instance). */
  async function apply(c: TieredCache<string>, write: Write): Promise<void> {
    if (write === 'delete') await Promise.all(KEYS.map((k) => c.delete(k)));
    else if (write === 'set') await Promise.all(KEYS.map((k) => c.set(k, 'new')));
    else if (write === 'deleteMany') await c.deleteMany(KEYS);
    else if (write === 'setMany') await c.setMany(KEYS.map((key) => ({ key, value: 'new' })));
    else if (write === 'invalidatePattern') await c.invalidatePattern('k*');
    else if (write === 'invalidateTags') await c.invalidateTags(['t']);
    else await c.namespace('ns').clear();
  }

  /** Start `cache.getOrSet('k')` with a factory that waits; resolves, once it runs, the function that ends it. */
  async function heldFactory(cache: TieredCache<string>): Promise<(value: string) => void> {
    let finish!: (v: string) => void;
    await new Promise<void>((started) => {
      void cache.getOrSet('k', () => {
        started();
        return new Promise<string>((r) => (finish = r));
      });
    });
    return finish;
  }

  /** Reads started now, with a count of those that have ended. */
  function inFlight<T>(all: Promise<T>[]): { all: Promise<T>[]; settled(): number } {
    let settled = 0;
    for (const p of all) p.finally(() => settled++).catch(() => undefined);
    return { all, settled: () => settled };
  }

  const expected = (write: Write): string | undefined =>
    write === 'set' || write === 'setMany' ? 'new' : undefined;

  it.each(WRITES)(
    'one process: 50 gets in one MGET, then an awaited %s: no later read returns the old value',
    async (write) => {
      const prefix = `tc-wwb:${randomUUID()}:`;
      await seed(prefix, write);
      const { cache: c, l1 } = cache(prefix);
      const view = write === 'namespace clear' ? c.namespace('ns') : c;
      await c.get('warm-up'); // the connection is open
      const before = await mgets();
      const reads = inFlight(KEYS.map((k) => view.get(k))); // one tick: one MGET
      await new Promise((r) => setImmediate(r)); // the MGET is on its way
      expect(reads.settled()).toBe(0);
      await apply(c, write);
      await Promise.all(reads.all);
      expect(await mgets()).toBeGreaterThan(before);
      const after = await Promise.all(KEYS.map((k) => view.get(k)));
      expect(after.filter((v) => v !== expected(write))).toEqual([]);
      const inL1 = KEYS.map((k) => l1.peek(write === 'namespace clear' ? `\u001fns\u001f${k}` : k));
      expect(inL1.filter((v) => v === 'old' || (typeof v === 'object' && v !== null))).toEqual([]);
    },
  );

  it.each(['getMany', 'getOrSet'] as const)(
    'one process: %s of 50 keys in flight, then an awaited set of each: every later read returns it',
    async (read) => {
      const prefix = `tc-wwb:${randomUUID()}:`;
      await seed(prefix, 'set');
      const { cache: c } = cache(prefix);
      await c.get('warm-up');
      const reads = inFlight<unknown>(
        read === 'getMany' ? [c.getMany(KEYS)] : KEYS.map((k) => c.getOrSet(k, () => 'computed')),
      );
      await new Promise((r) => setImmediate(r));
      expect(reads.settled()).toBe(0);
      await Promise.all(KEYS.map((k) => c.set(k, 'new')));
      await Promise.all(reads.all);
      const after = await Promise.all(KEYS.map((k) => c.get(k)));
      expect(after.filter((v) => v !== 'new')).toEqual([]);
    },
  );

  it.each(WRITES)(
    "two instances over pub/sub: B's batched reads are in flight (replies 300 ms late) when A's %s reaches B; B ends with no old value",
    async (write) => {
      const prefix = `tc-wwb2:${randomUUID()}:`;
      await seed(prefix, write);
      const proxy = await TcpProxy.forUrl(url!);
      opened.push(proxy);
      const bus = () => ({ transport: new RedisPubSubTransport({ url: url! }), channel: `${prefix}bus` });
      const a = cache(prefix, url!, { bus: bus() }).cache;
      const { cache: b, l1 } = cache(prefix, proxy.url, { bus: bus() });
      await Promise.all([a.ready(), b.ready()]);
      await b.get('warm-up');
      proxy.delayReplies(300);
      const view = write === 'namespace clear' ? b.namespace('ns') : b;
      const applied = b.stats().bus.applied;
      const reads = inFlight(KEYS.map((k) => view.get(k)));
      await new Promise((r) => setImmediate(r));
      await apply(a, write);
      await eventually(() => b.stats().bus.applied > applied, { timeoutMs: 5000 });
      expect(reads.settled()).toBe(0); // A's message reached B while its reads were in flight
      await Promise.all(reads.all);
      proxy.delayReplies(0);
      const after = await Promise.all(KEYS.map((k) => view.get(k)));
      expect(after.filter((v) => v !== expected(write))).toEqual([]);
      const inL1 = KEYS.map((k) => l1.peek(write === 'namespace clear' ? `\u001fns\u001f${k}` : k));
      expect(inL1.filter((v) => v === 'old')).toEqual([]);
    },
    30_000,
  );

  it.each(['delete', 'set'] as const)(
    "two instances, no bus: B's eager refresh computed before A's %s does not replace it in Redis",
    async (write) => {
      const prefix = `tc-wwb3:${randomUUID()}:`;
      const a = cache(prefix).cache;
      const { cache: b } = cache(prefix, url!, { ttl: 1000, eagerRefresh: 0.1 });
      await b.set('k', 'old');
      await new Promise((r) => setTimeout(r, 150)); // past 10 % of the TTL: the next hit refreshes
      const finish = await heldFactory(b);
      if (write === 'delete') await a.delete('k');
      else await a.set('k', 'new');
      finish('refreshed from the old row');
      await eventually(() => b.stats().inFlight === 0 && b.stats().factoryRuns === 1, { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 50));
      expect(await a.get('k')).toBe(write === 'set' ? 'new' : undefined);
      const reader = cache(prefix).cache;
      expect(await reader.get('k')).toBe(write === 'set' ? 'new' : undefined);
      expect(b.stats().supersededWrites).toBe(1);
    },
  );

  it.each([
    ['delete', false],
    ['set', false],
    ['delete', true],
    ['set', true],
  ] as const)(
    "two instances: B's getOrSet factory read its source before A's %s (bus: %s); B's result is stored nowhere",
    async (write, withBus) => {
      const prefix = `tc-wwb4:${randomUUID()}:`;
      const bus = withBus
        ? () => ({ bus: { transport: new RedisPubSubTransport({ url: url! }), channel: `${prefix}bus` } })
        : () => ({});
      const a = cache(prefix, url!, bus()).cache;
      const { cache: b, l1 } = cache(prefix, url!, bus());
      await Promise.all([a.ready(), b.ready()]);
      const finish = await heldFactory(b);
      const applied = b.stats().bus.applied;
      if (write === 'delete') await a.delete('k');
      else await a.set('k', 'new');
      if (withBus) await eventually(() => b.stats().bus.applied > applied, { timeoutMs: 5000 });
      finish('computed from the old row');
      await eventually(() => b.stats().inFlight === 0, { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 20));
      const reader = cache(prefix).cache;
      expect(await reader.get('k')).toBe(write === 'set' ? 'new' : undefined);
      expect(l1.peek('k')).not.toBe('computed from the old row');
      expect(b.stats().supersededWrites).toBe(1);
    },
  );

  it.each(['delete', 'set'] as const)(
    "two instances, no bus: B's expire after A's %s does not write B's L1 copy back into Redis",
    async (write) => {
      const prefix = `tc-wwb5:${randomUUID()}:`;
      const a = cache(prefix).cache;
      const { cache: b, l1 } = cache(prefix);
      await b.set('k', 'old');
      if (write === 'delete') await a.delete('k');
      else await a.set('k', 'new');
      expect(l1.peek('k')).toBe('old'); // B has not heard of A's write
      expect(await b.expire('k', '1m')).toBe(write === 'set');
      const reader = cache(prefix).cache;
      expect(await reader.get('k')).toBe(write === 'set' ? 'new' : undefined);
    },
  );
});
