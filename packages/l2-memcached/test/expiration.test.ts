import { describe, expect, it } from 'vitest';
import { MAX_RELATIVE_EXPIRATION_S, memcachedExpiration } from '../src/expiration.js';

describe('memcachedExpiration', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0, 300);

  it('sends 0 (never) for no TTL', () => {
    expect(memcachedExpiration(undefined, now)).toBe(0);
  });

  it('rounds a sub-second TTL up to whole seconds, plus one for the server clock tick', () => {
    expect(memcachedExpiration(1, now)).toBe(2);
    expect(memcachedExpiration(300, now)).toBe(2);
    expect(memcachedExpiration(1000, now)).toBe(2);
    expect(memcachedExpiration(1001, now)).toBe(3);
  });

  it('stays relative up to 30 days and becomes an absolute Unix time beyond', () => {
    expect(memcachedExpiration((MAX_RELATIVE_EXPIRATION_S - 1) * 1000, now)).toBe(MAX_RELATIVE_EXPIRATION_S);
    const fortyDays = memcachedExpiration(40 * 86_400_000, now);
    expect(fortyDays).toBeGreaterThan(MAX_RELATIVE_EXPIRATION_S);
    expect(fortyDays).toBe(Math.ceil(now / 1000) + 40 * 86_400 + 1);
  });

  it('sends 0 when the absolute time would not fit the 32-bit field (the envelope still expires it)', () => {
    expect(memcachedExpiration(200 * 365 * 86_400_000, now)).toBe(0);
  });
});
