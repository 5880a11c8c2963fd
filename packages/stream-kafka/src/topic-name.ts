import { InvalidOptionError, InvalidStreamNameError } from '@tiercache/core';
import { checkStreamName } from '@tiercache/core/adapter';

/** Kafka's own limit on topic names. */
export const MAX_TOPIC_LENGTH = 249;

const LEGAL = /^[a-zA-Z0-9._-]*$/;
const ALLOWED = 'ASCII letters, digits, ".", "_" and "-"';

/** Check `prefix` at construction: it becomes the start of every topic name. */
export function validateTopicPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw new InvalidOptionError('`prefix` must be a string');
  if (!LEGAL.test(prefix)) {
    throw new InvalidOptionError(`\`prefix\` "${prefix}" may only hold ${ALLOWED}, as Kafka topic names do`);
  }
  if (prefix.length >= MAX_TOPIC_LENGTH) {
    throw new InvalidOptionError(
      `\`prefix\` is ${prefix.length} characters; Kafka topic names end at ${MAX_TOPIC_LENGTH}, so it must be shorter`,
    );
  }
}

/**
 * The topic for `stream`: `${prefix}${stream}`. Throws {@link InvalidStreamNameError} for a
 * name Kafka would refuse, saying what is allowed, instead of letting the broker answer with
 * a bare INVALID_TOPIC_EXCEPTION.
 */
export function topicFor(component: string, prefix: string, stream: unknown): string {
  checkStreamName(component, stream);
  if (!LEGAL.test(stream)) {
    throw new InvalidStreamNameError(
      `stream name "${stream}" cannot be a Kafka topic: only ${ALLOWED} are allowed; replace the other characters (e.g. ":" with ".")`,
    );
  }
  const topic = `${prefix}${stream}`;
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw new InvalidStreamNameError(
      `topic "${topic.slice(0, 40)}..." would be ${topic.length} characters; Kafka allows at most ${MAX_TOPIC_LENGTH} (prefix included), so shorten the stream name`,
    );
  }
  if (topic === '.' || topic === '..') {
    throw new InvalidStreamNameError(`"${topic}" is not a legal Kafka topic name`);
  }
  return topic;
}
