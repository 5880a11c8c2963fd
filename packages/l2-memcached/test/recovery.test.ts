import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { TierCacheError } from '@tiercache/core';
import { afterEach, describe, expect, it } from 'vitest';
import { MemcachedBackend } from '../src/index.js';

// These cases kill and stop a memcached, so they start their own instead of using the shared one.
const haveBinary = spawnSync('memcached', ['-V']).status === 0;
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

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const children = new Set<ChildProcess>();
// A crashed worker must not leave servers behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Start memcached in the foreground on `port` and wait (bounded) until it accepts connections. */
async function startMemcached(port: number): Promise<ChildProcess> {
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16', '-I', '1m'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn('memcached', args, { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  for (let i = 0; i < 200; i++) {
    if (await accepts(port)) return child;
    await delay(25);
  }
  throw new Error(`memcached on 127.0.0.1:${port} did not accept connections within 5 s`);
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Retry `read` until it resolves (bounded): a client must recover once its server is back. */
async function recovers<T>(read: () => Promise<T>): Promise<T | 'never recovered'> {
  for (let i = 0; i < 50; i++) {
    try {
      return await read();
    } catch {
      await delay(100);
    }
  }
  return 'never recovered';
}

describe.skipIf(!haveBinary)('MemcachedBackend when its server dies, stops and comes back', () => {
  const opened: MemcachedBackend[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    for (const child of children) child.kill('SIGKILL');
  });

  function backend(port: number): MemcachedBackend {
    const b = new MemcachedBackend({
      servers: `127.0.0.1:${port}`,
      namespace: `r-${randomUUID()}`,
      timeoutMs: 500,
    });
    opened.push(b);
    return b;
  }

  it('rejects with a typed error while the server is gone and works again once it restarts', async () => {
    const port = await freePort();
    const first = await startMemcached(port);
    const b = backend(port);
    await b.setWithTtl('k', 'before', 60_000);
    await kill(first);

    const whileDown = await b.get('k').then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(whileDown).toBeInstanceOf(TierCacheError);
    expect(['TIERCACHE_TIER_FAILED', 'TIERCACHE_TIMEOUT']).toContain((whileDown as TierCacheError).code);
    await expect(b.healthCheck()).resolves.toBe(false);

    await startMemcached(port);
    // A restarted memcached is empty: the read recovers as a miss, then writes work again.
    await expect(recovers(() => b.get('k'))).resolves.toBeUndefined();
    await b.setWithTtl('k', 'after', 60_000);
    await expect(b.get('k')).resolves.toBe('after');
    await expect(b.healthCheck()).resolves.toBe(true);
  }, 30_000);

  it('times out against a SIGSTOPped server and serves again after SIGCONT', async () => {
    const port = await freePort();
    const server = await startMemcached(port);
    const b = backend(port);
    await b.setWithTtl('k', 'kept', 60_000);
    server.kill('SIGSTOP');
    try {
      // Poll: the signal may land a moment after kill() returns.
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
      server.kill('SIGCONT');
    }
    await expect(recovers(() => b.get('k'))).resolves.toBe('kept');
    await expect(b.healthCheck()).resolves.toBe(true);
  }, 30_000);

  it('reports healthCheck false when one of two servers is down', async () => {
    const port = await freePort();
    await startMemcached(port);
    const both = new MemcachedBackend({
      servers: `127.0.0.1:${port},127.0.0.1:${await freePort()}`,
      timeoutMs: 500,
    });
    const one = new MemcachedBackend({ servers: [`127.0.0.1:${port}`, `127.0.0.1:${port}`], timeoutMs: 500 });
    opened.push(both, one);
    await expect(both.healthCheck()).resolves.toBe(false);
    await expect(one.healthCheck()).resolves.toBe(true);
    await one.setWithTtl('spread', 1, 60_000);
    await expect(one.get('spread')).resolves.toBe(1);
  }, 30_000);
});
