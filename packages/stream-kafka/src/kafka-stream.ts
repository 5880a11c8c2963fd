import {
  boundedCall,
  ClosedError,
  InvalidOptionError,
  type StreamAddOptions,
  type StreamEntry,
  type StreamFields,
  type StreamingBackend,
  type StreamReadOptions,
  TierError,
  toTierError,
  withTimeout,
} from '@tiercache/core';
import { checkBlockMs, checkCount, checkFields, checkMaxLen } from '@tiercache/core/adapter';
import { type Admin, type Kafka, Partitioners, type Producer } from 'kafkajs';
import { comparePositions, type EntryPosition, formatEntryId, parseEntryId } from './entry-id.js';
import { advance, reachedEnd, takeInOrder } from './entry-order.js';
import { GroupReader } from './group-reader.js';
import { createCluster, type KafkaCluster } from './kafkajs-cluster.js';
import { type KafkaStreamOptions, type ResolvedKafkaStreamOptions, resolveOptions } from './options.js';
import {
  type FetchedEntry,
  type FetchSettings,
  fetchPartitions,
  offsetsOf,
  type PartitionStart,
} from './partition-fetch.js';
import { ReaderPool } from './reader-pool.js';
import { decodeFields, encodeFields } from './record-codec.js';
import { topicFor } from './topic-name.js';
import { TopicNotFoundError } from './topic-not-found-error.js';
import { Trimmer } from './trimmer.js';

/** Counters for tests and dashboards. */
export interface KafkaStreamStats {
  /** Records decoded from Fetch responses, including those a read then skipped. */
  recordsFetched: number;
  /** Fetch requests sent. */
  fetchRequests: number;
  /** Background trims that finished. */
  trims: number;
  /** Background trims that failed (the error is in `lastTrimError`). */
  trimFailures: number;
  /** The latest trim failure, if any. */
  lastTrimError: unknown;
  /** Connections (clusters) held for blocking reads, busy and idle. */
  blockingReaders: number;
}

interface TopicInfo {
  topic: string;
  partitions: number[];
}

interface Clients {
  producer: Producer;
  admin: Admin;
  cluster: KafkaCluster;
}

/** A read that found nothing yet: where to look next. */
interface PendingRead {
  topic: TopicInfo;
  starts: PartitionStart[];
}

/** Rounds of immediate re-fetching one read may do when fetches stop short (byte limits). */
const MAX_ROUNDS = 100;

/**
 * A {@link StreamingBackend} on Apache Kafka through kafkajs 2.2.4.
 *
 * Stream `s` is topic `${topicPrefix}${s}`, created on first use. `streamAdd` produces with
 * `acks: -1` and resolves the entry id once the broker has the record; reads are single
 * Fetch requests at offsets computed from the id (no consumer group, nothing committed), so
 * `streamReadLatest` fetches only the last `count` records and blocking reads wait on the
 * broker (Fetch `maxWaitTime`). See the README for the id format and ordering rules.
 *
 * @example
 * ```ts
 * const stream = new KafkaStream({ brokers: ['127.0.0.1:9092'] });
 * const id = await stream.streamAdd('events', [['type', 'invalidate'], ['key', 'user:1']]);
 * const next = await stream.streamRead('events', id, 100, { blockMs: 5_000 });
 * await stream.close();
 * ```
 */
export class KafkaStream implements StreamingBackend {
  readonly name: string;
  readonly #o: ResolvedKafkaStreamOptions;
  readonly #kafka: Kafka;
  readonly #topics = new Map<string, Promise<TopicInfo>>();
  readonly #readers: ReaderPool;
  readonly #trimmer: Trimmer;
  readonly #blocked = new Set<AbortController>();
  readonly #groups = new Map<string, GroupReader>();
  #clients: Promise<Clients> | undefined;
  #closed = false;
  #recordsFetched = 0;
  #fetchRequests = 0;

