import { existsSync } from 'node:fs';
import { SERVER_ENV, type ServerKind } from './servers.js';

const started = new Map<ServerKind, Promise<string>>();

function dockerReachable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainer(kind: ServerKind): Promise<string> {
  // Loaded only when Docker is reachable, so machines without Docker never touch testcontainers.
  const { ContainerServer } = await import('./container/container-server.js');
  return (await ContainerServer.create(kind)).url;
}

/**
 * The address of a real server for `kind`: the env var set by `scripts/services/` (or by
 * you), else a container started with testcontainers when Docker is reachable. With neither,
 * it warns loudly and returns `undefined` so the suite can skip; under `CI=true` it throws
 * instead, because a skipped server suite in CI is a failure.
 */
export async function requireServer(kind: ServerKind): Promise<string | undefined> {
  const envName = SERVER_ENV[kind];
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  if (dockerReachable()) {
    let pending = started.get(kind);
    if (!pending) {
      pending = startContainer(kind);
      started.set(kind, pending);
    }
    return pending;
  }
  const message = `${envName} is not set and no Docker engine is reachable: the ${kind} suites cannot run. Start the servers with "source scripts/services/start.sh" (or "pnpm test", which does it).`;
  if (process.env.CI === 'true') throw new Error(`[CI] ${message}`);
  console.warn(`\n!!! SKIPPING ${kind.toUpperCase()} SUITES !!!\n${message}\n`);
  return undefined;
}
export {
  GROUP_ENV,
  type GroupKind,
  type GroupOf,
  groupAddresses,
  openGroup,
  requireGroup,
} from './cluster/groups.js';
export { KafkaClusterGroup } from './cluster/kafka-cluster.js';
export { MemcachedPoolGroup } from './cluster/memcached-pool.js';
export { RedisClusterGroup, type RedisClusterNodeInfo } from './cluster/redis-cluster.js';
export type { ContainerServer } from './container/container-server.js';
export { type EventuallyOptions, eventually } from './eventually.js';
export { type NativeRecipe, NativeServer, onPath, resumeFrozen, withArgs } from './native/native-server.js';
export {
  alive,
  freePort,
  PidFile,
  processState,
  sleep,
  spawnDetached,
  terminate,
  waitForExit,
} from './native/process.js';
export { NATIVE_RECIPES, nativeServer } from './native/recipes.js';
export { whyNotReady } from './readiness.js';
export {
  keysEverywhere,
  type RedisTarget,
  type RedisTargetConnection,
  redisAdmin,
  redisConnection,
  requireRedis,
  unlinkPrefix,
} from './redis-target.js';
export type { ServerGroup, ServerHandle } from './server-handle.js';
export { DESCRIPTORS, SERVER_ENV, SERVER_KINDS, type ServerDescriptor, type ServerKind } from './servers.js';
export { type SilentServer, startSilentServer } from './silent-server.js';
export { TcpProxy } from './tcp-proxy.js';
