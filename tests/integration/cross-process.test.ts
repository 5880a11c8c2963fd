import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, startChild } from './child-process.js';

const url = await requireServer('redis');
const script = fileURLToPath(new URL('./fixtures/getorset-process.mjs', import.meta.url));

describe.skipIf(!url)('cross-process single-flight over Redis (two OS processes)', () => {
  const admin = url ? new Redis(url) : undefined;
  const children: Child[] = [];
  afterAll(() => {
    for (const c of children) c.proc.kill('SIGKILL');
    admin?.disconnect();
  });

  it('1000 concurrent getOrSet calls split across two processes run the factory exactly once', async () => {
    const prefix = `tc-xp:${randomUUID()}:`;
    const pair = [0, 1].map(() => startChild(script, [url!, prefix, 'cold-key', '500', 'normal', '10000']));
    children.push(...pair);
    for (const c of pair) expect(await c.next()).toBe('ready');
    for (const c of pair) c.proc.stdin.write('go\n');
    const outputs = await Promise.all(pair.map(async (c) => JSON.parse(await c.next())));
    expect(Number(await admin!.get(`${prefix}factory-runs`))).toBe(1);
    const values = new Set(outputs.flatMap((o) => o.results));
    expect(values.size).toBe(1);
    expect(outputs.map((o) => o.count)).toEqual([500, 500]);
    expect(outputs.reduce((n, o) => n + o.stats.factoryRuns, 0)).toBe(1);
  }, 30_000);

  it('when the lock holder process is killed mid-factory, another process computes after the lease expires', async () => {
    const prefix = `tc-xp:${randomUUID()}:`;
    const holder = startChild(script, [url!, prefix, 'k', '1', 'hang', '1000']);
    children.push(holder);
    expect(await holder.next()).toBe('ready');
    holder.proc.stdin.write('go\n');
    expect(await holder.next()).toBe('factory-started');
    holder.proc.kill('SIGKILL');
    await once(holder.proc, 'exit');

    const survivor = new TieredCache<string>({
      tiers: [new LruBackend<string>({ maxEntries: 10 }), new RedisBackend<string>({ url: url!, prefix })],
      lock: { lease: 1000 },
    });
    let runs = 0;
    const value = await survivor.getOrSet('k', async () => {
      runs++;
      return 'recomputed by the survivor';
    });
    expect(value).toBe('recomputed by the survivor');
    expect(runs).toBe(1);
    expect(Number(await admin!.get(`${prefix}factory-runs`))).toBe(1); // the dead holder's one run
    await survivor.close();
  }, 30_000);
});
