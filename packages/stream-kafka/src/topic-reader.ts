import { type StreamEntry, toTierError } from '@tiercache/core';
import { comparePositions, formatEntryId, parseEntryId } from './entry-id.js';
import { advance, reachedEnd, takeInOrder } from './entry-order.js';
import { isKafkaTimeout, type KafkaConnection, type TopicInfo } from './kafka-connection.js';
import type { KafkaCluster } from './kafkajs-cluster.js';
import type { ResolvedKafkaStreamOptions } from './options.js';
import {
  type FetchedEntry,
  type FetchedPartition,
  type FetchSettings,
  fetchPartitions,
  offsetsOf,
  type PartitionStart,
} from './partition-fetch.js';
import { ReadAhead } from './read-ahead.js';
import type { ReaderPool } from './reader-pool.js';
import { decodeFields } from './record-codec.js';

/** A read that found nothing yet: where to look next. */
interface PendingRead {
  topic: TopicInfo;
  starts: PartitionStart[];
}

/** Rounds of immediate re-fetching one read may do when fetches stop short (byte limits). */
const MAX_ROUNDS = 100;

/**
 * The reads of a `KafkaStream` (no consumer group): Fetch requests at offsets computed from an
 * entry id, merged across partitions in id order. Non-blocking reads use the shared cluster;
 * blocking ones wait on the broker (Fetch `maxWaitTime`) on a connection of their own from the
 * {@link ReaderPool}, in polls of at most `maxPollMs`, until the deadline, an abort or close.
 */
export class TopicReader {
  readonly #o: ResolvedKafkaStreamOptions;
  readonly #connection: KafkaConnection;
  readonly #readers: ReaderPool;
  readonly #blocked = new Set<AbortController>();
  /** Records fetched beyond a page, for the read that resumes after it (single-partition topics). */
  readonly #ahead = new ReadAhead();
  #recordsFetched = 0;
  #fetchRequests = 0;

  constructor(options: ResolvedKafkaStreamOptions, connection: KafkaConnection, readers: ReaderPool) {
    this.#o = options;
    this.#connection = connection;
    this.#readers = readers;
  }

  /** Records decoded from Fetch responses, including those a read then skipped. */
  get recordsFetched(): number {
    return this.#recordsFetched;
  }

  /** Fetch requests sent. */
  get fetchRequests(): number {
    return this.#fetchRequests;
  }

  /** End every blocking read in progress; each resolves `[]`. Also drops the records kept ahead. */
  abortBlocked(): void {
    for (const controller of this.#blocked) controller.abort();
    this.#ahead.clear();
  }

  /** The newest `count` entries, newest first: one ListOffsets, then a Fetch of the last `count` records per partition. */
  latest(info: TopicInfo, count: number): Promise<StreamEntry[]> {
    return this.#connection.call('streamReadLatest', async (c) => {
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
        .map((e) => this.entry(e, info));
    });
  }

  /**
   * Up to `count` entries after `lastId`, oldest first; with `blockMs` > 0, waits for new
   * records until then and resolves `[]` on timeout. An aborted `signal` resolves `[]`.
   */
  async read(
    info: TopicInfo,
    lastId: string,
    count: number,
    blockMs: number,
    signal: AbortSignal | undefined,
  ): Promise<StreamEntry[]> {
    if (signal?.aborted) return [];
    if (info.partitions.length === 1) {
      const kept = this.#ahead.take(info.topic, lastId, count, (e) => this.#idOf(e, info));
      if (kept !== undefined) return kept.map((e) => this.entry(e, info));
    }
    const deadline = Date.now() + blockMs;
    const pending: PendingRead = { topic: info, starts: await this.#starts(info, lastId) };
    const found = await this.#connection.call('streamRead', (c) => this.#readNow(c.cluster, pending, count));
    if (found.length > 0 || blockMs <= 0) return found;
    return this.#readBlocking(pending, count, deadline, signal);
  }

  /** The stream entry of a fetched record. */
  entry(e: FetchedEntry, info: TopicInfo): StreamEntry {
    return { id: this.#idOf(e, info), fields: decodeFields(e.value) };
  }

  #idOf(e: FetchedEntry, info: TopicInfo): string {
    return formatEntryId(e.position, info.partitions.length);
  }

  /**
   * The page a fetch answers: the first `count` entries in stream order, as entries; on a
   * single-partition topic the rest are kept for the read that resumes after this page.
   */
  #page(parts: FetchedPartition[], count: number, info: TopicInfo): StreamEntry[] {
    const taken = takeInOrder(parts, count);
    const page = taken.map((e) => this.entry(e, info));
    if (parts.length === 1 && info.partitions.length === 1 && page.length > 0) {
      this.#ahead.keep(info.topic, page[page.length - 1]!.id, parts[0]!.entries, taken.length);
    }
    return page;
  }

  /** Where a read starts in each partition for `lastId`. */
  async #starts(info: TopicInfo, lastId: string): Promise<PartitionStart[]> {
    if (lastId === '0') return info.partitions.map((partition) => ({ partition, offset: 0 }));
    if (lastId === '$') {
      const ends = await this.#connection.call('streamRead', async (c) =>
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
    const fromTime = await this.#connection.call('streamRead', async (c) => {
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
      const page = this.#page(parts, count, pending.topic);
      if (page.length > 0) return page;
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
      if (this.#connection.closed) return [];
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
      throw toTierError(this.#o.name, 'streamRead', this.#o.operationTimeoutMs, error, isKafkaTimeout);
    }
    try {
      const parts = await fetchPartitions(
        reader,
        pending.topic.topic,
        pending.starts,
        this.#settings(waitMs, 1),
      );
      const page = this.#page(parts, count, pending.topic);
      if (page.length > 0) return page;
      pending.starts = advance(pending.starts, parts);
      if (reachedEnd(parts)) return [];
      return await this.#readNow(reader, pending, count);
    } catch (error) {
      throw toTierError(this.#o.name, 'streamRead', this.#o.maxPollMs, error, isKafkaTimeout);
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
}
