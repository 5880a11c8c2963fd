import type { Kafka } from 'kafkajs';

/**
 * The part of kafkajs's internal `Cluster` this package uses. kafkajs exposes reading only
 * through group consumers, which join a group, rebalance and poll in the background; a
 * stream read here is one Fetch request at offsets we choose, so we drive the cluster
 * directly. The shape is pinned to kafkajs 2.2.4 (the exact version this package depends on)
 * and checked when the first cluster is created.
 */
export interface KafkaCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<KafkaBroker>;
  fetchTopicsOffset(
    topics: {
      topic: string;
      partitions: { partition: number }[];
      fromBeginning?: boolean;
      fromTimestamp?: number;
    }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

/** One record as kafkajs decodes it from a Fetch response. */
export interface FetchedRecord {
  offset: string;
  timestamp: string;
  value: Buffer | null;
  isControlRecord?: boolean;
}

/** The calls this package makes on one broker. */
export interface KafkaBroker {
  /** DeleteRecords: move each partition's start to `offset`; rejects on a partition error. */
  deleteRecords(request: {
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<unknown>;
  fetch(request: {
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: { partition: number; highWatermark: string; messages: FetchedRecord[] }[];
    }[];
  }>;
}

type CreateCluster = (options: {
  metadataMaxAge?: number;
  allowAutoTopicCreation?: boolean;
  maxInFlightRequests?: number | null;
  instrumentationEmitter?: null;
  isolationLevel?: number;
}) => KafkaCluster;

/** Kafka's READ_COMMITTED: readers never see records of aborted transactions. */
export const READ_COMMITTED = 1;

/** Build a new cluster (its own connections) from a kafkajs `Kafka` instance. */
export function createCluster(kafka: Kafka): KafkaCluster {
  const holder = kafka as unknown as Record<symbol, unknown>;
  const key = Object.getOwnPropertySymbols(holder).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = key === undefined ? undefined : holder[key];
  if (typeof create !== 'function') {
    throw new TypeError(
      'this kafkajs version does not expose the cluster KafkaStream reads with; @tiercache/stream-kafka needs kafkajs 2.2.4',
    );
  }
  const cluster = (create as CreateCluster)({
    allowAutoTopicCreation: false,
    isolationLevel: READ_COMMITTED,
    instrumentationEmitter: null,
    maxInFlightRequests: null,
  });
  for (const method of [
    'connect',
    'disconnect',
    'addTargetTopic',
    'findBroker',
    'fetchTopicsOffset',
  ] as const) {
    if (typeof cluster[method] !== 'function') {
      throw new TypeError(
        `kafkajs's cluster has no ${method}(); @tiercache/stream-kafka needs kafkajs 2.2.4`,
      );
    }
  }
  return cluster;
}
