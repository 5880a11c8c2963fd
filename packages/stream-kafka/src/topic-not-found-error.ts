import { InvalidStreamNameError } from '@tiercache/core';

/**
 * A stream whose topic does not exist while `autoCreateTopics` is `false`. It extends core's
 * {@link InvalidStreamNameError} (code `TIERCACHE_BAD_STREAM_NAME`): the name cannot be used
 * as things stand.
 */
export class TopicNotFoundError extends InvalidStreamNameError {
  /** The missing topic. */
  readonly topic: string;
  constructor(topic: string) {
    super(
      `Kafka topic "${topic}" does not exist and autoCreateTopics is false; create it (kafka-topics.sh --create) or set autoCreateTopics: true`,
    );
    this.topic = topic;
  }
}
