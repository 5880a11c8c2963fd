import type { ServerKind } from '../servers.js';
import { KAFKA_RECIPE } from './kafka.js';
import { MEMCACHED_RECIPE } from './memcached.js';
import { type NativeRecipe, NativeServer } from './native-server.js';
import { REDIS_RECIPE } from './redis.js';

export const NATIVE_RECIPES: Record<ServerKind, NativeRecipe> = {
  redis: REDIS_RECIPE,
  memcached: MEMCACHED_RECIPE,
  kafka: KAFKA_RECIPE,
};

/**
 * The native `kind` server whose state is in `stateDir` (default `.services/<kind>/`, the one
 * `scripts/services/start.sh` starts): running or not, with its kept address.
 */
export function nativeServer(kind: ServerKind, options: { stateDir?: string } = {}): Promise<NativeServer> {
  return NativeServer.open(NATIVE_RECIPES[kind], options.stateDir);
}
