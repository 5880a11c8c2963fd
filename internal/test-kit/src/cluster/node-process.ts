import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** How to run one server process of a cluster or pool. */
export interface NodeProcessSpec {
  /** The executable (`redis-server`, `memcached`, `java`). */
  command: string;
  /** Arguments, rebuilt on every start (ports and paths are stable). */
  args: () => string[];
  /** The pid is kept here, so another process (the CLI, a later test run) can control the node. */
  pidFile: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** A word that must appear in `/proc/<pid>/cmdline`, so a recycled pid is never taken for ours. */
  match: string;
}

/**
 * One native server process, controlled through its pid file so the handle can be rebuilt by
 * any process (the CLI, a test worker): spawn detached (it outlives whoever started it), stop
 * with SIGTERM then SIGKILL, freeze with SIGSTOP, crash with SIGKILL.
 *
 * This is the cluster code's own small primitive; the single-server handles of the kit may
 * grow a shared one, and then this file gives way to it.
 */
export class NodeProcess {
  readonly #spec: NodeProcessSpec;

  constructor(spec: NodeProcessSpec) {
    this.#spec = spec;
  }

  /** The pid of our live (possibly frozen) process, or `undefined`. */
  pid(): number | undefined {
    if (!existsSync(this.#spec.pidFile)) return undefined;
    const pid = Number(readFileSync(this.#spec.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) return undefined;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.#spec.match)) return undefined;
    } catch {
      return undefined;
    }
    return pid;
  }

  /** Spawn the process when it is not running; resolves its pid (readiness is the caller's check). */
  spawn(): number {
    const running = this.pid();
    if (running !== undefined) return running;
    mkdirSync(dirname(this.#spec.pidFile), { recursive: true });
    mkdirSync(dirname(this.#spec.logFile), { recursive: true });
    const log = openSync(this.#spec.logFile, 'a');
    try {
      const child = spawn(this.#spec.command, this.#spec.args(), {
        detached: true,
        stdio: ['ignore', log, log],
      });
      if (child.pid === undefined) throw new Error(`could not spawn ${this.#spec.command}`);
      child.on('error', () => undefined);
      child.unref();
      writeFileSync(this.#spec.pidFile, `${child.pid}\n`);
      return child.pid;
    } finally {
      closeSync(log);
    }
  }

  /** SIGTERM (after SIGCONT, a frozen process ignores it), then SIGKILL after `graceMs`; resolves once gone. */
  async stop(graceMs = 15_000): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    signal(pid, 'SIGCONT');
    signal(pid, 'SIGTERM');
    if (!(await exited(pid, graceMs))) {
      signal(pid, 'SIGKILL');
      await exited(pid, 10_000);
    }
    rmSync(this.#spec.pidFile, { force: true });
  }

  /** SIGKILL, no clean-up; resolves once the process is gone. */
  async kill(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    signal(pid, 'SIGKILL');
    await exited(pid, 10_000);
  }

  /** SIGSTOP: sockets stay open, nothing answers. */
  freeze(): void {
    const pid = this.pid();
    if (pid === undefined) throw new Error(`${this.#spec.command} is not running; nothing to freeze`);
    signal(pid, 'SIGSTOP');
  }

  /** SIGCONT after {@link NodeProcess.freeze}. */
  resume(): void {
    const pid = this.pid();
    if (pid !== undefined) signal(pid, 'SIGCONT');
  }

  /** The last `lines` lines of the log, for error messages. */
  logTail(lines = 20): string {
    if (!existsSync(this.#spec.logFile)) return '(no log)';
    return readFileSync(this.#spec.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  }
}

/**
 * Alive and not a zombie: a killed child stays a zombie until its parent reaps it, and
 * `kill(pid, 0)` still succeeds on one.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone already
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A TCP port nothing listens on now, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Poll `check` every 100 ms until it resolves `true`; throws `message` (plus the last error) after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${message} within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`);
}

/** Read a JSON state file, or `undefined` when it does not exist. */
export function readState<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

/** Write a JSON state file (its folder created). */
export function writeState(file: string, state: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}
