import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntilReady, whyNotReady } from '../readiness.js';
import type { ServerHandle } from '../server-handle.js';
import type { ServerDescriptor, ServerKind } from '../servers.js';
import { servicesDir } from '../state.js';
import {
  alive,
  freePort,
  freezeProcess,
  PidFile,
  portAccepts,
  signal,
  spawnDetached,
  terminate,
  waitForExit,
  withLock,
} from './process.js';

/** Where one native server lives and the ports it was given (kept across restarts). */
export interface NativeContext {
  stateDir: string;
  logFile: string;
  /** The client port. */
  port: number;
  /** Further ports by name (Kafka's controller), each kept in `<stateDir>/<name>.port`. */
  ports: Record<string, number>;
}

/** How one kind of server runs as a local process: what the three server kinds differ in. */
export interface NativeRecipe {
  /** The server it runs: its client URL and how readiness asks it. */
  descriptor: ServerDescriptor;
  /** The handle's kind when it is not the descriptor's (a cluster node: `redis-cluster-node`). */
  kind?: string;
  /** A word of the process's command line, so a recycled pid is not taken for the server. */
  commandMatch: string;
  pidFileName: string;
  logFileName: string;
  /** Names of further ports to keep (`controller`). */
  extraPorts?: readonly string[];
  /** Whether a kept port that another process took may be replaced by a free one on start. */
  portMayMove: boolean;
  startTimeoutMs: number;
  /** How long SIGTERM may take before SIGKILL. */
  stopGraceMs: number;
  /** Pause between readiness attempts. */
  readyIntervalMs: number;
  /** Throws, saying how to install it, when the server's program is missing. */
  checkInstalled(): void;
  /** Runs before each start: configuration files, a first-time format, log rotation. */
  prepare?(context: NativeContext): Promise<void>;
  command(context: NativeContext): { command: string; args: string[] };
}

/**
 * `recipe` with `extra(context)` appended to its command's arguments (later flags win for
 * redis-server and memcached), and `overrides` on top: a cluster node or a server with a
 * password is its kind's recipe plus a few flags.
 */
export function withArgs(
  recipe: NativeRecipe,
  extra: (context: NativeContext) => string[],
  overrides: Partial<NativeRecipe> = {},
): NativeRecipe {
  return {
    ...recipe,
    ...overrides,
    command: (context) => {
      const { command, args } = recipe.command(context);
      return { command, args: [...args, ...extra(context)] };
    },
  };
}

/** Pids this process froze and has not resumed: {@link resumeFrozen} is the safety net. */
const frozen = new Set<number>();

/** SIGCONT every server this process froze and has not resumed (call it in `afterAll`). */
export function resumeFrozen(): void {
  for (const pid of frozen) signal(pid, 'SIGCONT');
  frozen.clear();
}

/**
 * What Redis and Memcached share: a single process installed from Debian packages that starts in
 * well under a second; a port another process took since the last run is replaced by a free one.
 */
export const APT_SERVER = {
  portMayMove: true,
  startTimeoutMs: 15_000,
  stopGraceMs: 15_000,
  readyIntervalMs: 100,
} as const satisfies Partial<NativeRecipe>;

/** Throws, saying how to install it, when `program` (the `kind` server's) is not on the PATH. */
export function requireProgram(kind: string, program: string): void {
  if (!onPath(program)) {
    throw new Error(
      `${kind}: ${program} is not installed; run "bash scripts/services/install.sh ${kind}" (apt-get)`,
    );
  }
}

/** Whether `program` is on the PATH. */
export function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/**
 * A server run as a local process on 127.0.0.1, its state in one directory (`.services/<kind>/`
 * by default): the port it was first given (so restarts, other test processes and the env file
 * agree on the address), its pid file and its log. Any process that opens the same directory
 * controls the same server — the CLI starts it, a fault test freezes it.
 */
export class NativeServer implements ServerHandle {
  readonly kind: string;
  /** The server it runs (`redis` for a Redis Cluster node too): how readiness asks it. */
  readonly server: ServerKind;
  readonly url: string;
  readonly #recipe: NativeRecipe;
  readonly #context: NativeContext;
  readonly #pidFile: PidFile;

  private constructor(recipe: NativeRecipe, context: NativeContext) {
    this.#recipe = recipe;
    this.#context = context;
    this.server = recipe.descriptor.kind;
    this.kind = recipe.kind ?? this.server;
    this.url = recipe.descriptor.url('127.0.0.1', context.port);
    this.#pidFile = new PidFile(join(context.stateDir, recipe.pidFileName), recipe.commandMatch);
  }

