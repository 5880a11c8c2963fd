/**
 * `pnpm bench` (through scripts/bench.sh): every scenario in one process and one run, the
 * same workloads over tiercache, the raw clients and the peers. Writes
 * bench/results/<date>-<quick|full>.md, latest.md and latest.svg, and prints the tables.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type BenchOptions, parseBenchOptions } from './bench-options.js';
import { resultsSvg } from './chart.js';
import { benchDir, describeMachine } from './machine.js';
import { now } from './measure.js';
import { reportMarkdown, scenarioMarkdown, targetsMarkdown } from './report.js';
import type { ScenarioResult } from './scenario.js';
import { runBusThroughput } from './scenarios/bus-throughput.js';
import { runL1Get, runL1GetOrSet } from './scenarios/l1-hit.js';
import { runL2Hit, runTieredSet } from './scenarios/l2-redis.js';
import { runMemory } from './scenarios/memory.js';
import { runOtherBackends } from './scenarios/other-backends.js';
import { runStampede } from './scenarios/stampede.js';
import { runInvalidateTag, runTaggedL2Hit } from './scenarios/tags.js';
import { type Servers, serversFromEnv } from './servers.js';

type ScenarioRun = (options: BenchOptions, servers: Servers) => Promise<ScenarioResult>;

const SCENARIOS: [number, ScenarioRun][] = [
  [1, runL1Get],
  [2, runL1GetOrSet],
  [3, runL2Hit],
  [4, runTieredSet],
  [5, runStampede],
  [6, runOtherBackends],
  [7, runMemory],
  [8, runBusThroughput],
  [9, runTaggedL2Hit],
  [10, runInvalidateTag],
];

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), join(benchDir, 'results'));
  const servers = serversFromEnv();
  const machine = describeMachine();
  const startedAt = new Date();
  const started = now();
  console.log(
    `tiercache bench (${options.quick ? 'quick' : 'full'}): ${options.rounds} rounds; redis ${servers.redisUrl ?? 'absent'}, memcached ${servers.memcachedServers ?? 'absent'}, kafka ${servers.kafkaBrokers ?? 'absent'}`,
  );
  const results: ScenarioResult[] = [];
  for (const [id, run] of SCENARIOS) {
    if (options.only.size > 0 && !options.only.has(id)) continue;
    const t0 = now();
    process.stdout.write(`scenario ${id} ... `);
    const result = await run(options, servers);
    result.elapsedMs = now() - t0;
    console.log(
      `${(result.elapsedMs / 1000).toFixed(1)} s${result.skipped ? ` (skipped: ${result.skipped})` : ''}`,
    );
    results.push(result);
  }
  const elapsedMs = now() - started;
  const markdown = reportMarkdown(results, machine, options, startedAt, elapsedMs, os.loadavg()[0] ?? 0);
  console.log(`\n${results.map(scenarioMarkdown).join('\n')}`);
  console.log(`## Targets\n\n${targetsMarkdown(results)}\n`);
  if (options.write) {
    mkdirSync(options.resultsDir, { recursive: true });
    const stamp = startedAt.toISOString().slice(0, 16).replace(':', '');
    const file = join(options.resultsDir, `${stamp}-${options.quick ? 'quick' : 'full'}.md`);
    writeFileSync(file, markdown);
    writeFileSync(join(options.resultsDir, 'latest.md'), markdown);
    const subtitle = `${options.quick ? 'quick' : 'full'} run ${startedAt.toISOString().slice(0, 16)}Z, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}`;
    writeFileSync(join(options.resultsDir, 'latest.svg'), resultsSvg(results, subtitle));
    console.log(`written: ${file}, latest.md, latest.svg`);
  }
  console.log(`bench finished in ${(elapsedMs / 1000).toFixed(1)} s`);
}

main().then(
  // Peer libraries leave timers and sockets behind; the run is over, so the process ends here.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
