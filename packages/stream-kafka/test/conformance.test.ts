import { randomUUID } from 'node:crypto';
import { describeStreamingBackend } from '@tiercache/conformance';
import { requireServer } from '@tiercache/test-kit';
import { afterAll, describe } from 'vitest';
import { KafkaStream } from '../src/index.js';
import { deleteTopicsWithPrefix } from './topic-cleanup.js';

const brokers = await requireServer('kafka');

describe.skipIf(!brokers)('stream-kafka against a real broker', () => {
  // A prefix per run: topics of earlier runs on the same broker are never read.
  const topicPrefix = `tc-conf-${randomUUID().slice(0, 8)}.`;
  afterAll(() => deleteTopicsWithPrefix(brokers!, topicPrefix));
  describeStreamingBackend('stream-kafka', () => new KafkaStream({ brokers, topicPrefix, trimEvery: 50 }), {
    trims: true,
    redisIds: false,
  });
});
