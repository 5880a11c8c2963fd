import { FaultyBackend } from '@tiercache/conformance';
import {
  CircuitBreaker,
  MemoryBackend,
  MemoryBusHub,
  MemoryStream,
  StreamBusTransport,
  TieredCache,
} from '@tiercache/core';
import { KeyvTier, keyvTier, TieredKeyvStore, toKeyvStore } from '@tiercache/keyv';
import { LruBackend, lruTier } from '@tiercache/l1-lru';
import { MemcachedBackend, memcachedTier } from '@tiercache/l2-memcached';
import { RedisBackend, RedisPubSubTransport, redisTier } from '@tiercache/l2-redis';
import { instrumentCache } from '@tiercache/otel';
import { KafkaStream, kafkaStream } from '@tiercache/stream-kafka';
import { RedisStream, redisStream } from '@tiercache/stream-redis';
import Keyv from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every public constructor (the cache, each backend, stream, transport and bridge) rejects an
 * unknown option key the same way: `InvalidOptionError`, in the option kit's one format, with a
 * did-you-mean when a known key is close. Nothing here connects: the check comes first.
 * The table this prints is the one in the closing note of the redesign.
 */
const rows: string[] = [];
afterAll(() => console.log(`constructor × unknown option:\n${rows.join('\n')}`));

const cache = new TieredCache();
const backend = new MemoryBackend();
const transport = new MemoryBusHub().transport();
// Lazy: a constructor that wrongly accepted the key must not leave a client reconnecting.
const lazy = { lazyConnect: true };
const cases: [string, () => unknown, string][] = [
  [
    'new TieredCache({ ttll })',
    () => new TieredCache({ ttll: '5m' } as never),
    'TieredCache: unknown option "ttll"; did you mean "ttl"?',
  ],
  [
    'new TieredCache({ tiers: [{ backend, timeoutMS }] })',
    () => new TieredCache({ tiers: [{ backend, timeoutMS: 50 }] } as never),
    'TieredCache: tiers[0]: unknown option "timeoutMS"; did you mean "timeout"?',
  ],
  [
    'new TieredCache({ bus: { transport, chanel } })',
    () => new TieredCache({ bus: { transport, chanel: 'x' } } as never),
    'TieredCache bus: unknown option "chanel"; did you mean "channel"?',
  ],
  [
    'new TieredCache({ lock: { leese } })',
    () => new TieredCache({ lock: { leese: '1s' } } as never),
    'TieredCache lock: unknown option "leese"; did you mean "lease"?',
  ],
  [
    'new TieredCache({ tiers: [{ backend, breaker: { failureTreshold } }] })',
    () => new TieredCache({ tiers: [{ backend, breaker: { failureTreshold: 3 } }] } as never),
    'TieredCache: tiers[0].breaker: unknown option "failureTreshold"; did you mean "failureThreshold"?',
  ],
  [
    'new CircuitBreaker({ failureTreshold }, onChange)',
    () => new CircuitBreaker({ failureTreshold: 3 } as never, () => {}),
    'did you mean "failureThreshold"?',
  ],
  [
    'new MemoryBackend({ maxEntires })',
    () => new MemoryBackend({ maxEntires: 10 } as never),
    'did you mean "maxEntries"?',
  ],
  ['new MemoryStream({ nmae })', () => new MemoryStream({ nmae: 's' } as never), 'did you mean "name"?'],
  [
    'new StreamBusTransport(stream, { blockMS })',
    () => new StreamBusTransport(new MemoryStream(), { blockMS: 10 } as never),
    'did you mean "blockMs"?',
  ],
  ['lruTier({ maxEntires })', () => lruTier({ maxEntires: 10 } as never), 'did you mean "maxEntries"?'],
  [
    'new LruBackend({ maxEntires })',
    () => new LruBackend({ maxEntires: 10 } as never),
    'LruBackend: unknown option "maxEntires"; did you mean "maxEntries"?',
  ],
  [
    'new RedisBackend({ prefx })',
    () => new RedisBackend({ url: 'redis://127.0.0.1:1', redis: lazy, prefx: 'a:' } as never),
    'did you mean "prefix"?',
  ],
  [
    'redisTier({ timeoutMS })',
    () => redisTier({ url: 'redis://127.0.0.1:1', redis: lazy, timeoutMS: 50 } as never),
    'RedisBackend: unknown option "timeoutMS"; did you mean "timeoutMs"?',
  ],
  [
    'new RedisPubSubTransport({ channell })',
    () => new RedisPubSubTransport({ url: 'redis://127.0.0.1:1', redis: lazy, channell: 'x' } as never),
    'unknown option "channell"',
  ],
  [
    'new RedisPubSubTransport({ comandTimeoutMs })',
    () => new RedisPubSubTransport({ url: 'redis://127.0.0.1:1', redis: lazy, comandTimeoutMs: 50 } as never),
    'did you mean "commandTimeoutMs"?',
  ],
  [
    'new RedisStream({ prefx })',
    () => new RedisStream({ url: 'redis://127.0.0.1:1', redis: lazy, prefx: 'a' } as never),
    'did you mean "prefix"?',
  ],
  [
    'redisStream({ timeoutMS })',
    () => redisStream({ url: 'redis://127.0.0.1:1', redis: lazy, timeoutMS: 50 } as never),
    'RedisStream: unknown option "timeoutMS"; did you mean "timeoutMs"?',
  ],
  [
    'new MemcachedBackend({ servrs })',
    () => new MemcachedBackend({ servrs: '127.0.0.1:1' } as never),
    'did you mean "servers"?',
  ],
  [
    'memcachedTier({ prefx })',
    () => memcachedTier({ servers: '127.0.0.1:1', prefx: 'a' } as never),
    'MemcachedBackend: unknown option "prefx"; did you mean "prefix"?',
  ],
  [
    'new KafkaStream({ brokerz })',
    () => new KafkaStream({ brokerz: '127.0.0.1:1' } as never),
    'did you mean "brokers"?',
  ],
  [
    'kafkaStream({ topicPrefx })',
    () => kafkaStream({ brokers: '127.0.0.1:1', topicPrefx: 't' } as never),
    'KafkaStream: unknown option "topicPrefx"; did you mean "topicPrefix"?',
  ],
  ['keyvTier(keyv, { nmae })', () => keyvTier(new Keyv(), { nmae: 'k' } as never), 'did you mean "name"?'],
  [
    'new KeyvTier(keyv, { closeClent })',
    () => new KeyvTier(new Keyv(), { closeClent: true } as never),
    'unknown option "closeClent"; did you mean "closeClient"?',
  ],
  [
    'new TieredKeyvStore(cache, { deserialise })',
    () => new TieredKeyvStore(cache, { deserialise: () => ({}) } as never),
    'unknown option "deserialise"; did you mean "deserialize"?',
  ],
  [
    'toKeyvStore(cache, { namespce })',
    () => toKeyvStore(cache, { namespce: 'n' } as never),
    'unknown option "namespce"',
  ],
  [
    'instrumentCache(cache, { metr })',
    () => instrumentCache(cache, { metr: 1 } as never),
    'unknown option "metr"',
  ],
  [
    'instrumentCache(cache, { meterProvder })',
    () => instrumentCache(cache, { meterProvder: {} } as never),
    'instrumentCache: unknown option "meterProvder"; did you mean "meterProvider"?',
  ],
  [
    'new FaultyBackend(inner, { sead })',
    () => new FaultyBackend(backend, { sead: 1 } as never),
    'FaultyBackend: unknown option "sead"; did you mean "seed"?',
  ],
];

