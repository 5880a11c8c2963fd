// Finding 3: the Redis password in errors, causes, onError, tier:error/bus:error events and
// option errors. A Redis with requirepass on loopback, started here.
import { inspect } from 'node:util';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';
import { eventually } from '@tiercache/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PasswordRedis, startPasswordRedis } from './password-redis.js';

const WRONG = 'Wr0ng-Pa55word-4-test';

/** Everything a user could print: the error with its whole cause chain and own properties. */
function printed(value: unknown): string {
  return `${inspect(value, { depth: 20, showHidden: true })}\n${String(value)}\n${JSON.stringify(value, (_k, v) => (v instanceof Error ? { ...v, message: v.message, stack: v.stack, cause: v.cause } : v))}`;
}

describe('credentials never appear in what we expose', () => {
  let server: PasswordRedis;
  beforeAll(async () => {
    server = await startPasswordRedis();
  });
  afterAll(() => server?.stop());

  const wrongUrl = () => `redis://:${WRONG}@127.0.0.1:${server.port}`;

  it('RedisBackend: rejected call, its cause chain and onError carry no password (AUTH args stripped)', async () => {
    const reported: unknown[] = [];
    const backend = new RedisBackend({
      url: wrongUrl(),
      commandTimeoutMs: 500,
      onError: (error) => reported.push(error),
    });
    try {
      const error = await backend.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      await eventually(() => reported.length > 0, { timeoutMs: 5000 });
      const text = printed(error) + reported.map(printed).join('\n');
      expect(text).toMatch(/WRONGPASS|NOAUTH|timed|did not answer/i);
      expect(text).not.toContain(WRONG);
    } finally {
      await backend.close();
    }
  });

  it('a username/password login failure (AUTH user pass) is redacted too', async () => {
    const reported: unknown[] = [];
    const backend = new RedisBackend({
      redis: { host: '127.0.0.1', port: server.port, username: 'default', password: WRONG },
      commandTimeoutMs: 500,
      onError: (error) => reported.push(error),
    });
    try {
      await backend.setWithTtl('k', 'v', 1000).catch(() => undefined);
      await backend.get('k').catch(() => undefined);
      await eventually(() => reported.length > 0, { timeoutMs: 5000 });
      const text = reported.map(printed).join('\n');
      expect(text).toContain('auth');
      expect(text).not.toContain(WRONG);
    } finally {
      await backend.close();
    }
  });

  it('TieredCache tier:error and bus:error events, the pub/sub transport and RedisStream carry no password', async () => {
    const seen: unknown[] = [];
    const cache = new TieredCache<string>({
      tiers: [
        new LruBackend<string>({ maxEntries: 10 }),
        new RedisBackend<string>({ url: wrongUrl(), commandTimeoutMs: 300 }),
      ],
      bus: {
        transport: new RedisPubSubTransport({
          url: wrongUrl(),
          commandTimeoutMs: 300,
          onError: (e) => seen.push(e),
        }),
      },
    });
    cache.on('tier:error', ({ error }) => seen.push(error));
    cache.on('bus:error', ({ error }) => seen.push(error));
    const stream = new RedisStream({ url: wrongUrl(), commandTimeoutMs: 300, onError: (e) => seen.push(e) });
    try {
      await cache.ready().catch((e: unknown) => seen.push(e));
      await cache.get('k');
      await cache.set('k', 'v').catch((e: unknown) => seen.push(e));
      await stream.streamAdd('s', [['a', 'b']]).catch((e: unknown) => seen.push(e));
      await eventually(() => seen.length >= 4, { timeoutMs: 5000 });
      const text = seen.map(printed).join('\n');
      expect(text).not.toContain(WRONG);
    } finally {
      await Promise.allSettled([cache.close(), stream.close()]);
    }
  });

  it('an option error about a URL prints it without its password', () => {
    for (const make of [
      () => new RedisBackend({ url: `http://admin:${WRONG}@cache.internal:6379` }),
      () => new RedisPubSubTransport({ url: `http://admin:${WRONG}@cache.internal:6379` }),
      () => new RedisStream({ url: `http://admin:${WRONG}@cache.internal:6379` }),
    ]) {
      let message = '';
      try {
        make();
      } catch (error) {
        message = printed(error);
      }
      expect(message).toContain('redis://');
      expect(message).toContain('cache.internal');
      expect(message).not.toContain(WRONG);
    }
  });
});

/**
 * Attack finding 6: a mistyped Redis URL (a scheme without "//", a port that is not a number,
 * an unclosed IPv6 bracket) must not put its password in the option error: not in the message,
 * not in a `cause` or `input` holding the raw URL, however the error is printed. Nothing here
 * connects: every one of these is refused at construction.
 */
describe('a malformed URL or server spec never puts its password in an error', () => {
  const PW = 'Hunter2Secret';
  const urls = [
    `rediss//app:${PW}@cache.internal:6380`,
    `redis:/app:${PW}@cache.internal:6379`,
    `redis://app:${PW}@cache.internal:notaport`,
    `redis://app:${PW}@cache.internal:63 79`,
    `redis://app:${PW}@[::1`,
    `redis://:${PW}@cache.internal:99999`,
    `redis//:${PW}@cache.internal`,
    `http://app:${PW}@cache.internal:6379`,
    `redis://app:p@ss:${PW}@cache.internal:notaport`,
    `redis//app:my ${PW}@cache.internal:6379`,
  ];
  const builds: [string, (url: string) => unknown][] = [
    ['RedisBackend', (url) => new RedisBackend({ url, redis: { lazyConnect: true } })],
    ['RedisPubSubTransport', (url) => new RedisPubSubTransport({ url, redis: { lazyConnect: true } })],
    ['RedisStream', (url) => new RedisStream({ url, redis: { lazyConnect: true } })],
  ];
  const cases = builds.flatMap(([name, build]) =>
    urls.map((url): [string, string, (url: string) => unknown] => [name, url, build]),
  );

  it.each(cases)('%s(%j): InvalidOptionError, redacted', (_name, url, build) => {
    let error: unknown;
    try {
      build(url);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'TIERCACHE_BAD_OPTION', name: 'InvalidOptionError' });
    const err = error as Error & { cause?: unknown; input?: unknown };
    expect(err.message).toContain('[redacted]');
    expect(err.message).toContain('cache.internal'.slice(0, url.includes('[::1') ? 0 : 14));
    expect(err.message).not.toContain(PW);
    expect(err.cause).toBeUndefined();
    expect(err.input).toBeUndefined();
    expect(JSON.stringify(err)).not.toContain(PW);
    expect(inspect(err, { depth: 10 })).not.toContain(PW);
    expect(printed(err)).not.toContain(PW);
  });

  it.each([
    `app:${PW}@cache.internal:notaport`,
    `app:${PW}@cache.internal:11211:1`,
    `app:${PW}@:11211`,
    `cache.internal:11211,app:${PW}@cache.internal:63 79`,
  ])('MemcachedBackend({ servers: %j }): InvalidOptionError, no password', (servers) => {
    let error: unknown;
    try {
      new MemcachedBackend({ servers });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'TIERCACHE_BAD_OPTION', name: 'InvalidOptionError' });
    const err = error as Error;
    expect(err.message).not.toContain(PW);
    expect(JSON.stringify(err)).not.toContain(PW);
    expect(inspect(err, { depth: 10 })).not.toContain(PW);
    expect(printed(err)).not.toContain(PW);
  });
});
