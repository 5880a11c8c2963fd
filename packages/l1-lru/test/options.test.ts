import { InvalidOptionError } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { LruBackend, type LruBackendOptions, lruTier } from '../src/index.js';

function build(options: unknown): () => LruBackend {
  return () => new LruBackend(options as LruBackendOptions);
}

describe('option validation', () => {
  it('requires maxEntries or maxBytes', () => {
    expect(build({})).toThrow(InvalidOptionError);
    expect(build({})).toThrow(/needs maxEntries, maxBytes or both/);
    expect(build(undefined)).toThrow(/needs an options object/);
  });

  it.each([
    [{ maxEntries: 0 }, /maxEntries must be a whole number >= 1, got 0/],
    [{ maxEntries: 1.5 }, /maxEntries must be a whole number >= 1, got 1.5/],
    [{ maxEntries: '10' }, /maxEntries must be a whole number >= 1, got string "10"/],
    [{ maxBytes: -1 }, /maxBytes must be a whole number >= 1/],
    [{ maxBytes: Number.POSITIVE_INFINITY }, /maxBytes must be a whole number >= 1/],
    [{ maxBytes: 100, maxEntryBytes: 101 }, /maxEntryBytes \(101\) is larger than maxBytes \(100\)/],
    [{ maxEntries: 10, sizeOf: () => 1 }, /sizeOf is only used with maxBytes or maxEntryBytes/],
    [{ maxBytes: 10, sizeOf: 5 }, /sizeOf must be a function/],
    [{ maxEntries: 10, defaultTtlMs: 0 }, /defaultTtlMs must be a finite number of milliseconds >= 1/],
    [{ maxEntries: 10, maxTtlMs: Number.NaN }, /maxTtlMs must be a finite number of milliseconds >= 1/],
    [
      { maxEntries: 10, defaultTtlMs: 2000, maxTtlMs: 1000 },
      /defaultTtlMs \(2000\) is larger than maxTtlMs \(1000\)/,
    ],
    [{ maxEntries: 10, clone: 'deep' }, /clone must be one of "none", "freeze", "structured", got "deep"/],
    [{ maxEntries: 10, ttlResolutionMs: -1 }, /ttlResolutionMs must be a whole number of milliseconds >= 0/],
    [
      { maxEntries: 10, ttlResolutionMs: 0.5 },
      /ttlResolutionMs must be a whole number of milliseconds >= 0 .*, got 0.5/,
    ],
    [
      { maxEntries: 10, ttlResolution: 0 },
      /unknown option "ttlResolution"; did you mean "ttlResolutionMs"\?/,
    ],
    [{ maxEntries: 10, name: '' }, /name must be a non-empty string/],
    [{ maxSize: 10 }, /unknown option "maxSize"; did you mean "maxBytes"\?/],
    [{ maxEntries: 10, colour: 'red' }, /unknown option "colour"; known options are "name", "maxEntries"/],
  ])('rejects %o', (options, message) => {
    const make = build(options);
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(message);
    try {
      make();
    } catch (error) {
      expect((error as InvalidOptionError).code).toBe('TIERCACHE_BAD_OPTION');
    }
  });

  it('accepts each bound alone, and applies the defaults', () => {
    const byEntries = lruTier({ maxEntries: 1 });
    expect(byEntries.name).toBe('lru');
    expect(byEntries.clone).toBe('none');
    expect(byEntries.maxTtlMs).toBeUndefined();
    expect(byEntries.ttlResolutionMs).toBe(1);
    expect(lruTier({ maxEntries: 1, ttlResolutionMs: 0 }).ttlResolutionMs).toBe(0);
    expect(lruTier({ maxBytes: 1, name: 'l1' }).name).toBe('l1');
  });
});
