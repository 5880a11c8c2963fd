import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What one fault scenario measured; every field is optional because scenarios differ. */
export interface ScenarioFigures {
  /** Cache calls made while the scenario ran. */
  requests?: number;
  /** Calls made while the server was away. */
  requestsDuringOutage?: number;
  /** Calls that rejected, by error kind (expected: none for server outages). */
  callErrors?: Record<string, number>;
  /** Tier errors the cache reported (`tier:error` events), by error kind. */
  tierErrors?: Record<string, number>;
  /** The configured remote-tier timeout, ms. */
  timeoutMs?: number;
  /** Slowest single call while the server was away, ms. */
  slowestDuringOutageMs?: number;
  /** Slowest single call over the whole scenario, ms. */
  slowestMs?: number;
  /** Breaker states in the order they happened. */
  breakerTransitions?: string[];
  /** Anything else worth quoting (L1 hits during the outage, duplicates, resyncs, ...). */
  notes?: Record<string, number | string | boolean>;
  /** When the figures were measured (ISO time); set by {@link FiguresRecorder.record}. */
  recordedAt?: string;
}

/** The file the README and docs/reliability.md quote. */
export const FIGURES_FILE = fileURLToPath(new URL('../../reports/faults-figures.json', import.meta.url));

interface FiguresFile {
  updatedAt: string;
  scenarios: Record<string, ScenarioFigures>;
}

/**
 * Figures of the scenarios of one test file. Vitest runs each file in its own worker, so
 * files merge their scenarios into one JSON file instead of sharing memory.
 */
export class FiguresRecorder {
  readonly #scenarios = new Map<string, ScenarioFigures>();
  readonly #file: string;

  /** `file`: where the suite's figures go; {@link FIGURES_FILE} for the fault suite. */
  constructor(file = FIGURES_FILE) {
    this.#file = file;
  }

  /** Record (or replace) the figures of `scenario`. */
  record(scenario: string, figures: ScenarioFigures): void {
    this.#scenarios.set(scenario, { ...figures, recordedAt: new Date().toISOString() });
  }

  /** Merge this file's scenarios into the figures file and print them as a table. */
  flush(): void {
    if (this.#scenarios.size === 0) return;
    const current: FiguresFile = existsSync(this.#file)
      ? (JSON.parse(readFileSync(this.#file, 'utf8')) as FiguresFile)
      : { updatedAt: '', scenarios: {} };
    for (const [name, figures] of this.#scenarios) current.scenarios[name] = figures;
    current.updatedAt = new Date().toISOString();
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(this.#file, `${JSON.stringify(current, null, 2)}\n`);
    console.log(formatTable(Object.fromEntries(this.#scenarios), this.#file));
  }
}

/** Print every scenario in {@link FIGURES_FILE} (the whole suite's figures) as one table. */
export function printFiguresFile(): void {
  if (!existsSync(FIGURES_FILE)) return;
  const file = JSON.parse(readFileSync(FIGURES_FILE, 'utf8')) as FiguresFile;
  console.log(formatTable(file.scenarios, FIGURES_FILE));
}

/** Count one more `kind` in `counts`. */
export function tally(counts: Record<string, number>, kind: string): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

/**
 * A short, stable name for an error: its class, and for a wrapper (`TierError`) the class of
 * its cause, plus the first words of a plain `Error` cause (client errors have no class).
 */
export function errorKind(error: unknown): string {
  if (!(error instanceof Error)) return `non-Error ${typeof error}`;
  const cause = error.cause;
  if (error.name === 'TierError' && cause instanceof Error) {
    const detail = cause.name === 'Error' ? `: ${cause.message.slice(0, 40)}` : '';
    return `TierError<${cause.name}${detail}>`;
  }
  return error.name;
}

function formatTable(scenarios: Record<string, ScenarioFigures>, path: string): string {
  const rows = Object.entries(scenarios).map(([name, f]) => [
    name,
    String(f.requests ?? ''),
    String(f.requestsDuringOutage ?? ''),
    f.slowestDuringOutageMs === undefined ? '' : f.slowestDuringOutageMs.toFixed(0),
    f.slowestMs === undefined ? '' : f.slowestMs.toFixed(0),
    formatCounts(f.callErrors),
    formatCounts(f.tierErrors),
    (f.breakerTransitions ?? []).join('>'),
    Object.entries(f.notes ?? {})
      .map(([k, v]) => `${k}=${typeof v === 'number' ? Math.round(v * 10) / 10 : v}`)
      .join(' '),
  ]);
  const header = [
    'scenario',
    'requests',
    'in outage',
    'slowest in outage ms',
    'slowest ms',
    'call errors',
    'tier errors',
    'breaker',
    'notes',
  ];
  const lines = [header, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  return `\nfailure figures (${path}):\n${lines.join('\n')}\n`;
}

function formatCounts(counts: Record<string, number> | undefined): string {
  if (counts === undefined) return '';
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k}: ${n}`).join(', ');
}