  /**
   * The server whose state is in `stateDir` (default `<servicesDir>/<kind>`), running or not.
   * Its ports are the kept ones; a server that is not running and whose kept port another
   * process took gets a free one, when its recipe allows (not Kafka: see its recipe).
   */
  static async open(recipe: NativeRecipe, stateDir?: string): Promise<NativeServer> {
    const dir = stateDir ?? join(servicesDir(), recipe.descriptor.kind);
    const pidFile = new PidFile(join(dir, recipe.pidFileName), recipe.commandMatch);
    const ports = await withLock(join(dir, 'lock'), 180_000, async () => {
      const up = pidFile.running() !== undefined;
      const pick = async (file: string): Promise<number> => {
        const kept = readPort(join(dir, file));
        if (kept !== undefined && (up || !recipe.portMayMove || !(await portAccepts(kept)))) return kept;
        const port = await freePort();
        writeFileSync(join(dir, file), `${port}\n`);
        return port;
      };
      const named: Record<string, number> = {};
      for (const name of recipe.extraPorts ?? []) named[name] = await pick(`${name}.port`);
      return { port: await pick('port'), named };
    });
    return new NativeServer(recipe, {
      stateDir: dir,
      logFile: join(dir, recipe.logFileName),
      port: ports.port,
      ports: ports.named,
    });
  }

  /** The client port (stable across restarts). */
  get port(): number {
    return this.#context.port;
  }

  /** The further ports by name (Kafka's `controller`, a Redis Cluster node's `bus`). */
  get ports(): Readonly<Record<string, number>> {
    return this.#context.ports;
  }

  get stateDir(): string {
    return this.#context.stateDir;
  }

  get logFile(): string {
    return this.#context.logFile;
  }

  /** The server's pid while it runs (frozen included). */
  pid(): number | undefined {
    return this.#pidFile.running();
  }

  async running(): Promise<boolean> {
    return this.pid() !== undefined;
  }

  /** Whether a real client gets an answer now (a frozen server gives none). */
  async answers(): Promise<boolean> {
    return (await whyNotReady(this.server, this.url)) === undefined;
  }

  async start(): Promise<void> {
    await this.#locked(() => this.#start());
  }

  async stop(): Promise<void> {
    await this.#locked(() => this.#stop());
  }

  async restart(): Promise<void> {
    await this.#locked(async () => {
      await this.#stop();
      await this.#start();
    });
  }

  async freeze(): Promise<void> {
    const pid = this.#requirePid('freeze');
    frozen.add(pid);
    await freezeProcess(pid);
  }

  async resume(): Promise<void> {
    const pid = this.#pidFile.read();
    if (pid === undefined) return;
    frozen.delete(pid);
    signal(pid, 'SIGCONT');
  }

  async kill(): Promise<void> {
    const pid = this.#requirePid('kill');
    frozen.delete(pid);
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, 10_000)))
      throw new Error(`${this.kind}: pid ${pid} outlived SIGKILL for 10 s`);
  }

  /** The last `lines` lines of the server's log. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.#context.logFile, 'utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  #locked(action: () => Promise<void>): Promise<void> {
    return withLock(join(this.#context.stateDir, 'lock'), 180_000, action);
  }

  #requirePid(what: string): number {
    const pid = this.pid();
    if (pid === undefined)
      throw new Error(`${this.kind}: cannot ${what}, no server runs from ${this.stateDir}`);
    return pid;
  }

  async #start(): Promise<void> {
    if (this.pid() !== undefined) return;
    const recipe = this.#recipe;
    recipe.checkInstalled();
    mkdirSync(this.stateDir, { recursive: true });
    for (const port of [this.port, ...Object.values(this.#context.ports)]) {
      if (await portAccepts(port)) {
        throw new Error(
          `${this.kind}: port ${port} (kept in ${this.stateDir} so restarts reuse it) is taken by another process; stop it, or delete ${this.stateDir} to pick new ports`,
        );
      }
    }
    await recipe.prepare?.(this.#context);
    this.#pidFile.remove();
    const pid = await spawnDetached({
      ...recipe.command(this.#context),
      logFile: this.logFile,
      cwd: this.stateDir,
    });
    this.#pidFile.write(pid);
    try {
      await waitUntilReady(this.server, this.url, {
        timeoutMs: recipe.startTimeoutMs,
        intervalMs: recipe.readyIntervalMs,
        gone: () => (alive(pid) ? undefined : 'the server exited during start-up'),
      });
    } catch (error) {
      await terminate(pid, recipe.stopGraceMs);
      this.#pidFile.remove();
      throw new Error(`${(error as Error).message}; last lines of ${this.logFile}:\n${this.logTail()}`);
    }
  }

  async #stop(): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined) {
      frozen.delete(pid);
      await terminate(pid, this.#recipe.stopGraceMs);
    }
    this.#pidFile.remove();
  }
}

function readPort(file: string): number | undefined {
  try {
    const port = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}
