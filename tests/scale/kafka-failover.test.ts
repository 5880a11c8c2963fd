import { randomUUID } from 'node:crypto';
import { KafkaStream } from '@tiercache/stream-kafka';
import { requireGroup, sleep } from '@tiercache/test-kit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { FiguresRecorder } from '../faults/figures.js';
import { loadFigures, runLoad } from './load.js';
import { SCALE_FIGURES_FILE } from './scale-figures.js';

const group = await requireGroup('kafka-cluster');

/** Bound on each `streamAdd`; a call slower than this plus slack hangs. */
const TIMEOUT_MS = 15_000;

describe.skipIf(!group)(
  'a Kafka broker is killed under streamAdd load (acks=all, replication 3, min.insync.replicas 2)',
  () => {
    const figures = new FiguresRecorder(SCALE_FIGURES_FILE);
    afterAll(async () => {
      figures.flush();
      for (const node of group?.nodes ?? []) if (!(await node.running())) await node.start();
    });

    // kafkajs' idempotent producer (experimental) is not offered: in this test it lost one
    // acknowledged entry and wrote another twice in 1 of 6 runs.
    const label = 'default producer';
    it('every acknowledged entry is readable afterwards, in order (duplicates allowed: at-least-once)', async () => {
      await group!.start(); // every broker up (a previous case restarted one)
      const brokers = [...group!.urls];
      const prefix = `scale-${randomUUID().slice(0, 8)}.`;
      const stream = new KafkaStream({
        brokers,
        prefix,
        replicationFactor: 3,
        timeoutMs: TIMEOUT_MS,
        logLevel: 'nothing',
      });
      const reader = new KafkaStream({ brokers, prefix, replicationFactor: 3, logLevel: 'nothing' });
      const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
      try {
        await stream.streamAdd('s', [['w', 'warm-up']]);
        await admin.connect();
        const topic = stream.topicOf('s');
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        const leader = metadata.topics[0]!.partitions[0]!.leader;
        const leaderNode = group!.nodes[leader - 1]!;

        const acked: { w: number; n: number; id: string }[] = [];
        let killedAt = 0;
        let firstAckAfterKill = 0;
        const load = runLoad({
          concurrency: 20,
          durationMs: 12_000,
          boundMs: TIMEOUT_MS + 5000,
          pauseMs: 2,
          call: async (w, n) => {
            const startedAt = Date.now();
            const id = await stream.streamAdd('s', [
              ['w', String(w)],
              ['n', String(n)],
            ]);
            acked.push({ w, n, id });
            // The first add started after the kill that got acknowledged (by the new leader).
            if (killedAt > 0 && startedAt >= killedAt && firstAckAfterKill === 0)
              firstAckAfterKill = Date.now();
          },
        });
        await sleep(3000);
        const ackedBeforeKill = acked.length;
        await leaderNode.kill();
        killedAt = Date.now();
        const result = await load;
        await leaderNode.start();

        // Everything the topic holds, oldest first.
        const read: { w: string; n: string; id: string }[] = [];
        for (let last = '0'; ; ) {
          const batch = await reader.streamRead('s', last, 1000);
          if (batch.length === 0) break;
          for (const e of batch) {
            const fields = Object.fromEntries(e.fields);
            if (fields.n !== undefined) read.push({ w: fields.w!, n: fields.n, id: e.id });
          }
          last = batch[batch.length - 1]!.id;
        }
        const seen = new Map<string, number>();
        for (const e of read) seen.set(`${e.w}:${e.n}`, (seen.get(`${e.w}:${e.n}`) ?? 0) + 1);
        const missing = acked.filter((a) => !seen.has(`${a.w}:${a.n}`)).length;
        const duplicates = [...seen.values()].filter((c) => c > 1).length;
        // The acked entries of each worker (which adds one at a time) come back in the order acked.
        const position = new Map(read.map((e, i) => [`${e.w}:${e.n}`, i]));
        let outOfOrder = 0;
        const lastPosition = new Map<number, number>();
        for (const a of acked) {
          const at = position.get(`${a.w}:${a.n}`) ?? -1;
          if (at < (lastPosition.get(a.w) ?? -1)) outOfOrder++;
          lastPosition.set(a.w, at);
        }
        const idsAscending = read.every(
          (e, i) => i === 0 || read[i - 1]!.id < e.id || read[i - 1]!.id.length < e.id.length,
        );

        figures.record(
          `kafka-cluster leader SIGKILL, ${label} (20 in flight)`,
          loadFigures(result, TIMEOUT_MS, {
            ackedBeforeKill,
            ackedTotal: acked.length,
            readBack: read.length,
            missingAcked: missing,
            duplicated: duplicates,
            outOfOrder,
            firstAckOfAnAddStartedAfterKillMs:
              firstAckAfterKill === 0 ? 'never' : firstAckAfterKill - killedAt,
          }),
        );
        console.log(
          `kafka-cluster failover (${label}): ${ackedBeforeKill} acked before the kill, ${acked.length} in all; read back ${read.length}; missing ${missing}, duplicated ${duplicates}, out of order ${outOfOrder}; first ack of an add started after the kill ${firstAckAfterKill - killedAt} ms after it; slowest add ${Math.round(result.slowestMs)} ms; ${result.overBound} calls over bound; errors ${JSON.stringify(result.errors)}`,
        );

        expect(result.overBound, 'calls over their timeout + slack').toBe(0);
        expect(acked.length).toBeGreaterThan(ackedBeforeKill);
        expect(missing, 'acknowledged entries missing after the broker kill').toBe(0);
        expect(outOfOrder).toBe(0);
        expect(idsAscending).toBe(true);
      } finally {
        await admin.disconnect().catch(() => undefined);
        await stream.close();
        await reader.close();
      }
    }, 180_000);
  },
);
