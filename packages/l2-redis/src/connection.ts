import { InvalidOptionError, redactSecrets, redactUrl } from '@tiercache/core';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** How to reach Redis: pass exactly one of `client`, `url` (optionally with `redis`), `redis`, `cluster`. */
export interface RedisConnectionOptions {
  /**
   * An existing ioredis `Redis` or `Cluster`. It is shared, not owned: `close()` leaves it
   * open unless `closeClient` is `true`. Must not use ioredis's `keyPrefix` (use `prefix`).
   */
  client?: Redis | Cluster;
  /** Close `client` in `close()`. Default `false`. */
  closeClient?: boolean;
  /** A `redis://` or `rediss://` URL; `redis` options, when also given, are applied on top. */
  url?: string;
  /** ioredis options for a standalone or Sentinel (`sentinels` + `name`) connection. */
  redis?: RedisOptions;
  /** A Redis Cluster: startup nodes and ioredis cluster options. */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
}

/** A client and whether we must close it. */
export interface ResolvedClient {
  client: Redis | Cluster;
  owned: boolean;
}

/** Settings applied to the clients we create (never to a client handed to us). */
export interface OwnedClientSettings {
  commandTimeoutMs: number;
  enableAutoPipelining: boolean;
  /** Receives connection errors so ioredis does not print "Unhandled error event". */
  onConnectionError: (error: Error) => void;
}

/** Check the connection options at construction; throws {@link InvalidOptionError}. */
export function validateConnection(what: string, options: RedisConnectionOptions): void {
  const given: string[] = [];
  if (options.client !== undefined) given.push('client');
  // `redis` next to `url` refines the URL's connection, so the pair counts as one way.
  if (options.url !== undefined) given.push('url');
  else if (options.redis !== undefined) given.push('redis');
  if (options.cluster !== undefined) given.push('cluster');
  if (given.length === 0) {
    throw new InvalidOptionError(
      `${what} needs a connection: pass one of client (an ioredis Redis/Cluster), url ("redis://127.0.0.1:6379"), redis (ioredis options) or cluster ({ nodes })`,
    );
  }
  if (given.length > 1) {
    throw new InvalidOptionError(`${what} got ${given.join(' and ')}; pass only one way to connect`);
  }
  if (
    options.client !== undefined &&
    !(options.client instanceof Redis) &&
    !(options.client instanceof Cluster)
  ) {
    throw new InvalidOptionError(`${what}: client must be an ioredis Redis or Cluster instance`);
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new InvalidOptionError(
      `${what}: url must start with redis:// or rediss://, got ${typeof options.url === 'string' ? JSON.stringify(redactUrl(options.url)) : typeof options.url}`,
    );
  }
  if (
    options.cluster !== undefined &&
    (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0)
  ) {
    throw new InvalidOptionError(`${what}: cluster.nodes must list at least one startup node`);
  }
  const keyPrefix =
    options.client?.options.keyPrefix ??
    options.redis?.keyPrefix ??
    options.cluster?.options?.redisOptions?.keyPrefix;
  if (keyPrefix) {
    throw new InvalidOptionError(
      `${what}: the ioredis client has keyPrefix "${keyPrefix}", which SCAN results and Lua scripts do not see; remove it and pass prefix to tiercache instead`,
    );
  }
}

/** The client to use: the one handed to us, or a new one with our timeouts. */
export function resolveClient(
  options: RedisConnectionOptions,
  settings: OwnedClientSettings,
): ResolvedClient {
  if (options.client !== undefined) return { client: options.client, owned: options.closeClient === true };
  const ours = {
    commandTimeout: settings.commandTimeoutMs,
    enableAutoPipelining: settings.enableAutoPipelining,
  };
  let client: Redis | Cluster;
  if (options.cluster !== undefined) {
    const clusterOptions = options.cluster.options ?? {};
    client = new Cluster(options.cluster.nodes, {
      enableAutoPipelining: settings.enableAutoPipelining,
      ...clusterOptions,
      redisOptions: { commandTimeout: settings.commandTimeoutMs, ...clusterOptions.redisOptions },
    });
  } else if (options.url !== undefined) {
    client = new Redis(options.url, { ...ours, ...options.redis });
  } else {
    client = new Redis({ ...ours, ...options.redis });
  }
  // ioredis puts AUTH's arguments (the password) on a failed login's error.
  client.on('error', (error: Error) => settings.onConnectionError(redactSecrets(error)));
  return { client, owned: true };
}

/**
 * Close a client we own: QUIT politely, but never wait longer than `timeoutMs` for it (the
 * server may be gone), then drop the socket either way.
 */
export async function closeClient(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  // QUIT on a lazy client that never connected would open a connection just to close it, and
  // one that is not connected now (server down, reconnecting) would only wait out the timeout
  // in the offline queue: 1 s per client on every close() while Redis is down.
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
