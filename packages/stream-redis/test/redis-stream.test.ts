import { randomUUID } from 'node:crypto';
import {
  InvalidOptionError,
  InvalidStreamIdError,
  InvalidStreamNameError,
  InvalidValueError,
  TimeoutError,
} from '@tiercache/core';
import { eventually, requireServer, startSilentServer, unlinkPrefix } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStream, type RedisStreamOptions, redisStream } from '../src/index.js';

const url = await requireServer('redis');

/** Server-side clients named `name`, as parsed CLIENT LIST lines. */
async function clientsNamed(admin: Redis, name: string): Promise<Record<string, string>[]> {
  const list = String(await admin.client('LIST'));
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string])));
}

/** How many clients named `name` are blocked in a command on the server right now. */
async function blockedCount(admin: Redis, name: string): Promise<number> {
  return (await clientsNamed(admin, name)).filter((c) => c.flags?.includes('b')).length;
}

describe('RedisStream options and arguments', () => {
  it('refuses to construct without exactly one way to connect', () => {
    expect(() => new RedisStream({})).toThrow(InvalidOptionError);
    const client = new Redis({ lazyConnect: true });
    try {
      expect(() => new RedisStream({ client, url: 'redis://127.0.0.1:1' })).toThrow(/client and url/);
    } finally {
      client.disconnect();
    }
    expect(() => new RedisStream({ url: 'redis://x', commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    expect(() => new RedisStream({ redis: { lazyConnect: true, keyPrefix: 'p:' } })).toThrow(/keyPrefix/);
  });

  it('rejects bad ids, stream names, fields and counts before sending anything', async () => {
    const s = redisStream({ redis: { lazyConnect: true } });
    try {
      await expect(s.streamRead('s', 'not-an-id', 10)).rejects.toBeInstanceOf(InvalidStreamIdError);
      await expect(s.streamRead('', '0', 10)).rejects.toBeInstanceOf(InvalidStreamNameError);
      await expect(s.streamAdd('s', [])).rejects.toBeInstanceOf(InvalidValueError);
      await expect(s.streamAdd('s', [['f', 1 as unknown as string]])).rejects.toBeInstanceOf(
        InvalidValueError,
      );
      await expect(s.streamReadLatest('s', 0)).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(s.streamAdd('s', [['f', 'v']], { maxLen: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
      expect(s.client.status).toBe('wait');
    } finally {
      await s.close();
    }
  });
});

describe('RedisStream against a server that accepts connections but never answers', () => {
  it('rejects with TimeoutError instead of hanging, blocking reads included', async () => {
    const silent = await startSilentServer();
    const s = new RedisStream({ url: `redis://127.0.0.1:${silent.port}`, commandTimeoutMs: 200 });
    try {
      await expect(s.healthCheck()).resolves.toBe(false);
      const results = await Promise.allSettled([
        s.streamAdd('s', [['a', 'b']]),
        s.streamAdd('t', [['a', 'b']]),
        s.streamReadLatest('s', 1),
        s.streamRead('s', '0', 1),
        s.streamRead('s', '$', 1, { blockMs: 100 }),
      ]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      }
    } finally {
      await s.close();
      await silent.close();
    }
  });
});

describe.skipIf(!url)('RedisStream against a real Redis', () => {
  const redisUrl = url ?? '';
  const base = `tc-stream:${randomUUID()}:`;
  const admin = new Redis(redisUrl);
  const opened: RedisStream[] = [];
  function stream(options: Partial<RedisStreamOptions> = {}): RedisStream {
    const s = new RedisStream({ url: redisUrl, prefix: base, ...options });
    opened.push(s);
    return s;
  }

  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await unlinkPrefix(admin, base);
    admin.disconnect();
  });

  it('XADD stores under prefix + stream, with MAXLEN ~ when maxLen is given', async () => {
    const s = stream();
    const id = await s.streamAdd('layout', [
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(await admin.xrange(`${base}layout`, '-', '+')).toStrictEqual([[id, ['a', '1', 'b', '2']]]);
    for (let i = 0; i < 300; i++) await s.streamAdd('trim', [['i', String(i)]], { maxLen: 10 });
    const len = await admin.xlen(`${base}trim`);
    expect(len).toBeGreaterThanOrEqual(10);
    expect(len).toBeLessThan(300);
  });

  it('approximateTrim: false trims to exactly maxLen', async () => {
    const s = stream({ approximateTrim: false });
    for (let i = 0; i < 30; i++) await s.streamAdd('exact', [['i', String(i)]], { maxLen: 10 });
    expect(await admin.xlen(`${base}exact`)).toBe(10);
  });

  it('a blocking read does not stall streamAdd and streamReadLatest on the same instance', async () => {
    const conn = `tc-stall-${randomUUID().slice(0, 8)}`;
    const s = stream({ redis: { connectionName: conn } });
    const name = `blocked-${randomUUID()}`;
    const blocked = s.streamRead(name, '$', 10, { blockMs: 20_000 });
    await eventually(async () => (await blockedCount(admin, conn)) === 1, {
      message: 'the read never blocked on the server',
    });
    let blockedDone = false;
    void blocked.then(() => {
      blockedDone = true;
    });
    // These complete while the read is still waiting; on a shared connection they would queue behind it.
    const other = `busy-${randomUUID()}`;
    const id = await s.streamAdd(other, [['k', 'v']]);
    await expect(s.streamReadLatest(other, 1)).resolves.toStrictEqual([{ id, fields: [['k', 'v']] }]);
    await expect(s.healthCheck()).resolves.toBe(true);
    expect(blockedDone, 'the blocking read ended before the other calls ran').toBe(false);
    const late = await s.streamAdd(name, [['late', '1']]);
    await expect(blocked).resolves.toStrictEqual([{ id: late, fields: [['late', '1']] }]);
  });

  it('concurrent blocking reads each get a connection, reused afterwards', async () => {
    const conn = `tc-multi-${randomUUID().slice(0, 8)}`;
    const s = stream({ redis: { connectionName: conn } });
    const names = [0, 1, 2].map((i) => `multi-${i}-${randomUUID()}`);
    const reads = names.map((n) => s.streamRead(n, '$', 10, { blockMs: 20_000 }));
    // "$" is resolved when the server runs the read, so add only once all three are blocked.
    await eventually(async () => (await blockedCount(admin, conn)) === 3, {
      message: 'three reads did not block at once',
    });
    expect(s.blockingConnections).toBe(3);
    const ids = await Promise.all(names.map((n) => s.streamAdd(n, [['n', n]])));
    const results = await Promise.all(reads);
    expect(results.map((r) => r[0]?.id)).toStrictEqual(ids);
    const again = s.streamRead(names[0]!, ids[0]!, 10, { blockMs: 20_000 });
    const id = await s.streamAdd(names[0]!, [['n', 'again']]);
    await expect(again).resolves.toStrictEqual([{ id, fields: [['n', 'again']] }]);
    expect(s.blockingConnections).toBe(3);
  });

  it('abort sends CLIENT UNBLOCK for the blocked connection, which stays open for reuse', async () => {
    const name = `tc-unblock-${randomUUID().slice(0, 8)}`;
    const s = stream({ redis: { connectionName: name } });
    const controller = new AbortController();
    const read = s.streamRead(`abort-${randomUUID()}`, '$', 10, {
      blockMs: 60_000,
      signal: controller.signal,
    });
    await eventually(async () => (await blockedCount(admin, name)) === 1, {
      message: 'the read never blocked on the server',
    });
    const blockedId = (await clientsNamed(admin, name)).find((c) => c.flags?.includes('b'))?.id;
    controller.abort();
    await expect(read).resolves.toStrictEqual([]);
    // The server-side read ends (unblocked, not killed): the connection is idle and still there.
    await eventually(async () => (await blockedCount(admin, name)) === 0, {
      message: 'the read is still blocked on the server',
    });
    expect(s.blockingConnections).toBe(1);
    const ids = (await clientsNamed(admin, name)).map((c) => c.id);
    expect(ids, 'the blocked connection was dropped instead of unblocked').toContain(blockedId);
    // The same connection serves the next blocking read.
    const other = `after-abort-${randomUUID()}`;
    const next = s.streamRead(other, '$', 10, { blockMs: 20_000 });
    await eventually(async () => (await blockedCount(admin, name)) === 1, {
      message: 'the next read never blocked',
    });
    const id = await s.streamAdd(other, [['x', 'y']]);
    await expect(next).resolves.toStrictEqual([{ id, fields: [['x', 'y']] }]);
    expect(s.blockingConnections).toBe(1);
  });

  describe('adds issued in the same tick', () => {
    it('go out as one script call; each gets its own id, in the order they were issued', async () => {
      const s = stream();
      const key = `batch-${randomUUID()}`;
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.streamAdd(key, [['i', String(i)]])),
      );
      const entries = await s.streamRead(key, '0', 100);
      expect(entries.map((e) => e.id)).toStrictEqual(ids);
      expect(entries.map((e) => e.fields)).toStrictEqual(
        Array.from({ length: 20 }, (_, i) => [['i', String(i)]]),
      );
      // With and without MAXLEN in one batch.
      const [, trimmed] = await Promise.all([
        s.streamAdd(key, [['x', '1']]),
        s.streamAdd(key, [['x', '2']], { maxLen: 5 }),
      ]);
      expect(trimmed).toMatch(/^\d+-\d+$/);
      expect(await admin.xlen(`${base}${key}`)).toBeLessThanOrEqual(22);
    });

    it('a failing add fails only itself (a key of the wrong type), the others are added', async () => {
      const s = stream();
      const good = `good-${randomUUID()}`;
      const bad = `bad-${randomUUID()}`;
      await admin.set(`${base}${bad}`, 'not a stream');
      const [a, b, c] = await Promise.allSettled([
        s.streamAdd(good, [['n', '1']]),
        s.streamAdd(bad, [['n', '2']]),
        s.streamAdd(good, [['n', '3']]),
      ]);
      expect(a.status).toBe('fulfilled');
      expect(c.status).toBe('fulfilled');
      expect(b.status).toBe('rejected');
      expect((b as PromiseRejectedResult).reason).toMatchObject({ code: 'TIERCACHE_TIER_FAILED' });
      expect(String((b as PromiseRejectedResult).reason.message)).toMatch(/WRONGTYPE/);
      expect((await s.streamRead(good, '0', 10)).map((e) => e.fields)).toStrictEqual([
        [['n', '1']],
        [['n', '3']],
      ]);
    });

    it('a read issued after them in the same tick sees them', async () => {
      const s = stream();
      const key = `order-${randomUUID()}`;
      const [, , latest, read] = await Promise.all([
        s.streamAdd(key, [['n', '1']]),
        s.streamAdd(key, [['n', '2']]),
        s.streamReadLatest(key, 10),
        s.streamRead(key, '0', 10),
      ]);
      expect(latest.map((e) => e.fields)).toStrictEqual([[['n', '2']], [['n', '1']]]);
      expect(read.map((e) => e.fields)).toStrictEqual([[['n', '1']], [['n', '2']]]);
    });
  });

  it('close() resolves a pending blocking read with [] and releases every connection', async () => {
    const name = `tc-close-${randomUUID().slice(0, 8)}`;
    const s = new RedisStream({ url: redisUrl, prefix: base, redis: { connectionName: name } });
    const reads = [0, 1].map((i) => s.streamRead(`close-${i}-${randomUUID()}`, '$', 10, { blockMs: 60_000 }));
    await s.streamAdd(`close-other-${randomUUID()}`, [['a', 'b']]);
    await eventually(async () => (await clientsNamed(admin, name)).length === 3, {
      message: 'expected 1 command + 2 blocking connections',
    });
    await s.close();
    await expect(Promise.all(reads)).resolves.toStrictEqual([[], []]);
    await eventually(async () => (await clientsNamed(admin, name)).length === 0, {
      message: 'connections left open after close',
    });
    await expect(s.streamAdd('x', [['a', 'b']])).rejects.toMatchObject({ code: 'TIERCACHE_CLOSED' });
  });

  it('leaves a client it was given open on close()', async () => {
    const client = new Redis(redisUrl);
    const s = new RedisStream({ client, prefix: base });
    const read = s.streamRead(`shared-${randomUUID()}`, '$', 10, { blockMs: 60_000 });
    await eventually(() => s.blockingConnections === 1, { message: 'no blocking connection' });
    await s.close();
    await expect(read).resolves.toStrictEqual([]);
    await expect(client.ping()).resolves.toBe('PONG');
    client.disconnect();
  });

  describe('consumer groups (extension)', () => {
    it('create, read, ack and pending', async () => {
      const s = stream();
      const name = `group-${randomUUID()}`;
      await expect(s.createGroup(name, 'g', '0')).resolves.toBe(true);
      await expect(s.createGroup(name, 'g', '0')).resolves.toBe(false);
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await s.streamAdd(name, [['i', String(i)]]));

      const forA = await s.readGroup(name, 'g', 'a', 2);
      const forB = await s.readGroup(name, 'g', 'b', 10);
      expect(forA.map((e) => e.id)).toStrictEqual(ids.slice(0, 2));
      expect(forB.map((e) => e.id)).toStrictEqual(ids.slice(2));
      await expect(s.readGroup(name, 'g', 'c', 10)).resolves.toStrictEqual([]);

      const pending = await s.pending(name, 'g');
      expect(pending.count).toBe(3);
      expect(pending.smallestId).toBe(ids[0]);
      expect(pending.largestId).toBe(ids[2]);
      expect(pending.consumers.sort((x, y) => x.name.localeCompare(y.name))).toStrictEqual([
        { name: 'a', count: 2 },
        { name: 'b', count: 1 },
      ]);
      // "0" re-reads what a consumer has pending.
      const redelivered = await s.readGroup(name, 'g', 'a', 10, { id: '0' });
      expect(redelivered.map((e) => e.id)).toStrictEqual(ids.slice(0, 2));

      await expect(s.ack(name, 'g', ids[0]!, ids[1]!)).resolves.toBe(2);
      await expect(s.ack(name, 'g', ids[0]!)).resolves.toBe(0);
      const left = await s.pending(name, 'g');
      expect(left).toStrictEqual({
        count: 1,
        smallestId: ids[2],
        largestId: ids[2],
        consumers: [{ name: 'b', count: 1 }],
      });
    });

    it('a blocking readGroup wakes on a new entry and ends with [] on abort', async () => {
      const s = stream();
      const name = `group-block-${randomUUID()}`;
      await s.createGroup(name, 'g');
      const waiting = s.readGroup(name, 'g', 'a', 10, { blockMs: 20_000 });
      await eventually(() => s.blockingConnections === 1, { message: 'no blocking connection' });
      const id = await s.streamAdd(name, [['k', 'v']]);
      await expect(waiting).resolves.toStrictEqual([{ id, fields: [['k', 'v']] }]);

      const controller = new AbortController();
      const aborted = s.readGroup(name, 'g', 'a', 10, { blockMs: 60_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await expect(aborted).resolves.toStrictEqual([]);
    });
  });
});
