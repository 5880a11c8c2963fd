import { randomUUID } from 'node:crypto';
import { describeL2Backend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-servers';
import { Redis as Redis6 } from 'ioredis-6';
import { describe } from 'vitest';
import { RedisBackend } from '../src/index.js';

const url = await requireServer('redis');

describe.skipIf(!url)('l2-redis against a real Redis', () => {
  for (const ttlSource of ['envelope', 'server'] as const) {
    describeL2Backend(
      `l2-redis (ttlSource ${ttlSource})`,
      () => new RedisBackend({ url, ttlSource, prefix: `tc-conf:${randomUUID()}:` }),
      { lacks: ['peek'], valueIdentity: 'copy' },
    );
    // The application's own ioredis 6 (RESP3 by default), handed over as `client`.
    describeL2Backend(
      `l2-redis over an ioredis 6 client (ttlSource ${ttlSource})`,
      () =>
        new RedisBackend({
          client: new Redis6(url ?? '') as never,
          closeClient: true,
          ttlSource,
          prefix: `tc-conf6:${randomUUID()}:`,
        }),
      { lacks: ['peek'], valueIdentity: 'copy' },
    );
  }
});
