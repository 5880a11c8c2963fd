/**
 * The one shape every test server has in the kit, whether it is a native process on loopback
 * (what CI and `scripts/services` use), a container (testcontainers, for people with Docker),
 * or one node of a cluster or pool.
 *
 * Fault tests drive servers only through this interface, so a test written against a single
 * Redis runs unchanged against a cluster node or a container.
 */
export interface ServerHandle {
  /** What this server is: `redis`, `memcached`, `kafka`, or a cluster/pool node kind. */
  readonly kind: string;
  /**
   * The address a client connects to: `redis://127.0.0.1:PORT` for Redis,
   * `127.0.0.1:PORT` for Memcached and Kafka. Stable across `restart()`.
   */
  readonly url: string;
  /** Starts the server (a no-op when it runs) and resolves once a real client gets an answer. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after a bound) and resolves once its pid is gone. */
  stop(): Promise<void>;
  /** `stop()` then `start()` on the same port with the same data. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets open and answers nothing (a hung server). */
  freeze(): Promise<void>;
  /** SIGCONT after `freeze()`. */
  resume(): Promise<void>;
  /** SIGKILL with no clean-up (a crashed server); `start()` brings it back. */
  kill(): Promise<void>;
  /** Whether the process is alive (a frozen server is alive). */
  running(): Promise<boolean>;
}

/** A group of servers that act as one: a Redis Cluster, a Kafka cluster, a Memcached pool. */
export interface ServerGroup {
  readonly kind: string;
  /** Every node, in a stable order. */
  readonly nodes: readonly ServerHandle[];
  /** The addresses a client is given to reach the group (seed nodes, brokers, pool members). */
  readonly urls: readonly string[];
  /** Starts every node and forms the group; resolves once a real client can use it. */
  start(): Promise<void>;
  /** Stops every node. */
  stop(): Promise<void>;
}
