import { describe, expect, it } from 'vitest';
import {
  ENTRY_OVERHEAD_BYTES,
  estimateEntrySize,
  estimateSize,
  LruBackend,
  stringSize,
} from '../src/index.js';

const HOUR = 3_600_000;

describe('byte bound', () => {
  it('keeps calculatedSize <= maxBytes while twice maxBytes is written, evicting the oldest', async () => {
    const maxBytes = 50_000;
    const l1 = new LruBackend<string>({ maxBytes });
    const value = 'x'.repeat(500); // ~650 B per entry with the default estimator
    let written = 0;
    for (let i = 0; written < maxBytes * 2; i++) {
      await l1.setWithTtl(`k${i}`, value, HOUR);
      written += estimateEntrySize(value, `k${i}`);
      expect(l1.calculatedSize).toBeLessThanOrEqual(maxBytes);
    }
    expect(l1.calculatedSize).toBeGreaterThan(maxBytes / 2);
    await expect(l1.get('k0')).resolves.toBeUndefined();
    expect(l1.size).toBeLessThan(100);
  });

  it('counts sizes with a custom sizeOf', async () => {
    const l1 = new LruBackend<{ bytes: number }>({ maxBytes: 100, sizeOf: (v) => v.bytes });
    await l1.setWithTtl('a', { bytes: 40 }, HOUR);
    await l1.setWithTtl('b', { bytes: 40 }, HOUR);
    expect(l1.calculatedSize).toBe(80);
    await l1.setWithTtl('c', { bytes: 40 }, HOUR); // 120 > 100: 'a' goes
    expect(l1.calculatedSize).toBe(80);
    await expect(l1.get('a')).resolves.toBeUndefined();
    await expect(l1.get('c')).resolves.toStrictEqual({ bytes: 40 });
  });

  it('passes the key to sizeOf and rounds fractional sizes up', async () => {
    const seen: string[] = [];
    const l1 = new LruBackend<number>({
      maxBytes: 1000,
      sizeOf: (_v, key) => {
        seen.push(key);
        return 2.2;
      },
    });
    await l1.setWithTtl('the-key', 1, HOUR);
    expect(seen).toStrictEqual(['the-key']);
    expect(l1.calculatedSize).toBe(3);
  });

  it('rejects a write when sizeOf returns something that is not a size', async () => {
    const l1 = new LruBackend<number>({ maxBytes: 1000, sizeOf: (v) => v });
    await expect(l1.setWithTtl('nan', Number.NaN, HOUR)).rejects.toMatchObject({
      code: 'TIERCACHE_BAD_OPTION',
      message: expect.stringMatching(/sizeOf returned NaN for key "nan"/),
    });
    await expect(l1.setWithTtl('neg', -1, HOUR)).rejects.toThrow(/finite number of bytes >= 0/);
  });

  it('does not call sizeOf-like estimation when only maxEntries bounds the cache', async () => {
    const l1 = new LruBackend({ maxEntries: 10 });
    await l1.setWithTtl('a', 'x'.repeat(1000), HOUR);
    expect(l1.calculatedSize).toBe(0);
  });
});

describe('entry bound', () => {
  it('keeps at most maxEntries, evicting the least recently used', async () => {
    const l1 = new LruBackend<number>({ maxEntries: 3 });
    for (const [i, k] of ['a', 'b', 'c'].entries()) await l1.setWithTtl(k, i, HOUR);
    expect(l1.peek('a')).toBe(0); // touching 'a' makes 'b' the least recently used
    await l1.setWithTtl('d', 3, HOUR);
    expect(l1.size).toBe(3);
    await expect(l1.getMany(['a', 'b', 'c', 'd'])).resolves.toStrictEqual([0, undefined, 2, 3]);
  });

  it('applies both bounds when both are set', async () => {
    const l1 = new LruBackend<{ bytes: number }>({ maxEntries: 2, maxBytes: 1000, sizeOf: (v) => v.bytes });
    await l1.setWithTtl('a', { bytes: 10 }, HOUR);
    await l1.setWithTtl('b', { bytes: 10 }, HOUR);
    await l1.setWithTtl('c', { bytes: 10 }, HOUR);
    expect(l1.size).toBe(2);
    await l1.setWithTtl('big', { bytes: 995 }, HOUR);
    expect(l1.calculatedSize).toBeLessThanOrEqual(1000);
    expect(l1.size).toBe(1);
  });
});

