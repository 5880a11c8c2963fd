import { Cluster, Redis } from 'ioredis';
import { requireGroup } from './cluster/groups.js';
import { requireServer } from './index.js';

/**
 * The Redis the Redis suites run against. The same test files run against the single server
 * (their own vitest projects) and against the kit's Redis Cluster (the `scale` project sets
 * `TIERCACHE_REDIS_TARGET=cluster`), so a cluster variant is a parameter, not a copy.
 */
export type RedisTarget =
  | { kind: 'server'; url: string; label: '' }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; label: ' (Redis Cluster)' };

/** The connection options every tiercache Redis class takes: `{ url }` or `{ cluster: { nodes } }`. */
export type RedisTargetConnection =
  | { url: string }
  | { cluster: { nodes: { host: string; port: number }[] } };

/**
 * The single server (`requireServer('redis')`) or, with `TIERCACHE_REDIS_TARGET=cluster`, the
 * kit's Redis Cluster (started if needed). `undefined` when it cannot run (a loud warning; under
 * `CI=true` a throw instead).
 */
export async function requireRedis(): Promise<RedisTarget | undefined> {
  if (process.env.TIERCACHE_REDIS_TARGET === 'cluster') {
    const group = await requireGroup('redis-cluster');
    return group && { kind: 'cluster', nodes: group.startupNodes, label: ' (Redis Cluster)' };
  }
  const url = await requireServer('redis');
  return url === undefined ? undefined : { kind: 'server', url, label: '' };
}

/** The connection options for `target`. */
export function redisConnection(target: RedisTarget): RedisTargetConnection {
  return target.kind === 'server' ? { url: target.url } : { cluster: { nodes: target.nodes } };
}

/** A plain ioredis client (or Cluster) on `target`, for looking at the server around the code under test. */
export function redisAdmin(target: RedisTarget): Redis | Cluster {
  const client =
    target.kind === 'server'
      ? new Redis(target.url, { maxRetriesPerRequest: 1 })
      : new Cluster(target.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => undefined);
  return client;
}

/** Every key matching `pattern`, from every master on a cluster (KEYS on one node sees only its slots). */
export async function keysEverywhere(client: Redis | Cluster, pattern: string): Promise<string[]> {
  if (!('isCluster' in client) || client.isCluster !== true) return (client as Redis).keys(pattern);
  const perNode = await Promise.all((client as Cluster).nodes('master').map((n) => n.keys(pattern)));
  return perNode.flat();
}

/** Remove every key under `prefix` (SCAN + UNLINK), what a suite's `afterAll` leaves behind. */
export async function unlinkPrefix(admin: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await admin.unlink(...keys);
  } while (cursor !== '0');
}
