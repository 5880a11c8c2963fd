import { MemoryBackend, MemoryStream, StreamBusTransport, TieredCache } from '@tiercache/core';
import { keyvTier, toKeyvStore } from '@tiercache/keyv';
import { lruTier } from '@tiercache/l1-lru';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { instrumentCache } from '@tiercache/otel';
import { KafkaStream } from '@tiercache/stream-kafka';
import { RedisStream } from '@tiercache/stream-redis';
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
const cases: [string, () => unknown, string][] = [
  [
    'new TieredCache({ ttll })',
    () => new TieredCache({ ttll: '5m' } as never),
    'TieredCache: unknown option "ttll"; did you mean "ttl"?',
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
    'new RedisBackend({ prefx })',
    () => new RedisBackend({ url: 'redis://127.0.0.1:1', prefx: 'a:' } as never),
    'did you mean "prefix"?',
  ],
  [
    'new RedisPubSubTransport({ channell })',
    () => new RedisPubSubTransport({ url: 'redis://127.0.0.1:1', channell: 'x' } as never),
    'unknown option "channell"',
  ],
  [
    'new RedisStream({ prefx })',
    () => new RedisStream({ url: 'redis://127.0.0.1:1', prefx: 'a' } as never),
    'did you mean "prefix"?',
  ],
  [
    'new MemcachedBackend({ servrs })',
    () => new MemcachedBackend({ servrs: '127.0.0.1:1' } as never),
    'did you mean "servers"?',
  ],
  [
    'new KafkaStream({ brokerz })',
    () => new KafkaStream({ brokerz: '127.0.0.1:1' } as never),
    'did you mean "brokers"?',
  ],
  ['keyvTier(keyv, { nmae })', () => keyvTier(new Keyv(), { nmae: 'k' } as never), 'did you mean "name"?'],
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
    expect(error).toMatchObject({ code: 'TIERCACHE_BAD_OPTION' });
    expect((error as Error).message).toContain(message);
  });
});