  constructor(options: KafkaStreamOptions) {
    this.#o = resolveOptions(options);
    this.name = this.#o.name;
    this.#kafka = this.#o.kafka;
    // Fail at construction, not on the first read, when kafkajs is not the version we drive.
    createCluster(this.#kafka);
    this.#readers = new ReaderPool(() => createCluster(this.#kafka), this.#o.maxIdleReaders);
    this.#trimmer = new Trimmer(this.#o.trimEvery, async () => (await this.#connect()).cluster);
  }

  /** Counters: records fetched, fetch requests, trims. */
  get stats(): KafkaStreamStats {
    return {
      recordsFetched: this.#recordsFetched,
      fetchRequests: this.#fetchRequests,
      trims: this.#trimmer.trims,
      trimFailures: this.#trimmer.failures,
      lastTrimError: this.#trimmer.lastError,
      blockingReaders: this.#readers.size,
    };
  }

  /** The topic that holds `stream` (validates the name). */
  topicOf(stream: string): string {
    return topicFor(this.#o.topicPrefix, stream);
  }

  /** Produce one record (`acks: -1`) and resolve its id. With `maxLen`, trims now and then in the background. */
  async streamAdd(stream: string, fields: StreamFields, options: StreamAddOptions = {}): Promise<string> {
    this.#open();
    checkFields(this.name, fields);
    const maxLen = checkMaxLen(this.name, options.maxLen);
    const info = await this.#topic(stream, 'streamAdd');
    const sentAt = Date.now();
    const result = await this.#call('streamAdd', async (c) =>
      c.producer.send({
        topic: info.topic,
        acks: -1,
        messages: [{ value: encodeFields(fields), timestamp: String(sentAt) }],
      }),
    );
    const meta = result[0];
    if (!meta) throw new TierError(this.name, 'streamAdd', new Error('the broker acknowledged no record'));
    // LogAppendTime topics report the broker's timestamp; CreateTime ones keep ours.
    const logAppendTime = Number(meta.logAppendTime);
    const position: EntryPosition = {
      partition: meta.partition,
      offset: Number(meta.baseOffset),
      timestamp: logAppendTime >= 0 ? logAppendTime : sentAt,
    };
    if (maxLen !== undefined) this.#trimmer.noteAdd(info, maxLen);
    return formatEntryId(position, info.partitions.length);
  }

  /** The newest `count` entries, newest first: one ListOffsets, then a Fetch of the last `count` records per partition. */
  async streamReadLatest(stream: string, count: number): Promise<StreamEntry[]> {
    this.#open();
    checkCount(this.name, 'streamRead', count);
    const info = await this.#topic(stream, 'streamReadLatest');
    return this.#call('streamReadLatest', async (c) => {
      const partitions = info.partitions.map((partition) => ({ partition }));
      const ends = await offsetsOf(c.cluster, info.topic, partitions, { fromBeginning: false });
      let starts: PartitionStart[] = info.partitions.map((partition) => ({
        partition,
        offset: Math.max(0, (ends.get(partition) ?? 0) - count),
      }));
      const collected: FetchedEntry[] = [];
      for (let round = 0; round < MAX_ROUNDS && starts.length > 0; round++) {
        const parts = await fetchPartitions(c.cluster, info.topic, starts, this.#settings(0, 0));
        for (const p of parts) collected.push(...p.entries);
        // Stop at each partition's end as it was when the call started: later adds are not "latest" for this call.
        starts = starts
          .map((s) => {
            const p = parts.find((x) => x.partition === s.partition);
            return {
              ...s,
              offset: p ? p.scannedTo : s.offset,
              done: !p || p.scannedTo >= (ends.get(s.partition) ?? 0),
            };
          })
          .filter((s) => !s.done)
          .map(({ done: _done, ...s }) => s);
      }
      collected.sort((a, b) =>
        info.partitions.length === 1
          ? a.position.offset - b.position.offset
          : comparePositions(a.position, b.position),
      );
      return collected
        .slice(-count)
        .reverse()
        .map((e) => this.#entry(e, info));
    });
  }

  /**
   * Up to `count` entries after `lastId`, oldest first (`"0"` = from the earliest retained
   * record, `"$"` = only records produced after this call). With `blockMs`, waits on the
   * broker for new records and resolves `[]` on timeout; an aborted `signal` resolves `[]`.
   */
  async streamRead(
    stream: string,
    lastId: string,
    count: number,
    options: StreamReadOptions = {},
  ): Promise<StreamEntry[]> {
    this.#open();
    checkCount(this.name, 'streamRead', count);
    const blockMs = checkBlockMs(this.name, options.blockMs);
    const info = await this.#topic(stream, 'streamRead');
    if (options.signal?.aborted) return [];
    const deadline = Date.now() + blockMs;
    const pending: PendingRead = { topic: info, starts: await this.#starts(info, lastId) };
    const found = await this.#call('streamRead', (c) => this.#readNow(c.cluster, pending, count));
    if (found.length > 0 || blockMs <= 0) return found;
    return this.#readBlocking(pending, count, deadline, options.signal);
  }

  /**
   * Consumer-group extension (outside the `StreamingBackend` contract): up to `count` entries for
   * member `consumer` of Kafka consumer group `group`. The first call for a (stream, group,
   * consumer) joins the group with a kafkajs consumer that then fetches in the background; Kafka
   * assigns each partition to one member, so members share a stream by partition (with one
   * partition, one member gets everything). A new group starts at `groupConsumer.startAt`.
   * Entries are delivered again after a rebalance or restart until {@link KafkaStream.commit}
   * moves the group past them. `blockMs` and `signal` work as in `streamRead`.
   */
  async readGroup(
    stream: string,
    group: string,
    consumer: string,
    count: number,
    options: StreamReadOptions = {},
  ): Promise<StreamEntry[]> {
    this.#open();
    checkCount(this.name, 'streamRead', count);
    const blockMs = checkBlockMs(this.name, options.blockMs);
    const info = await this.#topic(stream, 'readGroup');
    const reader = this.#groupReader(info, group, consumer);
    const taken = await this.#call('readGroup', () => reader.read(count, blockMs, options.signal), blockMs);
    return taken.map((e) => this.#entry(e, info));
  }

  /** Consumer-group extension: commit `ids` (read by `readGroup`) so the group resumes after them. */
  async commit(stream: string, group: string, consumer: string, ids: readonly string[]): Promise<void> {
    this.#open();
    const info = await this.#topic(stream, 'commit');
    const positions = ids.map((id) => parseEntryId(id, info.partitions.length));
    if (positions.length === 0) return;
    const reader = this.#groupReader(info, group, consumer);
    await this.#call('commit', () => reader.commit(positions));
  }

  /** `true` when the broker answers a metadata request within `healthCheckTimeoutMs`; never throws. */
  async healthCheck(): Promise<boolean> {
    if (this.#closed) return false;
    const probe = this.#connect().then((clients) => clients.admin.describeCluster());
    return withTimeout(probe, this.#o.healthCheckTimeoutMs, `tier "${this.name}" healthCheck`).then(
      () => true,
      () => false,
    );
  }

  /**
   * Disconnect the producer, the admin client and every reader; blocking reads in progress
   * resolve `[]`. Later calls reject with core's `ClosedError`. A `kafka` instance passed in
   * the options stays usable: only the clients this instance created are closed.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const controller of this.#blocked) controller.abort();
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    await Promise.allSettled([this.#trimmer.settle(), ...groups.map((g) => g.close())]);
    const clients = this.#clients;
    this.#clients = undefined;
    const settled = clients ? await clients.catch(() => undefined) : undefined;
    await Promise.allSettled([
      this.#readers.close(),
      settled?.producer.disconnect(),
      settled?.admin.disconnect(),
      settled?.cluster.disconnect(),
    ]);
  }

  #groupReader(info: TopicInfo, group: string, consumer: string): GroupReader {
    for (const [what, value] of [
      ['group', group],
      ['consumer', consumer],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new InvalidOptionError(`${what} must be a non-empty string`);
      }
    }
    const key = JSON.stringify([info.topic, group, consumer]);
    let reader = this.#groups.get(key);
    if (!reader) {
      reader = new GroupReader(this.#kafka, info.topic, group, this.#o.groupConsumer);
      this.#groups.set(key, reader);
    }
    return reader;
  }

  /** Where a read starts in each partition for `lastId`. */
  async #starts(info: TopicInfo, lastId: string): Promise<PartitionStart[]> {
    if (lastId === '0') return info.partitions.map((partition) => ({ partition, offset: 0 }));
    if (lastId === '$') {
      const ends = await this.#call('streamRead', async (c) =>
        offsetsOf(
          c.cluster,
          info.topic,
          info.partitions.map((partition) => ({ partition })),
          { fromBeginning: false },
        ),
      );
      return info.partitions.map((partition) => ({ partition, offset: ends.get(partition) ?? 0 }));
    }
    const after = parseEntryId(lastId, info.partitions.length);
    if (info.partitions.length === 1) return [{ partition: 0, offset: after.offset + 1 }];
    // Other partitions resume at the first record stamped at or after the id's timestamp,
    // skipping those that sort at or before the id (same millisecond, lower partition).
    const fromTime = await this.#call('streamRead', async (c) => {
      const partitions = info.partitions.map((partition) => ({ partition }));
      const [byTime, ends] = await Promise.all([
        offsetsOf(c.cluster, info.topic, partitions, { fromTimestamp: after.timestamp }),
        offsetsOf(c.cluster, info.topic, partitions, { fromBeginning: false }),
      ]);
      return new Map(
        info.partitions.map((p) => {
          const t = byTime.get(p) ?? -1;
          return [p, t >= 0 ? t : (ends.get(p) ?? 0)];
        }),
      );
    });
    return info.partitions.map((partition) =>
      partition === after.partition
        ? { partition, offset: after.offset + 1 }
        : { partition, offset: fromTime.get(partition) ?? 0, after },
    );
  }

