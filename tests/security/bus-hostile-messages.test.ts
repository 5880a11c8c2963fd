// Finding 1 (a forged stream entry kills every reader) and finding 4 (anyone on the channel can
// empty L1; garbage and oversized messages): every transport, real servers where there are any.
import { randomUUID } from 'node:crypto';
import type { TieredCache } from '@tiercache/core';
import { eventually, requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { UnhandledRejections } from '../faults/unhandled-rejections.js';
import { type BusSetup, busInstance, busSetups, makeBusSetup } from './bus-setups.js';

const redisUrl = await requireServer('redis');
const brokers = await requireServer('kafka');

const MAX_MESSAGE_BYTES = 16 * 1024;

/** Messages no instance ever sends: each must be dropped, counted, and change nothing. */
const GARBAGE: [label: string, message: string][] = [
  ['JSON null (the crash of finding 1)', 'null'],
  ['empty', ''],
  ['not JSON', 'not json {'],
  ['an array', '[]'],
  ['an empty object', '{}'],
  ['a string', '"clear"'],
  ['a number too large for a double', '1e999'],
  ['the old unversioned clear', JSON.stringify({ src: 'x', seq: 1, op: 'clear' })],
  ['an unknown version', JSON.stringify({ v: 3, src: 'x', seq: 1, clear: true })],
  ['seq as a string', JSON.stringify({ v: 2, src: 'x', seq: '1', clear: true })],
  ['seq 0', JSON.stringify({ v: 2, src: 'x', seq: 0, clear: true })],
  ['seq beyond 2^53', JSON.stringify({ v: 2, src: 'x', seq: 2 ** 60, clear: true })],
  ['no operation', JSON.stringify({ v: 2, src: 'x', seq: 1 })],
  ['a non-string key', JSON.stringify({ v: 2, src: 'x', seq: 1, keys: [1] })],
  ['clear: "yes"', JSON.stringify({ v: 2, src: 'x', seq: 1, clear: 'yes' })],
  ['an unknown field', JSON.stringify({ v: 2, src: 'x', seq: 1, clear: true, op: 'clear' })],
  ['__proto__', '{"__proto__":{"polluted":true},"v":2,"src":"x","seq":1,"clear":true}'],
  ['a 200-character sender id', JSON.stringify({ v: 2, src: 'x'.repeat(200), seq: 1, clear: true })],
  ['oversized', JSON.stringify({ v: 2, src: 'x', seq: 1, keys: ['k'.repeat(MAX_MESSAGE_BYTES)] })],
  [
    '20 001 keys',
    JSON.stringify({ v: 2, src: 'x', seq: 1, keys: Array.from({ length: 20_001 }, (_, i) => `${i}`) }),
  ],
];

describe.each(busSetups(redisUrl, brokers))('hostile messages on the %s bus', (name) => {
  let setup: BusSetup;
  const opened: TieredCache<string>[] = [];
  const rejections = new UnhandledRejections().start();
  afterAll(async () => {
    rejections.stop();
    await Promise.allSettled(opened.map((c) => c.close()));
    await setup?.close();
  }, 60_000);

  async function pair(bus: { secret?: string | string[] } = {}) {
    setup ??= makeBusSetup(name, redisUrl, brokers);
    const channel = `sec-${randomUUID().slice(0, 8)}`;
    const a = busInstance(setup.transport(), channel, { maxMessageBytes: MAX_MESSAGE_BYTES, ...bus });
    const b = busInstance(setup.transport(), channel, { maxMessageBytes: MAX_MESSAGE_BYTES, ...bus });
    opened.push(a, b);
    await Promise.all([a.ready(), b.ready()]);
    await b.set('keep', 'v', { broadcast: false });
    await b.set('k', 'old', { broadcast: false });
    return { a, b, channel };
  }

  /** A still works as B's bus peer: its invalidation of `k` reaches B. */
  async function stillDelivers(a: TieredCache<string>, b: TieredCache<string>): Promise<void> {
    await a.invalidate('k');
    await eventually(async () => (await b.get('k')) === undefined, { timeoutMs: 15_000 });
  }

  it('drops and counts every malformed or oversized message; the bus keeps working; nothing is cleared', async () => {
    const { a, b, channel } = await pair();
    const rejected: string[] = [];
    b.on('bus:rejected', ({ reason }) => rejected.push(reason));
    for (const [, message] of GARBAGE) await setup.inject(channel, message);
    await eventually(() => b.stats().bus.rejected === GARBAGE.length, { timeoutMs: 15_000 });
    expect(new Set(rejected)).toEqual(new Set(['malformed', 'too-large']));
    expect(rejected.filter((r) => r === 'too-large')).toHaveLength(2);
    await stillDelivers(a, b);
    expect(await b.get('keep')).toBe('v');
    expect(b.stats().bus.resyncs).toBe(0);
    expect(rejections.describe()).toEqual([]);
  });

  // Stream transports only: pub/sub has no entries, only strings.
  if (name !== 'memory' && name !== 'redis-pubsub')
    it('survives stream entries of any shape (no m field, several m fields, an empty one)', async () => {
      const { a, b, channel } = await pair();
      await setup.injectEntry!(channel, [['x', 'y']]);
      await setup.injectEntry!(channel, [
        ['m', 'null'],
        ['m', '{'],
      ]);
      await setup.injectEntry!(channel, [['m', '']]);
      await eventually(() => b.stats().bus.rejected === 3, { timeoutMs: 15_000 });
      await stillDelivers(a, b);
      expect(await b.get('keep')).toBe('v');
      expect(rejections.describe()).toEqual([]);
    });

  it('with a secret, an unsigned or wrongly signed clear is rejected and L1 is kept; signed messages pass', async () => {
    const secret = 'correct horse battery staple 42';
    const { a, b, channel } = await pair({ secret });
    const reasons: string[] = [];
    b.on('bus:rejected', ({ reason }) => reasons.push(reason));
    await setup.inject(channel, JSON.stringify({ v: 2, src: 'attacker', seq: 1, clear: true }));
    await setup.inject(
      channel,
      `${'A'.repeat(43)}.${JSON.stringify({ v: 2, src: 'attacker', seq: 2, clear: true })}`,
    );
    await eventually(() => b.stats().bus.rejected === 2, { timeoutMs: 15_000 });
    expect(reasons).toEqual(['signature', 'signature']);
    expect(await b.get('keep')).toBe('v');
    await stillDelivers(a, b);
    expect(await b.get('keep')).toBe('v');
  });
});

describe.skipIf(!brokers)('Kafka records that are not ours', () => {
  it('a null value, raw bytes and text on the bus topic are skipped; the bus keeps working', async () => {
    const setup = makeBusSetup('kafka', redisUrl, brokers);
    const channel = `sec-${randomUUID().slice(0, 8)}`;
    const a = busInstance(setup.transport(), channel);
    const b = busInstance(setup.transport(), channel);
    const rejections = new UnhandledRejections().start();
    try {
      await Promise.all([a.ready(), b.ready()]);
      await b.set('k', 'old', { broadcast: false });
      await setup.injectRecord!(channel, null);
      await setup.injectRecord!(channel, Buffer.from([0xff, 0xfe, 0x00]));
      await setup.injectRecord!(channel, '[["m", null]]');
      await setup.injectRecord!(channel, '[["m", "null"]]');
      await eventually(() => b.stats().bus.rejected === 1, { timeoutMs: 15_000 });
      await a.invalidate('k');
      await eventually(async () => (await b.get('k')) === undefined, { timeoutMs: 15_000 });
      expect(rejections.describe()).toEqual([]);
    } finally {
      rejections.stop();
      await Promise.allSettled([a.close(), b.close()]);
      await setup.close();
    }
  });
});
