import { randomUUID } from 'node:crypto';
import {
  ClosedError,
  FactoryError,
  FactoryTimeoutError,
  InvalidKeyError,
  InvalidOptionError,
  InvalidTtlError,
  InvalidValueError,
  SerializationError,
  TieredCache,
  ValueTooLargeError,
} from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const url = await requireServer('redis');
const memcachedServers = await requireServer('memcached');

/** The caches under test; every one has its own L1 so presence can be checked tier by tier. */
interface Caches {
  /** [lru, redis]: the usual production shape. */
  redis: TieredCache<unknown>;
  redisL1: LruBackend<unknown>;
  /** [lru] alone: no serialization anywhere. */
  local: TieredCache<unknown>;
  localL1: LruBackend<unknown>;
  /** [lru, memcached], when a memcached server is there. */
  memcached: TieredCache<unknown> | undefined;
  memcachedL1: LruBackend<unknown>;
  memcachedReader: MemcachedBackend<unknown> | undefined;
  raw: Redis;
  prefix: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** What a bad input must lead to: a rejection of a given class and code, or a documented result. */
type Outcome =
  | {
      rejects: ErrorClass;
      code: string;
      /** Keys that must then be absent from every tier of the cache used. */
      absent?: string[];
      /** More checks on the error (its cause, ...). */
      check?: (error: Error) => void;
    }
  | { resolves: (value: unknown, c: Caches) => void | Promise<void> };

/** One row of the matrix: the input, the call, and the outcome the docs promise. */
interface Row {
  input: string;
  /** What the documentation says happens; the test name. */
  outcome: string;
  run: (c: Caches) => Promise<unknown>;
  expect: Outcome;
  /** The cache whose tiers `absent` is checked against. */
  cache?: 'redis' | 'local' | 'memcached';
}

const MB = 1024 * 1024;
const circular = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { name: 'loop' };
  o.self = o;
  return o;
};
/** About 10 MB of JSON: 10 240 strings of 1 KiB. */
const tenMegabytes = (): { items: string[] } => ({
  items: Array.from({ length: 10 * 1024 }, (_, i) => `${i}:`.padEnd(1024, 'x')),
});
const never = (): Promise<never> => new Promise<never>(() => undefined);

const keyRows: Row[] = [
  ['empty string ""', ''],
  ['number 42', 42],
  ['object { id: 1 }', { id: 1 }],
  ['undefined', undefined],
  ['null', null],
  ['control character "a\\nb"', 'a\nb'],
  ['NUL character "a\\u0000b"', 'a\u0000b'],
].flatMap(([input, key]) =>
  (['set', 'get', 'getOrSet', 'delete'] as const).map(
    (call): Row => ({
      input: `key ${String(input)} in ${call}`,
      outcome: 'rejects with InvalidKeyError (TIERCACHE_BAD_KEY)',
      run: (c) => callWithKey(c.redis, call, key as string),
      expect: { rejects: InvalidKeyError, code: 'TIERCACHE_BAD_KEY' },
    }),
  ),
);
keyRows.push(
  ...(['set', 'get', 'getOrSet', 'delete'] as const).map(
    (call): Row => ({
      input: `key of 1 MB in ${call}`,
      outcome: 'rejects with InvalidKeyError (TIERCACHE_KEY_TOO_LONG, limit maxKeyLength = 1024)',
      run: (c) => callWithKey(c.redis, call, 'k'.repeat(MB)),
      expect: { rejects: InvalidKeyError, code: 'TIERCACHE_KEY_TOO_LONG' },
    }),
  ),
  {
    input: 'key of 1024 characters (the limit) with spaces and unicode',
    outcome: 'is stored and read back',
    run: async (c) => {
      const key = `ü ${'k'.repeat(1022)}`;
      await c.redis.set(key, 'ok');
      return c.redis.get(key);
    },
    expect: { resolves: (value) => expect(value).toBe('ok') },
  },
);

