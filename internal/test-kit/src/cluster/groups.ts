import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { servicesDir } from '../state.js';
import { KafkaClusterGroup } from './kafka-cluster.js';
import { MemcachedPoolGroup } from './memcached-pool.js';
import { RedisClusterGroup } from './redis-cluster.js';

/** The groups the kit runs, and the variable each one's env file exports (comma-separated addresses). */
export const GROUP_ENV = {
  'redis-cluster': 'REDIS_CLUSTER_NODES',
  'kafka-cluster': 'KAFKA_CLUSTER_BROKERS',
  'memcached-pool': 'MEMCACHED_POOL_SERVERS',
} as const;

/** A group name: `redis-cluster`, `kafka-cluster`, `memcached-pool`. */
export type GroupKind = keyof typeof GROUP_ENV;

/** The group type of each kind. */
export interface GroupOf {
  'redis-cluster': RedisClusterGroup;
  'kafka-cluster': KafkaClusterGroup;
  'memcached-pool': MemcachedPoolGroup;
}

/** The group of `kind` kept under `.services/` (not started). */
export function openGroup<K extends GroupKind>(kind: K): Promise<GroupOf[K]> {
  const opened =
    kind === 'redis-cluster'
      ? RedisClusterGroup.open()
      : kind === 'kafka-cluster'
        ? KafkaClusterGroup.open()
        : MemcachedPoolGroup.open();
  return opened as Promise<GroupOf[K]>;
}

/** `127.0.0.1:PORT,...` of the group's nodes, without a scheme (what the env var holds). */
export function groupAddresses(group: { urls: readonly string[] }): string {
  return group.urls.map((u) => u.replace(/^redis:\/\//, '')).join(',');
}

/** Write `.services/<kind>.env` (`export VAR=addresses`) for `source`. */
export function writeGroupEnv(kind: GroupKind, group: { urls: readonly string[] }): string {
  const file = join(servicesDir(), `${kind}.env`);
  writeFileSync(file, `export ${GROUP_ENV[kind]}=${groupAddresses(group)}\n`);
  return file;
}

const starting = new Map<GroupKind, Promise<unknown>>();

/**
 * The group of `kind`, started (nodes already running are reused, so a group started by
 * `scripts/services/cluster.sh` or an earlier run serves again). When it cannot start, it warns
 * loudly and resolves `undefined` so the suite can skip; under `CI=true` it throws, because a
 * cluster that fails to start is a failure in CI.
 */
export async function requireGroup<K extends GroupKind>(kind: K): Promise<GroupOf[K] | undefined> {
  let pending = starting.get(kind) as Promise<GroupOf[K] | undefined> | undefined;
  if (!pending) {
    pending = (async () => {
      try {
        const group = await openGroup(kind);
        await group.start();
        return group;
      } catch (error) {
        const message = `the ${kind} did not start: ${error instanceof Error ? error.message : String(error)}`;
        if (process.env.CI === 'true') throw new Error(`[CI] ${message}`);
        console.warn(`\n!!! SKIPPING ${kind.toUpperCase()} SUITES !!!\n${message}\n`);
        return undefined;
      }
    })();
    starting.set(kind, pending);
  }
  return pending;
}
