import type { KafkaCluster } from './kafkajs-cluster.js';
import { offsetsOf } from './partition-fetch.js';

/** What the trimmer needs to know about a topic. */
export interface TrimTarget {
  topic: string;
  partitions: readonly number[];
}

/**
 * Approximate `maxLen` trimming, the way Redis's `MAXLEN ~` is approximate: every
 * `every`-th add to a topic with `maxLen` starts one background DeleteRecords that moves each
 * partition's start so about `maxLen` newest records remain (split evenly across partitions).
 * Adds never wait for it; at most one trim per topic runs at a time; failures are counted,
 * not thrown, because the add they ride on has already succeeded.
 */
export class Trimmer {
  readonly #every: number;
  readonly #cluster: () => Promise<KafkaCluster>;
  readonly #counts = new Map<string, number>();
  readonly #running = new Map<string, Promise<void>>();
  trims = 0;
  failures = 0;
  lastError: unknown;

  constructor(every: number, cluster: () => Promise<KafkaCluster>) {
    this.#every = every;
    this.#cluster = cluster;
  }

  /** Count one add with `maxLen`; start a trim when it is due. */
  noteAdd(target: TrimTarget, maxLen: number): void {
    const n = (this.#counts.get(target.topic) ?? 0) + 1;
    if (n < this.#every || this.#running.has(target.topic)) {
      this.#counts.set(target.topic, n);
      return;
    }
    this.#counts.set(target.topic, 0);
    const run = this.#trim(target, maxLen)
      .then(
        () => {
          this.trims++;
        },
        (error: unknown) => {
          this.failures++;
          this.lastError = error;
        },
      )
      .finally(() => this.#running.delete(target.topic));
    this.#running.set(target.topic, run);
  }

  /** Resolves when no trim is running. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#running.values()]);
  }

  async #trim(target: TrimTarget, maxLen: number): Promise<void> {
    const keep = Math.ceil(maxLen / target.partitions.length);
    const cluster = await this.#cluster();
    const ends = await offsetsOf(
      cluster,
      target.topic,
      target.partitions.map((partition) => ({ partition })),
      { fromBeginning: false },
    );
    const cut = new Map<number, number>();
    for (const [partition, end] of ends) if (end - keep > 0) cut.set(partition, end - keep);
    if (cut.size === 0) return;
    const leaders = cluster.findLeaderForPartitions(target.topic, [...cut.keys()]);
    await Promise.all(
      Object.entries(leaders).map(async ([nodeId, partitions]) => {
        const broker = await cluster.findBroker({ nodeId });
        await broker.deleteRecords({
          topics: [
            {
              topic: target.topic,
              partitions: partitions.map((p) => ({ partition: p, offset: String(cut.get(p)) })),
            },
          ],
        });
      }),
    );
  }
}
