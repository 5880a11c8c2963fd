import { comparePositions, type EntryPosition } from './entry-id.js';
import { type KafkaCluster, READ_COMMITTED } from './kafkajs-cluster.js';

/** Where a read starts in one partition. */
export interface PartitionStart {
  partition: number;
  /** First offset that may be returned. */
  offset: number;
  /** Records at or before this position are skipped (resuming across partitions by timestamp). */
  after?: EntryPosition;
}

/** One record kept by a fetch. */
export interface FetchedEntry {
  position: EntryPosition;
  value: Buffer | null;
}

/** What one fetch learned about one partition. */
export interface FetchedPartition {
  partition: number;
  highWatermark: number;
  /** Records at or after the start that passed the `after` filter, in offset order. */
  entries: FetchedEntry[];
  /** The offset after the last record looked at (kept or skipped); the start when none came back. */
  scannedTo: number;
  /** Position of the last record looked at, when there was one. */
  lastScanned: EntryPosition | undefined;
}

/** Tuning for {@link fetchPartitions}. */
export interface FetchSettings {
  maxWaitTime: number;
  minBytes: number;
  maxBytesPerPartition: number;
  /** Told how many records each response carried, before filtering (for stats). */
  onRecords: (count: number) => void;
}

/** Errors after which fresh metadata (a new leader, a new broker address) may fix the request. */
const METADATA_ERRORS = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
]);
/** Tries of a request that failed on stale leadership, and the pause before each retry. */
const RETRY_PAUSES_MS = [0, 25, 100, 250];

/**
 * Run `request`, refreshing metadata and trying again (with a short pause) after an error that
 * fresh metadata may fix: a partition whose leader moved, or a topic just created whose leader
 * the broker does not serve yet (seen on a loaded machine right after `createTopics` with
 * `waitForLeaders`). `onOutOfRange` handles OFFSET_OUT_OF_RANGE when given. Other errors, and
 * the last try's, pass through; the caller's bound (`operationTimeoutMs`) caps the whole.
 */
async function withFreshMetadata<T>(
  cluster: KafkaCluster,
  request: () => Promise<T>,
  onOutOfRange?: () => Promise<void>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      const last = attempt >= RETRY_PAUSES_MS.length;
      if (last) throw error;
      if (type === 'OFFSET_OUT_OF_RANGE' && onOutOfRange) {
        await onOutOfRange();
      } else if (
        (typeof type === 'string' && METADATA_ERRORS.has(type)) ||
        (error as { name?: unknown }).name === 'KafkaJSBrokerNotFound'
      ) {
        const pause = RETRY_PAUSES_MS[attempt]!;
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        await cluster.refreshMetadata();
      } else {
        throw error;
      }
    }
  }
}

/**
 * One Fetch per partition leader at exactly the offsets in `starts`. A start before the
 * earliest retained offset (trimmed away) moves to the earliest one, and a start past the end
 * (a topic deleted and created again) to the end; stale leadership refreshes metadata and
 * retries. Records before each start (a fetch returns whole record batches) and at or before
 * a start's `after` are dropped but still counted as fetched.
 */
export async function fetchPartitions(
  cluster: KafkaCluster,
  topic: string,
  starts: readonly PartitionStart[],
  settings: FetchSettings,
): Promise<FetchedPartition[]> {
  let current = starts.map((s) => ({ ...s }));
  return withFreshMetadata(
    cluster,
    () => fetchOnce(cluster, topic, current, settings),
    async () => {
      current = await clampToRetained(cluster, topic, current);
    },
  );
}

async function fetchOnce(
  cluster: KafkaCluster,
  topic: string,
  starts: readonly PartitionStart[],
  settings: FetchSettings,
): Promise<FetchedPartition[]> {
  await cluster.addTargetTopic(topic);
  const byPartition = new Map(starts.map((s) => [s.partition, s]));
  const leaders = cluster.findLeaderForPartitions(
    topic,
    starts.map((s) => s.partition),
  );
  const responses = await Promise.all(
    Object.entries(leaders).map(async ([nodeId, partitions]) => {
      const broker = await cluster.findBroker({ nodeId });
      return broker.fetch({
        maxWaitTime: settings.maxWaitTime,
        minBytes: settings.minBytes,
        maxBytes: settings.maxBytesPerPartition * partitions.length,
        isolationLevel: READ_COMMITTED,
        topics: [
          {
            topic,
            partitions: partitions.map((partition) => ({
              partition,
              fetchOffset: String(byPartition.get(partition)?.offset ?? 0),
              maxBytes: settings.maxBytesPerPartition,
            })),
          },
        ],
      });
    }),
  );
  const out: FetchedPartition[] = [];
  for (const response of responses) {
    for (const t of response.responses) {
      if (t.topicName !== topic) continue;
      for (const p of t.partitions) {
        const start = byPartition.get(p.partition);
        if (!start) continue;
        settings.onRecords(p.messages.length);
        out.push(keepFrom(start, p.partition, Number(p.highWatermark), p.messages));
      }
    }
  }
  return out;
}

function keepFrom(
  start: PartitionStart,
  partition: number,
  highWatermark: number,
  messages: { offset: string; timestamp: string; value: Buffer | null; isControlRecord?: boolean }[],
): FetchedPartition {
  const entries: FetchedEntry[] = [];
  let scannedTo = start.offset;
  let lastScanned: EntryPosition | undefined;
  for (const m of messages) {
    const position = { partition, offset: Number(m.offset), timestamp: Number(m.timestamp) };
    if (position.offset < start.offset) continue;
    scannedTo = position.offset + 1;
    lastScanned = position;
    if (m.isControlRecord) continue;
    if (start.after && comparePositions(position, start.after) <= 0) continue;
    entries.push({ position, value: m.value });
  }
  return { partition, highWatermark, entries, scannedTo, lastScanned };
}

/** Move every start into the retained range [earliest, end]. */
async function clampToRetained(
  cluster: KafkaCluster,
  topic: string,
  starts: readonly PartitionStart[],
): Promise<PartitionStart[]> {
  const partitions = starts.map((s) => ({ partition: s.partition }));
  const [earliest, latest] = await Promise.all([
    offsetsOf(cluster, topic, partitions, { fromBeginning: true }),
    offsetsOf(cluster, topic, partitions, { fromBeginning: false }),
  ]);
  return starts.map((s) => ({
    ...s,
    offset: Math.min(Math.max(s.offset, earliest.get(s.partition) ?? 0), latest.get(s.partition) ?? s.offset),
  }));
}

/**
 * ListOffsets for every partition: the earliest retained offset, the end (high watermark), or
 * the first offset whose timestamp is at or after `fromTimestamp` (-1 when there is none).
 */
export async function offsetsOf(
  cluster: KafkaCluster,
  topic: string,
  partitions: readonly { partition: number }[],
  query: { fromBeginning: boolean } | { fromTimestamp: number },
): Promise<Map<number, number>> {
  await cluster.addTargetTopic(topic);
  const result = await withFreshMetadata(cluster, () =>
    cluster.fetchTopicsOffset([{ topic, partitions: [...partitions], ...query }]),
  );
  const out = new Map<number, number>();
  for (const t of result) {
    if (t.topic !== topic) continue;
    for (const p of t.partitions) out.set(p.partition, Number(p.offset));
  }
  return out;
}
