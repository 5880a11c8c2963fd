/** Where the servers are: the variables written by scripts/services/<name>.sh (see scripts/bench.sh). */

/** Server addresses, `undefined` where the server was not started. */
export interface Servers {
  redisUrl: string | undefined;
  memcachedServers: string | undefined;
  kafkaBrokers: string | undefined;
}

/** Read the addresses from the environment. */
export function serversFromEnv(env: NodeJS.ProcessEnv = process.env): Servers {
  return {
    redisUrl: env.REDIS_URL || undefined,
    memcachedServers: env.MEMCACHED_SERVERS || undefined,
    kafkaBrokers: env.KAFKA_BROKERS || undefined,
  };
}

/** `host` and `port` of a redis:// URL, for clients that want options rather than a URL. */
export function redisHostPort(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}
