// Finding 3: the Redis password in errors, causes, onError, tier:error/bus:error events and
// option errors. A Redis with requirepass on loopback, started here.
import { inspect } from 'node:util';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
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
