import { type CacheBackend, MemoryBackend } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { describeCacheBackend } from '../src/index.js';

/**
 * A backend with only the required methods, as a user's first attempt would look. It checks
 * the "lacks" path: every optional capability declared missing must be asserted absent.
 */
function minimalBackend(): CacheBackend {
  const inner = new MemoryBackend({ name: 'minimal' });
  return {
    name: 'minimal',
    get: (key) => inner.get(key),
    setWithTtl: (key, value, ttlMs) => inner.setWithTtl(key, value, ttlMs),
    remove: (key) => inner.remove(key),
    healthCheck: () => inner.healthCheck(),
    close: () => inner.close(),
  };
}

describeCacheBackend('minimal backend', minimalBackend, {
  lacks: ['getMany', 'setMany', 'removePattern', 'clear', 'peek', 'lock'],
});

/** A backend that caps every entry, as tiers with a maximum TTL do: it declares `noExpiry`. */
function boundedBackend(): CacheBackend & { getWithTtl: MemoryBackend['getWithTtl'] } {
  const inner = new MemoryBackend({ name: 'bounded' });
  const maxTtlMs = 120_000;
  return {
    name: 'bounded',
    maxTtlMs,
    get: (key) => inner.get(key),
    getWithTtl: (key) => inner.getWithTtl(key),
    setWithTtl: (key, value, ttlMs) => inner.setWithTtl(key, value, Math.min(ttlMs ?? maxTtlMs, maxTtlMs)),
    remove: (key) => inner.remove(key),
    healthCheck: () => inner.healthCheck(),
    close: () => inner.close(),
  };
}

describeCacheBackend('bounded backend', boundedBackend, {
  lacks: ['getMany', 'setMany', 'removePattern', 'clear', 'peek', 'lock', 'noExpiry'],
});

describe('options', () => {
  it('rejects an unknown capability in lacks with a message naming the valid ones', () => {
    expect(() =>
      // @ts-expect-error -- a typo a JavaScript user could make
      describeCacheBackend('typo', minimalBackend, { lacks: ['getmany'] }),
    ).toThrow(/"getmany", which is not a capability; use one of getMany/);
  });

  it('rejects a non-positive shortTtlMs', () => {
    expect(() => describeCacheBackend('bad ttl', minimalBackend, { shortTtlMs: 0 })).toThrow(
      /shortTtlMs must be a number > 0/,
    );
  });
});
