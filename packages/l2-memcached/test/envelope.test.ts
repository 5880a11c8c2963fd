import { DeserializationError } from '@tiercache/core';
import { describe, expect, it } from 'vitest';
import { openEnvelope, sealEnvelope } from '../src/envelope.js';

describe('envelope', () => {
  it('round-trips an expiry and a payload', () => {
    const sealed = sealEnvelope('{"a":1}', 1_780_000_000_123);
    expect(sealed.byteLength).toBe(9 + 7);
    const opened = openEnvelope(sealed);
    expect(opened.expiresAt).toBe(1_780_000_000_123);
    expect(opened.payload.toString('utf8')).toBe('{"a":1}');
  });

  it('stores "never" as no expiry, and binary payloads as they are', () => {
    const opened = openEnvelope(sealEnvelope(Uint8Array.of(0, 255, 7), undefined));
    expect(opened.expiresAt).toBeUndefined();
    expect([...opened.payload]).toStrictEqual([0, 255, 7]);
  });

  it('refuses bytes that are not an envelope', () => {
    expect(() => openEnvelope(Buffer.from('hello world'))).toThrow(DeserializationError);
    expect(() => openEnvelope(Buffer.alloc(3))).toThrow(DeserializationError);
  });
});
