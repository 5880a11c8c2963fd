import { randomUUID } from 'node:crypto';
import { describeL2Backend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis-6';
import { afterAll, describe } from 'vitest';
import { RedisBackend } from '../src/index.js';

const url = await requireServer('redis');

describe.skipIf(!url)('l2-redis against a real Redis', () => {
  const admin = url ? new Redis(url) : undefined;
  afterAll(() => admin?.disconnect());
  for (const ttlSource of ['envelope', 'server'] as const) {
    describeL2Backend(
      `l2-redis (ttlSource ${ttlSource})`,
      () => new RedisBackend({ url, ttlSource, prefix: `tc-conf:${randomUUID()}:` }),
      {
        lacks: ['peek'],
        valueIdentity: 'copy',
        // The errors group: a serializer that throws, bytes no serializer reads, a silent server.
        withSerializer: (serializer) =>
          new RedisBackend({ url, ttlSource, serializer, prefix: `tc-conf:${randomUUID()}:` }),
        writeRaw: async (backend, key, bytes) => {
          await admin!.set(backend.prefix + key, Buffer.from(bytes), 'PX', 60_000);
        },
        againstSilentServer: ({ host, port }) =>
          new RedisBackend({ url: `redis://${host}:${port}`, ttlSource, commandTimeoutMs: 300 }),
      },
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
