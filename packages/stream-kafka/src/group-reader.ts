import type { Consumer, Kafka } from 'kafkajs';
import type { EntryPosition } from './entry-id.js';
import type { FetchedEntry } from './partition-fetch.js';

/** Tuning of the kafkajs group consumers behind `readGroup`. */
export interface GroupConsumerOptions {
  /** Where a group with no committed offset starts: `"earliest"` (default) or `"latest"`. */
  startAt?: 'earliest' | 'latest';
  /** kafkajs `sessionTimeout` in ms (the broker's `group.min.session.timeout.ms` is the floor, 6 000 by default). Default 10 000. */
  sessionTimeoutMs?: number;
  /** kafkajs `rebalanceTimeout` in ms. Default 10 000. */
  rebalanceTimeoutMs?: number;
  /** kafkajs `heartbeatInterval` in ms. Default 1 000. */
  heartbeatIntervalMs?: number;
  /** kafkajs `maxWaitTimeInMs`: how long each background fetch waits on the broker. Default 500. */
  maxWaitTimeMs?: number;
  /** Records a group reader buffers before it pauses fetching. Default 1 000. */
  bufferSize?: number;
}

/** {@link GroupConsumerOptions} with defaults applied. */
export type ResolvedGroupConsumerOptions = Required<GroupConsumerOptions>;

/**
 * One member of a Kafka consumer group on one topic, for `KafkaStream.readGroup`. A kafkajs
 * consumer runs in the background and fills a bounded buffer (pausing its partitions when the
 * buffer is full); reads take from the buffer. Offsets are committed only by `commit`, so
 * what was read but not committed is delivered again after a rebalance or a restart.
 */
export class GroupReader {
  readonly #consumer: Consumer;
  readonly #topic: string;
  readonly #o: ResolvedGroupConsumerOptions;
  #buffer: FetchedEntry[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #resumes: (() => void)[] = [];
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(kafka: Kafka, topic: string, groupId: string, options: ResolvedGroupConsumerOptions) {
    this.#topic = topic;
    this.#o = options;
    this.#consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs,
    });
    // After a rebalance, buffered records of partitions this member lost belong to another member now.
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, (event) => {
      const mine = new Set(event.payload.memberAssignment[topic] ?? []);
      this.#buffer = this.#buffer.filter((e) => mine.has(e.position.partition));
    });
  }

  /** Join the group and start fetching; resolves once the consumer runs (joining may take a moment longer). */
  start(): Promise<void> {
    if (!this.#started) {
      this.#started = (async () => {
        await this.#consumer.connect();
        await this.#consumer.subscribe({
          topics: [this.#topic],
          fromBeginning: this.#o.startAt === 'earliest',
        });
        await this.#consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, pause, isStale }) => {
            if (isStale()) return;
            const partition = batch.partition;
            for (const m of batch.messages) {
              this.#buffer.push({
                position: { partition, offset: Number(m.offset), timestamp: Number(m.timestamp) },
                value: m.value,
              });
              resolveOffset(m.offset);
            }
            for (const wake of [...this.#waiters]) wake();
            if (this.#buffer.length >= this.#o.bufferSize) this.#resumes.push(pause());
            await heartbeat();
          },
        });
      })();
      // A failed join (broker down) is retried by the next read instead of being remembered.
      const started = this.#started;
      started.catch(() => {
        if (this.#started === started) this.#started = undefined;
      });
    }
    return this.#started;
  }

  /** Up to `count` buffered entries, waiting up to `blockMs` (or until `signal` aborts) for some. */
  async read(count: number, blockMs: number, signal: AbortSignal | undefined): Promise<FetchedEntry[]> {
    await this.start();
    if (this.#buffer.length === 0 && blockMs > 0 && !signal?.aborted && !this.#closed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, blockMs);
        this.#waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (signal?.aborted || this.#closed) return [];
    const taken = this.#buffer.splice(0, count);
    if (this.#buffer.length < this.#o.bufferSize) for (const resume of this.#resumes.splice(0)) resume();
    return taken;
  }

  /** Commit `positions`: each partition's committed offset moves past the highest position given for it. */
  async commit(positions: readonly EntryPosition[]): Promise<void> {
    await this.start();
    const next = new Map<number, number>();
    for (const p of positions) next.set(p.partition, Math.max(next.get(p.partition) ?? 0, p.offset + 1));
    await this.#consumer.commitOffsets(
      [...next].map(([partition, offset]) => ({ topic: this.#topic, partition, offset: String(offset) })),
    );
  }

  /** Leave the group (the broker rebalances the others at once) and disconnect. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of [...this.#waiters]) wake();
    await this.#started?.catch(() => undefined);
    await this.#consumer.disconnect();
  }
}
