import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATIVE_RECIPES, NativeServer, withArgs } from '@tiercache/test-kit';

/** A throwaway redis-server with `requirepass`, on 127.0.0.1 and a free port. */
export interface PasswordRedis {
  port: number;
  password: string;
  stop(): Promise<void>;
}

/**
 * Start it (the kit's native Redis with `--requirepass`; readiness is a PING with the password)
 * and wait until it answers; it needs `redis-server` on the PATH, as the Redis suites do.
 */
export async function startPasswordRedis(password = 'the-right-password-123'): Promise<PasswordRedis> {
  const redis = NATIVE_RECIPES.redis;
  const recipe = withArgs(redis, () => ['--requirepass', password], {
    descriptor: { ...redis.descriptor, url: (host, port) => `redis://:${password}@${host}:${port}` },
  });
  const stateDir = mkdtempSync(join(tmpdir(), 'tiercache-password-redis-'));
  const server = await NativeServer.open(recipe, stateDir);
  await server.start();
  return {
    port: server.port,
    password,
    stop: async () => {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
