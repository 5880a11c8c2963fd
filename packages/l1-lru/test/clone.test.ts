import { describe, expect, it } from 'vitest';
import { LruBackend } from '../src/index.js';

const HOUR = 3_600_000;

describe("clone: 'none' (default)", () => {
  it('stores and returns the same reference, with no copy', async () => {
    const l1 = new LruBackend<{ n: number }>({ maxEntries: 10 });
    const value = { n: 1 };
    await l1.setWithTtl('k', value, HOUR);
    expect(l1.peek('k')).toBe(value);
    expect(Object.isFrozen(value)).toBe(false);
    expect(l1.clone).toBe('none');
  });
});

describe("clone: 'freeze'", () => {
  it('deep-freezes the value on write and returns the same frozen reference', async () => {
    const l1 = new LruBackend<{ nested: { list: number[] } }>({ maxEntries: 10, clone: 'freeze' });
    const value = { nested: { list: [1, 2] } };
    await l1.setWithTtl('k', value, HOUR);
    const read = l1.peek('k')!;
    expect(read).toBe(value);
    expect(Object.isFrozen(read)).toBe(true);
    expect(Object.isFrozen(read.nested)).toBe(true);
    expect(Object.isFrozen(read.nested.list)).toBe(true);
    expect(() => {
      read.nested.list.push(3);
    }).toThrow(TypeError);
    await expect(l1.get('k')).resolves.toStrictEqual({ nested: { list: [1, 2] } });
  });

  it('freezes children of an object the caller had already frozen, and survives cycles and typed arrays', async () => {
    const l1 = new LruBackend<Record<string, unknown>>({ maxEntries: 10, clone: 'freeze' });
    const child = { c: 1 };
    const value: Record<string, unknown> = Object.freeze({ child, bytes: new Uint8Array(4) });
    const cyclic: Record<string, unknown> = { value };
    cyclic.self = cyclic;
    await l1.setWithTtl('k', value, HOUR);
    await l1.setWithTtl('cyclic', cyclic, HOUR);
    expect(Object.isFrozen(child)).toBe(true);
    expect(Object.isFrozen(cyclic)).toBe(true);
  });

  it('freezes very deeply nested values without overflowing the stack', async () => {
    const l1 = new LruBackend<unknown>({ maxEntries: 10, clone: 'freeze' });
    const root: { d?: unknown } = {};
    let cursor = root;
    for (let i = 0; i < 100_000; i++) {
      const child: { d?: unknown } = {};
      cursor.d = child;
      cursor = child;
    }
    await l1.setWithTtl('deep', root, HOUR);
    expect(Object.isFrozen(cursor)).toBe(true);
  });
});

describe("clone: 'structured'", () => {
  it('copies on write: later changes to the written object do not reach the cache', async () => {
    const l1 = new LruBackend<{ list: number[] }>({ maxEntries: 10, clone: 'structured' });
    const value = { list: [1] };
    await l1.setWithTtl('k', value, HOUR);
    value.list.push(2);
    await expect(l1.get('k')).resolves.toStrictEqual({ list: [1] });
  });

  it('copies on read: each read is a fresh object, for peek, peekWithTtl, get and getMany', async () => {
    const l1 = new LruBackend<{ list: number[] }>({ maxEntries: 10, clone: 'structured' });
    await l1.setWithTtl('k', { list: [1] }, HOUR);
    const a = l1.peek('k')!;
    a.list.push(99);
    const b = l1.peekWithTtl('k')!.value;
    expect(b).not.toBe(a);
    expect(b).toStrictEqual({ list: [1] });
    const [c] = await l1.getMany(['k']);
    expect(c).not.toBe(b);
    expect(await l1.get('k')).toStrictEqual({ list: [1] });
  });

  it('keeps types structuredClone supports, such as Date and Map', async () => {
    const l1 = new LruBackend<{ at: Date; m: Map<string, number> }>({ maxEntries: 10, clone: 'structured' });
    await l1.setWithTtl('k', { at: new Date(0), m: new Map([['a', 1]]) }, HOUR);
    const read = l1.peek('k')!;
    expect(read.at).toBeInstanceOf(Date);
    expect(read.m.get('a')).toBe(1);
  });

  it('rejects a value structuredClone cannot copy with InvalidValueError', async () => {
    const l1 = new LruBackend<unknown>({ maxEntries: 10, clone: 'structured' });
    await expect(l1.setWithTtl('fn', { f: () => 1 }, HOUR)).rejects.toMatchObject({
      code: 'TIERCACHE_BAD_VALUE',
      message: expect.stringMatching(/"fn" cannot be copied with structuredClone/),
    });
    await expect(l1.get('fn')).resolves.toBeUndefined();
  });
});
