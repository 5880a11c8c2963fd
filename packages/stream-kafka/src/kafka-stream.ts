import {
  InvalidOptionError,
  type StreamAddOptions,
  type StreamEntry,
  type StreamFields,
  type StreamingBackend,
  type StreamReadOptions,
  TierError,
  withTimeout,
} from '@tiercache/core';
import {
  checkBlockMs,
  checkCount,
  checkFields,
  checkMaxLen,
  checkStreamOptions,
} from '@tiercache/core/adapter';
import type { Kafka } from 'kafkajs';
import { type EntryPosition, formatEntryId, parseEntryId } from './entry-id.js';
import { GroupReader } from './group-reader.js';
import { KafkaConnection, type TopicInfo } from './kafka-connection.js';
import { createCluster } from './kafkajs-cluster.js';
import { type KafkaStreamOptions, type ResolvedKafkaStreamOptions, resolveOptions } from './options.js';
import { ReaderPool } from './reader-pool.js';
import { encodeFields } from './record-codec.js';
import { topicFor } from './topic-name.js';
import { TopicReader } from './topic-reader.js';
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
  readonly #connection: KafkaConnection;
  readonly #readers: ReaderPool;
  readonly #reads: TopicReader;
  readonly #trimmer: Trimmer;
  readonly #groups = new Map<string, GroupReader>();

  constructor(options: KafkaStreamOptions) {
    this.#o = resolveOptions(options);
    this.name = this.#o.name;
    this.#kafka = this.#o.kafka;
    // Fail at construction, not on the first read, when kafkajs is not the version we drive.
    createCluster(this.#kafka);
    this.#connection = new KafkaConnection(this.#o);
    this.#readers = new ReaderPool(() => createCluster(this.#kafka), this.#o.maxIdleReaders);
    this.#reads = new TopicReader(this.#o, this.#connection, this.#readers);
    this.#trimmer = new Trimmer(this.#o.trimEvery, async () => (await this.#connection.connect()).cluster);
  }

  /** Counters: records fetched, fetch requests, trims. */
  get stats(): KafkaStreamStats {
    return {
      recordsFetched: this.#reads.recordsFetched,
      fetchRequests: this.#reads.fetchRequests,
      trims: this.#trimmer.trims,
      trimFailures: this.#trimmer.failures,
      lastTrimError: this.#trimmer.lastError,
      blockingReaders: this.#readers.size,
    };
  }

  /** The topic that holds `stream` (validates the name). */
  topicOf(stream: string): string {
    return topicFor(this.name, this.#o.topicPrefix, stream);
  }

  /** Produce one record (`acks: -1`) and resolve its id. With `maxLen`, trims now and then in the background. */
  async streamAdd(stream: string, fields: StreamFields, options: StreamAddOptions = {}): Promise<string> {
    this.#connection.assertOpen();
    checkFields(this.name, fields);
    checkStreamOptions(this.name, 'streamAdd', options);
    const maxLen = checkMaxLen(this.name, options.maxLen);
    const info = await this.#connection.topic(stream, 'streamAdd');
    const sentAt = Date.now();
    const result = await this.#connection.call('streamAdd', async (c) =>
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
    this.#connection.assertOpen();
    checkCount(this.name, 'streamRead', count);
    const info = await this.#connection.topic(stream, 'streamReadLatest');
    return this.#reads.latest(info, count);
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
    const { info, blockMs } = await this.#readArgs('streamRead', stream, count, options);
    return this.#reads.read(info, lastId, count, blockMs, options.signal);
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
    const { info, blockMs } = await this.#readArgs('readGroup', stream, count, options);
    const reader = this.#groupReader(info, group, consumer);
    const taken = await this.#connection.call(
      'readGroup',
      () => reader.read(count, blockMs, options.signal),
      blockMs,
    );
    return taken.map((e) => this.#reads.entry(e, info));
  }

  /** Consumer-group extension: commit `ids` (read by `readGroup`) so the group resumes after them. */
  async commit(stream: string, group: string, consumer: string, ids: readonly string[]): Promise<void> {
    this.#connection.assertOpen();
    const info = await this.#connection.topic(stream, 'commit');
    const positions = ids.map((id) => parseEntryId(id, info.partitions.length));
    if (positions.length === 0) return;
    const reader = this.#groupReader(info, group, consumer);
    await this.#connection.call('commit', () => reader.commit(positions));
  }

  /** `true` when the broker answers a metadata request within `healthCheckTimeoutMs`; never throws. */
  async healthCheck(): Promise<boolean> {
    if (this.#connection.closed) return false;
    const probe = this.#connection.connect().then((clients) => clients.admin.describeCluster());
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
    if (this.#connection.closed) return;
    this.#connection.close();
    this.#reads.abortBlocked();
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    await Promise.allSettled([this.#trimmer.settle(), ...groups.map((g) => g.close())]);
    const settled = await this.#connection.takeClients();
    await Promise.allSettled([
      this.#readers.close(),
      settled?.producer.disconnect(),
      settled?.admin.disconnect(),
      settled?.cluster.disconnect(),
    ]);
  }

  /** The checks of a read (`streamRead`, `readGroup`): open, `count`, `blockMs`, then the stream's topic. */
  async #readArgs(
    operation: string,
    stream: string,
    count: number,
    options: StreamReadOptions,
  ): Promise<{ info: TopicInfo; blockMs: number }> {
    this.#connection.assertOpen();
    checkCount(this.name, operation, count);
    checkStreamOptions(this.name, operation, options);
    const blockMs = checkBlockMs(this.name, options.blockMs);
    return { info: await this.#connection.topic(stream, operation), blockMs };
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
