import { randomUUID } from 'node:crypto';
import {
  DeserializationError,
  InvalidOptionError,
  jsonSerializer,
  MemoryBackend,
  SerializationError,
  type Serializer,
  TieredCache,
  TimeoutError,
} from '@tiercache/core';
import { eventually, freePort, requireServer, startSilentServer, unlinkPrefix } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackend, type RedisBackendOptions, redisTier } from '../src/index.js';
import { adminClient, recordCommands } from './redis-server.js';

const url = await requireServer('redis');

describe('RedisBackend options', () => {
  it('refuses to construct without a way to connect', () => {
    expect(() => new RedisBackend({})).toThrow(InvalidOptionError);
    expect(() => new RedisBackend({})).toThrow(/client.*url.*redis.*cluster/);
  });

  it('refuses two ways to connect at once', () => {
    const client = new Redis({ lazyConnect: true });
    try {
      expect(() => new RedisBackend({ client, url: 'redis://127.0.0.1:1' })).toThrow(/client and url/);
    } finally {
      client.disconnect();
    }
  });

  it('refuses a serializer without its format, as every backend does (Redis took it and wrote it as text)', () => {
    const base: RedisBackendOptions = { redis: { lazyConnect: true } };
    const noFormat = { ...jsonSerializer, format: undefined } as unknown as Serializer;
    expect(() => new RedisBackend({ ...base, serializer: noFormat })).toThrow(
      'RedisBackend: serializer must be a Serializer (serialize(), deserialize() and format "string" or "binary"), got an object',
    );
  });

  it('refuses bad values with the option named', () => {
    const base: RedisBackendOptions = { redis: { lazyConnect: true } };
    expect(() => new RedisBackend({ ...base, prefix: '' })).toThrow(/prefix/);
    expect(() => new RedisBackend({ ...base, commandTimeoutMs: -5 })).toThrow(/commandTimeoutMs/);
    expect(() => new RedisBackend({ ...base, name: '' })).toThrow(/name/);
    expect(() => new RedisBackend({ ...base, enableAutoPipelining: 'no' as unknown as boolean })).toThrow(
      /enableAutoPipelining/,
    );
    expect(() => new RedisBackend({ ...base, scanCount: 1.5 })).toThrow(/scanCount/);
    expect(() => new RedisBackend({ ...base, maxTtlMs: 0 })).toThrow(/maxTtlMs/);
    expect(() => new RedisBackend({ url: 'http://x' })).toThrow(/redis:\/\//);
    expect(() => new RedisBackend({ redis: { lazyConnect: true, keyPrefix: 'x:' } })).toThrow(/keyPrefix/);
  });

  it('redisTier builds a RedisBackend with the given name', async () => {
    const tier = redisTier({ redis: { lazyConnect: true }, name: 'shared' });
    expect(tier).toBeInstanceOf(RedisBackend);
    expect(tier.name).toBe('shared');
    await tier.close();
  });
});

describe('RedisBackend without a server', () => {
  it('healthCheck resolves false against a closed port, and calls reject with TimeoutError instead of hanging', async () => {
    const port = await freePort();
    const tier = new RedisBackend({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 300 });
    try {
      await expect(tier.healthCheck()).resolves.toBe(false);
      await expect(tier.get('k')).rejects.toBeInstanceOf(TimeoutError);
      await expect(tier.setWithTtl('k', 1, 1000)).rejects.toMatchObject({ code: 'TIERCACHE_TIMEOUT' });
    } finally {
      await tier.close();
    }
  });
});

describe('RedisBackend against a server that accepts connections but never answers', () => {
  it('healthCheck resolves false and every call rejects with TimeoutError, none hangs', async () => {
    const silent = await startSilentServer();
    const tier = new RedisBackend({ url: `redis://127.0.0.1:${silent.port}`, commandTimeoutMs: 200 });
    try {
      await expect(tier.healthCheck()).resolves.toBe(false);
      const calls = [
        tier.get('k'),
        tier.getWithTtl('k'),
        tier.getMany(['a', 'b']),
        tier.setWithTtl('k', 1, 1000),
        tier.setMany([{ key: 'k', value: 1, ttlMs: 1000 }]),
        tier.remove('k'),
        tier.removePattern('*'),
        tier.acquireLock('k', 1000),
        tier.releaseLock('k', 'token'),
      ];
      const results = await Promise.allSettled(calls);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(TimeoutError);
      }
    } finally {
      await tier.close();
      await silent.close();
    }
  });
});

