// Finding 7: a busy writer overflowed the bus. It sent one message per round trip, so above
// 5-15 k writes/s its queue overflowed and every other instance cleared its whole L1 at each
// gap (measured on the pre-fix tree: this burst on the memory bus went out as 1 000 messages,
// the rest dropped, and the receiver applied 999 and cleared its L1; over Redis pub/sub, 15 000
// offered in 1 s gave 326 full clears). Now invalidations coalesce into batches: one
// instance's burst of 100 000 reaches the other in a few dozen messages, with no gap and no
// overflow. Counts, not timings: `bench` scenario 8 measures the rate (>= 100 000/s).
import { randomUUID } from 'node:crypto';
import type { TieredCache } from '@tiercache/core';
import { eventually, requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { type BusSetup, busInstance, busSetups, makeBusSetup } from './bus-setups.js';

const redisUrl = await requireServer('redis');
const brokers = await requireServer('kafka');

const BURST = 100_000;

describe.each(busSetups(redisUrl, brokers))('a burst of invalidations on the %s bus', (name) => {
  let setup: BusSetup | undefined;
  const opened: TieredCache<string>[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
    await setup?.close();
  }, 60_000);

  it(`${BURST.toLocaleString('en')} invalidations from one instance: all applied by another, in batches, 0 gaps, 0 overflows`, async () => {
    setup = makeBusSetup(name, redisUrl, brokers);
    const channel = `busy-${randomUUID().slice(0, 8)}`;
    const a = busInstance(setup.transport(), channel);
    const b = busInstance(setup.transport(), channel);
    opened.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    await b.set('k7', 'old', { broadcast: false });
    const calls: Promise<void>[] = [];
    for (let i = 0; i < BURST; i++) calls.push(a.invalidate(`k${i}`));
    await Promise.all(calls);
    await eventually(() => b.stats().bus.applied >= BURST, { timeoutMs: 60_000 });
    expect(await b.get('k7')).toBeUndefined();
    // A send that timed out is sent again with its sequence number, and applied again (harmless).
    const { resyncs, rejected } = b.stats().bus;
    expect({ resyncs, rejected }).toEqual({ resyncs: 0, rejected: 0 });
    expect(a.stats().bus.overflows).toBe(0);
    // Batched: at most a few hundred keys per message would already need 1 000 messages.
    expect(a.stats().bus.sent).toBeLessThan(BURST / 1000);
  }, 90_000);
});