  /** Non-blocking: fetch until something is found or every partition has been read to its end. */
  async #readNow(cluster: KafkaCluster, pending: PendingRead, count: number): Promise<StreamEntry[]> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const parts = await fetchPartitions(cluster, pending.topic.topic, pending.starts, this.#settings(0, 0));
      const taken = takeInOrder(parts, count);
      if (taken.length > 0) return taken.map((e) => this.#entry(e, pending.topic));
      pending.starts = advance(pending.starts, parts);
      if (reachedEnd(parts)) return [];
    }
    return [];
  }

  async #readBlocking(
    pending: PendingRead,
    count: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamEntry[]> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#blocked.add(controller);
    const aborted = new Promise<undefined>((resolve) => {
      controller.signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    try {
      while (!controller.signal.aborted) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) return [];
        const wait = Math.min(remaining, this.#o.maxPollMs);
        const poll = this.#poll(pending, count, wait);
        // The poll keeps its connection until the broker answers; an abort only stops waiting for it.
        poll.catch(() => undefined);
        const result = await Promise.race([poll, aborted]);
        if (result === undefined || controller.signal.aborted) return [];
        if (result.length > 0) return result;
      }
      return [];
    } catch (error) {
      if (this.#closed) return [];
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#blocked.delete(controller);
    }
  }

  /** One broker-side wait of up to `waitMs` on a connection of its own, then the usual read. */
  async #poll(pending: PendingRead, count: number, waitMs: number): Promise<StreamEntry[]> {
    let reader: KafkaCluster;
    try {
      reader = await this.#readers.acquire();
    } catch (error) {
      throw toTierError(this.name, 'streamRead', this.#o.operationTimeoutMs, error, isKafkaTimeout);
    }
    try {
      const parts = await fetchPartitions(
        reader,
        pending.topic.topic,
        pending.starts,
        this.#settings(waitMs, 1),
      );
      const taken = takeInOrder(parts, count);
      if (taken.length > 0) return taken.map((e) => this.#entry(e, pending.topic));
      pending.starts = advance(pending.starts, parts);
      if (reachedEnd(parts)) return [];
      return await this.#readNow(reader, pending, count);
    } catch (error) {
      throw toTierError(this.name, 'streamRead', this.#o.maxPollMs, error, isKafkaTimeout);
    } finally {
      this.#readers.release(reader);
    }
  }

  #settings(maxWaitTime: number, minBytes: number): FetchSettings {
    return {
      maxWaitTime,
      minBytes,
      maxBytesPerPartition: this.#o.maxBytesPerPartition,
      onRecords: (n) => {
        this.#recordsFetched += n;
        this.#fetchRequests++;
      },
    };
  }

  #entry(e: FetchedEntry, info: TopicInfo): StreamEntry {
    return { id: formatEntryId(e.position, info.partitions.length), fields: decodeFields(e.value) };
  }

  /** The topic for `stream`, created (or checked) once per instance. */
  #topic(stream: string, operation: string): Promise<TopicInfo> {
    const topic = topicFor(this.#o.topicPrefix, stream);
    let info = this.#topics.get(topic);
    if (!info) {
      info = this.#call(operation, (c) => this.#prepareTopic(c, topic));
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
  #call<T>(operation: string, fn: (clients: Clients) => Promise<T>, extraMs = 0): Promise<T> {
    const timeoutMs = this.#o.operationTimeoutMs + extraMs;
    return boundedCall(
      this.name,
      operation,
      timeoutMs,
      async () => fn(await this.#connect()),
      isKafkaTimeout,
    ).catch((error: unknown) => {
      if (this.#closed && !(error instanceof ClosedError))
        throw new ClosedError(`KafkaStream "${this.name}"`);
      throw error;
    });
  }

  /** Connect the shared producer, admin client and cluster once; a failed attempt is retried on the next call. */
  #connect(): Promise<Clients> {
    if (this.#closed) return Promise.reject(new ClosedError(`KafkaStream "${this.name}"`));
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

  #open(): void {
    if (this.#closed) throw new ClosedError(`KafkaStream "${this.name}"`);
  }
}

/** A kafkajs request timeout, possibly wrapped by its retrier. */
function isKafkaTimeout(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'KafkaJSRequestTimeoutError') return true;
  }
  return false;
}

/**
 * Build a {@link KafkaStream}; the same as `new KafkaStream(options)`.
 *
 * @example
 * ```ts
 * const stream = kafkaStream({ brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' });
 * ```
 */
export function kafkaStream(options: KafkaStreamOptions): KafkaStream {
  return new KafkaStream(options);
}

/** The `blockMs` of a read: a number of milliseconds >= 0 (absent = do not wait). */
