import { randomUUID } from 'node:crypto';
import { requireServer } from '@tiercache/test-kit';
import { Cluster } from 'ioredis';
import { Redis as Redis6 } from 'ioredis-6';
import { describe, expect, it } from 'vitest';
import { RedisStream } from '../src/index.js';

const url = (await requireServer('redis')) ?? '';

describe('RedisStream with the application’s own ioredis copy', () => {
  it('adds and reads (blocking too) through an ioredis 6 client, and leaves it open on close()', async () => {
    const six = new Redis6(url);
    const stream = new RedisStream({ client: six as never, prefix: `copies:${randomUUID()}:` });
    try {
      const id = await stream.streamAdd('s', [['f', 'v']]);
      expect(await stream.streamReadLatest('s', 1)).toEqual([{ id, fields: [['f', 'v']] }]);
      const pending = stream.streamRead('s', '$', 10, { blockMs: 2_000 });
      // Add only once the read is blocked on the server, so '$' cannot have moved past it.
      for (let i = 0; i < 200 && !/flags=b/.test(String(await six.client('LIST'))); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      const next = await stream.streamAdd('s', [['g', 'w']]);
      expect((await pending).map((e) => e.id)).toEqual([next]);
      await stream.close();
      expect(await six.ping()).toBe('PONG');
    } finally {
      await stream.close();
      six.disconnect();
    }
  });

  it('takes a Cluster client, recognised by capability, and leaves it open on close()', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      const stream = new RedisStream({ client: cluster as never });
      expect(stream.client).toBe(cluster);
      await stream.close();
      expect(cluster.status).toBe('wait');
    } finally {
      cluster.disconnect();
    }
  });
});
