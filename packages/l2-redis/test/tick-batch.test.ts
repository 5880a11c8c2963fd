import { randomUUID } from 'node:crypto';
import {
  DeserializationError,
  MemoryBackend,
  TieredCache,
  TimeoutError,
  v8Serializer,
} from '@tiercache/core';
import { requireServer, startSilentServer, unlinkPrefix } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBackend, type RedisBackendOptions } from '../src/index.js';
import { MAX_BATCH } from '../src/tick-batch.js';
import { adminClient, recordCommands } from './redis-server.js';

const url = await requireServer('redis');

/** Resolves after the tick in which it was called has ended (and with it the batch's flush). */
const afterTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RedisBackend coalesced reads, against a server that never answers', () => {
  it('a batch that times out rejects each read with its own TimeoutError, naming its own call', async () => {
    const silent = await startSilentServer();
    const t = new RedisBackend({ url: `redis://127.0.0.1:${silent.port}`, timeoutMs: 200, name: 'shared' });
    try {
      const results = await Promise.allSettled([
        t.get('a'),
        t.getWithTtl('b'),
        t.get('c'),
        t.setWithTtl('d', 1, 1000),
        t.setWithTtl('e', 1, 1000),
      ]);
      const reasons = results.map((r) => (r as PromiseRejectedResult).reason as Error);
      expect(results.map((r) => r.status)).toStrictEqual(Array(5).fill('rejected'));
      for (const reason of reasons) expect(reason).toBeInstanceOf(TimeoutError);
      expect(reasons[0]!.message).toMatch(/tier "shared" get did not answer within 200 ms/);
      expect(reasons[1]!.message).toMatch(/tier "shared" getWithTtl did not answer within 200 ms/);
      expect(reasons[3]!.message).toMatch(/tier "shared" set did not answer within 200 ms/);
      // Distinct error objects: a caller that decorates its error does not touch another's.
      expect(new Set(reasons).size).toBe(5);
    } finally {
      await t.close();
      await silent.close();
    }
  });
});

