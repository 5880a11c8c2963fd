import { InvalidOptionError } from '@tiercache/core';
import { rejectUnknownKeys, renamedOptions, usedName } from '@tiercache/core/adapter';
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { GroupConsumerOptions, ResolvedGroupConsumerOptions } from './group-reader.js';
import { quietKafkaLog } from './kafka-log.js';
import { validateTopicPrefix } from './topic-name.js';

/** kafkajs log levels by name, for {@link KafkaStreamOptions.logLevel}. */
export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** Options for {@link KafkaStream}; validated once, in the constructor. */
export interface KafkaStreamOptions {
  /** Bootstrap brokers, as an array or a comma-separated string (`"127.0.0.1:9092,127.0.0.1:9093"`). Give this or `kafka`. */
  brokers?: readonly string[] | string;
  /** An existing kafkajs `Kafka` instance to create clients from (SSL, SASL, your own logger). Give this or `brokers`. */
  kafka?: Kafka;
  /** kafkajs client id, used only with `brokers`. Default `"tiercache"`. */
  clientId?: string;
  /** Prefix of every topic: stream `s` lives in topic `${prefix}${s}`. Default `"tiercache."`. */
  prefix?: string;
  /** @deprecated the old name of `prefix` (one name for the namespace in every package); kept for one minor release. */
  topicPrefix?: string;
  /** Partitions of the topics this instance creates. Default 1 (a total order; see the README for more). */
  partitions?: number;
  /**
   * Replication factor of the topics this instance creates. Default 1 (a single broker). On a
   * cluster use 3, with the broker's `min.insync.replicas` at 2: `streamAdd` waits for every
   * in-sync replica (`acks: -1`, always), so an acknowledged entry survives the loss of a broker.
   */
  replicationFactor?: number;
  /** `retention.ms` of the topics this instance creates. Default: the broker's (7 days unless configured). */
  retentionMs?: number;
  /** Create a topic on first use. Default `true`; with `false` a missing topic is a {@link TopicNotFoundError}. */
  autoCreateTopics?: boolean;
  /** kafkajs request timeout in ms, used only with `brokers`. Default 30 000. */
  requestTimeoutMs?: number;
  /** kafkajs connection timeout in ms, used only with `brokers`. Default 3 000. */
  connectionTimeoutMs?: number;
  /** Name in stats and errors. Default `"kafka"`. */
  name?: string;
  /** kafkajs log level, used only with `brokers`. Default `"warn"`. */
  logLevel?: KafkaLogLevelName;
  /** With `maxLen`, trim a stream once every this many adds to it (approximate trimming). Default 100. */
  trimEvery?: number;
  /** Longest single wait a blocking read asks the broker for; longer `blockMs` is several such waits. Default 2 000. */
  maxPollMs?: number;
  /** Most bytes one fetch asks for per partition. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Idle connections kept for blocking reads (each concurrent blocking read needs its own). Default 2. */
  maxIdleReaders?: number;
  /** Bound on every call that does not wait on purpose (core's `TimeoutError` past it). Default 10 000. */
  timeoutMs?: number;
  /** @deprecated the old name of `timeoutMs` (one name for the per-call timeout in every package); kept for one minor release. */
  operationTimeoutMs?: number;
  /** `healthCheck` resolves `false` when the broker has not answered within this many ms. Default 2 000. */
  healthCheckTimeoutMs?: number;
  /** Tuning of the group consumers behind the `readGroup` extension. */
  groupConsumer?: GroupConsumerOptions;
}

/** {@link KafkaStreamOptions} with defaults applied. */
export interface ResolvedKafkaStreamOptions {
  kafka: Kafka;
  topicPrefix: string;
  partitions: number;
  replicationFactor: number;
  retentionMs: number | undefined;
  autoCreateTopics: boolean;
  name: string;
  trimEvery: number;
  maxPollMs: number;
  maxBytesPerPartition: number;
  maxIdleReaders: number;
  operationTimeoutMs: number;
  healthCheckTimeoutMs: number;
  groupConsumer: ResolvedGroupConsumerOptions;
}

const LOG_LEVELS: Record<KafkaLogLevelName, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

const KAFKA_STREAM_OPTIONS = [
  'brokers',
  'kafka',
  'clientId',
  'prefix',
  'topicPrefix',
  'partitions',
  'replicationFactor',
  'retentionMs',
  'autoCreateTopics',
  'requestTimeoutMs',
  'connectionTimeoutMs',
  'name',
  'logLevel',
  'trimEvery',
  'maxPollMs',
  'maxBytesPerPartition',
  'maxIdleReaders',
  'timeoutMs',
  'operationTimeoutMs',
  'healthCheckTimeoutMs',
  'groupConsumer',
] as const satisfies readonly (keyof KafkaStreamOptions)[];

