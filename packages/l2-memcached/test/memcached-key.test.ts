import { describe, expect, it } from 'vitest';
import { memcachedKey } from '../src/memcached-key.js';

describe('memcachedKey', () => {
  const prefix = 'ns:17:';

  it('prefixes a plain key', () => {
    expect(memcachedKey('user:1', prefix, 'hash')).toBe('ns:17:user:1');
    expect(memcachedKey('user:1', prefix, 'reject')).toBe('ns:17:user:1');
  });

  it('measures the 250-byte limit in UTF-8 bytes, prefix included', () => {
    const fits = 'k'.repeat(250 - prefix.length);
    expect(memcachedKey(fits, prefix, 'reject')).toBe(prefix + fits);
    const multiByte = 'é'.repeat(123); // 246 bytes alone, 252 with the prefix
    expect(() => memcachedKey(multiByte, prefix, 'reject')).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_KEY_TOO_LONG' }),
    );
    expect(memcachedKey(multiByte, prefix, 'hash')).toMatch(/^ns:17:h:[A-Za-z0-9_-]{43}$/);
  });

  it('counts three-byte and four-byte characters right on both sides of the limit', () => {
    const threeByteFits = '€'.repeat(77); // 83 UTF-16 units: 237 bytes with the prefix
    expect(memcachedKey(threeByteFits, prefix, 'reject')).toBe(prefix + threeByteFits);
    const threeByteOver = '€'.repeat(82); // 252 bytes with the prefix
    expect(() => memcachedKey(threeByteOver, prefix, 'reject')).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_KEY_TOO_LONG' }),
    );
    const fourByteFits = '😀'.repeat(61); // 250 bytes with the prefix
    expect(memcachedKey(fourByteFits, prefix, 'reject')).toBe(prefix + fourByteFits);
    expect(() => memcachedKey(`${fourByteFits}k`, prefix, 'reject')).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_KEY_TOO_LONG' }),
    );
  });

  it('hashes keys with spaces, control characters and the reserved "h:" start', () => {
    for (const key of ['a b', 'a\tb', 'a\u007fb', 'h:short']) {
      expect(memcachedKey(key, prefix, 'hash'), JSON.stringify(key)).toMatch(/^ns:17:h:[A-Za-z0-9_-]{43}$/);
    }
    expect(memcachedKey('h:short', prefix, 'reject')).toBe('ns:17:h:short');
  });

  it('gives different keys different hashes', () => {
    expect(memcachedKey('a b', prefix, 'hash')).not.toBe(memcachedKey('a  b', prefix, 'hash'));
  });
});
