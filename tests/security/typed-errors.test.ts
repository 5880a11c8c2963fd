// Finding 8: inputs that were accepted silently, failed with an untyped error, or overflowed a
// Node.js timer now fail with a typed error that says how to fix them.
import { randomUUID } from 'node:crypto';
import {
  InvalidKeyError,
  InvalidOptionError,
  InvalidStreamIdError,
  InvalidTtlError,
  InvalidValueError,
  MemoryStream,
  type StreamFields,
  type StreamingBackend,
  TieredCache,
} from '@tiercache/core';
import { keyvTier } from '@tiercache/keyv';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
import { KafkaStream } from '@tiercache/stream-kafka';
import { RedisStream } from '@tiercache/stream-redis';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const brokers = await requireServer('kafka');

const streams: [string, () => StreamingBackend][] = [['memory', () => new MemoryStream()]];
if (redisUrl)
  streams.push(['redis', () => new RedisStream({ url: redisUrl, prefix: `sec:${randomUUID()}:` })]);
if (brokers)
  streams.push([
    'kafka',
    () => new KafkaStream({ brokers, topicPrefix: `sec-${randomUUID().slice(0, 8)}.`, logLevel: 'nothing' }),
  ]);

describe.each(streams)('stream arguments on %s', (name, make) => {
  const opened: StreamingBackend[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((s) => s.close?.()));
  });
  const stream = () => {
    const s = make();
    opened.push(s);
    return s;
  };

  it('blockMs of 2^31 ms or more is an InvalidOptionError, not a Node.js timer overflow', async () => {
    const s = stream();
    await s.streamAdd('s', [['a', 'b']]);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (const blockMs of [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
        await expect(s.streamRead('s', '$', 1, { blockMs })).rejects.toBeInstanceOf(InvalidOptionError);
      }
      await expect(s.streamRead('s', '$', 1, { blockMs: Number.NaN })).rejects.toBeInstanceOf(
        InvalidOptionError,
      );
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  if (name !== 'kafka') {
    it('a stream id part over 2^64 - 1 is an InvalidStreamIdError', async () => {
      const s = stream();
      await s.streamAdd('s', [['a', 'b']]);
      for (const id of ['18446744073709551616-0', '0-18446744073709551616', '99999999999999999999999']) {
        await expect(s.streamRead('s', id, 1)).rejects.toBeInstanceOf(InvalidStreamIdError);
      }
      await expect(s.streamRead('s', '18446744073709551615-0', 1)).resolves.toEqual([]);
    });
  }

  if (name !== 'memory') {
    it('an empty entry or a non-string field is an InvalidValueError', async () => {
      const s = stream();
      await expect(s.streamAdd('s', [])).rejects.toBeInstanceOf(InvalidValueError);
      await expect(s.streamAdd('s', [['a', 1]] as unknown as StreamFields)).rejects.toBeInstanceOf(
        InvalidValueError,
      );
      await expect(s.streamAdd('s', [['a']] as unknown as StreamFields)).rejects.toBeInstanceOf(
        InvalidValueError,
      );
    });
  }
});

describe.skipIf(!redisUrl)('RedisBackend called directly', () => {
  it('an empty key is an InvalidKeyError, and nothing is written at the bare prefix', async () => {
    const prefix = `sec:${randomUUID()}:`;
    const backend = new RedisBackend({ url: redisUrl!, prefix });
    const admin = new Redis(redisUrl!);
    try {
      await expect(backend.setWithTtl('', 'v', 1000)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(backend.get('')).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(backend.remove('')).rejects.toBeInstanceOf(InvalidKeyError);
      expect(await admin.exists(prefix)).toBe(0);
    } finally {
      admin.disconnect();
      await backend.close();
    }
  });
});

describe('TieredCache.set with a third argument that is not an options object', () => {
  it('null, a number or a string is an InvalidOptionError, and nothing is written', async () => {
    const cache = new TieredCache<string>({ tiers: [new LruBackend<string>({ maxEntries: 10 })] });
    try {
      for (const options of [null, 1000, '5m']) {
        await expect(cache.set('k', 'v', options as never)).rejects.toBeInstanceOf(InvalidOptionError);
      }
      expect(await cache.get('k')).toBeUndefined();
    } finally {
      await cache.close();
    }
  });
});

describe('keyvTier called directly', () => {
  it('ttl -5, 0 or NaN, an undefined value and an empty key are typed errors', async () => {
    const tier = keyvTier(new Map());
    for (const ttl of [-5, 0, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(tier.setWithTtl('k', 'v', ttl)).rejects.toBeInstanceOf(InvalidTtlError);
    }
    await expect(tier.setWithTtl('k', undefined, 1000)).rejects.toBeInstanceOf(InvalidValueError);
    await expect(tier.setWithTtl('', 'v', 1000)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(tier.get('')).rejects.toBeInstanceOf(InvalidKeyError);
    await tier.setWithTtl('k', null, 1000);
    expect(await tier.get('k')).toBeNull();
  });
});
