import { isRedisCluster, type RedisClient } from '@tiercache/l2-redis/connection';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { BlockingConnectionPool } from './blocking-pool.js';

/** Where a blocking read runs: a pool of connections to one server, and the connection that unblocks them. */
export interface BlockingTarget {
  readonly pool: BlockingConnectionPool;
  /** Sends `CLIENT UNBLOCK` to the same server the pool's connections block on. */
  readonly admin: Redis;
}

/**
 * The blocking-read connections of one `RedisStream`. On a standalone or Sentinel client there
 * is one target, the client's server. On a Cluster, a blocking read must block on the master
 * that owns the stream key's slot, and `CLIENT UNBLOCK` must reach that same node (a client id
 * means nothing on another), so each master gets a pool of its own: connections duplicated
 * from the Cluster's own connection to that node (its options, credentials and TLS), and that
 * connection unblocks them.
 */
export class BlockingTargets {
  readonly #client: RedisClient;
  readonly #create: (base: Redis) => Redis;
  readonly #maxIdle: number;
  readonly #single: BlockingTarget | undefined;
  readonly #byNode = new Map<string, BlockingTarget>();

  /** `create` opens a blocking connection like `base` (the client, or a Cluster's node connection). */
  constructor(client: RedisClient, create: (base: Redis) => Redis, maxIdle: number) {
    this.#client = client;
    this.#create = create;
    this.#maxIdle = maxIdle;
    if (!isRedisCluster(client)) {
      this.#single = { pool: new BlockingConnectionPool(() => create(client), maxIdle), admin: client };
    }
  }

  /** Blocking connections open now (busy and idle), over every node. */
  get size(): number {
    if (this.#single) return this.#single.pool.size;
    let n = 0;
    for (const target of this.#byNode.values()) n += target.pool.size;
    return n;
  }

  /**
   * The target for `key`: the single server, or the master owning its slot as the Cluster's
   * slot table says now. `undefined` when the table does not know it yet (not connected).
   */
  forKey(key: string): BlockingTarget | undefined {
    if (this.#single) return this.#single;
    const cluster = this.#client as Cluster;
    const owner = cluster.slots[calculateSlot(key)]?.[0];
    return owner === undefined ? undefined : this.forNode(owner);
  }

  /** The target for the master at `address` (`host:port`, as in a MOVED reply), if the Cluster knows it. */
  forNode(address: string): BlockingTarget | undefined {
    if (this.#single) return this.#single;
    let target = this.#byNode.get(address);
    if (target) return target;
    // Any node the Cluster knows: a MOVED reply names the new owner before the slot table does.
    const node = (this.#client as Cluster)
      .nodes('all')
      .find((n) => `${n.options.host}:${n.options.port}` === address);
    if (!node) return undefined;
    target = { pool: new BlockingConnectionPool(() => this.#create(node), this.#maxIdle), admin: node };
    this.#byNode.set(address, target);
    return target;
  }

  /** Close every blocking connection and wait (bounded) until their sockets have ended. */
  async closeAll(timeoutMs: number): Promise<void> {
    const targets = this.#single ? [this.#single] : [...this.#byNode.values()];
    this.#byNode.clear();
    await Promise.all(targets.map((t) => t.pool.closeAll(timeoutMs)));
  }
}
