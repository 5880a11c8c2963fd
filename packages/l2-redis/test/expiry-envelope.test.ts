import { describe, expect, it } from 'vitest';
import { readBufferHeader, readStringHeader, sealBuffer, sealString } from '../src/expiry-envelope.js';

describe('expiry envelope', () => {
  it('round-trips an expiry and "never" in string form', () => {
    const sealed = sealString('{"a":1}', 1_790_000_000_123);
    expect(sealed).toBe('\u00011790000000123\u0002{"a":1}');
    const header = readStringHeader(sealed);
    expect(header).toStrictEqual({ expiresAt: 1_790_000_000_123, start: 15 });
    expect(sealed.slice(header?.start)).toBe('{"a":1}');
    const never = sealString('[]', undefined);
    expect(readStringHeader(never)).toStrictEqual({ expiresAt: undefined, start: 2 });
    expect(never.slice(2)).toBe('[]');
  });

  it('round-trips in Buffer form, payload bytes untouched (even ones that look like a header)', () => {
    const payload = Buffer.from([1, 0x31, 2, 0xff, 0, 0xc3]);
    const sealed = sealBuffer(payload, 42);
    const header = readBufferHeader(sealed);
    expect(header).toStrictEqual({ expiresAt: 42, start: 4 });
    expect(sealed.subarray(header?.start)).toStrictEqual(payload);
    const never = sealBuffer(payload, undefined);
    expect(readBufferHeader(never)).toStrictEqual({ expiresAt: undefined, start: 2 });
    expect(never.subarray(2)).toStrictEqual(payload);
  });

  it('reads the same header from the string and the Buffer form', () => {
    const sealed = sealString('"x"', 1_700_000_000_000);
    expect(readBufferHeader(Buffer.from(sealed, 'utf8'))).toStrictEqual(readStringHeader(sealed));
  });

  it('treats anything else as a plain value', () => {
    for (const plain of [
      '',
      '{"a":1}',
      ' \u00011\u0002x',
      '\u0001',
      '\u00011',
      '\u000112a\u0002x',
      `\u0001${'9'.repeat(17)}\u0002x`,
      '\u0001-5\u0002x',
    ]) {
      expect(readStringHeader(plain), JSON.stringify(plain)).toBeUndefined();
      expect(readBufferHeader(Buffer.from(plain, 'latin1')), JSON.stringify(plain)).toBeUndefined();
    }
  });
});