const badTtls: [string, unknown][] = [
  ['0', 0],
  ['-1', -1],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['"5 parsecs"', '5 parsecs'],
  ['"" (empty string)', ''],
  ['"-5s"', '-5s'],
];
const ttlRows: Row[] = badTtls.flatMap(([input, ttl]) => [
  {
    input: `ttl ${input} in set`,
    outcome: 'rejects with InvalidTtlError (a TypeError, TIERCACHE_BAD_TTL); nothing is written',
    run: (c) => c.redis.set(`ttl:${input}`, 'v', { ttl: ttl as number }),
    expect: { rejects: InvalidTtlError, code: 'TIERCACHE_BAD_TTL', absent: [`ttl:${input}`] },
  },
  {
    input: `ttl ${input} in getOrSet on a miss`,
    outcome: 'rejects with InvalidTtlError before the factory runs',
    run: (c) =>
      c.redis.getOrSet(
        `ttl-miss:${input}`,
        () => {
          throw new Error('the factory must not run with a bad ttl');
        },
        { ttl: ttl as number },
      ),
    expect: { rejects: InvalidTtlError, code: 'TIERCACHE_BAD_TTL', absent: [`ttl-miss:${input}`] },
  },
]);
ttlRows.push(
  {
    input: 'ttl "5 parsecs" in getOrSet on an L1 hit',
    outcome: 'rejects with InvalidTtlError: a bad TTL is an error at the call, hit or miss',
    run: async (c) => {
      await c.redis.set('ttl-hit', 'cached');
      return c.redis.getOrSet('ttl-hit', () => 'computed', { ttl: '5 parsecs' as '5s' });
    },
    expect: { rejects: InvalidTtlError, code: 'TIERCACHE_BAD_TTL' },
  },
  {
    input: 'ttl "1.5 h" (number, one space, unit)',
    outcome: 'is accepted (5 400 000 ms) and the entry is stored with it',
    run: async (c) => {
      await c.redis.set('ttl-ok', 'v', { ttl: '1.5 h' });
      return c.raw.pttl(`${c.prefix}ttl-ok`);
    },
    expect: {
      resolves: (pttl) => {
        expect(pttl).toBeGreaterThan(5_300_000);
        expect(pttl).toBeLessThanOrEqual(5_400_000);
      },
    },
  },
);

