import { InvalidOptionError, redactSecrets, redactUrl } from '@tiercache/core';
import { hasMethods, isPlainObject, shown } from '@tiercache/core/adapter';
import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis `Redis` (standalone or Sentinel) or `Cluster`, from whichever ioredis copy the
 * application installed (5.x or 6.x: ioredis is a peer dependency, so there is one copy).
 */
export type RedisClient = Redis | Cluster;

/** How to reach Redis: pass exactly one of `client`, `url` (optionally with `redis`), `redis`, `cluster`. */
export interface RedisConnectionOptions {
  /**
   * An existing ioredis `Redis` or `Cluster`. It is shared, not owned: `close()` leaves it
   * open unless `closeClient` is `true`. Must not use ioredis's `keyPrefix` (use `prefix`).
   */
  client?: RedisClient;
  /** Close `client` in `close()`. Default `false`. */
  closeClient?: boolean;
  /** A `redis://` or `rediss://` URL; `redis` options, when also given, are applied on top. */
  url?: string;
  /** ioredis options for a standalone or Sentinel (`sentinels` + `name`) connection. */
  redis?: RedisOptions;
  /** A Redis Cluster: startup nodes and ioredis cluster options. */
  cluster?: { nodes: ClusterNode[]; options?: ClusterOptions };
}

/** The option keys of {@link RedisConnectionOptions}, for each constructor's known-key list. */
export const CONNECTION_OPTION_KEYS = [
  'client',
  'closeClient',
  'url',
  'redis',
  'cluster',
] as const satisfies readonly (keyof RedisConnectionOptions)[];

/** A client and whether we must close it. */
export interface ResolvedClient<C extends RedisClient = RedisClient> {
  client: C;
  owned: boolean;
}

/** Settings applied to the clients we create (never to a client handed to us). */
export interface OwnedClientSettings {
  commandTimeoutMs: number;
  enableAutoPipelining: boolean;
  /** Receives connection errors so ioredis does not print "Unhandled error event". */
  onConnectionError: (error: Error) => void;
}

/** What {@link validateConnection} accepts besides the options. */
export interface ConnectionRules {
  /**
   * `false` refuses a Cluster (as `client` or `cluster`), with `reason` in the message.
   * Default `true`.
   */
  cluster?: boolean;
  /** Why a Cluster is refused, for the error message. */
  clusterReason?: string;
}

/** The methods every ioredis client (5.x and 6.x, `Redis` and `Cluster`) has and tiercache uses. */
const CLIENT_METHODS = ['call', 'duplicate', 'quit', 'disconnect', 'on', 'once'] as const;

/**
 * `true` when `value` behaves like an ioredis client: the methods tiercache calls, a `status`
 * and an `options` object. Checked by capability, not `instanceof`, so a client from the
 * application's own ioredis copy (another 5.x, or 6.x) is accepted.
 */
export function isRedisClient(value: unknown): value is RedisClient {
  if (!hasMethods(value, CLIENT_METHODS)) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.status === 'string' &&
    typeof candidate.options === 'object' &&
    candidate.options !== null
  );
}

