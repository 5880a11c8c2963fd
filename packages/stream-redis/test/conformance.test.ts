import { randomUUID } from 'node:crypto';
import { describeStreamingBackend } from '@tiercache/conformance';
import { redisConnection, requireRedis } from '@tiercache/test-kit';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis-6';
import { describe } from 'vitest';
import { RedisStream } from '../src/index.js';

// The single server here; the kit's Redis Cluster when the scale project runs this file.
const target = await requireRedis();

describe.skipIf(!target)(`stream-redis against a real Redis${target?.label ?? ''}`, () => {
  describeStreamingBackend(
    'stream-redis',
    () => new RedisStream({ ...redisConnection(target!), prefix: `tc-sconf:${randomUUID()}:` }),
    {
      redisIds: true,
    },
  );
});

// ioredis 6 speaks RESP3 by default, which shapes some replies differently (XREAD is a map).
describe.skipIf(!target)(
  `stream-redis over an ioredis 6 client (RESP3) against a real Redis${target?.label ?? ''}`,
  () => {
    describeStreamingBackend(
      'stream-redis (ioredis 6)',
      () =>
        new RedisStream({
          client: (target?.kind === 'cluster'
            ? new Cluster6(target.nodes)
            : new Redis6(target?.url ?? '')) as never,
          closeClient: true,
          prefix: `tc-sconf6:${randomUUID()}:`,
        }),
      { redisIds: true },
    );
  },
);
