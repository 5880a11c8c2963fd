import { NATIVE_RECIPES, withArgs } from '@tiercache/test-kit';
import { startOwnServer } from './own-server.js';

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
  return { ...(await startOwnServer(recipe, 'password-redis')), password };
}