const valueRows: Row[] = [
  {
    input: 'value undefined in set',
    outcome:
      'rejects with InvalidValueError (TIERCACHE_BAD_VALUE): undefined means a miss; cache null instead',
    run: (c) => c.redis.set('value:undefined', undefined),
    expect: { rejects: InvalidValueError, code: 'TIERCACHE_BAD_VALUE', absent: ['value:undefined'] },
  },
  {
    input: 'value null in set',
    outcome: 'is stored as a value (negative caching): get resolves null, not undefined',
    run: async (c) => {
      await c.redis.set('value:null', null);
      await c.redisL1.remove('value:null');
      return c.redis.get('value:null');
    },
    expect: { resolves: (value) => expect(value).toBeNull() },
  },
  {
    input: 'value a function in set',
    outcome: 'rejects with InvalidValueError: cache data, not code',
    run: (c) => c.redis.set('value:function', () => 1),
    expect: { rejects: InvalidValueError, code: 'TIERCACHE_BAD_VALUE', absent: ['value:function'] },
  },
  {
    input: 'value a Symbol in set',
    outcome: 'rejects with InvalidValueError',
    run: (c) => c.redis.set('value:symbol', Symbol('s')),
    expect: { rejects: InvalidValueError, code: 'TIERCACHE_BAD_VALUE', absent: ['value:symbol'] },
  },
  {
    input: 'value a BigInt, L1-only cache',
    outcome: 'is stored as it is (no serialization in process) and read back',
    cache: 'local',
    run: async (c) => {
      await c.local.set('value:bigint', 10n);
      return c.local.get('value:bigint');
    },
    expect: { resolves: (value) => expect(value).toBe(10n) },
  },
  {
    input: 'value a BigInt, [lru, redis]',
    outcome: 'rejects with SerializationError (TIERCACHE_SERIALIZE); the key is absent from every tier',
    run: (c) => c.redis.set('value:bigint', 10n),
    expect: { rejects: SerializationError, code: 'TIERCACHE_SERIALIZE', absent: ['value:bigint'] },
  },
  {
    input: 'value a BigInt over an existing entry, [lru, redis]',
    outcome:
      'rejects with SerializationError; the old value is removed too (no tier keeps a different value)',
    run: async (c) => {
      await c.redis.set('value:bigint-over', 'old');
      return c.redis.set('value:bigint-over', 10n);
    },
    expect: { rejects: SerializationError, code: 'TIERCACHE_SERIALIZE', absent: ['value:bigint-over'] },
  },
  {
    input: 'value a circular object, L1-only cache',
    outcome: 'is stored by reference and read back (the same object)',
    cache: 'local',
    run: async (c) => {
      const o = circular();
      await c.local.set('value:circular', o);
      return [o, await c.local.get('value:circular')];
    },
    expect: {
      resolves: (value) => {
        const [written, read] = value as [unknown, unknown];
        expect(read).toBe(written);
      },
    },
  },
  {
    input: 'value a circular object, [lru, redis]',
    outcome: 'rejects with SerializationError; the key is absent from every tier',
    run: (c) => c.redis.set('value:circular', circular()),
    expect: { rejects: SerializationError, code: 'TIERCACHE_SERIALIZE', absent: ['value:circular'] },
  },
  {
    input: 'value of 10 MB, [lru, redis]',
    outcome: 'is stored (Redis takes strings up to 512 MB) and read back whole from Redis',
    run: async (c) => {
      await c.redis.set('value:10mb', tenMegabytes());
      const bytes = await c.raw.strlen(`${c.prefix}value:10mb`);
      await c.redisL1.remove('value:10mb');
      const read = (await c.redis.get('value:10mb')) as { items: string[] };
      return { bytes, items: read.items.length, last: read.items.at(-1) };
    },
    expect: {
      resolves: (value) => {
        const v = value as { bytes: number; items: number; last: string };
        expect(v.bytes).toBeGreaterThan(10 * MB);
        expect(v.items).toBe(10 * 1024);
        expect(v.last).toBe(tenMegabytes().items.at(-1));
      },
    },
  },
  {
    input: 'value of 10 MB, [lru, memcached] (item limit 1 MB)',
    outcome:
      'rejects with ValueTooLargeError (TIERCACHE_VALUE_TOO_LARGE) before sending; absent from every tier',
    cache: 'memcached',
    run: (c) => c.memcached!.set('value:10mb', tenMegabytes()),
    expect: {
      rejects: ValueTooLargeError,
      code: 'TIERCACHE_VALUE_TOO_LARGE',
      absent: ['value:10mb'],
      check: (error) => expect((error as ValueTooLargeError).sizeBytes).toBeGreaterThan(10 * MB),
    },
  },
];

