import { randomUUID } from 'node:crypto';
import { describeL2Backend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-servers';
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
  }
});
