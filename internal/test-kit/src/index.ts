import { existsSync } from 'node:fs';

/** The servers the suites can need, and the variable `scripts/services/` exports for each. */
export const SERVER_ENV = {
  redis: 'REDIS_URL',
  memcached: 'MEMCACHED_SERVERS',
  kafka: 'KAFKA_BROKERS',
} as const;

export type ServerKind = keyof typeof SERVER_ENV;

const started = new Map<ServerKind, Promise<string>>();

function dockerReachable(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startWithTestcontainers(kind: ServerKind): Promise<string> {
  // Loaded only when Docker is reachable, so machines without Docker never touch it.
  const { GenericContainer, Wait } = await import('testcontainers');
  if (kind === 'redis') {
    const c = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    return `redis://${c.getHost()}:${c.getMappedPort(6379)}`;
  }
  if (kind === 'memcached') {
    const c = await new GenericContainer('memcached:1.6-alpine').withExposedPorts(11211).start();
    return `${c.getHost()}:${c.getMappedPort(11211)}`;
  }
  const c = await new GenericContainer('apache/kafka:4.1.0')
    .withExposedPorts({ container: 9092, host: 39092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:39092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  return `127.0.0.1:${c.getMappedPort(9092)}`;
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
      pending = startWithTestcontainers(kind);
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
export { ProcessNode } from './cluster/process-node.js';
export { RedisClusterGroup, type RedisClusterNodeInfo } from './cluster/redis-cluster.js';
export {
  keysEverywhere,
  type RedisTarget,
  type RedisTargetConnection,
  redisAdmin,
  redisConnection,
  requireRedis,
} from './redis-target.js';
export type { ServerGroup, ServerHandle } from './server-handle.js';
export { type SilentServer, startSilentServer } from './silent-server.js';
export { TcpProxy } from './tcp-proxy.js';