const factoryRows: Row[] = [
  {
    input: 'factory throws a string',
    outcome:
      'rejects with FactoryError (TIERCACHE_FACTORY_FAILED), the thrown value as cause; nothing stored',
    run: (c) =>
      c.redis.getOrSet('factory:string', () => {
        throw 'boom';
      }),
    expect: {
      rejects: FactoryError,
      code: 'TIERCACHE_FACTORY_FAILED',
      absent: ['factory:string'],
      check: (error) => expect(error.cause).toBe('boom'),
    },
  },
  {
    input: 'factory rejects with an Error',
    outcome: 'rejects with that same Error object (passed through); nothing stored',
    run: async (c) => {
      const thrown = new RangeError('out of range');
      try {
        await c.redis.getOrSet('factory:error', () => Promise.reject(thrown));
      } catch (error) {
        return [thrown, error];
      }
      return [thrown, undefined];
    },
    expect: {
      resolves: async (value, c) => {
        const [thrown, caught] = value as [Error, unknown];
        expect(caught).toBe(thrown);
        expect(await absentFromEvery(c, 'redis', 'factory:error')).toBe(true);
      },
    },
  },
  {
    input: 'factory never resolves, cache factoryTimeout 300 ms',
    outcome:
      'rejects with FactoryTimeoutError (TIERCACHE_FACTORY_TIMEOUT) and the factory signal aborts; no hang',
    run: async (c) => {
      let signal: AbortSignal | undefined;
      try {
        await c.redis.getOrSet('factory:never', (ctx) => {
          signal = ctx.signal;
          return never();
        });
      } catch (error) {
        return [error, signal?.aborted];
      }
      return [undefined, signal?.aborted];
    },
    expect: {
      resolves: (value) => {
        const [error, aborted] = value as [Error, boolean];
        expect(error).toBeInstanceOf(FactoryTimeoutError);
        expect((error as FactoryTimeoutError).code).toBe('TIERCACHE_FACTORY_TIMEOUT');
        expect(aborted).toBe(true);
      },
    },
  },
  {
    input: 'factory never resolves, per-call { timeout: "100ms" }',
    outcome: 'rejects with FactoryTimeoutError; the next call for the key runs the factory again',
    run: async (c) => {
      await c.redis.getOrSet('factory:never-call', never, { timeout: '100ms' }).catch(() => undefined);
      return c.redis.getOrSet('factory:never-call', () => 'second run');
    },
    expect: { resolves: (value) => expect(value).toBe('second run') },
  },
  {
    input: 'factory never resolves, no timeout, caller passes a signal aborted after 100 ms',
    outcome: "rejects with the signal's reason; the run is aborted (every waiter gave up)",
    run: async (c) => {
      const reason = new Error('caller gave up');
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), 100);
      let factorySignal: AbortSignal | undefined;
      const caught = await c.local
        .getOrSet(
          'factory:never-signal',
          (ctx) => {
            factorySignal = ctx.signal;
            return never();
          },
          { signal: controller.signal },
        )
        .catch((error: unknown) => error);
      return [reason, caught, factorySignal?.aborted];
    },
    expect: {
      resolves: (value) => {
        const [reason, caught, aborted] = value as [Error, unknown, boolean];
        expect(caught).toBe(reason);
        expect(aborted).toBe(true);
      },
    },
  },
  {
    input: 'factory never resolves, no timeout and no signal',
    outcome:
      'the call stays pending; close() rejects it with ClosedError (TIERCACHE_CLOSED) after closeTimeout',
    run: async () => {
      const cache = new TieredCache<unknown>({
        closeTimeout: 100,
        tiers: [new LruBackend<unknown>({ maxEntries: 10 })],
      });
      let settled = false;
      const call = cache.getOrSet('factory:never-forever', never).finally(() => {
        settled = true;
      });
      call.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const pendingAfter300ms = !settled;
      await cache.close();
      return [pendingAfter300ms, await call.catch((error: unknown) => error)];
    },
    expect: {
      resolves: (value) => {
        const [pending, error] = value as [boolean, Error & { code?: string }];
        expect(pending).toBe(true);
        expect(error).toBeInstanceOf(ClosedError);
        expect(error.code).toBe('TIERCACHE_CLOSED');
      },
    },
  },
  {
    input: 'factory returns undefined',
    outcome: 'rejects with InvalidValueError (return null for a negative result); nothing stored',
    run: (c) => c.redis.getOrSet('factory:undefined', () => undefined),
    expect: { rejects: InvalidValueError, code: 'TIERCACHE_BAD_VALUE', absent: ['factory:undefined'] },
  },
  {
    input: 'factory returns a function, L1-only cache',
    outcome: 'rejects with InvalidValueError, as set does; nothing stored',
    cache: 'local',
    run: (c) => c.local.getOrSet('factory:function', () => () => 1),
    expect: { rejects: InvalidValueError, code: 'TIERCACHE_BAD_VALUE', absent: ['factory:function'] },
  },
  {
    input: 'factory returns a BigInt, [lru, redis]',
    outcome: 'rejects with SerializationError; absent from every tier',
    run: (c) => c.redis.getOrSet('factory:bigint', () => 10n),
    expect: { rejects: SerializationError, code: 'TIERCACHE_SERIALIZE', absent: ['factory:bigint'] },
  },
  {
    input: 'factory that is not a function',
    outcome: 'rejects with InvalidOptionError (TIERCACHE_BAD_OPTION)',
    run: (c) => c.redis.getOrSet('factory:not-a-function', 'value' as unknown as () => string),
    expect: { rejects: InvalidOptionError, code: 'TIERCACHE_BAD_OPTION' },
  },
];

function callWithKey(cache: TieredCache<unknown>, call: 'set' | 'get' | 'getOrSet' | 'delete', key: string) {
  if (call === 'set') return cache.set(key, 'v');
  if (call === 'get') return cache.get(key);
  if (call === 'getOrSet') return cache.getOrSet(key, () => 'v');
  return cache.delete(key);
}

