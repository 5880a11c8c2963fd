import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where the service scripts live. `TIERCACHE_SERVICES_DIR` points the suite at a private copy
 * of `scripts/services/` (its own `.services/` state and ports), so a developer can run the
 * fault suite without stopping the servers other test runs are using.
 */
const SERVICES_DIR =
  process.env.TIERCACHE_SERVICES_DIR ?? fileURLToPath(new URL('../../scripts/services/', import.meta.url));

/** A server the suite may stop: the names of `scripts/services/<name>.sh`. */
export type ServiceName = 'redis' | 'memcached' | 'kafka';

/** Pids this process stopped with SIGSTOP and has not resumed yet; `resumeAll` is the safety net. */
const frozen = new Set<number>();

/**
 * Control of one shared test server through its service script. Every method is async (the
 * scripts can take seconds) so load loops keep running while a server restarts.
 */
export class ServiceControl {
  constructor(readonly name: ServiceName) {}

  /** The server's pid, from `<name>.sh pid`. */
  async pid(): Promise<number> {
    const { stdout } = await this.#script('pid');
    const pid = Number(stdout.trim());
    if (!Number.isInteger(pid) || pid <= 1) {
      throw new Error(`${this.name}.sh pid printed "${stdout.trim()}", not a pid; is the server running?`);
    }
    return pid;
  }

  /** SIGSTOP the server: its sockets stay open but nothing answers. Resume with {@link resume}. */
  async freeze(): Promise<number> {
    const pid = await this.pid();
    frozen.add(pid);
    process.kill(pid, 'SIGSTOP');
    return pid;
  }

  /** SIGCONT a server this process froze. */
  resume(pid: number): void {
    frozen.delete(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // Already gone (killed meanwhile): nothing to resume.
    }
  }

  /** SIGKILL the server and wait (bounded) until the process is gone. */
  async kill(): Promise<number> {
    const pid = await this.pid();
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && processAlive(pid)) await sleep(20);
    return pid;
  }

  /** `<name>.sh start`: starts the server again (same port, kept in its state directory). */
  async start(): Promise<string> {
    return (await this.#script('start')).stdout.trim();
  }

  /** `<name>.sh restart`: stop (waits for exit) and start on the same port. */
  async restart(): Promise<string> {
    return (await this.#script('restart')).stdout.trim();
  }

  /** `<name>.sh status` output; `undefined` when the script says it is not running. */
  async status(): Promise<string | undefined> {
    try {
      return (await this.#script('status')).stdout.trim();
    } catch {
      return undefined;
    }
  }

  /** Make sure the server runs (after a test that killed it failed half-way). */
  async ensureRunning(): Promise<void> {
    for (const pid of frozen) this.resume(pid);
    if ((await this.status()) === undefined) await this.start();
  }

  #script(command: string): Promise<{ stdout: string; stderr: string }> {
    // Kafka's restart waits for a clean shutdown and a ready broker: allow minutes, not forever.
    return run('bash', [join(SERVICES_DIR, `${this.name}.sh`), command], { timeout: 180_000 });
  }
}

/** SIGCONT every server this process froze and has not resumed (call it in `afterAll`). */
export function resumeAll(): void {
  for (const pid of [...frozen]) {
    frozen.delete(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone already
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed daemon may linger as a zombie when its adoptive parent does not reap it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

/** Wait `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
