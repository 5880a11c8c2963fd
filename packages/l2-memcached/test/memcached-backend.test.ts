import { createHash, randomUUID } from 'node:crypto';
import {
  ClosedError,
  DeserializationError,
  InvalidKeyError,
  SerializationError,
  type Serializer,
  TierError,
  TimeoutError,
  ValueTooLargeError,
} from '@tiercache/core';
import { freePort, requireServer, type SilentServer, startSilentServer } from '@tiercache/test-kit';
import { Client } from 'memjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../src/envelope.js';
import {
  DEFAULT_MAX_VALUE_BYTES,
  MAX_MEMCACHED_KEY_BYTES,
  MemcachedBackend,
  memcachedTier,
} from '../src/index.js';

const servers = await requireServer('memcached');

const DAY_MS = 86_400_000;
const quiet = { log(): void {} };

/** Resolve after `ms`. */
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Settle `promise`, or report `'still pending'` after `boundMs`: a generous bound that only
 * a hanging call reaches, so the assertion is "it settled", not "it was fast".
 */
async function settledWithin<T>(
  promise: Promise<T>,
  boundMs: number,
): Promise<PromiseSettledResult<T> | 'still pending'> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'still pending'>((resolve) => {
    timer = setTimeout(() => resolve('still pending'), boundMs);
  });
  const settled = Promise.allSettled([promise]).then(([r]) => r!);
  try {
    return await Promise.race([settled, bound]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!servers)('MemcachedBackend against a real memcached', () => {
  const opened: MemcachedBackend[] = [];
  let raw: Client;

  /** A backend in a namespace of its own, closed after the test. */
  function backend(
    options: Partial<ConstructorParameters<typeof MemcachedBackend>[0]> = {},
  ): MemcachedBackend {
    const b = new MemcachedBackend({ servers: servers!, namespace: `t-${randomUUID()}`, ...options });
    opened.push(b);
    return b;
  }

  /** The memcached key a plain cache key is stored under, read the way the backend builds it. */
  async function storedKey(b: MemcachedBackend, key: string): Promise<string> {
    const { value } = await raw.get(`${b.namespace}:__version`);
    expect(value, 'the namespace version counter exists once the backend has been used').not.toBeNull();
    return `${b.namespace}:${value!.toString().trim()}:${key}`;
  }

  beforeAll(() => {
    raw = Client.create(servers!, { logger: quiet, timeout: 2 });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });
  afterAll(() => {
    raw.close();
  });

  describe('remaining TTL', () => {
    it('goes down by the time that passed between two reads', async () => {
      const b = backend();
      await b.setWithTtl('ticking', 'v', 60_000);
      const t0 = Date.now();
      const first = await b.getWithTtl('ticking');
      const t1 = Date.now();
      await delay(2500);
      const t2 = Date.now();
      const second = await b.getWithTtl('ticking');
      const t3 = Date.now();
      const drop = first!.ttlMs! - second!.ttlMs!;
      // The envelope keeps exact ms, so no whole-second tolerance is needed here.
      expect(drop).toBeGreaterThanOrEqual(t2 - t1);
      expect(drop).toBeLessThanOrEqual(t3 - t0);
      expect(second!.ttlMs!).toBeLessThanOrEqual(60_000 - (t2 - t1));
    }, 15_000);

    it('keeps a 40-day TTL: readable right after the write, reporting about 40 days', async () => {
      const b = backend();
      const ttl = 40 * DAY_MS;
      const started = Date.now();
      await b.setWithTtl('forty-days', { long: true }, ttl);
      // Sent as relative seconds, 40 days would be a 1970 date and the item gone at once.
      const read = await b.getWithTtl('forty-days');
      const elapsed = Date.now() - started;
      expect(read?.value).toStrictEqual({ long: true });
      expect(read!.ttlMs!).toBeLessThanOrEqual(ttl);
      expect(read!.ttlMs!).toBeGreaterThanOrEqual(ttl - elapsed);
      await expect(raw.get(await storedKey(b, 'forty-days'))).resolves.toMatchObject({
        value: expect.any(Buffer),
      });
    });

    it('reports a sub-second TTL exactly and expires the entry no earlier than it', async () => {
      const b = backend();
      const started = Date.now();
      await b.setWithTtl('brief', 'x', 300);
      const read = await b.getWithTtl('brief');
      expect(read!.ttlMs!).toBeLessThanOrEqual(300);
      expect(read!.ttlMs!).toBeGreaterThanOrEqual(300 - (Date.now() - started));
      let missedAt = 0;
      for (let i = 0; i < 200 && missedAt === 0; i++) {
        if ((await b.get('brief')) === undefined) missedAt = Date.now();
        else await delay(10);
      }
      expect(missedAt, 'the entry never expired').toBeGreaterThan(0);
      expect(missedAt - started).toBeGreaterThanOrEqual(300);
    });

    it('reads an entry whose envelope says it has expired as a miss, even while memcached still holds it', async () => {
      const b = backend();
      await b.setWithTtl('warm-up', 1, 60_000);
      const key = await storedKey(b, 'stale');
      await raw.set(key, sealEnvelope('"stale"', Date.now() - 1), { expires: 60 });
      await expect(raw.get(key)).resolves.toMatchObject({ value: expect.any(Buffer) });
      await expect(b.get('stale')).resolves.toBeUndefined();
      await expect(b.getWithTtl('stale')).resolves.toBeUndefined();
      await expect(b.getMany(['stale', 'warm-up'])).resolves.toStrictEqual([undefined, 1]);
      // The same item with a future expiry is a hit, so it was the envelope's time that decided.
      await raw.set(key, sealEnvelope('"fresh"', Date.now() + 60_000), { expires: 60 });
      await expect(b.get('stale')).resolves.toBe('fresh');
    });

    it('stores an entry without a TTL with no expiry on the server', async () => {
      const b = backend();
      await b.setWithTtl('forever', 'f', undefined);
      await expect(b.getWithTtl('forever')).resolves.toStrictEqual({ value: 'f', ttlMs: undefined });
    });

    it('refuses a TTL of 0, a negative or NaN TTL with a TypeError', async () => {
      const b = backend();
      for (const ttl of [0, -1, Number.NaN]) {
        await expect(b.setWithTtl('bad-ttl', 1, ttl)).rejects.toMatchObject({ code: 'TIERCACHE_BAD_TTL' });
      }
      await expect(b.get('bad-ttl')).resolves.toBeUndefined();
    });
  });

  describe('keys memcached cannot store as they are', () => {
    const longKey = `long:${'k'.repeat(295)}`;

    it('hashes a 300-byte key by default: stored under <prefix>h:<sha256> and read back', async () => {
      expect(longKey.length).toBe(300);
      const b = backend();
      await b.setWithTtl(longKey, 'long', 60_000);
      await b.setWithTtl(`${longKey.slice(0, -1)}X`, 'other', 60_000);
      await expect(b.get(longKey)).resolves.toBe('long');
      await expect(b.get(`${longKey.slice(0, -1)}X`)).resolves.toBe('other');
      const hashed = await storedKey(b, `h:${createHash('sha256').update(longKey).digest('base64url')}`);
      expect(Buffer.byteLength(hashed)).toBeLessThanOrEqual(MAX_MEMCACHED_KEY_BYTES);
      await expect(raw.get(hashed)).resolves.toMatchObject({ value: expect.any(Buffer) });
    });

    it('refuses a 300-byte key with keyPolicy "reject" (TIERCACHE_KEY_TOO_LONG), on read and write', async () => {
      const b = backend({ keyPolicy: 'reject' });
      await expect(b.setWithTtl(longKey, 'x', 60_000)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(b.setWithTtl(longKey, 'x', 60_000)).rejects.toMatchObject({
        code: 'TIERCACHE_KEY_TOO_LONG',
      });
      await expect(b.get(longKey)).rejects.toMatchObject({ code: 'TIERCACHE_KEY_TOO_LONG' });
      await expect(b.remove(longKey)).rejects.toMatchObject({ code: 'TIERCACHE_KEY_TOO_LONG' });
    });

    it('hashes a key with spaces by default, distinct from the same key without them', async () => {
      const b = backend();
      await b.setWithTtl('user 42 profile', 'spaced', 60_000);
      await b.setWithTtl('user42profile', 'plain', 60_000);
      await expect(b.get('user 42 profile')).resolves.toBe('spaced');
      await expect(b.get('user42profile')).resolves.toBe('plain');
      const hashed = await storedKey(
        b,
        `h:${createHash('sha256').update('user 42 profile').digest('base64url')}`,
      );
      await expect(raw.get(hashed)).resolves.toMatchObject({ value: expect.any(Buffer) });
    });

    it('refuses a key with spaces or control characters with keyPolicy "reject" (TIERCACHE_BAD_KEY)', async () => {
      const b = backend({ keyPolicy: 'reject' });
      for (const key of ['user 42', 'tab\there', 'newline\n']) {
        await expect(b.setWithTtl(key, 'x', 60_000), JSON.stringify(key)).rejects.toMatchObject({
          name: 'InvalidKeyError',
          code: 'TIERCACHE_BAD_KEY',
        });
      }
      await b.setWithTtl('no-spaces', 'ok', 60_000);
      await expect(b.get('no-spaces')).resolves.toBe('ok');
    });

    it('keeps a plain key that looks like a hashed one apart from the key it would collide with', async () => {
      const b = backend();
      const long = 'x'.repeat(400);
      const lookalike = `h:${createHash('sha256').update(long).digest('base64url')}`;
      await b.setWithTtl(long, 'long', 60_000);
      await b.setWithTtl(lookalike, 'lookalike', 60_000);
      await expect(b.get(long)).resolves.toBe('long');
      await expect(b.get(lookalike)).resolves.toBe('lookalike');
    });

    it('refuses an empty key in either policy', async () => {
      await expect(backend().get('')).rejects.toMatchObject({ code: 'TIERCACHE_BAD_KEY' });
      await expect(backend({ keyPolicy: 'reject' }).get('')).rejects.toMatchObject({
        code: 'TIERCACHE_BAD_KEY',
      });
    });
  });

  describe('value size', () => {
    it('refuses a 2 MB value with ValueTooLargeError naming the limit, and stores nothing', async () => {
      const b = backend();
      await b.setWithTtl('big', 'small before', 60_000);
      await b.remove('big');
      const big = 'x'.repeat(2 * 1024 * 1024);
      const error = await b.setWithTtl('big', big, 60_000).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValueTooLargeError);
      expect(error).toMatchObject({ code: 'TIERCACHE_VALUE_TOO_LARGE', limitBytes: DEFAULT_MAX_VALUE_BYTES });
      expect((error as Error).message).toContain(String(DEFAULT_MAX_VALUE_BYTES));
      expect((error as ValueTooLargeError).sizeBytes).toBeGreaterThan(2 * 1024 * 1024);
      await expect(b.get('big')).resolves.toBeUndefined();
      await expect(b.setMany([{ key: 'big', value: big, ttlMs: 60_000 }])).rejects.toBeInstanceOf(
        ValueTooLargeError,
      );
      await expect(b.get('big')).resolves.toBeUndefined();
    });

    it('stores a value of exactly maxValueBytes under a 250-byte key on a server with -I 1m', async () => {
      const b = backend({ keyPolicy: 'reject' });
      await b.setWithTtl('probe', 0, 60_000);
      const prefix = (await storedKey(b, '')).length;
      const key = 'k'.repeat(MAX_MEMCACHED_KEY_BYTES - prefix);
      // JSON adds two quotes, the envelope nine bytes.
      const value = 'v'.repeat(DEFAULT_MAX_VALUE_BYTES - 11);
      await b.setWithTtl(key, value, 60_000);
      expect(((await b.get(key)) as string).length).toBe(value.length);
      await expect(b.setWithTtl(key, `${value}v`, 60_000)).rejects.toBeInstanceOf(ValueTooLargeError);
    });

    it('applies a smaller maxValueBytes', async () => {
      const b = backend({ maxValueBytes: 100 });
      await b.setWithTtl('fits', 'x'.repeat(89), 60_000);
      await expect(b.setWithTtl('too-big', 'x'.repeat(90), 60_000)).rejects.toMatchObject({
        code: 'TIERCACHE_VALUE_TOO_LARGE',
        limitBytes: 100,
        sizeBytes: 101,
      });
    });
  });

  describe('namespace clear', () => {
    it('empties its own namespace and leaves another namespace on the same server intact', async () => {
      const mine = backend();
      const theirs = backend();
      await mine.setWithTtl('shared-name', 'mine', 60_000);
      await theirs.setWithTtl('shared-name', 'theirs', 60_000);
      await theirs.setWithTtl('only-theirs', 'kept', undefined);
      await mine.clear();
      await expect(mine.get('shared-name')).resolves.toBeUndefined();
      await expect(theirs.get('shared-name')).resolves.toBe('theirs');
      await expect(theirs.get('only-theirs')).resolves.toBe('kept');
    });

    it('bumps the version counter instead of flushing the server', async () => {
      const b = backend();
      await b.setWithTtl('k', 1, 60_000);
      const before = Number((await raw.get(`${b.namespace}:__version`)).value!.toString());
      const oldKey = await storedKey(b, 'k');
      await b.clear();
      const after = Number((await raw.get(`${b.namespace}:__version`)).value!.toString());
      expect(after).toBe(before + 1);
      // The old item is orphaned, not deleted: it ages out by TTL or LRU.
      await expect(raw.get(oldKey)).resolves.toMatchObject({ value: expect.any(Buffer) });
    });

    it('another instance of the namespace notices a clear within its versionCacheMs', async () => {
      const namespace = `t-${randomUUID()}`;
      const writer = backend({ namespace, versionCacheMs: 200 });
      const reader = backend({ namespace, versionCacheMs: 200 });
      const uncached = backend({ namespace, versionCacheMs: 0 });
      await writer.setWithTtl('k', 'before clear', 60_000);
      await expect(reader.get('k')).resolves.toBe('before clear');
      await writer.clear();
      await expect(uncached.get('k')).resolves.toBeUndefined();
      let seen = false;
      for (let i = 0; i < 100 && !seen; i++) {
        seen = (await reader.get('k')) === undefined;
        if (!seen) await delay(20);
      }
      expect(seen, 'the reader still served the pre-clear value after 2 s').toBe(true);
    });

    it('restarts an evicted version counter at a new, random version, so old entries stay unreachable', async () => {
      const b = backend({ versionCacheMs: 0 });
      await b.setWithTtl('k', 'old', 60_000);
      const counter = `${b.namespace}:__version`;
      const before = Number((await raw.get(counter)).value!.toString());
      await raw.delete(counter);
      await expect(b.get('k')).resolves.toBeUndefined();
      const after = Number((await raw.get(counter)).value!.toString());
      expect(after).not.toBe(before);
    });
  });

  describe('many keys', () => {
    it('getMany and setMany round-trip in order, across hashed and plain keys', async () => {
      const b = backend();
      const keys = ['a', 'b c', 'x'.repeat(300), 'd'];
      await b.setMany(keys.map((key, i) => ({ key, value: { i }, ttlMs: i === 3 ? undefined : 60_000 })));
      await expect(b.getMany([...keys, 'missing'])).resolves.toStrictEqual([
        { i: 0 },
        { i: 1 },
        { i: 2 },
        { i: 3 },
        undefined,
      ]);
    });

    it('setMany writes nothing when one entry is invalid', async () => {
      const b = backend({ keyPolicy: 'reject' });
      await expect(
        b.setMany([
          { key: 'good', value: 1, ttlMs: 60_000 },
          { key: 'bad key', value: 2, ttlMs: 60_000 },
        ]),
      ).rejects.toMatchObject({ code: 'TIERCACHE_BAD_KEY' });
      await expect(b.get('good')).resolves.toBeUndefined();
    });
  });

  describe('serializers', () => {
    it('round-trips through a binary serializer, handing it bytes', async () => {
      const seen: string[] = [];
      const binary: Serializer = {
        name: 'json-bytes',
        format: 'binary',
        serialize: (v) => new TextEncoder().encode(JSON.stringify(v)),
        deserialize: (d) => {
          seen.push(typeof d === 'string' ? 'string' : 'bytes');
          return JSON.parse(new TextDecoder().decode(d as Uint8Array));
        },
      };
      const b = backend({ serializer: binary });
      await b.setWithTtl('bin', { ü: [1, null] }, 60_000);
      await expect(b.get('bin')).resolves.toStrictEqual({ ü: [1, null] });
      expect(seen).toStrictEqual(['bytes']);
    });

    it('reports serializer failures as SerializationError / DeserializationError', async () => {
      await expect(backend().setWithTtl('bigint', 10n, 60_000)).rejects.toBeInstanceOf(SerializationError);
      const flaky: Serializer = {
        name: 'flaky',
        format: 'string',
        serialize: (v) => {
          if (v === 'boom') throw new Error('cannot encode boom');
          return JSON.stringify(v);
        },
        deserialize: () => {
          throw new Error('cannot decode');
        },
      };
      const b = backend({ serializer: flaky });
      await expect(b.setWithTtl('k', 'boom', 60_000)).rejects.toThrow(/flaky.*cannot encode boom/);
      await expect(b.setWithTtl('k', 'boom', 60_000)).rejects.toBeInstanceOf(SerializationError);
      await b.setWithTtl('k', 'fine', 60_000);
      await expect(b.get('k')).rejects.toBeInstanceOf(DeserializationError);
    });

    it('refuses undefined as a value', async () => {
      await expect(backend().setWithTtl('u', undefined, 60_000)).rejects.toMatchObject({
        code: 'TIERCACHE_BAD_VALUE',
      });
    });
  });

  describe('errors and failure', () => {
    it('reads a foreign item under its key as a DeserializationError', async () => {
      const b = backend();
      await b.setWithTtl('warm-up', 1, 60_000);
      await raw.set(await storedKey(b, 'foreign'), 'plain text from another client', { expires: 60 });
      await expect(b.get('foreign')).rejects.toBeInstanceOf(DeserializationError);
    });

    it('rejects calls after close with ClosedError, and healthCheck resolves false', async () => {
      const b = backend();
      await b.setWithTtl('k', 1, 60_000);
      await b.close();
      await expect(b.get('k')).rejects.toBeInstanceOf(ClosedError);
      await expect(b.setWithTtl('k', 1, 60_000)).rejects.toBeInstanceOf(ClosedError);
      await expect(b.healthCheck()).resolves.toBe(false);
    });

    it('uses a passed memjs client and leaves it open on close unless closeClient is set', async () => {
      const client = Client.create(servers!, { logger: quiet });
      try {
        const b = memcachedTier({ client, namespace: `t-${randomUUID()}` });
        await b.setWithTtl('k', 'via client', 60_000);
        await b.close();
        await expect(client.set(`t-${randomUUID()}`, 'still open', {})).resolves.toBe(true);
        const closing = memcachedTier({ client, namespace: `t-${randomUUID()}`, closeClient: true });
        await expect(closing.healthCheck()).resolves.toBe(true);
        await closing.close();
      } finally {
        client.close();
      }
    });

    it('healthCheck resolves false against a closed port, and get rejects with TierError, within the timeout', async () => {
      const b = backend({ servers: `127.0.0.1:${await freePort()}`, timeoutMs: 500 });
      const health = await settledWithin(b.healthCheck(), 5000);
      expect(health).toStrictEqual({ status: 'fulfilled', value: false });
      const read = await settledWithin(b.get('k'), 5000);
      expect(read).toMatchObject({ status: 'rejected', reason: expect.any(TierError) });
      expect((read as PromiseRejectedResult).reason).toMatchObject({
        code: 'TIERCACHE_TIER_FAILED',
        tier: 'memcached',
      });
    });

    describe('against a server that accepts connections and never answers', () => {
      let silent: SilentServer;
      beforeAll(async () => {
        silent = await startSilentServer();
      });
      afterAll(() => silent.close());

      it('get, set and clear reject with TimeoutError and healthCheck resolves false, none hanging', async () => {
        const b = backend({ servers: `127.0.0.1:${silent.port}`, timeoutMs: 300, retries: 2 });
        const calls = [b.get('k'), b.setWithTtl('k', 1, 1000), b.clear()];
        const results = await Promise.all(calls.map((c) => settledWithin(c, 5000)));
        for (const r of results) {
          expect(r).toMatchObject({ status: 'rejected', reason: expect.any(TimeoutError) });
          expect((r as PromiseRejectedResult).reason).toMatchObject({
            code: 'TIERCACHE_TIMEOUT',
            timeoutMs: 300,
          });
        }
        await expect(settledWithin(b.healthCheck(), 5000)).resolves.toStrictEqual({
          status: 'fulfilled',
          value: false,
        });
      });
    });
  });
});
