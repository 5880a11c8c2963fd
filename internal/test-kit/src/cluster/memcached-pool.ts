import { connect } from 'node:net';
import { join } from 'node:path';
import type { ServerGroup } from '../server-handle.js';
import { freePorts, NodeProcess, readState, writeState } from './node-process.js';
import { ProcessNode } from './process-node.js';
import { servicesDir } from './services-dir.js';

interface MemcachedPoolState {
  ports: number[];
}

/** Options of {@link MemcachedPoolGroup.open}. */
export interface MemcachedPoolOptions {
  /** Where ports, pids and logs live. Default `.services/memcached-pool`. */
  stateDir?: string;
  /** Servers in the pool. Default 3. */
  size?: number;
}

/**
 * A pool of independent Memcached servers on 127.0.0.1 (the client shards keys over them;
 * the servers know nothing of each other). Each node is a native `memcached` with 32 MB.
 */
export class MemcachedPoolGroup implements ServerGroup {
  readonly kind = 'memcached-pool';
  readonly nodes: readonly ProcessNode[];
  /** `127.0.0.1:PORT` of each server, in a stable order (memjs' `servers` list). */
  readonly urls: readonly string[];

  private constructor(stateDir: string, state: MemcachedPoolState) {
    const asRoot = process.getuid?.() === 0;
    this.nodes = state.ports.map((port, i) => {
      const dir = join(stateDir, `node-${i + 1}`);
      return new ProcessNode({
        kind: 'memcached-pool-node',
        url: `127.0.0.1:${port}`,
        process: new NodeProcess({
          command: 'memcached',
          match: 'memcached',
          pidFile: join(dir, 'pid'),
          logFile: join(dir, 'memcached.log'),
          // memcached refuses to run as root without -u.
          args: () => [
            '-l',
            '127.0.0.1',
            '-p',
            String(port),
            '-U',
            '0',
            '-m',
            '32',
            '-t',
            '1',
            ...(asRoot ? ['-u', 'root'] : []),
          ],
        }),
        answers: () => memcachedAnswers(port),
        startTimeoutMs: 10_000,
      });
    });
    this.urls = this.nodes.map((n) => n.url);
  }

  /** The pool kept in `stateDir` (ports drawn on first use and kept), not started. */
  static async open(options: MemcachedPoolOptions = {}): Promise<MemcachedPoolGroup> {
    const stateDir = options.stateDir ?? join(servicesDir(), 'memcached-pool');
    const size = options.size ?? 3;
    const file = join(stateDir, 'state.json');
    let state = readState<MemcachedPoolState>(file);
    if (!state || state.ports.length !== size) {
      state = { ports: await freePorts(size) };
      writeState(file, state);
    }
    return new MemcachedPoolGroup(stateDir, state);
  }

  /** Starts every server that is not running; resolves once each answers `version`. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** `true` when 127.0.0.1:`port` answers memcached's `version` within a second. */
function memcachedAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 1000);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('version\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('VERSION')));
  });
}
