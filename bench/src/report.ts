/** The results as Markdown (file and terminal): one table per scenario, then the targets. */
import type { BenchOptions } from './bench-options.js';
import type { MachineInfo } from './machine.js';
import {
  baselineRow,
  bestPeerRow,
  formatRatio,
  type Row,
  rowRatio,
  type ScenarioResult,
  type Verdict,
} from './scenario.js';
import { HOT_KEYS, VALUE_JSON_BYTES } from './workload.js';

/** A figure with thousands separators, or a short decimal below 100. */
export function formatFigure(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(1);
}

function verdictMark(verdict: Verdict): string {
  if (verdict.met === undefined) return 'n/a';
  return verdict.met ? 'met' : 'NOT met';
}

function rowLine(result: ScenarioResult, row: Row): string {
  const comparable = !result.lowerIsBetter && !row.reference;
  const base = baselineRow(result.rows, row.group);
  const best = bestPeerRow(result.rows, row.group);
  const vsRaw = comparable && row !== base ? formatRatio(rowRatio(row, base)) : '';
  const vsPeer =
    comparable && row.kind !== 'raw' && best && row !== best ? formatRatio(rowRatio(row, best)) : '';
  const spread =
    row.rounds.length > 1
      ? `${formatFigure(Math.min(...row.rounds))}–${formatFigure(Math.max(...row.rounds))}`
      : '';
  const cells = [row.name, formatFigure(row.median), spread, vsRaw, vsPeer];
  if (hasLatency(result)) cells.push(formatLatency(row));
  cells.push(row.note ?? '');
  return `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
}

function hasLatency(result: ScenarioResult): boolean {
  return result.rows.some((row) => row.p99Ms !== undefined);
}

/** `"0.81 / 2.3"`: p50 and p99 in ms, or `-` for a row that does not record latency. */
export function formatLatency(row: Row): string {
  if (row.p50Ms === undefined || row.p99Ms === undefined) return '-';
  const ms = (v: number): string => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return `${ms(row.p50Ms)} / ${ms(row.p99Ms)}`;
}

/** One scenario as a Markdown section. */
export function scenarioMarkdown(result: ScenarioResult): string {
  const lines = [`### ${result.id}. ${result.title}`, ''];
  if (result.skipped) {
    lines.push(`Skipped: ${result.skipped}`, '');
    return lines.join('\n');
  }
  const unit = result.lowerIsBetter ? `${result.unit} (lower is better)` : result.unit;
  const latency = hasLatency(result);
  lines.push(
    `| contender | median ${unit} | range over rounds | vs raw | vs best peer |${latency ? ' p50 / p99 ms per call |' : ''} notes |`,
    `|---|---:|---:|---:|---:|${latency ? '---:|' : ''}---|`,
  );
  for (const row of result.rows) lines.push(rowLine(result, row));
  lines.push('');
  for (const verdict of result.verdicts) {
    lines.push(`Target ${verdict.target}: **${verdictMark(verdict)}** (${verdict.detail})`);
    lines.push('');
  }
  return lines.join('\n');
}

/** The summary table: every target and whether it was met. */
export function targetsMarkdown(results: readonly ScenarioResult[]): string {
  const lines = ['| # | scenario | target | result | figures |', '|---|---|---|---|---|'];
  for (const result of results) {
    for (const verdict of result.verdicts) {
      const cells = [
        String(result.id),
        result.title,
        verdict.target,
        verdictMark(verdict),
        result.skipped ?? verdict.detail,
      ];
      lines.push(`| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** The whole report. */
export function reportMarkdown(
  results: readonly ScenarioResult[],
  machine: MachineInfo,
  options: BenchOptions,
  startedAt: Date,
  elapsedMs: number,
  loadAtEnd: number,
): string {
  const mode = options.quick ? 'quick' : 'full';
  const packages = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `# tiercache benchmarks (${mode})`,
    '',
    `Run ${startedAt.toISOString()}, ${(elapsedMs / 1000).toFixed(0)} s, commit ${machine.commit}. ` +
      `${options.rounds} rounds per scenario (${options.roundMs} ms each where time-bounded); medians reported. ` +
      `Values: ~${VALUE_JSON_BYTES} bytes of JSON; ${HOT_KEYS} hot keys. Produced by \`pnpm bench${options.quick ? ' --quick' : ''}\`.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, load ${machine.loadAtStart.toFixed(2)} at start and ${loadAtEnd.toFixed(2)} at the end. ` +
      'Servers (Redis, Memcached, Kafka) run on the same machine, over loopback.',
    '',
    ...(Math.max(machine.loadAtStart, loadAtEnd) > machine.cores * 0.75
      ? [
          `**The machine was busy (load above ${(machine.cores * 0.75).toFixed(1)}): absolute figures are noisy; the ratios, taken round by round, are the figures to read.**`,
          '',
        ]
      : []),
    `Packages: ${packages}.`,
    '',
    'Peers are set up at their fastest for in-process hits: BentoCache memory driver with `serialize: false`, cacheable and cache-manager with cacheable\'s Keyv memory store (`useClone: false`); all use the same local Redis as their L2. "vs raw" compares with the raw-client row of the same comparison and "vs best peer" with the fastest peer, each as the median of the per-round ratios (contenders run interleaved, so round r of each ran close together in time).',
    '',
    '## Targets',
    '',
    targetsMarkdown(results),
    '',
    '## Scenarios',
    '',
    ...results.map(scenarioMarkdown),
    '![ops/s relative to the raw client](latest.svg)',
    '',
  ].join('\n');
}