describe.skipIf(!url)('RedisBackend coalesced reads, against a real Redis', () => {
  const redisUrl = url ?? '';
  const base = `tc-coalesce:${randomUUID()}:`;
  const admin = adminClient(redisUrl);
  const opened: { close(): Promise<void> }[] = [];
  function tier<V = unknown>(options: Partial<RedisBackendOptions> = {}): RedisBackend<V> {
    const t = new RedisBackend<V>({ url: redisUrl, prefix: `${base}${randomUUID()}:`, ...options });
    opened.push(t);
    return t;
  }

  afterAll(async () => {
    await Promise.all(opened.map((t) => t.close()));
    await unlinkPrefix(admin, base);
    admin.disconnect();
  });

  /**
   * A cache with a cold in-memory L1 over a Redis namespace in which another instance (`writer`)
   * stored `k` = "old".
   */
  async function coldCache() {
    const prefix = `${base}${randomUUID()}:`;
    const writer = tier<string>({ prefix });
    await writer.setWithTtl('k', 'old', 60_000);
    const l1 = new MemoryBackend<string>();
    const cache = new TieredCache<string>({
      tiers: [l1, new RedisBackend<string>({ url: redisUrl, prefix })],
    });
    opened.push(cache);
    return { writer, l1, cache };
  }

  it('reads issued in one tick go out as one MGET, each with its own answer (value, null, miss, deleted)', async () => {
    const name = `tc-co-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name } });
    await t.setWithTtl('a', { n: 1 }, 60_000);
    await t.setWithTtl('b', null, undefined);
    await t.setWithTtl('gone', 'x', 60_000);
    await t.remove('gone');
    const recording = await recordCommands(redisUrl, name);
    const [a, b, missing, gone, aWithTtl] = await Promise.all([
      t.get('a'),
      t.get('b'),
      t.get('missing'),
      t.get('gone'),
      t.getWithTtl('a'),
    ]);
    const commands = await recording.stop();
    expect([a, b, missing, gone]).toStrictEqual([{ n: 1 }, null, undefined, undefined]);
    expect(aWithTtl?.value).toStrictEqual({ n: 1 });
    expect(aWithTtl?.ttlMs).toBeGreaterThan(0);
    expect(aWithTtl?.ttlMs).toBeLessThanOrEqual(60_000);
    expect(commands).toStrictEqual([
      ['mget', ...['a', 'b', 'missing', 'gone', 'a'].map((k) => t.prefix + k)],
    ]);
  });

  it(`more than ${MAX_BATCH} reads in one tick are split into MGETs of at most ${MAX_BATCH} keys`, async () => {
    const name = `tc-co-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name } });
    const count = MAX_BATCH * 2 + 10;
    await t.setMany(Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: i, ttlMs: 60_000 })));
    const recording = await recordCommands(redisUrl, name);
    const values = await Promise.all(Array.from({ length: count }, (_, i) => t.get(`k${i}`)));
    const commands = await recording.stop();
    expect(values).toStrictEqual(Array.from({ length: count }, (_, i) => i));
    expect(commands.map((c) => [c[0], c.length - 1])).toStrictEqual([
      ['mget', MAX_BATCH],
      ['mget', MAX_BATCH],
      ['mget', 10],
    ]);
  });

  it('writes issued in one tick go out as one script call, each stored with its own TTL', async () => {
    const name = `tc-co-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name } });
    await t.healthCheck();
    const recording = await recordCommands(redisUrl, name);
    await Promise.all([
      t.setWithTtl('a', 1, 60_000),
      t.setWithTtl('b', null, undefined),
      t.setWithTtl('c', 'x', 5_000),
    ]);
    const commands = await recording.stop();
    expect(commands.map((c) => c[0]).filter((c) => c !== 'eval')).toStrictEqual(['evalsha']);
    expect(commands.at(-1)).toContain(`${t.prefix}a`);
    expect(await Promise.all([t.get('a'), t.get('b'), t.get('c')])).toStrictEqual([1, null, 'x']);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((k) => admin.pttl(`${t.prefix}${k}`)));
    expect(a).toBeGreaterThan(5_000);
    expect(a).toBeLessThanOrEqual(60_000);
    expect(b).toBe(-1);
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThanOrEqual(5_000);
  });

  it('commands reach Redis in the order they were issued: a delete after a batched set wins, a read after it sees it', async () => {
    const t = tier();
    await t.setWithTtl('k', 'before', 60_000);
    // A read of another key first, so the read batch was scheduled before the write batch.
    const [, , , afterDelete] = await Promise.all([
      t.get('other'),
      t.setWithTtl('k', 'written', 60_000),
      t.remove('k'),
      t.get('k'),
    ]);
    expect(afterDelete).toBeUndefined();
    expect(await t.get('k')).toBeUndefined();
    const [, seen] = await Promise.all([t.setWithTtl('k', 'again', 60_000), t.get('k'), t.get('unrelated')]);
    expect(seen).toBe('again');
    const [, guarded] = await Promise.all([t.setWithTtl('g', 'v', 60_000), t.getWithToken('g')]);
    expect(guarded.entry?.value).toBe('v');
  });

  it.each([
    ['coalesced writes', {}],
    ['coalesceWrites: false', { coalesceWrites: false }],
  ] as const)(
    '%s: a setMany issued after a set of the same key lands after it, in the tier and in a cache',
    async (_n, options) => {
      const t = tier<string>(options);
      await t.healthCheck();
      await Promise.all([
        t.setWithTtl('k', 'first', 60_000),
        t.setMany([{ key: 'k', value: 'second', ttlMs: 60_000 }]),
      ]);
      expect(await t.get('k')).toBe('second');
      // In a cache: L1 and Redis must end with the same (the later) value, or this instance reads
      // the later one from L1 and the earlier one once L1 drops it (monotonic reads broken).
      const l1 = new MemoryBackend<string>();
      const cache = new TieredCache<string>({
        tiers: [l1, new RedisBackend<string>({ url: redisUrl, prefix: t.prefix, ...options })],
      });
      opened.push(cache);
      await cache.get('warm-up');
      await Promise.all([cache.set('c', 'v1'), cache.setMany([{ key: 'c', value: 'v2' }])]);
      expect(l1.peek('c')).toBe('v2');
      expect(await t.get('c')).toBe('v2');
    },
  );

  it('a server that refuses scripts: that batch fails with a TierError, later writes are plain SETs', async () => {
    const user = `tc-noscript-${randomUUID().slice(0, 8)}`;
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '+@all', '-@scripting');
    try {
      const t = tier({ redis: { username: user, password: 'pw' } });
      await t.healthCheck();
      const first = await Promise.allSettled([t.setWithTtl('a', 1, 60_000), t.setWithTtl('b', 2, 60_000)]);
      for (const result of first) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'TIERCACHE_TIER_FAILED' });
      }
      await Promise.all([t.setWithTtl('a', 1, 60_000), t.setWithTtl('b', 2, 60_000)]);
      expect(await Promise.all([t.get('a'), t.get('b')])).toStrictEqual([1, 2]);
    } finally {
      await admin.call('ACL', 'DELUSER', user);
    }
  });

  it('coalesceReads: false sends one GET per read', async () => {
    const name = `tc-co-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name }, coalesceReads: false });
    await t.setWithTtl('a', 1, 60_000);
    const recording = await recordCommands(redisUrl, name);
    expect(await Promise.all([t.get('a'), t.getWithTtl('a').then((r) => r?.value)])).toStrictEqual([1, 1]);
    const commands = await recording.stop();
    expect(commands.map((c) => c[0])).toStrictEqual(['get', 'get']);
  });

  it('an unreadable stored value fails only its own read in the batch, with DeserializationError', async () => {
    const t = tier();
    await t.setWithTtl('good', 'fine', 60_000);
    await admin.set(`${t.prefix}bad`, '\u0001\u0002{not json', 'PX', 60_000);
    const [good, bad, alsoGood] = await Promise.allSettled([
      t.get('good'),
      t.get('bad'),
      t.getWithTtl('good'),
    ]);
    expect(good).toStrictEqual({ status: 'fulfilled', value: 'fine' });
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toBeInstanceOf(DeserializationError);
    expect(alsoGood.status).toBe('fulfilled');
  });

  it('a binary serializer reads through MGET as Buffers', async () => {
    const t = tier<unknown>({ serializer: v8Serializer });
    const values = [new Map([[1, 'a']]), new Date(0), new Uint8Array([0, 255, 0xc3]), 10n];
    await Promise.all(values.map((v, i) => t.setWithTtl(`v${i}`, v, 60_000)));
    const read = await Promise.all(values.map((_, i) => t.get(`v${i}`)));
    expect(read).toStrictEqual(values);
    const withTtl = await Promise.all(values.map((_, i) => t.getWithTtl(`v${i}`)));
    expect(withTtl.map((r) => r?.value)).toStrictEqual(values);
  });

  it('a delete issued after a batched read was sent still wins: no tier keeps the value read before it', async () => {
    const { writer, l1, cache } = await coldCache();
    const read = cache.get('k'); // cold L1: goes to Redis in this tick's MGET
    await afterTick(); // the MGET has been written to the socket
    await cache.delete('k');
    // The read was issued before the delete and may answer the old value; nothing may keep it.
    expect(await read).toBe('old');
    expect(l1.peek('k')).toBeUndefined();
    expect(await cache.get('k')).toBeUndefined();
    expect(await writer.get('k')).toBeUndefined();
  });

  it('a write issued in the same tick as a batched read wins over it in every tier', async () => {
    const { writer, l1, cache } = await coldCache();
    const read = cache.get('k');
    const write = cache.set('k', 'new');
    const first = await read;
    await write;
    // Issued before the write, the read may see either value; after both, only the write's.
    expect(['old', 'new']).toContain(first);
    expect(l1.peek('k')).toBe('new');
    expect(await cache.get('k')).toBe('new');
    expect(await writer.get('k')).toBe('new');
  });

  it('one failing read does not open the breaker for the others: failures count per key', async () => {
    const prefix = `${base}${randomUUID()}:`;
    const writer = tier({ prefix });
    await writer.setWithTtl('good', 'fine', 60_000);
    await admin.set(`${prefix}bad`, '\u0001\u0002{not json', 'PX', 60_000);
    const cache = new TieredCache<string>({ tiers: [new RedisBackend<string>({ url: redisUrl, prefix })] });
    opened.push(cache);
    const results = await Promise.all([cache.get('good'), cache.get('bad'), cache.get('good')]);
    expect(results).toStrictEqual(['fine', undefined, 'fine']);
    expect(cache.stats().tiers[0]!.breaker).toBe('closed');
  });
});
