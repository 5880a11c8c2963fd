import { randomUUID } from 'node:crypto';
import {
  type StreamAddOptions,
  StreamBusTransport,
  type StreamFields,
  type StreamingBackend,
  type StreamReadOptions,
  TieredCache,
} from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
import { KafkaStream } from '@tiercache/stream-kafka';
import { eventually, requireServer, sleep } from '@tiercache/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

const brokers = await requireServer('kafka');
const redisUrl = await requireServer('redis');

/**
 * B's connection to Kafka, which the test can cut: while cut, reads fail as they do when the
 * broker is unreachable; on restore, B gets a brand-new KafkaStream (new TCP connections, new
 * consumers) and must resume from the last id it saw. (The broker itself cannot drop one
 * client's connections on demand, and a proxy cannot sit in front of a broker that advertises
 * its own address; the fault suite restarts the real broker instead.)
 */
class ReconnectingStream implements StreamingBackend {
  readonly name = 'kafka-reconnecting';
  #inner: KafkaStream;
  #cut = false;
  readonly #make: () => KafkaStream;
  readonly #old: KafkaStream[] = [];

  constructor(make: () => KafkaStream) {
    this.#make = make;
    this.#inner = make();
  }

  async cut(): Promise<void> {
    this.#cut = true;
    this.#old.push(this.#inner);
    await this.#inner.close();
  }

  restore(): void {
    this.#inner = this.#make();
    this.#cut = false;
  }

  streamAdd(stream: string, fields: StreamFields, options?: StreamAddOptions): Promise<string> {
    return this.#inner.streamAdd(stream, fields, options);
  }

  streamReadLatest(stream: string, count: number) {
    return this.#inner.streamReadLatest(stream, count);
  }

  async streamRead(stream: string, lastId: string, count: number, options?: StreamReadOptions) {
    if (this.#cut) {
      await sleep(20);
      throw new Error('broker unreachable');
    }
    return this.#inner.streamRead(stream, lastId, count, options);
  }

  async close(): Promise<void> {
    await this.#inner.close();
  }
}

describe.skipIf(!brokers || !redisUrl)('TieredCache instances invalidating each other over Kafka', () => {
  const opened: TieredCache[] = [];
  afterAll(async () => {
    await Promise.allSettled(opened.map((c) => c.close()));
  }, 30_000);

  function instance(prefix: string, stream: StreamingBackend): TieredCache<string> {
    const cache = new TieredCache<string>({
      tiers: [
        new LruBackend<string>({ maxEntries: 10_000 }),
        new RedisBackend<string>({ url: redisUrl!, prefix }),
      ],
      bus: {
        transport: new StreamBusTransport(stream, { blockMs: 300, retryMinMs: 50, retryMaxMs: 300 }),
        channel: 'bus',
      },
    });
    opened.push(cache);
    return cache;
  }

  const kafka = (topicPrefix: string) =>
    new KafkaStream({ brokers: brokers!, topicPrefix, logLevel: 'nothing' });

  it('invalidate, invalidatePattern, clear and a broadcast set on A reach B', async () => {
    const id = randomUUID().slice(0, 8);
    const prefix = `tc-kb:${id}:`;
    const topicPrefix = `tc-kb-${id}.`;
    const a = instance(prefix, kafka(topicPrefix));
    const b = instance(prefix, kafka(topicPrefix));
    await Promise.all([a.ready(), b.ready()]);
    for (const k of ['p:1', 'p:2', 'q:1']) await a.set(k, `${k}-old`, { broadcast: false });
    for (const k of ['p:1', 'p:2', 'q:1']) expect(await b.get(k)).toBe(`${k}-old`);

    await a.invalidate('p:1');
    await eventually(async () => (await b.get('p:1')) === undefined, { timeoutMs: 20_000 });
    await a.invalidatePattern('p:*');
    await eventually(async () => (await b.get('p:2')) === undefined, { timeoutMs: 20_000 });
    await a.set('q:1', 'q:1-new');
    await eventually(async () => (await b.get('q:1')) === 'q:1-new', { timeoutMs: 20_000 });
    await a.clear();
    await eventually(async () => (await b.get('q:1')) === undefined, { timeoutMs: 20_000 });
  }, 60_000);

  it('replay: B is cut off while A invalidates 100 keys; after reconnecting B serves none of them', async () => {
    const id = randomUUID().slice(0, 8);
    const prefix = `tc-kb:${id}:`;
    const topicPrefix = `tc-kb-${id}.`;
    const a = instance(prefix, kafka(topicPrefix));
    const bStream = new ReconnectingStream(() => kafka(topicPrefix));
    const b = instance(prefix, bStream);
    await Promise.all([a.ready(), b.ready()]);
    for (let i = 0; i < 100; i++) await a.set(`k${i}`, `old${i}`, { broadcast: false });
    for (let i = 0; i < 100; i++) expect(await b.get(`k${i}`)).toBe(`old${i}`);

    await bStream.cut();
    for (let i = 0; i < 100; i++) await a.invalidate(`k${i}`);
    expect(await b.get('k0')).toBe('old0'); // stale in B's L1 while it is cut off
    bStream.restore();

    await eventually(
      async () => {
        for (let i = 0; i < 100; i++) if ((await b.get(`k${i}`)) !== undefined) return false;
        return true;
      },
      { timeoutMs: 30_000 },
    );
    await eventually(() => b.stats().bus.applied >= 100); // the counter follows the last removal
    expect(b.stats().bus.resyncs).toBe(0); // caught up by replay from its last id
  }, 90_000);
});
