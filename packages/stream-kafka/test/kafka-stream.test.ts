import { randomUUID } from 'node:crypto';
import { InvalidOptionError, InvalidStreamIdError, InvalidStreamNameError } from '@tiercache/core';
import { eventually, requireServer } from '@tiercache/test-kit';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaStream, TopicNotFoundError } from '../src/index.js';
import { deleteTopicsWithPrefix } from './topic-cleanup.js';

const brokers = await requireServer('kafka');

describe.skipIf(!brokers)('KafkaStream against a real broker', () => {
  const topicPrefix = `tc-kafka-${randomUUID().slice(0, 8)}.`;
  let stream: KafkaStream;
  let seq = 0;
  const name = (label: string): string => `${++seq}-${label}`;

  beforeAll(() => {
    stream = new KafkaStream({ brokers, topicPrefix });
  });
  afterAll(async () => {
    await stream?.close();
    await deleteTopicsWithPrefix(brokers!, topicPrefix);
  });

  describe('with three partitions', () => {
    let multi: KafkaStream;
    beforeAll(() => {
      multi = new KafkaStream({ brokers, topicPrefix, partitions: 3, name: 'kafka-3p' });
    });
    afterAll(async () => {
      await multi?.close();
    });

    it('reading all entries in pages by lastId loses none and repeats none', async () => {
      const s = name('pages');
      const added: string[] = [];
      for (let i = 0; i < 60; i++) added.push(await multi.streamAdd(s, [['i', String(i)]]));
      expect(new Set(added.map((id) => id.split('-')[1])).size, 'entries spread over the partitions').toBe(3);

      const seen: string[] = [];
      let last = '0';
      for (let page = 0; page < 100; page++) {
        const got = await multi.streamRead(s, last, 7);
        if (got.length === 0) break;
        expect(got.length).toBeLessThanOrEqual(7);
        seen.push(...got.map((e) => e.id));
        last = got.at(-1)!.id;
      }
      expect(seen).toHaveLength(60);
      expect(new Set(seen).size).toBe(60);
      expect([...seen].sort()).toStrictEqual(seen);
      expect([...seen].sort()).toStrictEqual([...added].sort());
    });

    it('within a partition, entries come back in offset order, which is their add order', async () => {
      const s = name('per-partition');
      for (let i = 0; i < 30; i++) await multi.streamAdd(s, [['i', String(i)]]);
      const all = await multi.streamRead(s, '0', 100);
      expect(all).toHaveLength(30);
      const byPartition = new Map<string, { offset: number; i: number }[]>();
      for (const e of all) {
        const [, partition, offset] = e.id.split('-') as [string, string, string];
        const list = byPartition.get(partition) ?? [];
        list.push({ offset: Number(offset), i: Number(e.fields[0]?.[1]) });
        byPartition.set(partition, list);
      }
      for (const list of byPartition.values()) {
        expect(list.map((x) => x.offset)).toStrictEqual([...list.map((x) => x.offset)].sort((a, b) => a - b));
        expect(list.map((x) => x.i)).toStrictEqual([...list.map((x) => x.i)].sort((a, b) => a - b));
      }
    });

    it('resuming from an id returned by streamAdd yields exactly the entries that sort after it', async () => {
      const s = name('resume-add');
      const added: string[] = [];
      for (let i = 0; i < 12; i++) added.push(await multi.streamAdd(s, [['i', String(i)]]));
      const sorted = [...added].sort();
      for (const id of [sorted[0]!, sorted[5]!, sorted[11]!]) {
        const after = await multi.streamRead(s, id, 100);
        expect(after.map((e) => e.id)).toStrictEqual(sorted.filter((x) => x > id));
      }
    });

    it('streamReadLatest returns the newest across partitions, newest first', async () => {
      const s = name('latest');
      const added: string[] = [];
      for (let i = 0; i < 15; i++) added.push(await multi.streamAdd(s, [['i', String(i)]]));
      const latest = await multi.streamReadLatest(s, 4);
      expect(latest.map((e) => e.id)).toStrictEqual([...added].sort().slice(-4).reverse());
    });

    it('"$" with blockMs sees an entry added after the call', async () => {
      const s = name('dollar');
      await multi.streamAdd(s, [['i', 'old']]);
      const reading = multi.streamRead(s, '$', 10, { blockMs: 15_000 });
      await new Promise((r) => setTimeout(r, 300));
      const id = await multi.streamAdd(s, [['i', 'new']]);
      await expect(reading).resolves.toStrictEqual([{ id, fields: [['i', 'new']] }]);
    });

    it('rejects a single-partition id on a multi-partition topic', async () => {
      const s = name('bad-id');
      await multi.streamAdd(s, [['i', '0']]);
      await expect(multi.streamRead(s, '00000000000000000000', 1)).rejects.toBeInstanceOf(
        InvalidStreamIdError,
      );
    });
  });

  describe('blocking reads', () => {
    it('"$" with blockMs returns only entries added after the call', async () => {
      const s = name('dollar');
      await stream.streamAdd(s, [['i', 'before']]);
      const reading = stream.streamRead(s, '$', 10, { blockMs: 15_000 });
      await new Promise((r) => setTimeout(r, 300));
      const id = await stream.streamAdd(s, [['i', 'after']]);
      await expect(reading).resolves.toStrictEqual([{ id, fields: [['i', 'after']] }]);
    });

    it('a blocking read longer than maxPollMs keeps waiting and then sees the entry', async () => {
      const short = new KafkaStream({ brokers, topicPrefix, maxPollMs: 100 });
      try {
        const s = name('many-polls');
        await short.streamAdd(s, [['i', 'before']]);
        const before = short.stats.fetchRequests;
        const reading = short.streamRead(s, '$', 10, { blockMs: 15_000 });
        await eventually(() => short.stats.fetchRequests >= before + 4, { timeoutMs: 20_000 });
        const id = await short.streamAdd(s, [['i', 'after']]);
        await expect(reading).resolves.toStrictEqual([{ id, fields: [['i', 'after']] }]);
      } finally {
        await short.close();
      }
    });

    it('a blocking read with nothing new resolves [] once blockMs has passed', async () => {
      const s = name('timeout');
      const [id] = [await stream.streamAdd(s, [['i', '0']])];
      await expect(stream.streamRead(s, id, 10, { blockMs: 400 })).resolves.toStrictEqual([]);
    });

    it('aborting ends a blocking read with [] long before blockMs', async () => {
      const s = name('abort');
      const controller = new AbortController();
      const reading = stream.streamRead(s, '$', 10, { blockMs: 600_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 200);
      // The test's own timeout (30 s) is the bound: a read that ignored the signal would hang past it.
      await expect(reading).resolves.toStrictEqual([]);
    });

    it('concurrent blocking reads on different streams do not wait for each other', async () => {
      const a = name('conc-a');
      const b = name('conc-b');
      const readA = stream.streamRead(a, '$', 10, { blockMs: 20_000 });
      const readB = stream.streamRead(b, '$', 10, { blockMs: 20_000 });
      await new Promise((r) => setTimeout(r, 300));
      const idB = await stream.streamAdd(b, [['s', 'b']]);
      await expect(readB).resolves.toStrictEqual([{ id: idB, fields: [['s', 'b']] }]);
      const idA = await stream.streamAdd(a, [['s', 'a']]);
      await expect(readA).resolves.toStrictEqual([{ id: idA, fields: [['s', 'a']] }]);
    });
  });

  describe('maxLen', () => {
    it('trims in the background with DeleteRecords, keeping at least maxLen newest entries', async () => {
      const trimming = new KafkaStream({ brokers, topicPrefix, trimEvery: 50 });
      try {
        const s = name('trim');
        const ids: string[] = [];
        for (let i = 0; i < 300; i++)
          ids.push(await trimming.streamAdd(s, [['i', String(i)]], { maxLen: 20 }));
        await eventually(() => trimming.stats.trims >= 1, { timeoutMs: 20_000 });
        expect(trimming.stats.trimFailures, String(trimming.stats.lastTrimError)).toBe(0);
        const kept = await trimming.streamRead(s, '0', 1_000);
        expect(kept.length).toBeGreaterThanOrEqual(20);
        expect(kept.length).toBeLessThan(300);
        expect(kept.map((e) => e.id)).toStrictEqual(ids.slice(300 - kept.length));
        // A reader resuming from a trimmed-away id continues at the oldest entry still kept.
        const resumed = await trimming.streamRead(s, ids[0]!, 1_000);
        expect(resumed.map((e) => e.id)).toStrictEqual(kept.map((e) => e.id));
      } finally {
        await trimming.close();
      }
    });
  });

  describe('streamReadLatest on a large topic', () => {
    it('fetches about count records, not the whole topic', async () => {
      const s = name('big');
      const topic = stream.topicOf(s);
      await stream.streamAdd(s, [['i', 'first']]);
      // Fill the topic with 10 000 records quickly: a separate producer, 10 records per request.
      // Kafka fetches whole record batches, so batches of 10 bound the slack to 10 records.
      const kafka = new Kafka({ brokers: [brokers!], logLevel: logLevel.NOTHING });
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      try {
        for (let b = 0; b < 1_000; b++) {
          await producer.send({
            topic,
            acks: -1,
            messages: Array.from({ length: 10 }, (_, j) => ({
              value: JSON.stringify([['i', String(b * 10 + j)]]),
            })),
          });
        }
      } finally {
        await producer.disconnect();
      }
      const before = stream.stats.recordsFetched;
      const latest = await stream.streamReadLatest(s, 5);
      const fetched = stream.stats.recordsFetched - before;
      expect(latest.map((e) => e.fields)).toStrictEqual(
        ['9999', '9998', '9997', '9996', '9995'].map((i) => [['i', i]]),
      );
      expect(latest.map((e) => Number(e.id))).toStrictEqual([10_000, 9_999, 9_998, 9_997, 9_996]);
      expect(fetched).toBeGreaterThanOrEqual(5);
      expect(fetched).toBeLessThanOrEqual(5 + 10);
    }, 60_000);
  });

  describe('paging through a single-partition topic', () => {
    it('a read resuming after a page is answered from the records its fetch brought back, in order, without another fetch', async () => {
      const s = name('pages');
      for (let i = 0; i < 40; i++) await stream.streamAdd(s, [['i', String(i)]]);
      const before = stream.stats.fetchRequests;
      const seen: string[] = [];
      let last = '0';
      for (let p = 0; p < 4; p++) {
        const page = await stream.streamRead(s, last, 10);
        expect(page).toHaveLength(10);
        seen.push(...page.map((e) => e.fields[0]![1]));
        last = page[page.length - 1]!.id;
      }
      expect(seen).toStrictEqual(Array.from({ length: 40 }, (_, i) => String(i)));
      expect(stream.stats.fetchRequests - before).toBe(1);
      // Past the kept records: a fetch, which sees what was added since.
      await stream.streamAdd(s, [['i', '40']]);
      const tail = await stream.streamRead(s, last, 10);
      expect(tail.map((e) => e.fields)).toStrictEqual([[['i', '40']]]);
      expect(stream.stats.fetchRequests - before).toBe(2);
    }, 30_000);

    it('a read from another position, or one the kept records cannot fill, fetches again', async () => {
      const s = name('positions');
      for (let i = 0; i < 25; i++) await stream.streamAdd(s, [['i', String(i)]]);
      const first = await stream.streamRead(s, '0', 10);
      const before = stream.stats.fetchRequests;
      // Another reader starting from the beginning: not the kept position.
      const again = await stream.streamRead(s, '0', 10);
      expect(again.map((e) => e.id)).toStrictEqual(first.map((e) => e.id));
      expect(stream.stats.fetchRequests - before).toBe(1);
      // 15 kept after the first page, 20 asked: fetched, and all 15 come back.
      const rest = await stream.streamRead(s, first[9]!.id, 20);
      expect(rest.map((e) => e.fields[0]![1])).toStrictEqual(
        Array.from({ length: 15 }, (_, i) => String(i + 10)),
      );
      expect(stream.stats.fetchRequests - before).toBe(2);
    }, 30_000);
  });

  describe('names and ids', () => {
    it('a stream name Kafka cannot use is an InvalidStreamNameError that says what is allowed', async () => {
      for (const bad of ['has:colon', 'has space', 'ünï', 'x'.repeat(250), '']) {
        const error = await stream.streamAdd(bad, [['a', 'b']]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidStreamNameError);
        expect((error as InvalidStreamNameError).code).toBe('TIERCACHE_BAD_STREAM_NAME');
      }
      await expect(stream.streamRead('a/b', '0', 1)).rejects.toThrow(/letters, digits/);
    });

    it('a malformed id is an InvalidStreamIdError', async () => {
      const s = name('ids');
      await stream.streamAdd(s, [['a', 'b']]);
      await expect(stream.streamRead(s, 'nope', 1)).rejects.toBeInstanceOf(InvalidStreamIdError);
    });

    it('single-partition ids are zero-padded offsets that sort as strings', async () => {
      const s = name('padded');
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await stream.streamAdd(s, [['i', String(i)]]));
      expect(ids[0]).toBe('00000000000000000000');
      expect(ids[11]).toBe('00000000000000000011');
      expect([...ids].sort()).toStrictEqual(ids);
    });

    it('with autoCreateTopics: false a missing topic is a TopicNotFoundError', async () => {
      const strict = new KafkaStream({ brokers, topicPrefix, autoCreateTopics: false });
      try {
        const error = await strict.streamAdd(name('missing'), [['a', 'b']]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TopicNotFoundError);
        expect((error as TopicNotFoundError).code).toBe('TIERCACHE_BAD_STREAM_NAME');
        // An existing topic works as usual.
        const s = name('exists');
        const id = await stream.streamAdd(s, [['a', 'b']]);
        await expect(strict.streamRead(s, '0', 10)).resolves.toStrictEqual([{ id, fields: [['a', 'b']] }]);
      } finally {
        await strict.close();
      }
    });

    it('healthCheck is true while the broker answers', async () => {
      await expect(stream.healthCheck()).resolves.toBe(true);
    });
  });
});