describe.skipIf(!url)('RedisBackend against a real Redis', () => {
  const redisUrl = url ?? '';
  const base = `tc-l2:${randomUUID()}:`;
  const admin = adminClient(redisUrl);
  const opened: RedisBackend[] = [];
  function tier<V = unknown>(options: Partial<RedisBackendOptions> = {}): RedisBackend<V> {
    const t = new RedisBackend<V>({ url: redisUrl, prefix: `${base}${randomUUID()}:`, ...options });
    opened.push(t as RedisBackend);
    return t;
  }

  afterAll(async () => {
    await Promise.all(opened.map((t) => t.close()));
    await unlinkPrefix(admin, base);
    admin.disconnect();
  });

  it("ttlSource 'server' stores under prefix + key as the serializer's plain text, with PX for a TTL", async () => {
    const t = tier({ ttlSource: 'server' });
    await t.setWithTtl('user:1', { name: 'Ada' }, 60_000);
    await t.setWithTtl('forever', [1, 2], undefined);
    expect(await admin.get(`${t.prefix}user:1`)).toBe('{"name":"Ada"}');
    const pttl = await admin.pttl(`${t.prefix}user:1`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await admin.pttl(`${t.prefix}forever`)).toBe(-1);
  });

  it("ttlSource 'envelope' (the default) stores the absolute expiry in front of the text, and still sets PX", async () => {
    const t = tier();
    const before = Date.now();
    await t.setWithTtl('user:1', { name: 'Ada' }, 60_000);
    const after = Date.now();
    await t.setWithTtl('forever', [1, 2], undefined);
    const stored = (await admin.get(`${t.prefix}user:1`)) ?? '';
    // Marker byte, expiry digits, end byte, then the serializer's text.
    expect(stored.charCodeAt(0), `stored ${JSON.stringify(stored)}`).toBe(1);
    const end = stored.indexOf('\u0002');
    const expiresAt = stored.slice(1, end);
    expect(expiresAt).toMatch(/^\d+$/);
    expect(Number(expiresAt)).toBeGreaterThanOrEqual(before + 60_000);
    expect(Number(expiresAt)).toBeLessThanOrEqual(after + 60_000);
    expect(stored.slice(end + 1)).toBe('{"name":"Ada"}');
    const pttl = await admin.pttl(`${t.prefix}user:1`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await admin.get(`${t.prefix}forever`)).toBe('\u0001\u0002[1,2]');
    expect(await admin.pttl(`${t.prefix}forever`)).toBe(-1);
  });

  it("ttlSource 'envelope': getWithTtl is exactly one GET on the wire", async () => {
    const name = `tc-rt-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name } });
    await t.setWithTtl('k', 'v', 60_000);
    const recording = await recordCommands(redisUrl, name);
    const read = await t.getWithTtl('k');
    const commands = await recording.stop();
    expect(read?.value).toBe('v');
    expect(read?.ttlMs).toBeGreaterThan(0);
    expect(read?.ttlMs).toBeLessThanOrEqual(60_000);
    expect(commands).toStrictEqual([['get', `${t.prefix}k`]]);
  });

  it("ttlSource 'server': getWithTtl is one EVALSHA on the wire (one round trip)", async () => {
    const name = `tc-rt-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name }, ttlSource: 'server' });
    await t.setWithTtl('k', 'v', 60_000);
    await t.getWithTtl('k'); // loads the script, so the measured call takes the EVALSHA path
    const recording = await recordCommands(redisUrl, name);
    const read = await t.getWithTtl('k');
    const commands = await recording.stop();
    expect(read?.value).toBe('v');
    expect(read?.ttlMs).toBeGreaterThan(0);
    expect(read?.ttlMs).toBeLessThanOrEqual(60_000);
    expect(commands.map((c) => c[0])).toStrictEqual(['evalsha']);
    expect(commands[0]).toContain(`${t.prefix}k`);
  });

  it("ttlSource 'envelope' reads a plain value written by another client, asking Redis for its TTL", async () => {
    const name = `tc-plain-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name } });
    await admin.set(`${t.prefix}plain`, '{"a":1}', 'PX', 60_000);
    await admin.set(`${t.prefix}plain-forever`, '"x"');
    await t.healthCheck();
    const recording = await recordCommands(redisUrl, name);
    const read = await t.getWithTtl('plain');
    const commands = await recording.stop();
    expect(read?.value).toStrictEqual({ a: 1 });
    expect(read?.ttlMs).toBeGreaterThan(0);
    expect(read?.ttlMs).toBeLessThanOrEqual(60_000);
    expect(commands[0]?.[0]).toBe('get');
    expect(commands.slice(1).some((c) => c[0] === 'evalsha' || c[0] === 'eval')).toBe(true);
    await expect(t.getWithTtl('plain-forever')).resolves.toStrictEqual({ value: 'x', ttlMs: undefined });
    expect(await t.get('plain')).toStrictEqual({ a: 1 });
    expect(await t.getMany(['plain', 'plain-forever'])).toStrictEqual([{ a: 1 }, 'x']);
  });

  it('each mode reads what the other wrote, with the TTL it has left', async () => {
    const prefix = `${base}${randomUUID()}:`;
    const envelope = tier({ prefix });
    const server = tier({ prefix, ttlSource: 'server' });
    await envelope.setWithTtl('from-envelope', { by: 'envelope' }, 60_000);
    await server.setWithTtl('from-server', { by: 'server' }, 60_000);
    for (const reader of [envelope, server]) {
      for (const key of ['from-envelope', 'from-server']) {
        const read = await reader.getWithTtl(key);
        expect(read?.value).toStrictEqual({ by: key.slice(5) });
        expect(read?.ttlMs).toBeGreaterThan(0);
        expect(read?.ttlMs).toBeLessThanOrEqual(60_000);
        expect(await reader.get(key)).toStrictEqual({ by: key.slice(5) });
      }
      expect(await reader.getMany(['from-envelope', 'from-server'])).toStrictEqual([
        { by: 'envelope' },
        { by: 'server' },
      ]);
    }
  });

  it('an entry whose envelope says it has expired reads as a miss, even while Redis still holds it', async () => {
    const t = tier();
    const server = tier({ prefix: t.prefix, ttlSource: 'server' });
    // As if written by an instance whose clock runs a minute behind: Redis keeps it, the envelope does not.
    await admin.set(`${t.prefix}stale`, `\u0001${Date.now() - 1}\u0002"old"`, 'PX', 60_000);
    await expect(t.getWithTtl('stale')).resolves.toBeUndefined();
    await expect(t.get('stale')).resolves.toBeUndefined();
    await expect(t.getMany(['stale'])).resolves.toStrictEqual([undefined]);
    await expect(server.getWithTtl('stale')).resolves.toBeUndefined();
  });

  it('refuses an unknown ttlSource', () => {
    expect(() => tier({ ttlSource: 'clock' as 'server' })).toThrow(/ttlSource/);
  });

  it('getWithTtl maps -1 to ttlMs undefined and a missing key to undefined', async () => {
    const t = tier();
    await t.setWithTtl('forever', null, undefined);
    await expect(t.getWithTtl('forever')).resolves.toStrictEqual({ value: null, ttlMs: undefined });
    await expect(t.getWithTtl('absent')).resolves.toBeUndefined();
  });

  it('auto-pipelining sends concurrent calls in far fewer socket writes than calls', async () => {
    async function writesFor(enableAutoPipelining: boolean): Promise<number> {
      // Without coalescing, so that each read is its own command (coalescing has its own tests).
      const t = tier({ enableAutoPipelining, coalesceReads: false });
      await t.setWithTtl('k', 1, 60_000);
      const client = t.client as Redis;
      const socket = client.stream;
      const original = socket.write.bind(socket);
      let writes = 0;
      socket.write = ((...args: Parameters<typeof socket.write>) => {
        writes++;
        return original(...args);
      }) as typeof socket.write;
      try {
        const values = await Promise.all(Array.from({ length: 50 }, () => t.get('k')));
        expect(values).toStrictEqual(Array(50).fill(1));
      } finally {
        socket.write = original;
      }
      return writes;
    }
    const pipelined = await writesFor(true);
    const unpipelined = await writesFor(false);
    expect(
      unpipelined,
      'the measurement must see one write per call without pipelining',
    ).toBeGreaterThanOrEqual(50);
    expect(pipelined).toBeLessThanOrEqual(5);
  });

  it('getMany is one MGET and setMany one script call (the write batch)', async () => {
    const name = `tc-many-${randomUUID().slice(0, 8)}`;
    const t = tier({ redis: { connectionName: name } });
    await t.healthCheck();
    const recording = await recordCommands(redisUrl, name);
    await t.setMany([
      { key: 'a', value: 1, ttlMs: 60_000 },
      { key: 'b', value: null, ttlMs: undefined },
    ]);
    const values = await t.getMany(['a', 'missing', 'b']);
    const commands = await recording.stop();
    expect(values).toStrictEqual([1, undefined, null]);
    expect(commands.map((c) => c[0]).filter((c) => c !== 'eval')).toStrictEqual(['evalsha', 'mget']);
  });

  it('removePattern on 2500 keys walks SCAN in batches, UNLINKs in batches, never KEYS, and stays in its namespace', async () => {
    const name = `tc-scan-${randomUUID().slice(0, 8)}`;
    // Glob characters in the prefix must be matched literally.
    const prefix = `${base}glob[1]*?:`;
    const t = tier({ prefix, scanCount: 200, deleteBatchSize: 300, redis: { connectionName: name } });
    const other = tier();
    const total = 2500;
    const entries = Array.from({ length: total }, (_, i) => ({ key: `user:${i}`, value: i, ttlMs: 600_000 }));
    await t.setMany(entries);
    await t.setMany([
      { key: 'order:1', value: 'keep', ttlMs: 600_000 },
      { key: 'users', value: 'keep', ttlMs: 600_000 },
    ]);
    await other.setWithTtl('user:1', 'other namespace', 600_000);
    // What the unescaped prefix would also match.
    const lookalike = `${base}glob1xx:user:1`;
    await admin.set(lookalike, 'lookalike', 'PX', 600_000);

    const recording = await recordCommands(redisUrl, name);
    const removed = await t.removePattern('user:*');
    const commands = await recording.stop();

    expect(removed).toBe(total);
    const names = commands.map((c) => c[0]);
    expect(names).not.toContain('keys');
    expect(names).not.toContain('flushdb');
    const scans = commands.filter((c) => c[0] === 'scan');
    const unlinks = commands.filter((c) => c[0] === 'unlink');
    expect(scans.length).toBeGreaterThan(1);
    // MONITOR prints arguments quoted, so each backslash of the escaped prefix shows doubled.
    const escapedMatch = `${base}glob\\[1\\]\\*\\?:user:*`.replaceAll('\\', '\\\\');
    for (const scan of scans) {
      expect(scan).toContain(escapedMatch);
      expect(scan).toContain('200');
    }
    expect(unlinks.length).toBeGreaterThanOrEqual(Math.ceil(total / 300));
    for (const unlink of unlinks) expect(unlink.length - 1).toBeLessThanOrEqual(300);

    await expect(t.get('user:7')).resolves.toBeUndefined();
    await expect(t.get('order:1')).resolves.toBe('keep');
    await expect(t.get('users')).resolves.toBe('keep');
    await expect(other.get('user:1')).resolves.toBe('other namespace');
    expect(await admin.get(lookalike)).toBe('lookalike');
  }, 60_000);

  it('removePattern treats [ ] literally and honours ? and \\ escapes like the contract glob', async () => {
    const t = tier();
    await t.setMany([
      { key: 'a[1]', value: 1, ttlMs: 60_000 },
      { key: 'a1', value: 2, ttlMs: 60_000 },
      { key: 'b*', value: 3, ttlMs: 60_000 },
      { key: 'bx', value: 4, ttlMs: 60_000 },
    ]);
    await expect(t.removePattern('a[1]')).resolves.toBe(1);
    await expect(t.get('a1')).resolves.toBe(2);
    await expect(t.removePattern('b\\*')).resolves.toBe(1);
    await expect(t.get('bx')).resolves.toBe(4);
    await expect(t.removePattern('?1')).resolves.toBe(1);
    await expect(t.get('a1')).resolves.toBeUndefined();
  });

  it('clear empties its own prefix only, never the database', async () => {
    const a = tier();
    const b = tier();
    const outsider = `${base}not-tiercache`;
    await admin.set(outsider, 'x', 'PX', 600_000);
    await a.setWithTtl('k', 'a', 60_000);
    await b.setWithTtl('k', 'b', 60_000);
    await a.clear();
    await expect(a.get('k')).resolves.toBeUndefined();
    await expect(b.get('k')).resolves.toBe('b');
    expect(await admin.get(outsider)).toBe('x');
  });

  it('leaves a client it was given open on close(), and closes it with closeClient: true', async () => {
    const client = new Redis(redisUrl);
    const t = new RedisBackend({ client, prefix: `${base}shared:` });
    await t.setWithTtl('k', 1, 60_000);
    await t.close();
    await expect(t.get('k')).rejects.toMatchObject({ code: 'TIERCACHE_CLOSED' });
    await expect(t.healthCheck()).resolves.toBe(false);
    expect(client.status).toBe('ready');
    await expect(client.ping()).resolves.toBe('PONG');

    const owning = new RedisBackend({ client, prefix: `${base}shared:`, closeClient: true });
    await expect(owning.get('k')).resolves.toBe(1);
    await owning.close();
    await eventually(() => client.status === 'end', { message: 'the client was not closed' });
  });

  it('refuses values the serializer cannot encode with SerializationError, before sending anything', async () => {
    const t = tier();
    await t.setWithTtl('k', 'before', 60_000);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(t.setWithTtl('k', 10n, 60_000)).rejects.toBeInstanceOf(SerializationError);
    await expect(t.setWithTtl('k', circular, 60_000)).rejects.toMatchObject({ code: 'TIERCACHE_SERIALIZE' });
    await expect(
      t.setMany([
        { key: 'k', value: 'batch', ttlMs: 60_000 },
        { key: 'n', value: 1n, ttlMs: 60_000 },
      ]),
    ).rejects.toBeInstanceOf(SerializationError);
    await expect(t.get('k')).resolves.toBe('before');
    await expect(t.get('n')).resolves.toBeUndefined();
  });

  it("a corrupted stored value rejects the read with DeserializationError (core's one policy), and a TieredCache reads it as a miss", async () => {
    const reported: unknown[] = [];
    const t = tier({ onError: (error) => reported.push(error) });
    await admin.set(`${t.prefix}bad`, '{not json', 'PX', 60_000);
    for (const read of [() => t.get('bad'), () => t.getWithTtl('bad'), () => t.getMany(['bad'])]) {
      await expect(read()).rejects.toMatchObject({ code: 'TIERCACHE_DESERIALIZE' });
    }
    await expect(t.get('bad')).rejects.toBeInstanceOf(DeserializationError);
    expect(reported).toEqual([]); // onError is for what does not fail a call
    const cache = new TieredCache({ tiers: [new MemoryBackend({ name: 'l1' }), tier({ prefix: t.prefix })] });
    const errors: string[] = [];
    cache.on('tier:error', (e) => errors.push(e.operation));
    await expect(cache.get('bad')).resolves.toBeUndefined();
    expect(errors).toEqual(['get']);
    expect(cache.stats().tiers[1]!.breaker).toBe('closed');
    await cache.close();
  });

  for (const ttlSource of ['envelope', 'server'] as const) {
    it(`uses the Buffer commands for a binary serializer (ttlSource ${ttlSource})`, async () => {
      const t = tier<Uint8Array>({
        ttlSource,
        serializer: {
          name: 'raw',
          format: 'binary',
          serialize: (value) => value as Uint8Array,
          deserialize: (data) =>
            typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data),
        },
      });
      // Starts with the envelope's marker byte and a digit, and is not valid UTF-8.
      const bytes = new Uint8Array([1, 0x31, 0, 255, 128, 10, 13, 0xc3]);
      await t.setWithTtl('bin', bytes, 60_000);
      const stored = await admin.getBuffer(`${t.prefix}bin`);
      if (ttlSource === 'server') expect(stored).toStrictEqual(Buffer.from(bytes));
      else expect(stored?.subarray(stored.indexOf(2) + 1)).toStrictEqual(Buffer.from(bytes));
      expect(await t.get('bin')).toStrictEqual(bytes);
      const read = await t.getWithTtl('bin');
      expect(read?.value).toStrictEqual(bytes);
      expect(read?.ttlMs).toBeGreaterThan(0);
      expect(read?.ttlMs).toBeLessThanOrEqual(60_000);
      expect(await t.getMany(['bin', 'none'])).toStrictEqual([bytes, undefined]);
      await t.setWithTtl('forever', bytes, undefined);
      await expect(t.getWithTtl('forever')).resolves.toStrictEqual({ value: bytes, ttlMs: undefined });
    });
  }

  it('caps TTLs (and "never expires") to maxTtlMs', async () => {
    const t = tier({ maxTtlMs: 5_000 });
    expect(t.maxTtlMs).toBe(5_000);
    await t.setWithTtl('long', 1, 600_000);
    await t.setWithTtl('forever', 1, undefined);
    for (const key of ['long', 'forever']) {
      const pttl = await admin.pttl(`${t.prefix}${key}`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(5_000);
    }
  });

  describe('lock', () => {
    it('SET NX PX under prefix + "\\u0001lock:": one holder at a time, compare-and-delete release', async () => {
      const t = tier();
      const other = new RedisBackend({ url: redisUrl, prefix: t.prefix });
      opened.push(other);
      const token = await t.acquireLock('job', 30_000);
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect(await admin.get(`${t.prefix}\u0001lock:job`)).toBe(token);
      const pttl = await admin.pttl(`${t.prefix}\u0001lock:job`);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(30_000);

      await expect(other.acquireLock('job', 30_000)).resolves.toBeUndefined();
      await expect(other.releaseLock('job', 'not-the-token')).resolves.toBe(false);
      expect(await admin.get(`${t.prefix}\u0001lock:job`)).toBe(token);
      await expect(t.releaseLock('job', token!)).resolves.toBe(true);
      await expect(t.releaseLock('job', token!)).resolves.toBe(false);
      const next = await other.acquireLock('job', 30_000);
      expect(next).toBeDefined();
      expect(next).not.toBe(token);
    });

    it('a lease ends by itself after leaseMs, and the old token can no longer release it', async () => {
      const t = tier();
      const first = await t.acquireLock('lease', 150);
      expect(first).toBeDefined();
      let second: string | undefined;
      await eventually(
        async () => {
          second = await t.acquireLock('lease', 30_000);
          return second !== undefined;
        },
        { message: 'the expired lease was never free again' },
      );
      await expect(t.releaseLock('lease', first!)).resolves.toBe(false);
      await expect(t.releaseLock('lease', second!)).resolves.toBe(true);
    });

    it('refuses a lease that is not a positive duration', async () => {
      const t = tier();
      await expect(t.acquireLock('x', 0)).rejects.toMatchObject({ code: 'TIERCACHE_BAD_TTL' });
      await expect(t.acquireLock('x', Number.NaN)).rejects.toMatchObject({ code: 'TIERCACHE_BAD_TTL' });
    });
  });

  it('healthCheck resolves true against the server', async () => {
    await expect(tier().healthCheck()).resolves.toBe(true);
  });

  beforeAll(async () => {
    await expect(admin.ping()).resolves.toBe('PONG');
  });
});
