import { randomUUID } from 'node:crypto';
import { RedisBackend } from '@tiercache/l2-redis';
import { type NativeServer, requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import { FiguresRecorder } from './figures.js';
import { REMOTE_TIMEOUT_MS, runOutageScenario } from './outage-scenario.js';
import { controlledServer, ensureRunning } from './service-control.js';

const url = await requireServer('redis');

describe.skipIf(!url)('Redis goes away under getOrSet load (L1 lru + L2 redis)', () => {
  let redis: NativeServer;
  const figures = new FiguresRecorder();
  let raw: Redis;
  let prefix = '';

  const makeL2 = () => {
    prefix = `faults:${randomUUID()}:`;
    return new RedisBackend<string>({ url: url!, prefix, commandTimeoutMs: REMOTE_TIMEOUT_MS });
  };
  // What a separate connection reads from the server, without the adapter's expiry header (0x01 digits 0x02).
  const readRaw = async (key: string) => {
    const stored = await raw.get(`${prefix}${key}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the header is made of control characters
    return stored === null ? undefined : stored.replace(/^\u0001\d*\u0002/, '');
  };

  beforeAll(async () => {
    redis = await controlledServer('redis', url!);
    // A separate client: what it reads was really written to the server.
    raw = new Redis(url!, { maxRetriesPerRequest: 1 });
    raw.on('error', () => undefined); // the tests kill the server; reconnect noise is expected
  });

  afterEach(async () => {
    // A failed test must not leave the shared server stopped for the suites after it.
    await ensureRunning(redis);
  });

  afterAll(() => {
    raw.disconnect();
    figures.flush();
  });

  it('SIGSTOP: nothing hangs, L1 keeps serving, the breaker opens, and closes after SIGCONT', async () => {
    await runOutageScenario({
      name: 'redis SIGSTOP',
      makeL2,
      readRaw,
      outageMs: 2500,
      figures,
      fault: {
        inject: async () => {
          await redis.freeze();
        },
        recover: () => redis.resume(),
      },
    });
  }, 120_000);

  it('SIGKILL, then start on the same port: the same, and writes reach the new server', async () => {
    await runOutageScenario({
      name: 'redis SIGKILL + start',
      makeL2,
      readRaw,
      outageMs: 2000,
      figures,
      fault: {
        inject: async () => {
          await redis.kill();
        },
        recover: async () => {
          await redis.start();
        },
      },
    });
  }, 120_000);
});
