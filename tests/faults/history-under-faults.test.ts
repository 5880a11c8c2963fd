import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NativeServer, nativeServer, requireServer, sleep } from '@tiercache/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory } from '../consistency/history.js';
import { historySeed, runWorker } from '../consistency/history-runner.js';
import { controlledServer, ensureRunning } from './service-control.js';

const url = await requireServer('redis');

/**
 * The history checker while the shared Redis itself fails (SIGSTOP, then a restart that loses
 * its data): three OS processes, random concurrent operations, every read checked. The
 * "database" the factories read lives in a second, private Redis the faults never touch.
 */
describe.skipIf(!url)('history checker under Redis faults (3 processes, real Redis)', () => {
  let redis: NativeServer;
  const dbState = mkdtempSync(join(tmpdir(), 'tiercache-history-db-'));
  let db: NativeServer | undefined;
  const figures: string[] = [];

  beforeAll(async () => {
    redis = await controlledServer('redis', url!);
    db = await nativeServer('redis', { stateDir: dbState });
    await db.start();
  });

  afterAll(async () => {
    await ensureRunning(redis);
    await db?.stop();
    rmSync(dbState, { recursive: true, force: true });
    console.log(`history checker under faults:\n${figures.join('\n')}`);
  });

  it.each([
    { name: 'Redis SIGSTOP for 1.5 s mid-run', fault: 'freeze' as const },
    { name: 'Redis restarted mid-run (data lost)', fault: 'restart' as const },
  ])(
    '$name: no read returns a superseded value',
    async ({ name, fault }) => {
      const seed = historySeed();
      const prefix = `tc-hist-faults:${randomUUID()}:`;
      const workers = [0, 1, 2].map((instance) =>
        runWorker({
          dbUrl: db!.url,
          cacheUrl: url!,
          busUrl: url!,
          prefix,
          instance,
          seed: seed + instance,
          ops: 2500,
          keys: 8,
          concurrency: 8,
          bus: 'pubsub',
          // About 3 s per run: the fault (0.4 to 1.9 s) has operations before, during and after it.
          paceMs: 8,
        }),
      );
      await Promise.all(workers.map((w) => w.ready));
      for (const w of workers) w.proc.stdin.write('go\n');
      await sleep(400);
      // Operation times are wall-clock ms (each worker's performance.timeOrigin + now()).
      const faultFrom = Date.now();
      if (fault === 'freeze') {
        await redis.freeze();
        await sleep(1500);
        await redis.resume();
      } else {
        await redis.restart();
      }
      const faultTo = Date.now();
      const results = await Promise.all(workers.map((w) => w.result));
      for (const w of workers) w.proc.kill('SIGKILL');
      const history = results.flatMap((r) => r.history);
      // The bus (pub/sub on the same Redis) is down with it: other instances catch up by a resync
      // when it is back, so the cross-instance bound covers the outage.
      const { reads, violations, maxCrossStalenessMs } = checkHistory(history, 6000);
      const errors = results.reduce((sum, r) => sum + r.errors, 0);
      // The fault must hit the run: operations in flight while Redis was stopped or restarting.
      const during = history.filter((o) => o.start < faultTo && o.end > faultFrom).length;
      const after = history.filter((o) => o.start >= faultTo).length;
      figures.push(
        `  ${name}: ${history.length} operations (${history.length - during - after} before the fault, ${during} in flight during it, ${after} after it), ${reads} reads checked, ${violations.length} violations (longest cross-instance staleness ${Math.round(maxCrossStalenessMs)} ms), ${errors} calls rejected (seed ${seed})`,
      );
      expect(
        violations,
        `seed ${seed} (rerun with HISTORY_SEED=${seed}): ${violations
          .slice(0, 2)
          .map((v) => JSON.stringify(v))
          .join('\n')}`,
      ).toHaveLength(0);
      expect(history.length).toBe(7500);
      expect(during, 'operations in flight during the fault').toBeGreaterThan(0);
      expect(after, 'operations after the fault').toBeGreaterThan(0);
    },
    120_000,
  );
});
