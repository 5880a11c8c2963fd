import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TierCacheError } from '@tiercache/core';
import { eventually, freePort, type NativeServer, nativeServer, onPath } from '@tiercache/test-kit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemcachedBackend } from '../src/index.js';

// These cases kill and stop a memcached, so they start their own instead of using the shared one.
const haveBinary = onPath('memcached');
if (!haveBinary && process.env.CI === 'true') {
  throw new Error(
    '[CI] no memcached binary: the memcached recovery cases cannot run (scripts/services/install.sh memcached installs it)',
  );
}
if (!haveBinary) {
  console.warn(
    '\n!!! SKIPPING memcached recovery cases: no memcached binary (apt-get install -y memcached) !!!\n',
  );
}

// Each case runs its own server (a kit handle on a private state directory), never the shared one.
const stateRoot = mkdtempSync(join(tmpdir(), 'tiercache-memcached-recovery-'));
const servers: NativeServer[] = [];

async function startMemcached(): Promise<NativeServer> {
  const server = await nativeServer('memcached', { stateDir: join(stateRoot, String(servers.length)) });
  servers.push(server);
  await server.start();
  return server;
}

/** Retry `read` until it resolves (bounded): a client must recover once its server is back. */
async function recovers<T>(read: () => Promise<T>): Promise<T> {
  const { value } = await eventually(async () => ({ value: await read() }), {
    timeoutMs: 5_000,
    intervalMs: 100,
    message: 'the client to read again once its server is back',
  });
  return value;
}

describe.skipIf(!haveBinary)('MemcachedBackend when its server dies, stops and comes back', () => {
  const opened: MemcachedBackend[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    await Promise.all(servers.map((server) => server.stop()));
  });
  afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

  function backend(server: NativeServer): MemcachedBackend {
    const b = new MemcachedBackend({
      servers: server.url,
      namespace: `r-${randomUUID()}`,
      timeoutMs: 500,
    });
    opened.push(b);
    return b;
  }

  it('rejects with a typed error while the server is gone and works again once it restarts', async () => {
    const server = await startMemcached();
    const b = backend(server);
    await b.setWithTtl('k', 'before', 60_000);
    await server.kill();

    const whileDown = await b.get('k').then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(whileDown).toBeInstanceOf(TierCacheError);
    expect(['TIERCACHE_TIER_FAILED', 'TIERCACHE_TIMEOUT']).toContain((whileDown as TierCacheError).code);
    await expect(b.healthCheck()).resolves.toBe(false);

    await server.start();
    // A restarted memcached is empty: the read recovers as a miss, then writes work again.
    await expect(recovers(() => b.get('k'))).resolves.toBeUndefined();
    await b.setWithTtl('k', 'after', 60_000);
    await expect(b.get('k')).resolves.toBe('after');
    await expect(b.healthCheck()).resolves.toBe(true);
  }, 30_000);

  it('times out against a SIGSTOPped server and serves again after SIGCONT', async () => {
    const server = await startMemcached();
    const b = backend(server);
    await b.setWithTtl('k', 'kept', 60_000);
    await server.freeze();
    try {
      let timedOut = false;
      for (let i = 0; i < 20 && !timedOut; i++) {
        timedOut = await b.get('k').then(
          () => false,
          (error: unknown) => (error as TierCacheError).code === 'TIERCACHE_TIMEOUT',
        );
      }
      expect(timedOut, 'no call timed out while the server was stopped').toBe(true);
      await expect(b.healthCheck()).resolves.toBe(false);
    } finally {
      await server.resume();
    }
    await expect(recovers(() => b.get('k'))).resolves.toBe('kept');
    await expect(b.healthCheck()).resolves.toBe(true);
  }, 30_000);

  it('reports healthCheck false when one of two servers is down', async () => {
    const { url } = await startMemcached();
    const both = new MemcachedBackend({ servers: `${url},127.0.0.1:${await freePort()}`, timeoutMs: 500 });
    const one = new MemcachedBackend({ servers: [url, url], timeoutMs: 500 });
    opened.push(both, one);
    await expect(both.healthCheck()).resolves.toBe(false);
    await expect(one.healthCheck()).resolves.toBe(true);
    await one.setWithTtl('spread', 1, 60_000);
    await expect(one.get('spread')).resolves.toBe(1);
  }, 30_000);
});
