// Finding 2 (a forged sequence number silences an instance) and finding 4 (per-sender state
// grows with every forged sender id; the bus is unauthenticated).
import { randomUUID } from 'node:crypto';
import type { TieredCache } from '@tiercache/core';
import { eventually, requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { type BusSetup, busInstance, busSetups, invalidationArrives, makeBusSetup } from './bus-setups.js';

const redisUrl = await requireServer('redis');
const brokers = await requireServer('kafka');

const forged = (src: string, seq: number, extra: object = { keys: ['nothing'] }) =>
  JSON.stringify({ v: 2, src, seq, ...extra });

describe.each(busSetups(redisUrl, brokers))('forged sequence numbers on the %s bus', (name) => {
  let setup: BusSetup;
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    await setup?.close();
  }, 60_000);

  async function pair(bus: { secret?: string | string[]; maxSenders?: number } = {}, busB = bus) {
    setup ??= makeBusSetup(name, redisUrl, brokers);
    const channel = `forge-${randomUUID().slice(0, 8)}`;
    const a = busInstance(setup.transport(), channel, bus);
    const b = busInstance(setup.transport(), channel, busB);
    opened.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    return { a, b, channel };
  }

  it("a message with another instance's id and seq 1e15 does not make receivers ignore that instance", async () => {
    const { a, b, channel } = await pair();
    await invalidationArrives(a, b, 'k1'); // B now tracks A's sequence
    await setup.inject(channel, forged(a.instanceId, 1e15));
    await eventually(() => b.stats().bus.rejected === 1, { timeoutMs: 15_000 });
    // A's next messages (seq 2, 3) are far behind 1e15: they must still be applied.
    await invalidationArrives(a, b, 'k2');
    await invalidationArrives(a, b, 'k3');
  });

  it('a forger walking the sequence ahead within the allowed jump costs L1 clears, never a missed invalidation', async () => {
    const { a, b, channel } = await pair();
    await invalidationArrives(a, b, 'k1');
    for (let step = 1; step <= 5; step++)
      await setup.inject(channel, forged(a.instanceId, 1 + step * 90_000));
    await eventually(() => b.stats().bus.resyncs >= 5, { timeoutMs: 15_000 });
    await invalidationArrives(a, b, 'k2');
    await invalidationArrives(a, b, 'k3');
  });

  if (name === 'memory' || name === 'redis-pubsub') {
    it('state for 100 000 forged sender ids stays within maxSenders', async () => {
      const { a, b, channel } = await pair({ maxSenders: 1024 });
      const senders: number[] = [];
      const batch: Promise<void>[] = [];
      for (let i = 0; i < 100_000; i++) {
        batch.push(setup.inject(channel, forged(`forged-${i}`, 1)));
        if (batch.length === 1000) {
          await Promise.all(batch.splice(0));
          senders.push(b.stats().bus.senders);
        }
      }
      await Promise.all(batch);
      await eventually(() => b.stats().bus.received >= 100_000, { timeoutMs: 30_000 });
      expect(Math.max(...senders, b.stats().bus.senders)).toBeLessThanOrEqual(1024);
      await invalidationArrives(a, b, 'after-flood');
    }, 60_000);
  }

  it('key rotation: [new, old] (signs new) and [old, new] (signs old) accept each other; new alone rejects old', async () => {
    const oldKey = 'the old shared secret, 32 bytes!';
    const newKey = 'the new shared secret, 32 bytes!';
    const { a, b } = await pair({ secret: [newKey, oldKey] }, { secret: [oldKey, newKey] });
    await invalidationArrives(a, b, 'rotating');
    await invalidationArrives(b, a, 'rotating');
    expect(a.stats().bus.rejected + b.stats().bus.rejected).toBe(0);
    const { a: e, b: f } = await pair({ secret: oldKey }, { secret: newKey });
    await f.set('kept', 'v', { broadcast: false });
    await e.invalidate('kept');
    await eventually(() => f.stats().bus.rejected >= 1, { timeoutMs: 15_000 });
    expect(await f.get('kept')).toBe('v');
  });
});
