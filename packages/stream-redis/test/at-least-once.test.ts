// Issue 13 finding 8: a streamAdd that rejected with a timeout may still be written once the
// connection is back (ioredis keeps the XADD in its offline queue). The README documents adds
// as at-least-once; this shows it on a real Redis behind a TCP proxy that refuses connections.
import { randomUUID } from 'node:crypto';
import { TimeoutError } from '@tiercache/core';
import { eventually, requireServer, TcpProxy } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStream } from '../src/index.js';

const url = await requireServer('redis');

describe.skipIf(!url)('Redis Streams adds are at-least-once (README)', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((o) => o.close()));
  });

  it('adds that timed out while the connection was cut (one at a time) are written once it is back', async () => {
    const proxy = await TcpProxy.forUrl(url!);
    const prefix = `alo:${randomUUID()}:`;
    const writer = new RedisStream({ url: proxy.url, prefix, timeoutMs: 300 });
    const reader = new RedisStream({ url: url!, prefix });
    opened.push(writer, reader, proxy);
    await writer.streamAdd('s', [['n', '0']]);
    proxy.cut();
    // One add per tick is a plain XADD, which ioredis keeps in its offline queue after the timeout.
    const adds: PromiseSettledResult<string>[] = [];
    for (const n of [1, 2, 3, 4, 5])
      adds.push(...(await Promise.allSettled([writer.streamAdd('s', [['n', `${n}`]])])));
    for (const add of adds)
      expect(add).toMatchObject({ status: 'rejected', reason: expect.any(TimeoutError) });
    proxy.restore();
    let written: string[] = [];
    await eventually(
      async () => {
        written = (await reader.streamRead('s', '0', 100)).map((e) => e.fields[0]![1]);
        return written.length >= 6;
      },
      { timeoutMs: 15_000 },
    );
    expect(written).toEqual(['0', '1', '2', '3', '4', '5']);
  });
});