describe('KafkaStream options (no broker needed)', () => {
  it('needs brokers or a kafka instance, not both', () => {
    expect(() => new KafkaStream({})).toThrow(InvalidOptionError);
    expect(() => new KafkaStream({ brokers: [] })).toThrow(InvalidOptionError);
    expect(() => new KafkaStream({ brokers: 'no-port' })).toThrow(/host:port/);
    const kafka = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
    expect(() => new KafkaStream({ brokers: ['127.0.0.1:9092'], kafka })).toThrow(InvalidOptionError);
    expect(() => new KafkaStream({ kafka, clientId: 'x' })).toThrow(/only applies with `brokers`/);
    expect(new KafkaStream({ kafka }).name).toBe('kafka');
  });

  it('accepts a comma-separated broker string', () => {
    expect(new KafkaStream({ brokers: '127.0.0.1:9092, 127.0.0.1:9093', name: 'two' }).name).toBe('two');
  });

  it('rejects bad numbers and a bad topicPrefix at construction', () => {
    const brokers = ['127.0.0.1:9092'];
    for (const bad of [
      { partitions: 0 },
      { partitions: 1.5 },
      { replicationFactor: -1 },
      { retentionMs: 0 },
      { trimEvery: 0 },
      { maxPollMs: 1 },
      { topicPrefix: 'a:b' },
      { topicPrefix: 'x'.repeat(249) },
      { logLevel: 'loud' as 'warn' },
    ]) {
      expect(() => new KafkaStream({ brokers, ...bad }), JSON.stringify(bad)).toThrow(InvalidOptionError);
    }
  });
});

