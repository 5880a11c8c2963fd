/** The shape of a scenario's result, shared by the scenarios, the report and the chart. */

import { type LatencySamples, median } from './measure.js';

/** Who a row measures. */
export type RowKind = 'tiercache' | 'raw' | 'peer';

/** One measured contender in a scenario. */
export interface Row {
  /** Label in the table, e.g. `"tiercache (lru + redis)"`. */
  name: string;
  kind: RowKind;
  /** Median ops/s over the rounds (or the scenario's own unit); `undefined` when not measured. */
  median: number | undefined;
  /** Every round's figure, in order. */
  rounds: number[];
  /** Free text for the notes column (hit counts, factory runs, why a row is skipped). */
  note?: string;
  /** `true` for the raw figure the ratios divide by (one per scenario at most). */
  baseline?: boolean;
  /** Excluded from "best peer" and from the ratio columns (e.g. the un-awaited raw figure). */
  reference?: boolean;
  /** Rows of one comparison inside a scenario with several (scenario 6: memcached, streams, kafka). */
  group?: string;
  /** Per-call latency over every timed round (rows whose contender records it), ms. */
  p50Ms?: number;
  p99Ms?: number;
}

/** A target and whether it was met. */
export interface Verdict {
  /** The target in words, e.g. `">= 0.5x raw lru-cache (awaited) and >= 8x best peer"`. */
  target: string;
  /** `undefined` when it could not be judged (server missing, row failed). */
  met: boolean | undefined;
  /** The figures behind the verdict. */
  detail: string;
}

/** What a scenario hands back. */
export interface ScenarioResult {
  id: number;
  title: string;
  /** Unit of `Row.median`, e.g. `"ops/s"`. */
  unit: string;
  /** `true` when a smaller figure is better (wall time); ratio columns are then left empty. */
  lowerIsBetter?: boolean;
  rows: Row[];
  /** One verdict per target row (scenario 6 has one per backend). */
  verdicts: Verdict[];
  /** Set when the whole scenario was skipped, with the reason. */
  skipped?: string;
  /** Wall time of the scenario, ms. */
  elapsedMs?: number;
}

/** A contender measured round after round: `run` returns one round's figure. */
export interface Contender {
  name: string;
  kind: RowKind;
  baseline?: boolean;
  reference?: boolean;
  group?: string;
  /** One timed round. */
  run(): Promise<number>;
  /** Untimed warm-up (JIT, connections); defaults to one `run`. */
  warmup?(): Promise<void>;
  /** Appended to the row's notes after the rounds. */
  note?(): string | undefined;
  /** Where `run` records per-call latencies (cleared after the warm-up); gives the row p50/p99. */
  latencies?: LatencySamples;
}

/**
 * Measure every contender `rounds` times, interleaved (round 1 of each, then round 2 of each,
 * starting one place later each round) so drift in a shared machine's load hits all alike.
 * A contender that throws keeps its rows with the error as its note.
 */
export async function measureRounds(contenders: readonly Contender[], rounds: number): Promise<Row[]> {
  const figures = contenders.map(() => [] as number[]);
  const errors: (string | undefined)[] = contenders.map(() => undefined);
  for (let c = 0; c < contenders.length; c++) {
    const contender = contenders[c]!;
    try {
      if (contender.warmup) await contender.warmup();
      else await contender.run();
    } catch (error) {
      errors[c] = `failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    contender.latencies?.clear();
  }
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = (k + r) % contenders.length;
      if (errors[c] !== undefined) continue;
      try {
        figures[c]!.push(await contenders[c]!.run());
      } catch (error) {
        errors[c] = `failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
  }
  return contenders.map((contender, c) => {
    const values = figures[c]!;
    const note = [errors[c], contender.note?.()].filter(Boolean).join('; ');
    const row: Row = {
      name: contender.name,
      kind: contender.kind,
      median: errors[c] === undefined && values.length > 0 ? median(values) : undefined,
      rounds: values,
    };
    if (note) row.note = note;
    if (contender.baseline) row.baseline = true;
    if (contender.reference) row.reference = true;
    if (contender.group) row.group = contender.group;
    const p50 = contender.latencies?.quantile(0.5);
    const p99 = contender.latencies?.quantile(0.99);
    if (p50 !== undefined && p99 !== undefined) {
      row.p50Ms = p50;
      row.p99Ms = p99;
    }
    return row;
  });
}

/** The tiercache row of a scenario (of `group`, when given). */
export function tiercacheRow(rows: readonly Row[], group?: string): Row | undefined {
  return rows.find((r) => r.kind === 'tiercache' && r.group === group);
}

/** The raw baseline row (of `group`, when given). */
export function baselineRow(rows: readonly Row[], group?: string): Row | undefined {
  return rows.find((r) => r.baseline && r.group === group);
}

/** The fastest peer row that has a figure (of `group`, when given). */
export function bestPeerRow(rows: readonly Row[], group?: string): Row | undefined {
  let best: Row | undefined;
  for (const row of rows) {
    if (row.kind !== 'peer' || row.reference || row.median === undefined || row.group !== group) continue;
    if (best === undefined || row.median > best.median!) best = row;
  }
  return best;
}

/**
 * How row `a` compares with row `b`: the median of the per-round ratios when both ran the
 * same rounds (round r of each ran close together in time, so load drift on a shared machine
 * cancels out), else the ratio of the medians; `undefined` when either has no figure.
 */
export function rowRatio(a: Row | undefined, b: Row | undefined): number | undefined {
  if (a?.median === undefined || b?.median === undefined || b.median === 0) return undefined;
  if (a.rounds.length > 0 && a.rounds.length === b.rounds.length && b.rounds.every((x) => x > 0)) {
    return median(a.rounds.map((x, r) => x / b.rounds[r]!));
  }
  return a.median / b.median;
}

/** A ratio as `"0.93x"`, or `"-"`. */
export function formatRatio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`;
}
