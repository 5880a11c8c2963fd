import { describe, expect, it } from 'vitest';
import { PendingWrites } from '../../src/primitives/pending-writes.js';

describe('PendingWrites', () => {
  it('answers reads of a key from its last missed write, with the TTL left', () => {
    const pending = new PendingWrites<string>(10);
    pending.add({ kind: 'set', key: 'k', value: 'v1', expiresAt: 10_000 });
    pending.add({ kind: 'set', key: 'k', value: 'v2', expiresAt: 20_000 });
    expect(pending.size).toBe(1);
    expect(pending.lookup('k', 5_000)).toEqual({ value: 'v2', ttlMs: 15_000 });
    expect(pending.lookup('other', 5_000)).toBeUndefined();
  });

  it('a missed delete, pattern or clear reads as removed, and a later set of the key wins over it', () => {
    const pending = new PendingWrites<string>(10);
    pending.add({ kind: 'remove', key: 'a' });
    pending.add({ kind: 'pattern', pattern: 'user:*' });
    expect(pending.lookup('a')).toBe('removed');
    expect(pending.lookup('user:1')).toBe('removed');
    pending.add({ kind: 'set', key: 'user:1', value: 'new', expiresAt: undefined });
    expect(pending.lookup('user:1')).toEqual({ value: 'new', ttlMs: undefined });
    pending.add({ kind: 'clear' });
    expect(pending.lookup('anything')).toBe('removed');
  });

  it('drains in the order the writes were missed', () => {
    const pending = new PendingWrites<string>(10);
    pending.add({ kind: 'set', key: 'a', value: '1', expiresAt: undefined });
    pending.add({ kind: 'remove', key: 'b' });
    pending.add({ kind: 'set', key: 'c', value: '3', expiresAt: undefined });
    const order = [...pending.drain()].map(({ op, done }) => {
      done();
      return op.kind === 'clear' || op.kind === 'pattern' ? op.kind : op.key;
    });
    expect(order).toEqual(['a', 'b', 'c']);
    expect(pending.size).toBe(0);
  });

  it('keeps at most max keys and counts what it dropped', () => {
    const pending = new PendingWrites<number>(3);
    for (let i = 0; i < 5; i++) pending.add({ kind: 'set', key: `k${i}`, value: i, expiresAt: undefined });
    expect(pending.size).toBe(3);
    expect(pending.dropped).toBe(2);
  });
});
