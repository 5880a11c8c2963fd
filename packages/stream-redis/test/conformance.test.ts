import { randomUUID } from 'node:crypto';
import { describeStreamingBackend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-servers';
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
