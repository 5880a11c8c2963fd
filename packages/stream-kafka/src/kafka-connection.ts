import { boundedCall, ClosedError } from '@tiercache/core';
import { ClosedGuard } from '@tiercache/core/adapter';
import { type Admin, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { createCluster, type KafkaCluster } from './kafkajs-cluster.js';
import type { ResolvedKafkaStreamOptions } from './options.js';
import { topicFor } from './topic-name.js';
import { TopicNotFoundError } from './topic-not-found-error.js';

/** The topic of a stream and its partition ids, ascending. */
export interface TopicInfo {
  topic: string;
  partitions: number[];
}

/** The clients one `KafkaStream` shares across its calls. */
export interface Clients {
  producer: Producer;
  admin: Admin;
  cluster: KafkaCluster;
}

/**
 * The connected side of a `KafkaStream`: the shared producer, admin client and cluster
 * (connected once, on first use), the topics prepared so far, and the bounded call every
 * operation goes through. It also holds the stream's closed state, so a call that fails
 * because the stream was closed under it rejects with `ClosedError`.
 */
export class KafkaConnection {
  readonly #o: ResolvedKafkaStreamOptions;
  readonly #kafka: Kafka;
  readonly #topics = new Map<string, Promise<TopicInfo>>();
  #clients: Promise<Clients> | undefined;
  readonly #closed: ClosedGuard;

  constructor(options: ResolvedKafkaStreamOptions) {
    this.#o = options;
    this.#closed = new ClosedGuard(`KafkaStream "${options.name}"`);
    this.#kafka = options.kafka;
  }

  /** `true` once {@link KafkaConnection.close} was called. */
  get closed(): boolean {
    return this.#closed.closed;
  }

  /** Throw core's `ClosedError` when the stream is closed. */
  assertOpen(): void {
    this.#closed.check();
  }

  /** Mark the stream closed: later calls reject with `ClosedError`. */
  close(): void {
    void this.#closed.close();
  }

  /** Hand over the clients (if any connected) for the caller to disconnect; forgets them. */
  async takeClients(): Promise<Clients | undefined> {
    const clients = this.#clients;
    this.#clients = undefined;
    return clients ? await clients.catch(() => undefined) : undefined;
  }

  /** The topic for `stream`, created (or checked) once per instance. */
  topic(stream: string, operation: string): Promise<TopicInfo> {
    const topic = topicFor(this.#o.name, this.#o.topicPrefix, stream);
    let info = this.#topics.get(topic);
    if (!info) {
      info = this.call(operation, (c) => this.#prepareTopic(c, topic));
      this.#topics.set(topic, info);
      info.catch(() => this.#topics.delete(topic));
    }
    return info;
  }

  async #prepareTopic(c: Clients, topic: string): Promise<TopicInfo> {
    if (this.#o.autoCreateTopics) {
      const configEntries = [
        // The broker stamps records, so ids of different partitions order by one clock.
        { name: 'message.timestamp.type', value: 'LogAppendTime' },
      ];
      if (this.#o.retentionMs !== undefined)
        configEntries.push({ name: 'retention.ms', value: String(this.#o.retentionMs) });
      // Resolves false (no error) when the topic exists already.
      await c.admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: this.#o.partitions,
            replicationFactor: this.#o.replicationFactor,
            configEntries,
          },
        ],
      });
    } else {
      const topics = await c.admin.listTopics();
      if (!topics.includes(topic)) throw new TopicNotFoundError(topic);
    }
    await c.cluster.addTargetTopic(topic);
    const partitions = c.cluster
      .findTopicPartitionMetadata(topic)
      .map((p) => p.partitionId)
      .sort((a, b) => a - b);
    if (partitions.length === 0) throw new TopicNotFoundError(topic);
    return { topic, partitions };
  }

  /**
   * Run `fn` with connected clients, bounded by `operationTimeoutMs` (plus `extraMs` for calls
   * that wait on purpose): kafkajs retries a broker that is away for many seconds, and a cache
   * must not wait that long. Failures map through core's `toTierError`; ours pass through.
   */
  call<T>(operation: string, fn: (clients: Clients) => Promise<T>, extraMs = 0): Promise<T> {
    const timeoutMs = this.#o.operationTimeoutMs + extraMs;
    return boundedCall(
      this.#o.name,
      operation,
      timeoutMs,
      async () => fn(await this.connect()),
      isKafkaTimeout,
    ).catch((error: unknown) => {
      if (this.#closed.closed && !(error instanceof ClosedError)) throw this.#closed.error();
      throw error;
    });
  }

  /** Connect the shared producer, admin client and cluster once; a failed attempt is retried on the next call. */
  connect(): Promise<Clients> {
    if (this.#closed.closed) return Promise.reject(this.#closed.error());
    if (!this.#clients) {
      const producer = this.#kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      const admin = this.#kafka.admin();
      const cluster = createCluster(this.#kafka);
      const connecting = Promise.all([producer.connect(), admin.connect(), cluster.connect()]).then(
        () => ({ producer, admin, cluster }),
        async (error: unknown) => {
          await Promise.allSettled([producer.disconnect(), admin.disconnect(), cluster.disconnect()]);
          throw error;
        },
      );
      this.#clients = connecting;
      connecting.catch(() => {
        if (this.#clients === connecting) this.#clients = undefined;
      });
    }
    return this.#clients;
  }
}

/** A kafkajs request timeout, possibly wrapped by its retrier. */
export function isKafkaTimeout(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
}
