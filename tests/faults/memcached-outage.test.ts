import { randomUUID } from 'node:crypto';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { type NativeServer, requireServer } from '@tiercache/test-kit';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { FiguresRecorder } from './figures.js';
import { REMOTE_TIMEOUT_MS, runOutageScenario } from './outage-scenario.js';
import { controlledServer, ensureRunning } from './service-control.js';

const servers = await requireServer('memcached');

describe.skipIf(!servers)('memcached goes away under getOrSet load (L1 lru + L2 memcached)', () => {
  let memcached: NativeServer;
  const figures = new FiguresRecorder();
  let namespace = '';
  const readers: MemcachedBackend<string>[] = [];

  const makeL2 = () => {
    namespace = `faults-${randomUUID()}`;
    return new MemcachedBackend<string>({ servers: servers!, namespace, timeoutMs: REMOTE_TIMEOUT_MS });
  };
  // A second backend on its own connection: what it reads was really written to the server.
  const readRaw = async (key: string) => {
    const reader = new MemcachedBackend<string>({ servers: servers!, namespace, timeoutMs: 2000 });
    readers.push(reader);
    const value = await reader.get(key);
    return value === undefined ? undefined : JSON.stringify(value);
  };

  beforeAll(async () => {
    memcached = await controlledServer('memcached', servers!);
  });

  afterEach(async () => {
    await ensureRunning(memcached);
  });

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    figures.flush();
  });

  it('SIGKILL, then start on the same port: nothing hangs, L1 keeps serving, the breaker opens and closes', async () => {
    await runOutageScenario({
      name: 'memcached SIGKILL + start',
      makeL2,
      readRaw,
      outageMs: 2000,
      figures,
      fault: {
        inject: async () => {
          await memcached.kill();
        },
        recover: async () => {
          await memcached.start();
        },
      },
    });
  }, 120_000);

  it('SIGSTOP, then SIGCONT: the same', async () => {
    await runOutageScenario({
      name: 'memcached SIGSTOP',
      makeL2,
      readRaw,
      outageMs: 2500,
      figures,
      fault: {
        inject: async () => {
          await memcached.freeze();
        },
        recover: () => memcached.resume(),
      },
    });
  }, 120_000);
});
