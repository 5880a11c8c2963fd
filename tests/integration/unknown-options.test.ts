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

describe('every public constructor rejects an unknown option key', () => {
  it.each(cases)('%s', (_name, build, message) => {
    let error: unknown;
    try {
      build();
    } catch (e) {
      error = e;
    }
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
