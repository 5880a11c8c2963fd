/**
 * The tiercache side of scenarios 1-4 alone, for a CPU profile of its hot paths:
 *
 *   node --cpu-prof --cpu-prof-dir=bench/results --cpu-prof-name=s1.cpuprofile bench/dist/profile.js 1
 *   node bench/dist/cpuprofile-summary.js bench/results/s1.cpuprofile
 *
 * Takes the scenario number (1-4) and optionally seconds to run (default 5). Needs REDIS_URL.
 */
import { opsSequential, runConcurrent } from './measure.js';
import { createTiercache } from './tiercache-setup.js';
import { type BenchValue, HOT_KEYS, makeKeys, makeValue, RUN_ID } from './workload.js';

const IN_FLIGHT = 100;

async function main(): Promise<void> {
  const scenario = Number(process.argv[2]);
  const seconds = Number(process.argv[3] ?? 5);
  const url = process.env.REDIS_URL;
  if (![1, 2, 3, 4].includes(scenario) || !(seconds > 0) || !url) {
    throw new Error('usage: REDIS_URL=redis://... node bench/dist/profile.js <1|2|3|4> [seconds]');
  }
  const prefix = `bench:${RUN_ID}:profile${scenario}:`;
  const ms = seconds * 1000;
  const hot = makeKeys('hot:', HOT_KEYS);
  const values = hot.map((_, i) => makeValue(i));
  if (scenario === 1 || scenario === 2) {
    const tc = createTiercache<BenchValue>(url, prefix);
    await tc.ready();
    for (let i = 0; i < HOT_KEYS; i++) await tc.set(hot[i]!, values[i]!);
    const factory = async (): Promise<BenchValue> => values[0]!;
    const ops =
      scenario === 1
        ? await opsSequential((i) => tc.get(hot[i % HOT_KEYS]!), ms)
        : await opsSequential((i) => tc.getOrSet(hot[i % HOT_KEYS]!, factory), ms);
    console.log(`scenario ${scenario}: ${Math.round(ops)} ops/s`);
    await tc.close();
    return;
  }
  const count = 20_000;
  const keys = makeKeys('k:', count);
  const all = keys.map((_, i) => makeValue(i));
  const writer = createTiercache<BenchValue>(url, prefix);
  await writer.ready();
  if (scenario === 4) {
    const run = await runConcurrent(
      50_000_000,
      IN_FLIGHT,
      (i) => writer.set(keys[i % count]!, all[i % count]!),
      ms,
    );
    console.log(`scenario 4: ${Math.round(run.opsPerSec)} ops/s`);
    await writer.close();
    return;
  }
  await runConcurrent(count, IN_FLIGHT, (i) => writer.set(keys[i]!, all[i]!));
  await writer.close();
  // Scenario 3: fresh readers, each key read once per reader, until the time is up.
  const deadline = performance.now() + ms;
  let reads = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    const reader = createTiercache<BenchValue>(url, prefix);
    await reader.ready();
    reads += (await runConcurrent(count, IN_FLIGHT, (i) => reader.get(keys[i]!))).ops;
    await reader.close();
  }
  console.log(
    `scenario 3: ${Math.round((reads / (performance.now() - started)) * 1000)} ops/s (connects included)`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
