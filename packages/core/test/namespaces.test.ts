import { describe, expect, it } from 'vitest';
import { until } from './support/gated-remote.js';
import { twoInstances } from './support/two-tiers.js';

describe('namespaces', () => {
  it('keys are isolated from the cache and from other namespaces', async () => {
    const { a } = twoInstances(false);
    const users = a.cache.namespace('users');
    const posts = a.cache.namespace('posts');
    await users.set('1', 'alice');
    await posts.set('1', 'hello');
    await a.cache.set('1', 'root');
    expect(await users.get('1')).toBe('alice');
    expect(await posts.get('1')).toBe('hello');
    expect(await a.cache.get('1')).toBe('root');
    expect(await users.getMany(['1', '2'])).toEqual(['alice', undefined]);
    expect(await users.ttl('1')).toBeGreaterThan(0);
    await users.delete('1');
    expect(await users.get('1')).toBeUndefined();
    expect(await posts.get('1')).toBe('hello');
  });

  it('clear() empties only that namespace (and those inside it), without listing keys', async () => {
    const { a, shared } = twoInstances(false);
    const users = a.cache.namespace('users');
    const admins = users.namespace('admins');
    const posts = a.cache.namespace('posts');
    await users.set('1', 'alice');
    await admins.set('1', 'root-user');
    await posts.set('1', 'hello');
    await a.cache.set('plain', 'root');
    let runs = 0;
    expect(await users.getOrSet('lazy', () => `v${++runs}`)).toBe('v1');
    await users.clear();
    expect(await users.get('1')).toBeUndefined();
    expect(await admins.get('1')).toBeUndefined();
    expect(await users.getOrSet('lazy', () => `v${++runs}`)).toBe('v2');
    expect(await posts.get('1')).toBe('hello');
    expect(await a.cache.get('plain')).toBe('root');
    // Nothing was deleted in the shared tier: the entries are unreachable, not gone.
    expect(await shared.mem.get('\u001fusers\u001f1')).toBeDefined();
    await users.set('1', 'alice again');
    expect(await users.get('1')).toBe('alice again');
  });

  it('clear() in one instance reaches another: through the bus for its L1, through the shared tier without one', async () => {
    for (const withBus of [true, false]) {
      const { a, b } = twoInstances(withBus);
      await Promise.all([a.cache.ready(), b.cache.ready()]);
      await a.cache.namespace('users').set('1', 'alice');
      if (withBus) {
        await until(() => b.cache.stats().bus.applied === 1);
        expect(await b.cache.namespace('users').get('1')).toBe('alice'); // now in b's L1
      }
      await a.cache.namespace('users').clear();
      if (withBus) await until(() => b.cache.stats().bus.applied === 2);
      expect(await b.cache.namespace('users').get('1')).toBeUndefined();
    }
  });

  it('tags are per namespace', async () => {
    const { a } = twoInstances(false);
    const users = a.cache.namespace('users');
    await users.set('1', 'alice', { tags: ['team:1'] });
    await a.cache.set('x', 'root', { tags: ['team:1'] });
    await a.cache.invalidateTags(['team:1']);
    expect(await users.get('1')).toBe('alice');
    expect(await a.cache.get('x')).toBeUndefined();
    await users.invalidateTags(['team:1']);
    expect(await users.get('1')).toBeUndefined();
  });

  it('no key of the cache or of a namespace can reach another namespace', async () => {
    const { a } = twoInstances(false);
    const users = a.cache.namespace('users');
    await users.set('1', 'alice');
    await users.namespace('admins').set('1', 'admin');
    await expect(a.cache.get('\u001fusers\u001f1')).rejects.toMatchObject({ code: 'TIERCACHE_BAD_KEY' });
    await expect(users.get('admins\u001f1')).rejects.toMatchObject({ code: 'TIERCACHE_BAD_KEY' });
    await expect(a.cache.set('\u001fusers\u001f1', 'forged')).rejects.toMatchObject({
      code: 'TIERCACHE_BAD_KEY',
    });
    expect(await users.get('1')).toBe('alice');
    expect(() => a.cache.namespace('')).toThrow(expect.objectContaining({ code: 'TIERCACHE_BAD_OPTION' }));
    expect(() => a.cache.namespace('a\u001fb')).toThrow(
      expect.objectContaining({ code: 'TIERCACHE_BAD_OPTION' }),
    );
  });

  it('invalidatePattern in a namespace matches its own keys only', async () => {
    const { a } = twoInstances(false);
    const users = a.cache.namespace('us*rs');
    await users.set('user:1', 'alice');
    await a.cache.namespace('users').set('user:1', 'other');
    await a.cache.set('user:1', 'root');
    await users.invalidatePattern('user:*');
    expect(await users.get('user:1')).toBeUndefined();
    expect(await a.cache.namespace('users').get('user:1')).toBe('other');
    expect(await a.cache.get('user:1')).toBe('root');
  });
});
