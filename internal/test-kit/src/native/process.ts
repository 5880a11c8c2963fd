import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname } from 'node:path';

/**
 * The process primitive every native server (and every cluster node) is built on: spawn a
 * server detached from the caller with its output in a log file, remember its pid in a file,
 * tell a live process from a zombie, signal it, and wait for it to exit within a bound.
 */

/** Wait `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether `pid` is a live process. A zombie is not: a server's exit may stay unreaped while its
 * parent is not init (a daemon started by a test runner that was then killed), and `kill(pid, 0)`
 * still succeeds on a zombie, so a just-killed server would be taken for a running one.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else (never one of ours, but it is alive).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !['Z', 'X'].includes(processState(pid) ?? 'X');
}

/** The one-letter state of `pid` from /proc (`R`, `S`, `T` when stopped, `Z`…), if it exists. */
export function processState(pid: number): string | undefined {
  try {
    // The command name (2nd field) may contain spaces and parentheses: read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** The command line of `pid` (arguments joined by spaces), or `''` when it is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Send `signal` to `pid`; `false` when the process is gone. */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGSTOP `pid` and resolve once the kernel shows it stopped (signal delivery is asynchronous:
 * a test that freezes a server and at once expects silence must not race it).
 */
export async function freezeProcess(pid: number): Promise<void> {
  signal(pid, 'SIGSTOP');
  const deadline = Date.now() + 5_000;
  while (processState(pid) !== 'T') {
    if (!alive(pid)) throw new Error(`pid ${pid} exited instead of stopping`);
    if (Date.now() >= deadline) throw new Error(`pid ${pid} did not stop within 5 s of SIGSTOP`);
    await sleep(5);
  }
}

/** Resolves `true` once `pid` is gone (or a zombie), `false` if it still lives after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/**
 * Stop `pid` for good: SIGCONT first (a SIGSTOPped process never acts on SIGTERM), SIGTERM,
 * then SIGKILL when it has not exited within `graceMs`. Resolves how it ended; throws only if
 * the process survives SIGKILL too (it cannot, unless it is stuck in the kernel).
 */
export async function terminate(pid: number, graceMs: number): Promise<'gone' | 'terminated' | 'killed'> {
  if (!alive(pid)) return 'gone';
  signal(pid, 'SIGCONT');
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'terminated';
  signal(pid, 'SIGKILL');
  if (await waitForExit(pid, 10_000)) return 'killed';
  throw new Error(`pid ${pid} did not exit after SIGTERM and SIGKILL`);
}

/** A pid kept in a file, checked against the command it must be running. */
export class PidFile {
  /**
   * @param path where the pid lives
   * @param commandMatch a word the process's command line contains (`redis-server`, `kafka`),
   *   so a pid recycled by an unrelated process is not taken for the server
   */
  constructor(
    readonly path: string,
    readonly commandMatch: string,
  ) {}

  /** The pid written in the file, whatever its state. */
  read(): number | undefined {
    try {
      const pid = Number(readFileSync(this.path, 'utf8').trim());
      return Number.isInteger(pid) && pid > 1 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The pid when it is alive (not a zombie) and runs the expected command. */
  running(): number | undefined {
    const pid = this.read();
    if (pid === undefined || !alive(pid)) return undefined;
    return commandLine(pid).includes(this.commandMatch) ? pid : undefined;
  }

  write(pid: number): void {
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, `${pid}\n`);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

/** What {@link spawnDetached} starts. */
export interface DetachedCommand {
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here. */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Start a server in its own session (`setsid`), so it outlives the process that started it (a
 * CLI run, a test worker) and a Ctrl-C in a terminal does not reach it; its output is appended
 * to `logFile`. Resolves with the pid once the process exists; throws when the command cannot
 * be run at all (not installed).
 */
export async function spawnDetached(options: DetachedCommand): Promise<number> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    // While this process lives, Node reaps the child when it exits (no zombie); unref so the
    // child does not keep this process alive.
    child.unref();
    if (child.pid === undefined) throw new Error(`${options.command} started without a pid`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on, chosen by the kernel (and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('the kernel gave no TCP port');
  return address.port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` (a frozen server does). */
export function portAccepts(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Run `action` while holding an exclusive lock file: one start/stop of a server at a time, when
 * parallel runners all call start. A lock whose holder is dead is taken over.
 */
export async function withLock<T>(path: string, timeoutMs: number, action: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue; // released between our attempt and the read
      }
      if (!Number.isInteger(holder) || !alive(holder)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new Error(`pid ${holder} has held ${path} for ${timeoutMs} ms; is another start stuck?`);
      }
      await sleep(100);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(path, { force: true });
  }
}
