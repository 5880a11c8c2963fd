/**
 * A request that meets stale leadership (a partition whose leader moved, or a topic so new its
 * leader does not serve it yet) refreshes metadata and tries again. A real broker produces
 * these errors only by chance (CI met one: "This server is not the leader for that
 * topic-partition" on a ListOffsets right after the topic was created), so this is a fault
 * injection: a stand-in for kafkajs's cluster that fails a set number of times. The real-broker
 * behaviour is covered by the conformance suite and the leader-kill scale test.
 */
import { describe, expect, it } from 'vitest';
import type { KafkaCluster } from '../src/kafkajs-cluster.js';
import { fetchPartitions, offsetsOf } from '../src/partition-fetch.js';

function protocolError(type: string): Error {
  return Object.assign(new Error(`kafka says ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    retriable: true,
  });
}

/** A cluster whose ListOffsets and Fetch fail `failures` times with `error`, then answer. */
function flakyCluster(failures: number, error: () => Error) {
  const calls = { offsets: 0, fetches: 0, refreshes: 0 };
  let left = failures;
  const failOrPass = () => {
    if (left > 0) {
      left--;
      throw error();
    }
  };
  const cluster: KafkaCluster = {
    connect: async () => {},
    disconnect: async () => {},
    refreshMetadata: async () => {
      calls.refreshes++;
    },
    addTargetTopic: async () => {},
    findTopicPartitionMetadata: () => [{ partitionId: 0, leader: 1 }],
    findLeaderForPartitions: () => ({ '1': [0] }),
    findBroker: async () => ({
      deleteRecords: async () => ({}),
      fetch: async () => {
        calls.fetches++;
        failOrPass();
        return {
          responses: [
            {
              topicName: 't',
              partitions: [
                {
                  partition: 0,
                  highWatermark: '1',
                  messages: [{ offset: '0', timestamp: '1', value: Buffer.from('x') }],
                },
              ],
            },
          ],
        };
      },
    }),
    fetchTopicsOffset: async () => {
      calls.offsets++;
      failOrPass();
      return [{ topic: 't', partitions: [{ partition: 0, offset: '7' }] }];
    },
  };
  return { cluster, calls };
}

const settings = { maxWaitTime: 0, minBytes: 0, maxBytesPerPartition: 1024, onRecords: () => {} };

describe('stale leadership: metadata refreshed, request tried again', () => {
  it('an offset lookup that meets NOT_LEADER_FOR_PARTITION twice answers on the third try', async () => {
    const { cluster, calls } = flakyCluster(2, () => protocolError('NOT_LEADER_FOR_PARTITION'));
    const offsets = await offsetsOf(cluster, 't', [{ partition: 0 }], { fromBeginning: false });
    expect(offsets.get(0)).toBe(7);
    expect(calls).toMatchObject({ offsets: 3, refreshes: 2 });
  });

  it('a fetch that meets LEADER_NOT_AVAILABLE three times still answers', async () => {
    const { cluster, calls } = flakyCluster(3, () => protocolError('LEADER_NOT_AVAILABLE'));
    const parts = await fetchPartitions(cluster, 't', [{ partition: 0, offset: 0 }], settings);
    expect(parts[0]?.entries).toHaveLength(1);
    expect(calls).toMatchObject({ fetches: 4, refreshes: 3 });
  });

  it('gives up after its tries, with the last error', async () => {
    const { cluster, calls } = flakyCluster(100, () => protocolError('NOT_LEADER_OR_FOLLOWER'));
    await expect(offsetsOf(cluster, 't', [{ partition: 0 }], { fromBeginning: true })).rejects.toThrow(
      /NOT_LEADER_OR_FOLLOWER/,
    );
    expect(calls.offsets).toBe(5);
  });

  it('an error fresh metadata cannot fix is not retried', async () => {
    const { cluster, calls } = flakyCluster(1, () => protocolError('TOPIC_AUTHORIZATION_FAILED'));
    await expect(offsetsOf(cluster, 't', [{ partition: 0 }], { fromBeginning: true })).rejects.toThrow(
      /TOPIC_AUTHORIZATION_FAILED/,
    );
    expect(calls).toMatchObject({ offsets: 1, refreshes: 0 });
  });
});
