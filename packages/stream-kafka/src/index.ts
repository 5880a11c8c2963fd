/**
 * A tiercache `StreamingBackend` on Apache Kafka through kafkajs: sortable ids that resume,
 * blocking reads that wait on the broker, `streamReadLatest` without replaying the topic, and
 * approximate `maxLen` trimming with DeleteRecords.
 *
 * @packageDocumentation
 */
export { type EntryPosition, formatEntryId, parseEntryId } from './entry-id.js';
export type { GroupConsumerOptions } from './group-reader.js';
export { KafkaStream, type KafkaStreamStats, kafkaStream } from './kafka-stream.js';
export type { KafkaLogLevelName, KafkaStreamOptions } from './options.js';
export { MAX_TOPIC_LENGTH } from './topic-name.js';
export { TopicNotFoundError } from './topic-not-found-error.js';