describe('oversize entries', () => {
  it('does not store an entry larger than maxEntryBytes and removes the value it would replace', async () => {
    const l1 = new LruBackend<string>({ maxBytes: 10_000, maxEntryBytes: 100, sizeOf: (v) => v.length });
    await l1.setWithTtl('k', 'small', HOUR);
    await l1.setWithTtl('k', 'y'.repeat(101), HOUR);
    await expect(l1.get('k')).resolves.toBeUndefined();
    await l1.setWithTtl('k', 'y'.repeat(100), HOUR);
    await expect(l1.get('k')).resolves.toBe('y'.repeat(100));
  });

  it('uses maxBytes as the entry limit when maxEntryBytes is not set', async () => {
    const l1 = new LruBackend<string>({ maxBytes: 100, sizeOf: (v) => v.length });
    await l1.setWithTtl('keep', 'a'.repeat(50), HOUR);
    await l1.setWithTtl('huge', 'b'.repeat(101), HOUR);
    await expect(l1.get('huge')).resolves.toBeUndefined();
    // The oversize write must not have evicted what was there.
    await expect(l1.get('keep')).resolves.toBe('a'.repeat(50));
  });

  it('honours maxEntryBytes with only maxEntries as the cache bound', async () => {
    const l1 = new LruBackend<string>({ maxEntries: 10, maxEntryBytes: 20, sizeOf: (v) => v.length });
    await l1.setWithTtl('ok', 'a'.repeat(20), HOUR);
    await l1.setWithTtl('no', 'a'.repeat(21), HOUR);
    await expect(l1.getMany(['ok', 'no'])).resolves.toStrictEqual(['a'.repeat(20), undefined]);
  });
});

describe('estimateSize', () => {
  it('counts strings as V8 stores them: a 16-byte header, then 1 byte per Latin-1 char or 2 per code unit, rounded to 8', () => {
    expect(estimateSize('abc')).toBe(16 + 8);
    expect(estimateSize('x'.repeat(100))).toBe(16 + 104);
    expect(estimateSize('é'.repeat(8))).toBe(16 + 8); // é is Latin-1
    expect(estimateSize('名前')).toBe(16 + 8);
    expect(estimateSize('名'.repeat(8))).toBe(16 + 16);
    expect(stringSize('')).toBe(16);
  });

  it('counts small integers as free, other numbers as a 16-byte box, booleans and null as free', () => {
    expect(estimateSize(42)).toBe(0);
    expect(estimateSize(2 ** 31 - 1)).toBe(0);
    expect(estimateSize(2 ** 31)).toBe(16);
    expect(estimateSize(1.5)).toBe(16);
    expect(estimateSize(-0)).toBe(16);
    expect(estimateSize(true)).toBe(0);
    expect(estimateSize(null)).toBe(0);
    expect(estimateSize(10n)).toBe(24);
  });

  it('walks arrays and objects with V8-like headers and 8-byte slots', () => {
    expect(estimateSize([])).toBe(32);
    expect(estimateSize([1, 2])).toBe(32 + 16 + 2 * 8);
    expect(estimateSize([1.5, 2.5])).toBe(32 + 16 + 2 * 8); // unboxed doubles
    expect(estimateSize([1.5, 'a'])).toBe(32 + 16 + 2 * 8 + 16 + 24); // boxed in a mixed array
    expect(estimateSize({ ab: 'cd' })).toBe(24 + 8 + 24);
    expect(estimateSize({ a: { b: 1 } })).toBe(24 + 8 + 24 + 8);
  });

  it('counts keys of objects past 128 properties, which V8 keeps in a hash table', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 200; i++) wide[`k${i}`] = i;
    expect(estimateSize(wide)).toBeGreaterThan(200 * (40 + 16));
  });

  it('counts binary data by byteLength plus its on-heap objects', () => {
    expect(estimateSize(new Uint8Array(1000))).toBe(64 + 1000);
    expect(estimateSize(Buffer.alloc(64))).toBe(64 + 64);
  });

  it('counts Maps, Sets and Dates', () => {
    expect(estimateSize(new Map([[1, 2]]))).toBe(48 + 40);
    expect(estimateSize(new Set(['a']))).toBe(48 + 28 + 24);
    expect(estimateSize(new Date(0))).toBe(96);
  });

  it('matches the heap measured for the benchmark value shape within a band', () => {
    // Measured with scripts/calibrate-size.mjs (node --expose-gc, 64 MiB bound filled twice):
    // each such entry held 436-465 B of heap (object literal vs parsed JSON); the estimate must
    // stay within 10% of that band.
    const value = {
      id: 1234,
      name: 'user-0001234',
      email: 'user-0001234@example.com',
      active: true,
      score: 58.5,
      tags: ['reader', 'beta'],
    };
    const entry = estimateEntrySize(value, 'key:1234');
    expect(entry).toBe(ENTRY_OVERHEAD_BYTES + 24 + estimateSize(value));
    expect(entry).toBeGreaterThanOrEqual(436 * 0.9);
    expect(entry).toBeLessThanOrEqual(465 * 1.1);
  });

  it('ends on cycles and counts a shared object once', () => {
    const shared = { s: 'x'.repeat(100) };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const once = estimateSize({ shared });
    expect(estimateSize(cyclic)).toBeLessThan(once + 100);
  });

  it('stops walking very deep nesting without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    const size = estimateSize(deep);
    expect(Number.isFinite(size)).toBe(true);
    expect(size).toBeGreaterThan(0);
  });
});
