import { randomUUID } from 'node:crypto';
import { describeL2Backend } from '@tiercache/conformance';
import { redisAdmin, redisConnection, requireRedis } from '@tiercache/test-kit';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis-6';
import { afterAll, describe } from 'vitest';
import { RedisBackend } from '../src/index.js';

// The single server here; the kit's Redis Cluster when the scale project runs this file.
const target = await requireRedis();

describe.skipIf(!target)(`l2-redis against a real Redis${target?.label ?? ''}`, () => {
  const connection = target ? redisConnection(target) : { url: '' };
  const admin = target ? redisAdmin(target) : undefined;
  afterAll(() => admin?.disconnect());
  for (const ttlSource of ['envelope', 'server'] as const) {
    describeL2Backend(
      `l2-redis (ttlSource ${ttlSource})`,
      () => new RedisBackend({ ...connection, ttlSource, prefix: `tc-conf:${randomUUID()}:` }),
      {
        lacks: ['peek'],
        valueIdentity: 'copy',
        // The errors group: a serializer that throws, bytes no serializer reads, a silent server.
        withSerializer: (serializer) =>
          new RedisBackend({ ...connection, ttlSource, serializer, prefix: `tc-conf:${randomUUID()}:` }),
        writeRaw: async (backend, key, bytes) => {
          await admin!.set(backend.prefix + key, Buffer.from(bytes), 'PX', 60_000);
        },
        // A silent server stands in for one standalone Redis.
        ...(target?.kind === 'server'
          ? {
              againstSilentServer: ({ host, port }: { host: string; port: number }) =>
                new RedisBackend({ url: `redis://${host}:${port}`, ttlSource, commandTimeoutMs: 300 }),
            }
          : {}),
      },
    );
    // The application's own ioredis 6 (RESP3 by default), handed over as `client`.
    describeL2Backend(
      `l2-redis over an ioredis 6 client (ttlSource ${ttlSource})`,
      () =>
        new RedisBackend({
          client: (target?.kind === 'cluster'
            ? new Cluster6(target.nodes)
            : new Redis6(target?.url ?? '')) as never,
          closeClient: true,
          ttlSource,
          prefix: `tc-conf6:${randomUUID()}:`,
        }),
      { lacks: ['peek'], valueIdentity: 'copy' },
    );
  }
});
