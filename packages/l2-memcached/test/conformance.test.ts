import { randomUUID } from 'node:crypto';
import { describeL2Backend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-kit';
import { describe } from 'vitest';
import { MemcachedBackend } from '../src/index.js';

const servers = await requireServer('memcached');

describe.skipIf(!servers)('MemcachedBackend against a real memcached', () => {
  // A namespace per instance: the suite's clear case must not reach the shared instance.
  describeL2Backend(
    'l2-memcached',
    () => new MemcachedBackend({ servers: servers!, namespace: `tcc-${randomUUID()}` }),
    {
      lacks: ['removePattern', 'lock', 'peek', 'guardedWrites'],
      // memcached's clock ticks in whole seconds; the envelope keeps exact ms, so only the
      // shortest TTL worth testing is longer than for Redis.
      shortTtlMs: 2000,
      ttlToleranceMs: 1100,
      valueIdentity: 'copy',
      // The errors group (no writeRaw: stored keys go through the namespace version and key policy).
      withSerializer: (serializer) =>
        new MemcachedBackend({ servers: servers!, namespace: `tcc-${randomUUID()}`, serializer }),
      againstSilentServer: ({ host, port }) =>
        new MemcachedBackend({ servers: `${host}:${port}`, namespace: 'silent', timeoutMs: 300, retries: 0 }),
    },
  );
});
