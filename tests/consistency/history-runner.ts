import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Operation } from './history.js';

const worker = fileURLToPath(new URL('./fixtures/history-worker.mjs', import.meta.url));

/** What one worker process reports when its operations are done. */
export interface WorkerResult {
  instance: number;
  errors: number;
  history: Operation[];
  trace?: { key: string; at: number; event: string }[];
}

/** Settings of one worker (see fixtures/history-worker.mjs). */
export interface WorkerConfig {
  /** The "database" (a Redis the faults never touch). */
  dbUrl: string;
  /** The shared cache tier and the bus, each possibly through a proxy. */
  cacheUrl: string;
  busUrl: string;
  prefix: string;
  instance: number;
  seed: number;
  ops: number;
  keys: number;
  concurrency: number;
  bus: 'pubsub' | 'streams' | 'kafka';
  /** With `bus: 'kafka'`. */
  kafkaBrokers?: string;
  /**
   * Tag every entry with its key's tag and its half's tag; invalidate by `invalidateTags` of the
   * key's tag instead of `invalidate`, and of the half's tag instead of `invalidatePattern`.
   */
  tags?: boolean;
  /** Pause of each lane after each operation, in ms (none by default). */
  paceMs?: number;
}

/**
 * Start one worker process: `ready` resolves once its cache is connected and subscribed; it
 * runs when it reads "go" and reports one JSON line.
 */
export function runWorker(config: WorkerConfig): {
  proc: ChildProcessWithoutNullStreams;
  ready: Promise<void>;
  result: Promise<WorkerResult>;
} {
  const proc = spawn(process.execPath, [worker, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += String(d);
  });
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const result = new Promise<WorkerResult>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      if (line === 'ready') ready();
      else resolve(JSON.parse(line) as WorkerResult);
    });
    proc.once('exit', (code) => reject(new Error(`worker ${config.instance} exited (${code}): ${stderr}`)));
  });
  // A worker that dies before it is ready fails `result`; `ready` then settles with it.
  return { proc, ready: Promise.race([started, result.then(() => undefined)]), result };
}

/** The seed of a run: `HISTORY_SEED` to reproduce one, else a fresh random one (printed). */
export function historySeed(): number {
  return Number(process.env.HISTORY_SEED ?? Math.floor(Math.random() * 2 ** 31));
}