/** What `build` threw (`undefined` when it returned). */
function thrown(build: () => unknown): unknown {
  try {
    build();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('every public constructor rejects an unknown option key', () => {
  it.each(cases)('%s', (_name, build, message) => {
    const error = thrown(build);
    rows.push(
      `| \`${_name}\` | ${error instanceof Error ? `\`${error.name}\`: ${error.message}` : 'accepted (no error)'} |`,
    );
    expect(error).toMatchObject({ code: 'TIERCACHE_BAD_OPTION', name: 'InvalidOptionError' });
    expect((error as Error).message).toContain(message);
    // The kit's one format, whoever throws it.
    expect((error as Error).message).toMatch(
      /^\S.*: unknown option "[^"]+"; (did you mean "[^"]+"\?|known options are ".+")$/,
    );
  });
});

/**
 * A wrong option value (not only an unknown key) is an `InvalidOptionError` in the kit's
 * format at construction: never a plain TypeError from deeper down, never accepted only to
 * fail later (attack finding 4). Nothing here connects either.
 */
const notAStream = 'a StreamingBackend (streamAdd, streamReadLatest, streamRead)';
const valueCases: [string, () => unknown, string][] = [
  [
    'new RedisBackend({ cluster: null })',
    () => new RedisBackend({ cluster: null } as never),
    'RedisBackend: cluster must be an object { nodes, options? }, got null',
  ],
  [
    'new RedisBackend({ cluster: 42 })',
    () => new RedisBackend({ cluster: 42 } as never),
    'RedisBackend: cluster must be an object { nodes, options? }, got 42',
  ],
  [
    'new RedisBackend({ url, redis: 42 })',
    () => new RedisBackend({ url: 'redis://127.0.0.1:1', redis: 42 } as never),
    'RedisBackend: redis must be an object of ioredis options, got 42',
  ],
  [
    "new RedisBackend({ url, redis: 'nope' })",
    () => new RedisBackend({ url: 'redis://127.0.0.1:1', redis: 'nope' } as never),
    'RedisBackend: redis must be an object of ioredis options, got "nope"',
  ],
  [
    'new RedisPubSubTransport({ redis: 42 })',
    () => new RedisPubSubTransport({ redis: 42 } as never),
    'RedisPubSubTransport: redis must be an object of ioredis options, got 42',
  ],
  ['new RedisStream({ cluster: null })', () => new RedisStream({ cluster: null } as never), 'RedisStream: '],
  [
    'new StreamBusTransport(null)',
    () => new StreamBusTransport(null as never),
    `StreamBusTransport: stream must be ${notAStream}, got null`,
  ],
  [
    'new StreamBusTransport(42)',
    () => new StreamBusTransport(42 as never),
    `StreamBusTransport: stream must be ${notAStream}, got 42`,
  ],
  [
    "new StreamBusTransport('redis://x')",
    () => new StreamBusTransport('redis://x' as never),
    `StreamBusTransport: stream must be ${notAStream}, got "redis://x"`,
  ],
  [
    'new StreamBusTransport({ streamAdd })',
    () => new StreamBusTransport({ name: 's', streamAdd: async () => '1-0' } as never),
    `StreamBusTransport: stream must be ${notAStream}, got an object`,
  ],
  ['keyvTier(null)', () => keyvTier(null as never), 'keyvTier: input must be a Keyv, a Keyv store'],
  ['keyvTier(42)', () => keyvTier(42 as never), 'keyvTier: input must be a Keyv, a Keyv store'],
  ['keyvTier(NaN)', () => keyvTier(Number.NaN as never), 'keyvTier: input must be a Keyv, a Keyv store'],
  ['new KeyvTier({})', () => new KeyvTier({} as never), 'keyvTier: input must be a Keyv, a Keyv store'],
  [
    'new TieredCache({ eagerRefresh: Symbol() })',
    () => new TieredCache({ eagerRefresh: Symbol('x') } as never),
    'TieredCache: eagerRefresh must be a fraction of the TTL between 0 and 1 (exclusive), or 0 for off, got a symbol',
  ],
  [
    "new TieredCache({ eagerRefresh: '0.5' })",
    () => new TieredCache({ eagerRefresh: '0.5' } as never),
    'TieredCache: eagerRefresh must be a fraction of the TTL between 0 and 1 (exclusive), or 0 for off, got "0.5"',
  ],
  [
    'new TieredCache({ tiers: [{ backend, ttlScale: Symbol() }] })',
    () => new TieredCache({ tiers: [{ backend, ttlScale: Symbol('x') }] } as never),
    'TieredCache: tiers[0].ttlScale must be a finite number > 0, got a symbol',
  ],
  [
    "new TieredCache({ tiers: [{ backend, ttlScale: '2' }] })",
    () => new TieredCache({ tiers: [{ backend, ttlScale: '2' }] } as never),
    'TieredCache: tiers[0].ttlScale must be a finite number > 0, got "2"',
  ],
  [
    "new TieredCache(new Map([['ttl', 'garbage']]))",
    () => new TieredCache(new Map([['ttl', 'garbage']]) as never),
    'TieredCache: options must be a plain object such as { name, tiers }, got a Map',
  ],
  [
    'new TieredCache([])',
    () => new TieredCache([] as never),
    'TieredCache: options must be a plain object such as { name, tiers }, got an array',
  ],
  [
    'new TieredCache(new (class Options {})())',
    () => new TieredCache(new (class Options {})() as never),
    'TieredCache: options must be a plain object such as { name, tiers }, got an Options',
  ],
];

describe('a wrong option value is an InvalidOptionError at construction', () => {
  it.each(valueCases)('%s', (_name, build, message) => {
    const error = thrown(build);
    expect(error).toMatchObject({ code: 'TIERCACHE_BAD_OPTION', name: 'InvalidOptionError' });
    expect((error as Error).message).toContain(message);
  });

  it('a Symbol where a duration goes is a typed error, never a TypeError', () => {
    const durations = [
      'ttl',
      'grace',
      'graceBackoff',
      'factoryTimeout',
      'factorySoftTimeout',
      'closeTimeout',
    ];
    const builds: [string, () => unknown][] = [
      ...durations.map((key): [string, () => unknown] => [
        key,
        () => new TieredCache({ [key]: Symbol('x') } as never),
      ]),
      ['lock.lease', () => new TieredCache({ lock: { lease: Symbol('x') } } as never)],
      ['lock.poll', () => new TieredCache({ lock: { poll: Symbol('x') } } as never)],
      ['tiers[0].maxTtl', () => new TieredCache({ tiers: [{ backend, maxTtl: Symbol('x') }] } as never)],
      ['tiers[0].timeout', () => new TieredCache({ tiers: [{ backend, timeout: Symbol('x') }] } as never)],
      ['jitter', () => new TieredCache({ jitter: Symbol('x') } as never)],
      ['maxKeyLength', () => new TieredCache({ maxKeyLength: Symbol('x') } as never)],
    ];
    const wrong = builds.flatMap(([key, build]) => {
      try {
        build();
        return [`${key}: accepted`];
      } catch (e) {
        const code = (e as { code?: unknown }).code;
        return code === 'TIERCACHE_BAD_OPTION' || code === 'TIERCACHE_BAD_TTL'
          ? []
          : [`${key}: ${(e as Error).name}: ${(e as Error).message}`];
      }
    });
    expect(wrong).toEqual([]);
  });
});