describe.skipIf(!brokers)('KafkaStream consumer groups (extension)', () => {
  const topicPrefix = `tc-group-${randomUUID().slice(0, 8)}.`;
  afterAll(() => deleteTopicsWithPrefix(brokers!, topicPrefix));
  const groupConsumer = {
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs: 3_000,
    heartbeatIntervalMs: 500,
    maxWaitTimeMs: 100,
  };

  it('reads every entry once per group and resumes after the last commit', async () => {
    const group = `g-${randomUUID().slice(0, 8)}`;
    const first = new KafkaStream({ brokers, topicPrefix, groupConsumer });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i++) ids.push(await first.streamAdd('jobs', [['i', String(i)]]));
      const got: string[] = [];
      for (let round = 0; round < 50 && got.length < 5; round++) {
        const batch = await first.readGroup('jobs', group, 'c1', 3, { blockMs: 2_000 });
        got.push(...batch.map((e) => e.id));
      }
      expect(got).toStrictEqual(ids);
      await first.commit('jobs', group, 'c1', [ids[2]!]);
    } finally {
      await first.close();
    }
    // A new member of the same group starts after the committed entry, not at the beginning.
    const second = new KafkaStream({ brokers, topicPrefix, groupConsumer });
    try {
      const got: string[] = [];
      for (let round = 0; round < 50 && got.length < 2; round++) {
        const batch = await second.readGroup('jobs', group, 'c1', 10, { blockMs: 2_000 });
        got.push(...batch.map((e) => e.id));
      }
      expect(got).toStrictEqual(ids.slice(3));
      // Nothing else arrives: the group is at the end.
      await expect(second.readGroup('jobs', group, 'c1', 10, { blockMs: 300 })).resolves.toStrictEqual([]);
    } finally {
      await second.close();
    }
  }, 60_000);

  it('an aborted signal ends a blocking readGroup with []', async () => {
    const stream = new KafkaStream({ brokers, topicPrefix, groupConsumer });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      await expect(
        stream.readGroup('idle', `g-${randomUUID().slice(0, 8)}`, 'c1', 10, {
          blockMs: 600_000,
          signal: controller.signal,
        }),
      ).resolves.toStrictEqual([]);
    } finally {
      await stream.close();
    }
  });
});