async function absentFromEvery(c: Caches, cache: 'redis' | 'local' | 'memcached', key: string) {
  if (cache === 'local') return c.localL1.peek(key) === undefined;
  if (cache === 'memcached') {
    return c.memcachedL1.peek(key) === undefined && (await c.memcachedReader!.get(key)) === undefined;
  }
  // A delete leaves a short-lived deletion mark on Redis (guarded writes); it reads as a miss.
  const stored = await c.raw.get(`${c.prefix}${key}`);
  return c.redisL1.peek(key) === undefined && (stored === null || stored.startsWith('\u0003tc-del:'));
}

/**
 * The call's outcome, telling a synchronous throw apart from a rejection: every bad input
 * must come back as a rejected promise, so `await` and `.catch` both see it.
 */
async function settle(
  run: () => Promise<unknown>,
): Promise<{ kind: 'threw' | 'rejected' | 'resolved'; value: unknown }> {
  let pending: Promise<unknown>;
  try {
    pending = run();
  } catch (error) {
    return { kind: 'threw', value: error };
  }
  try {
    return { kind: 'resolved', value: await pending };
  } catch (error) {
    return { kind: 'rejected', value: error };
  }
}

describe.skipIf(!url)('bad input: every input has a defined outcome', () => {
  const c = {} as Caches;

  beforeAll(() => {
    c.prefix = `faults:bad-input:${randomUUID()}:`;
    c.raw = new Redis(url!);
    c.redisL1 = new LruBackend<unknown>({ maxEntries: 1000 });
    c.redis = new TieredCache<unknown>({
      ttl: '5m',
      factoryTimeout: 300,
      tiers: [c.redisL1, new RedisBackend<unknown>({ url: url!, prefix: c.prefix })],
    });
    c.localL1 = new LruBackend<unknown>({ maxEntries: 1000 });
    c.local = new TieredCache<unknown>({ ttl: '5m', tiers: [c.localL1] });
    c.memcachedL1 = new LruBackend<unknown>({ maxEntries: 1000 });
    if (memcachedServers) {
      const namespace = `faults-bad-input-${randomUUID()}`;
      c.memcached = new TieredCache<unknown>({
        ttl: '5m',
        tiers: [c.memcachedL1, new MemcachedBackend<unknown>({ servers: memcachedServers, namespace })],
      });
      c.memcachedReader = new MemcachedBackend<unknown>({ servers: memcachedServers, namespace });
    }
  });

  afterAll(async () => {
    await Promise.allSettled([c.redis.clear(), c.redis.close(), c.local.close(), c.memcached?.close()]);
    await c.memcachedReader?.close();
    c.raw.disconnect();
  });

  const groups: [string, Row[]][] = [
    ['keys', keyRows],
    ['TTLs', ttlRows],
    ['values', valueRows],
    ['factories', factoryRows],
  ];
  for (const [group, rows] of groups) {
    describe(group, () => {
      for (const row of rows) {
        const skip = row.cache === 'memcached' && !memcachedServers;
        it.skipIf(skip)(
          `${row.input} → ${row.outcome}`,
          async () => {
            const result = await settle(() => row.run(c));
            const outcome = row.expect;
            if ('rejects' in outcome) {
              expect(result.kind, `expected a rejection, got ${result.kind}: ${String(result.value)}`).toBe(
                'rejected',
              );
              const error = result.value as Error & { code?: string };
              expect(error).toBeInstanceOf(outcome.rejects);
              expect(error.code).toBe(outcome.code);
              expect(error.message.length, 'the message says what was wrong').toBeGreaterThan(20);
              outcome.check?.(error);
              for (const key of outcome.absent ?? []) {
                expect(
                  await absentFromEvery(c, row.cache ?? 'redis', key),
                  `"${key}" absent from every tier`,
                ).toBe(true);
              }
            } else {
              expect(result.kind, `expected a value, got ${result.kind}: ${String(result.value)}`).toBe(
                'resolved',
              );
              await outcome.resolves(result.value, c);
            }
          },
          20_000,
        );
      }
    });
  }
});
