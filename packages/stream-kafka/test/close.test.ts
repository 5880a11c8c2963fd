import { randomUUID } from 'node:crypto';
import { ClosedError } from '@tiercache/core';
import { eventually, requireServer } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaStream } from '../src/index.js';
import { deleteTopicsWithPrefix } from './topic-cleanup.js';

const brokers = await requireServer('kafka');

/** Open TCP sockets of this process (vitest runs each test file in a process of its own). */
function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

describe.skipIf(!brokers)('KafkaStream.close', () => {
  const topicPrefix = `tc-close-${randomUUID().slice(0, 8)}.`;
  afterAll(() => deleteTopicsWithPrefix(brokers!, topicPrefix));

  it('releases every connection, ends blocking reads, and later calls reject with ClosedError', async () => {
    const baseline = openSockets();
    const stream = new KafkaStream({ brokers, topicPrefix });
    const id = await stream.streamAdd('s', [['a', 'b']]);
    await expect(stream.streamRead('s', '0', 10)).resolves.toStrictEqual([{ id, fields: [['a', 'b']] }]);
    await expect(stream.streamReadLatest('s', 1)).resolves.toHaveLength(1);
    const blocked = stream.streamRead('s', '$', 10, { blockMs: 600_000 });
    await eventually(() => stream.stats.blockingReaders === 1);
    expect(openSockets()).toBeGreaterThan(baseline);

    await stream.close();
    await expect(blocked).resolves.toStrictEqual([]);
    await eventually(() => openSockets() === baseline, {
      message: `the open sockets to fall back to the ${baseline} there were before the stream`,
    });
    await expect(stream.streamAdd('s', [['a', 'b']])).rejects.toBeInstanceOf(ClosedError);
    await expect(stream.streamRead('s', '0', 1)).rejects.toBeInstanceOf(ClosedError);
    await expect(stream.streamReadLatest('s', 1)).rejects.toBeInstanceOf(ClosedError);
    await expect(stream.healthCheck()).resolves.toBe(false);
    await expect(stream.close()).resolves.toBeUndefined();
  });

  it('closing an instance that never connected resolves at once', async () => {
    const stream = new KafkaStream({ brokers });
    await stream.close();
    await expect(stream.streamAdd('s', [['a', 'b']])).rejects.toBeInstanceOf(ClosedError);
  });
});
