import { randomUUID } from 'node:crypto';
import { describeStreamingBackend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-kit';
import { Redis as Redis6 } from 'ioredis-6';
import { describe } from 'vitest';
import { RedisStream } from '../src/index.js';

const url = await requireServer('redis');

describe.skipIf(!url)('stream-redis against a real Redis', () => {
  describeStreamingBackend(
    'stream-redis',
    () => new RedisStream({ url, prefix: `tc-sconf:${randomUUID()}:` }),
    {
      redisIds: true,
    },
  );
});

// ioredis 6 speaks RESP3 by default, which shapes some replies differently (XREAD is a map).
describe.skipIf(!url)('stream-redis over an ioredis 6 client (RESP3) against a real Redis', () => {
  describeStreamingBackend(
    'stream-redis (ioredis 6)',
    () =>
      new RedisStream({
        client: new Redis6(url ?? '') as never,
        closeClient: true,
        prefix: `tc-sconf6:${randomUUID()}:`,
      }),
    { redisIds: true },
  );
});
