import { randomUUID } from 'node:crypto';
import { KafkaStream } from '@tiercache/stream-kafka';
import { type NativeServer, requireServer, sleep } from '@tiercache/test-kit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorKind, FiguresRecorder, tally } from './figures.js';
import { controlledServer, ensureRunning } from './service-control.js';
import { UnhandledRejections } from './unhandled-rejections.js';

const brokers = await requireServer('kafka');

/** Entries produced: a third before the restart, a third while it runs, a third after. */
const ENTRIES = 300;
/** Hard bound on the whole scenario; the producer and the consumer stop by themselves at it. */
const DEADLINE_MS = 150_000;
/** One call that takes longer than this is a hang (kafkajs retries within its own timeouts). */
const CALL_GUARD_MS = 60_000;

/** Reject when `promise` has not settled within `ms`: turns a hang into a failure with a name. */
function guarded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`HANG: ${what} did not settle within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe.skipIf(!brokers)('the Kafka broker restarts while a consumer reads', () => {
  let kafka: NativeServer;
  const figures = new FiguresRecorder();

  beforeAll(async () => {
    kafka = await controlledServer('kafka', brokers!);
  });

  afterEach(async () => {
    await ensureRunning(kafka);
  });

  afterAll(() => {
    figures.flush();
  });

  it('the consumer resumes from its last id and loses no entry (at-least-once: duplicates counted)', async () => {
    const options = {
      brokers: brokers!,
      requestTimeoutMs: 5000,
      connectionTimeoutMs: 1000,
      logLevel: 'nothing' as const,
    };
    const producer = new KafkaStream({ ...options, clientId: 'faults-producer' });
    const consumer = new KafkaStream({ ...options, clientId: 'faults-consumer' });
    const stream = `faults-restart-${randomUUID()}`;
    const started = Date.now();
    const pastDeadline = (): boolean => Date.now() - started > DEADLINE_MS;
    const unhandled = new UnhandledRejections().start();

    const seen = new Map<number, number>();
    const producerErrors: Record<string, number> = {};
    const consumerErrors: Record<string, number> = {};
    let producerRetries = 0;
    let consumerRewinds = 0;
    let produced = 0;
    let producing = true;
    let stopped = false;
    let consuming: Promise<void> | undefined;
    let restartMs = 0;
    let longestConsumerGapMs = 0;
    let slowestAddMs = 0;
    let slowestReadMs = 0;
    let hang: unknown;

    /** Add entry `n`, retrying failed adds (a failed add may still have been written: a duplicate). */
    const add = async (n: number): Promise<void> => {
      while (!pastDeadline()) {
        const t0 = performance.now();
        try {
          await guarded(producer.streamAdd(stream, [['n', String(n)]]), CALL_GUARD_MS, `streamAdd #${n}`);
          slowestAddMs = Math.max(slowestAddMs, performance.now() - t0);
          produced++;
          return;
        } catch (error) {
          slowestAddMs = Math.max(slowestAddMs, performance.now() - t0);
          if (String(error).includes('HANG')) hang ??= error;
          tally(producerErrors, errorKind(error));
          producerRetries++;
          await sleep(200);
        }
      }
    };

    const consume = async (): Promise<void> => {
      let lastId = '0';
      let lastEntryAt = Date.now();
      while (!stopped && !pastDeadline() && (producing || seen.size < ENTRIES)) {
        let entries: Awaited<ReturnType<KafkaStream['streamRead']>>;
        const t0 = performance.now();
        try {
          entries = await guarded(
            consumer.streamRead(stream, lastId, 100, { blockMs: 500 }),
            CALL_GUARD_MS,
            'streamRead',
          );
          slowestReadMs = Math.max(slowestReadMs, performance.now() - t0);
        } catch (error) {
          slowestReadMs = Math.max(slowestReadMs, performance.now() - t0);
          if (String(error).includes('HANG')) hang ??= error;
          tally(consumerErrors, errorKind(error));
          await sleep(200);
          continue;
        }
        for (const entry of entries) {
          // Single-partition ids are zero-padded offsets: string order is log order.
          if (entry.id <= lastId && lastId !== '0') consumerRewinds++;
          lastId = entry.id;
          const n = Number(entry.fields.find(([field]) => field === 'n')?.[1]);
          seen.set(n, (seen.get(n) ?? 0) + 1);
        }
        if (entries.length > 0) {
          longestConsumerGapMs = Math.max(longestConsumerGapMs, Date.now() - lastEntryAt);
          lastEntryAt = Date.now();
        }
      }
    };

    try {
      // The topic exists before the consumer starts, so its first read does not race the creation.
      await add(0);
      consuming = consume();
      for (let n = 1; n < ENTRIES / 3; n++) await add(n);

      const restartStarted = Date.now();
      const restart = kafka.restart().then(() => {
        restartMs = Date.now() - restartStarted;
      });
      // Paced so the adds span the restart; each one retries until the broker is back.
      for (let n = ENTRIES / 3; n < (2 * ENTRIES) / 3; n++) {
        await add(n);
        await sleep(30);
      }
      await restart;
      for (let n = (2 * ENTRIES) / 3; n < ENTRIES; n++) await add(n);
      producing = false;
      await consuming;

      const missing = Array.from({ length: ENTRIES }, (_, n) => n).filter((n) => !seen.has(n));
      const entriesRead = [...seen.values()].reduce((a, b) => a + b, 0);
      figures.record('kafka broker restart', {
        requests: produced,
        slowestMs: Math.max(slowestAddMs, slowestReadMs),
        callErrors: { ...prefixed('add ', producerErrors), ...prefixed('read ', consumerErrors) },
        notes: {
          entries: ENTRIES,
          entriesRead,
          duplicates: entriesRead - seen.size,
          missing: missing.length,
          producerRetries,
          consumerRewinds,
          restartMs,
          slowestAddMs,
          slowestReadMs,
          longestConsumerGapMs,
          unhandledRejections: unhandled.reasons.length,
        },
      });

      expect(hang, 'no Kafka call hung').toBeUndefined();
      expect(pastDeadline(), 'finished before the hard deadline').toBe(false);
      expect(restartMs, 'the broker really restarted').toBeGreaterThan(0);
      expect(missing, 'every entry was read at least once').toEqual([]);
      expect(consumerRewinds, 'the consumer never went back past its last id').toBe(0);
      expect(unhandled.describe()).toEqual([]);
    } finally {
      producing = false;
      stopped = true;
      await consuming;
      unhandled.stop();
      await Promise.allSettled([producer.close(), consumer.close()]);
      await deleteTopic(brokers!, producer.topicOf(stream));
    }
  }, 200_000);
});

/** Best-effort removal of the scenario's topic, so runs do not pile up on the broker. */
async function deleteTopic(brokerList: string, topic: string): Promise<void> {
  const admin = new Kafka({ brokers: brokerList.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    await admin.deleteTopics({ topics: [topic], timeout: 5000 });
  } catch {
    // a leftover topic in a throwaway broker is harmless
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function prefixed(prefix: string, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}${k}`, v]));
}
