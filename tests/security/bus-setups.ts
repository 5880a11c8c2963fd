import { randomUUID } from 'node:crypto';
import {
  type BusTransport,
  MemoryBusHub,
  MemoryStream,
  StreamBusTransport,
  type StreamFields,
  TieredCache,
} from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { RedisPubSubTransport } from '@tiercache/l2-redis';
import { KafkaStream } from '@tiercache/stream-kafka';
import { RedisStream } from '@tiercache/stream-redis';
import { eventually } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

/**
 * One bus transport setup as an attacker sees it: a way to make instances on a channel, and
 * raw access to the channel (a string published as is, or a stream entry with any fields,
 * including ones our own code never writes).
 */
export interface BusSetup {
  /** A transport for one more instance on the shared channel. */
  transport(): BusTransport;
  /** Publish `message` on the channel exactly as given, bypassing the bus. */
  inject(channel: string, message: string): Promise<void>;
  /** Add a raw entry to the channel's stream (stream transports only). */
  injectEntry?(channel: string, fields: StreamFields): Promise<void>;
  /** Add a record whose value is not our fields format (Kafka only): `null`, bytes, text. */
  injectRecord?(channel: string, value: Buffer | string | null): Promise<void>;
  close(): Promise<void>;
}

export type BusSetupName = 'memory' | 'memory-stream' | 'redis-pubsub' | 'redis-streams' | 'kafka';

/** The setups this machine can run: the in-memory ones always, the others when their server is up. */
export function busSetups(redisUrl: string | undefined, brokers: string | undefined): BusSetupName[] {
  const names: BusSetupName[] = ['memory', 'memory-stream'];
  if (redisUrl) names.push('redis-pubsub', 'redis-streams');
  if (brokers) names.push('kafka');
  return names;
}

const STREAM_READ = { blockMs: 200, retryMinMs: 20, retryMaxMs: 200 };

export function makeBusSetup(
  name: BusSetupName,
  redisUrl: string | undefined,
  brokers: string | undefined,
): BusSetup {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    await Promise.allSettled(closers.map((c) => c()));
  };
  if (name === 'memory') {
    const hub = new MemoryBusHub();
    const raw = hub.transport();
    return { transport: () => hub.transport(), inject: (c, m) => raw.publish(c, m), close };
  }
  if (name === 'memory-stream') {
    const stream = new MemoryStream();
    return {
      transport: () => new StreamBusTransport(stream, STREAM_READ),
      inject: async (c, m) => void (await stream.streamAdd(c, [['m', m]])),
      injectEntry: async (c, f) => void (await stream.streamAdd(c, f)),
      close,
    };
  }
  if (name === 'redis-pubsub') {
    const admin = new Redis(redisUrl!);
    closers.push(async () => admin.disconnect());
    return {
      transport: () => new RedisPubSubTransport({ url: redisUrl! }),
      inject: async (c, m) => void (await admin.publish(c, m)),
      close,
    };
  }
  if (name === 'redis-streams') {
    const admin = new Redis(redisUrl!);
    closers.push(async () => admin.disconnect());
    const prefix = `sec:${randomUUID()}:`;
    return {
      transport: () =>
        new StreamBusTransport(new RedisStream({ url: redisUrl!, prefix }), {
          ...STREAM_READ,
          closeStream: true,
        }),
      inject: async (c, m) => void (await admin.xadd(prefix + c, '*', 'm', m)),
      injectEntry: async (c, f) => void (await admin.xadd(prefix + c, '*', ...f.flat())),
      close,
    };
  }
  const topicPrefix = `sec-${randomUUID().slice(0, 8)}.`;
  const writer = new KafkaStream({ brokers: brokers!, topicPrefix, logLevel: 'nothing' });
  closers.push(() => writer.close());
  const kafka = new Kafka({ brokers: brokers!.split(','), clientId: 'sec-raw', logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  const connected = producer.connect();
  closers.push(async () => {
    await connected;
    await producer.disconnect();
  });
  return {
    transport: () =>
      new StreamBusTransport(new KafkaStream({ brokers: brokers!, topicPrefix, logLevel: 'nothing' }), {
        ...STREAM_READ,
        closeStream: true,
      }),
    inject: async (c, m) => void (await writer.streamAdd(c, [['m', m]])),
    injectEntry: async (c, f) => void (await writer.streamAdd(c, f)),
    injectRecord: async (c, value) => {
      await connected;
      await producer.send({ topic: writer.topicOf(c), acks: -1, messages: [{ value }] });
    },
    close,
  };
}

/** A cache with only an in-process L1, on the bus. */
export function busInstance(
  transport: BusTransport,
  channel: string,
  bus: { secret?: string | string[]; maxMessageBytes?: number; maxSenders?: number } = {},
): TieredCache<string> {
  return new TieredCache<string>({
    tiers: [new LruBackend<string>({ maxEntries: 10_000 })],
    bus: { transport, channel, retryMs: 50, ...bus },
    ttl: '1m',
  });
}

/** B holds `key` in its L1; A invalidates it; resolves once B no longer serves it (15 s at most). */
export async function invalidationArrives(a: TieredCache<string>, b: TieredCache<string>, key: string) {
  await b.set(key, 'old', { broadcast: false });
  await a.invalidate(key);
  await eventually(async () => (await b.get(key)) === undefined, { timeoutMs: 15_000 });
}