/** Check every option and build the kafkajs client when `brokers` is given. */
export function resolveOptions(options: KafkaStreamOptions): ResolvedKafkaStreamOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('KafkaStream options must be an object with `brokers` or `kafka`');
  }
  rejectUnknownKeys('KafkaStream', options, KAFKA_STREAM_OPTIONS);
  const timeoutName = usedName(options, 'timeoutMs', 'operationTimeoutMs');
  options = renamedOptions('KafkaStream', options, {
    topicPrefix: 'prefix',
    operationTimeoutMs: 'timeoutMs',
  });
  if (options.kafka !== undefined && options.brokers !== undefined) {
    throw new InvalidOptionError('give either `brokers` or `kafka` to KafkaStream, not both');
  }
  if (options.kafka !== undefined) {
    // These configure the client this class would build; silently ignoring them would hide a mistake.
    for (const key of ['clientId', 'requestTimeoutMs', 'connectionTimeoutMs', 'logLevel'] as const) {
      if (options[key] !== undefined) {
        throw new InvalidOptionError(
          `\`${key}\` only applies with \`brokers\`; set it on your own kafkajs \`Kafka\` instance instead`,
        );
      }
    }
  }
  const topicPrefix = options.prefix ?? 'tiercache.';
  validateTopicPrefix(topicPrefix);
  const name = options.name ?? 'kafka';
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidOptionError('`name` must be a non-empty string');
  }
  for (const key of ['autoCreateTopics'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new InvalidOptionError(`\`${key}\` must be true or false`);
    }
  }
  return {
    kafka: options.kafka ?? createKafka(options),
    topicPrefix,
    partitions: integer(options.partitions, 1, 'partitions', 1, 100_000),
    replicationFactor: integer(options.replicationFactor, 1, 'replicationFactor', 1, 32_767),
    retentionMs:
      options.retentionMs === undefined
        ? undefined
        : integer(options.retentionMs, 0, 'retentionMs', 1, Number.MAX_SAFE_INTEGER),
    autoCreateTopics: options.autoCreateTopics ?? true,
    name,
    trimEvery: integer(options.trimEvery, 100, 'trimEvery', 1, 1_000_000),
    maxPollMs: integer(options.maxPollMs, 2_000, 'maxPollMs', 10, 600_000),
    maxBytesPerPartition: integer(
      options.maxBytesPerPartition,
      1024 * 1024,
      'maxBytesPerPartition',
      1024,
      2 ** 31 - 1,
    ),
    maxIdleReaders: integer(options.maxIdleReaders, 2, 'maxIdleReaders', 0, 1_000),
    operationTimeoutMs: integer(options.timeoutMs, 10_000, timeoutName, 1, 2 ** 31 - 1),
    healthCheckTimeoutMs: integer(options.healthCheckTimeoutMs, 2_000, 'healthCheckTimeoutMs', 1, 600_000),
    groupConsumer: resolveGroupConsumer(options.groupConsumer ?? {}),
  };
}

function resolveGroupConsumer(g: GroupConsumerOptions): ResolvedGroupConsumerOptions {
  const startAt = g.startAt ?? 'earliest';
  if (startAt !== 'earliest' && startAt !== 'latest') {
    throw new InvalidOptionError(
      `\`groupConsumer.startAt\` must be "earliest" or "latest", got "${String(startAt)}"`,
    );
  }
  return {
    startAt,
    sessionTimeoutMs: integer(g.sessionTimeoutMs, 10_000, 'groupConsumer.sessionTimeoutMs', 1, 2 ** 31 - 1),
    rebalanceTimeoutMs: integer(
      g.rebalanceTimeoutMs,
      10_000,
      'groupConsumer.rebalanceTimeoutMs',
      1,
      2 ** 31 - 1,
    ),
    heartbeatIntervalMs: integer(
      g.heartbeatIntervalMs,
      1_000,
      'groupConsumer.heartbeatIntervalMs',
      1,
      2 ** 31 - 1,
    ),
    maxWaitTimeMs: integer(g.maxWaitTimeMs, 500, 'groupConsumer.maxWaitTimeMs', 0, 2 ** 31 - 1),
    bufferSize: integer(g.bufferSize, 1_000, 'groupConsumer.bufferSize', 1, 10_000_000),
  };
}

function createKafka(options: KafkaStreamOptions): Kafka {
  const brokers = typeof options.brokers === 'string' ? options.brokers.split(',') : options.brokers;
  const list = (brokers ?? [])
    .map((b) => (typeof b === 'string' ? b.trim() : ''))
    .filter((b) => b.length > 0);
  if (list.length === 0) {
    throw new InvalidOptionError(
      'KafkaStream needs `brokers` (e.g. ["127.0.0.1:9092"] or "host1:9092,host2:9092") or an existing kafkajs `kafka` instance',
    );
  }
  for (const b of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(b)) {
      throw new InvalidOptionError(`broker "${b}" is not "host:port"`);
    }
  }
  const level = options.logLevel ?? 'warn';
  if (!(level in LOG_LEVELS)) {
    throw new InvalidOptionError(
      `\`logLevel\` must be one of ${Object.keys(LOG_LEVELS).join(', ')}, got "${level}"`,
    );
  }
  const clientId = options.clientId ?? 'tiercache';
  if (typeof clientId !== 'string' || clientId.length === 0) {
    throw new InvalidOptionError('`clientId` must be a non-empty string');
  }
  return new Kafka({
    brokers: list,
    clientId,
    logLevel: LOG_LEVELS[level],
    logCreator: () => quietKafkaLog(),
    requestTimeout: integer(options.requestTimeoutMs, 30_000, 'requestTimeoutMs', 1, 2 ** 31 - 1),
    connectionTimeout: integer(options.connectionTimeoutMs, 3_000, 'connectionTimeoutMs', 1, 2 ** 31 - 1),
  });
}

function integer(
  value: number | undefined,
  fallback: number,
  what: string,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(
      `\`${what}\` must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}