/** `true` for an ioredis `Cluster` (its `isCluster` flag, which `Redis` has as `false`). */
export function isRedisCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** Check the connection options at construction; throws {@link InvalidOptionError}. */
export function validateConnection(
  what: string,
  options: RedisConnectionOptions,
  rules: ConnectionRules = {},
): void {
  const allowCluster = rules.cluster ?? true;
  if (options.redis !== undefined && !isPlainObject(options.redis)) {
    throw new InvalidOptionError(
      `${what}: redis must be an object of ioredis options, got ${shown(options.redis)}`,
    );
  }
  if (options.cluster !== undefined && !isPlainObject(options.cluster)) {
    throw new InvalidOptionError(
      `${what}: cluster must be an object { nodes, options? }, got ${shown(options.cluster)}`,
    );
  }
  const given: string[] = [];
  if (options.client !== undefined) given.push('client');
  // `redis` next to `url` refines the URL's connection, so the pair counts as one way.
  if (options.url !== undefined) given.push('url');
  else if (options.redis !== undefined) given.push('redis');
  if (options.cluster !== undefined) given.push('cluster');
  const clientKind = allowCluster ? 'an ioredis Redis/Cluster' : 'an ioredis Redis';
  if (given.length === 0) {
    throw new InvalidOptionError(
      `${what} needs a connection: pass one of client (${clientKind}), url ("redis://127.0.0.1:6379"), redis (ioredis options)${allowCluster ? ' or cluster ({ nodes })' : ''}`,
    );
  }
  if (given.length > 1) {
    throw new InvalidOptionError(`${what} got ${given.join(' and ')}; pass only one way to connect`);
  }
  if (options.client !== undefined && !isRedisClient(options.client)) {
    throw new InvalidOptionError(
      `${what}: client must be ${clientKind} client (ioredis 5 or 6: an object with ${CLIENT_METHODS.join('(), ')}(), status and options), got ${describe(options.client)}`,
    );
  }
  if (
    !allowCluster &&
    (options.cluster !== undefined || (options.client && isRedisCluster(options.client)))
  ) {
    throw new InvalidOptionError(
      `${what}: a Redis Cluster is not supported${rules.clusterReason ? `: ${rules.clusterReason}` : ''}`,
    );
  }
  if (options.url !== undefined && (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url))) {
    throw new InvalidOptionError(
      `${what}: url must start with redis:// or rediss://, got ${typeof options.url === 'string' ? quotedUrl(options.url) : typeof options.url}`,
    );
  }
  if (options.url !== undefined && !URL.canParse(options.url)) {
    // Not `new URL`'s own error: its `input` property holds the raw URL, password and all.
    throw new InvalidOptionError(
      `${what}: url is not a valid URL (check the port and any [IPv6] brackets), got ${quotedUrl(options.url)}`,
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

/**
 * A URL as an option error quotes it: without its credentials. A URL that is not a well-formed
 * `redis://` one may not split where `redactUrl` expects (a space in the password), so everything
 * from after its scheme up to the last `@` is dropped (`redis://[redacted]@host:notaport`).
 */
function quotedUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at === -1) return JSON.stringify(url);
  if (/^rediss?:\/\//.test(url) && URL.canParse(url)) return JSON.stringify(redactUrl(url));
  const scheme = /^[a-z][a-z0-9+.-]*:\/{0,2}/i.exec(url)?.[0] ?? '';
  return JSON.stringify(`${scheme}[redacted]${url.slice(at)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `an object without ${CLIENT_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function').join(', ') || 'status/options'}`;
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
  let client: RedisClient;
  if (options.cluster !== undefined) {
    const clusterOptions = options.cluster.options ?? {};
    client = new Cluster(options.cluster.nodes, {
      enableAutoPipelining: settings.enableAutoPipelining,
      ...clusterOptions,
      redisOptions: { commandTimeout: settings.commandTimeoutMs, ...clusterOptions.redisOptions },
    });
  } else if (options.url !== undefined) {
    client = newRedisForUrl(options.url, { ...ours, ...options.redis });
  } else {
    client = new Redis({ ...ours, ...options.redis });
  }
  // ioredis puts AUTH's arguments (the password) on a failed login's error.
  client.on('error', (error: Error) => settings.onConnectionError(redactSecrets(error)));
  return { client, owned: true };
}

/**
 * `new Redis(url, options)`, with any error ioredis raises while parsing the URL replaced by an
 * {@link InvalidOptionError} quoting it without its password (and with no `cause`: Node's URL
 * errors keep the raw URL in `input`).
 */
function newRedisForUrl(url: string, options: RedisOptions): Redis {
  try {
    return new Redis(url, options);
  } catch (error) {
    throw new InvalidOptionError(
      `Redis: url ${quotedUrl(url)} was refused by ioredis: ${redactUrl(error instanceof Error ? error.message : String(error))}`,
    );
  }
}

/**
 * Close a client we own: QUIT politely, but never wait longer than `timeoutMs` for it (the
 * server may be gone), then drop the socket and wait (bounded) until it has ended, so nothing
 * of ours keeps the process alive once the promise settles.
 */
export async function closeClient(client: RedisClient, timeoutMs: number): Promise<void> {
  // A client that is not connected now (never connected, server down, reconnecting) is just
  // disconnected: QUIT would open a connection to close it, or wait out the timeout in the
  // offline queue (1 s per client on every close() while Redis is down), and no 'end' event
  // may come to wait for.
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.quit().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  await disconnectAndWait(client, timeoutMs);
}

/** `disconnect()` and resolve once ioredis reports the connection ended (bounded by `timeoutMs`). */
export function disconnectAndWait(client: RedisClient, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (client.status === 'end' || client.status === 'wait') {
      client.disconnect();
      resolve();
      return;
    }
    const timer = setTimeout(resolve, timeoutMs);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    client.disconnect();
  });
}

/** `true` for the plain Error ioredis rejects with when its own `commandTimeout` fires. */
export function isIoredisTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

/**
 * A connection-error reporter around a user's `onError`: credentials scrubbed first (ioredis
 * puts AUTH's arguments, the password, on a failed login's error), and a callback that throws
 * can never break connection handling.
 */
export function connectionErrorReporter(
  onError: ((error: Error) => void) | undefined,
): (error: Error) => void {
  return (error) => {
    try {
      onError?.(redactSecrets(error));
    } catch {
      // reporting must never break connection handling
    }
  };
}
