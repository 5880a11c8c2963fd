import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { eventually, requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, startChild } from './child-process.js';

const url = await requireServer('redis');
const script = fileURLToPath(new URL('./fixtures/tags-process.mjs', import.meta.url));

/** Send one command to the child and read its answer. */
async function ask(child: Child, command: Record<string, unknown>): Promise<Record<string, unknown>> {
  child.proc.stdin.write(`${JSON.stringify(command)}\n`);
  return JSON.parse(await child.next());
}

describe.skipIf(!url)('tags and namespaces across two OS processes over Redis', () => {
  const children: Child[] = [];
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.allSettled(opened.map((c) => c.close()));
  });

  function here(prefix: string, bus: boolean): TieredCache<string> {
    const cache = new TieredCache<string>({
      tiers: [new LruBackend<string>({ maxEntries: 1000 }), new RedisBackend<string>({ url: url!, prefix })],
      ttl: '1m',
      ...(bus
        ? { bus: { transport: new RedisPubSubTransport({ url: url! }), channel: `${prefix}bus` } }
        : {}),
    });
    opened.push(cache);
    return cache;
  }

  async function child(prefix: string, bus: 'bus' | 'no-bus'): Promise<Child> {
    const c = startChild(script, [url!, prefix, bus]);
    children.push(c);
    expect(await c.next()).toBe('ready');
    return c;
  }

  it('an invalidation in one process reaches the other one’s L1 through the bus, both ways', async () => {
    const prefix = `tc-xtags:${randomUUID()}:`;
    const a = here(prefix, true);
    await a.ready();
    const b = await child(prefix, 'bus');
    await a.set('k', 'tagged', { tags: ['t'] });
    await a.namespace('users').set('1', 'alice');
    await a.set('plain', 'untagged', { tags: ['other'] });
    // b reads each twice: the second read is an L1 hit (the entries were promoted with their tags).
    for (const [key, ns, value] of [
      ['k', undefined, 'tagged'],
      ['1', 'users', 'alice'],
    ] as const) {
      expect((await ask(b, { op: 'get', key, ns })).value).toBe(value);
      const before = (await ask(b, { op: 'get', key, ns })).l1Hits as number;
      expect(before).toBeGreaterThan(0);
    }
    const applied = (await ask(b, { op: 'busApplied' })).applied as number;
    await a.invalidateTags(['t']);
    await a.namespace('users').clear();
    await eventually(async () => ((await ask(b, { op: 'busApplied' })).applied as number) >= applied + 2);
    expect((await ask(b, { op: 'get', key: 'k' })).value).toBeNull();
    expect((await ask(b, { op: 'get', key: '1', ns: 'users' })).value).toBeNull();
    expect((await ask(b, { op: 'get', key: 'plain' })).value).toBe('untagged');

    // And back: b invalidates, a (whose L1 holds the entry) misses once the message is here.
    expect(await a.get('plain')).toBe('untagged');
    const aApplied = a.stats().bus.applied;
    await ask(b, { op: 'invalidateTags', tags: ['other'] });
    await eventually(() => a.stats().bus.applied > aApplied);
    expect(await a.get('plain')).toBeUndefined();
  }, 60_000);

  it('a process without the bus never serves an invalidated entry from the shared tier', async () => {
    const prefix = `tc-xtags:${randomUUID()}:`;
    const a = here(prefix, false);
    const b = await child(prefix, 'no-bus');
    await ask(b, { op: 'set', key: 'k', value: 'from b', tags: ['t'] });
    await ask(b, { op: 'set', key: '1', value: 'bob', ns: 'users' });
    await a.invalidateTags(['t']);
    await a.namespace('users').clear();
    // Fresh from a's side: nothing in its L1, so the shared tier and the stored tag times decide.
    expect(await a.get('k')).toBeUndefined();
    expect(await a.namespace('users').get('1')).toBeUndefined();
    // b wrote them and holds them in its L1 (without a bus that is the documented bound: L1 TTL);
    // the shared tier has them too, and b's next write of the key after the clear is fresh again.
    await ask(b, { op: 'set', key: '1', value: 'bob again', ns: 'users' });
    expect(await a.namespace('users').get('1')).toBe('bob again');
  }, 60_000);
});
