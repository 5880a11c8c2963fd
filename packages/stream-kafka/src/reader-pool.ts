import type { KafkaCluster } from './kafkajs-cluster.js';

/**
 * Connections for blocking reads. A broker answers the requests of one connection in order,
 * so a Fetch that waits on the broker for new records holds up everything behind it on that
 * connection: each concurrent blocking read gets a cluster (connection set) of its own.
 * Clusters are reused; at most `maxIdle` wait between reads, the rest are disconnected.
 */
export class ReaderPool {
  readonly #create: () => KafkaCluster;
  readonly #maxIdle: number;
  readonly #idle: KafkaCluster[] = [];
  readonly #all = new Set<KafkaCluster>();
  #closed = false;

  constructor(create: () => KafkaCluster, maxIdle: number) {
    this.#create = create;
    this.#maxIdle = maxIdle;
  }

  /** Clusters open now, busy and idle. */
  get size(): number {
    return this.#all.size;
  }

  /** An idle cluster, or a newly connected one. */
  async acquire(): Promise<KafkaCluster> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const cluster = this.#create();
    this.#all.add(cluster);
    try {
      await cluster.connect();
    } catch (error) {
      this.#all.delete(cluster);
      await cluster.disconnect().catch(() => undefined);
      throw error;
    }
    return cluster;
  }

  /** Give a cluster back once its request has settled (never while a Fetch is still waiting). */
  release(cluster: KafkaCluster): void {
    if (!this.#closed && this.#idle.length < this.#maxIdle) {
      this.#idle.push(cluster);
      return;
    }
    this.#all.delete(cluster);
    cluster.disconnect().catch(() => undefined);
  }

  /** Disconnect every cluster, busy ones too (their pending Fetch rejects). */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#all];
    this.#all.clear();
    this.#idle.length = 0;
    await Promise.allSettled(all.map((c) => c.disconnect()));
  }
}
