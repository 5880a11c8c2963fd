import { join } from 'node:path';
import { MEMCACHED_RECIPE } from '../native/memcached.js';
import { NativeServer, withArgs } from '../native/native-server.js';
import type { ServerGroup } from '../server-handle.js';
import { servicesDir } from '../state.js';

/** Options of {@link MemcachedPoolGroup.open}. */
export interface MemcachedPoolOptions {
  /** Where each server's port, pid and log live. Default `.services/memcached-pool`. */
  stateDir?: string;
  /** Servers in the pool. Default 3. */
  size?: number;
}

/**
 * A pool of independent Memcached servers on 127.0.0.1 (the client shards keys over them;
 * the servers know nothing of each other). Each node is a {@link NativeServer} in `node-<n>/`:
 * the single server's recipe with 32 MB and one thread, its port kept (a pool's member list
 * does not move).
 */
export class MemcachedPoolGroup implements ServerGroup {
  readonly kind = 'memcached-pool';
  readonly nodes: readonly NativeServer[];
  /** `127.0.0.1:PORT` of each server, in a stable order (memjs' `servers` list). */
  readonly urls: readonly string[];

  private constructor(nodes: NativeServer[]) {
    this.nodes = nodes;
    this.urls = nodes.map((n) => n.url);
  }

  /** The pool kept in `stateDir` (ports drawn on first use and kept), not started. */
  static async open(options: MemcachedPoolOptions = {}): Promise<MemcachedPoolGroup> {
    const stateDir = options.stateDir ?? join(servicesDir(), 'memcached-pool');
    const recipe = withArgs(MEMCACHED_RECIPE, () => ['-m', '32', '-t', '1'], {
      kind: 'memcached-pool-node',
      portMayMove: false,
    });
    const nodes: NativeServer[] = [];
    for (let i = 0; i < (options.size ?? 3); i++) {
      nodes.push(await NativeServer.open(recipe, join(stateDir, `node-${i + 1}`)));
    }
    return new MemcachedPoolGroup(nodes);
  }

  /** Starts every server that is not running; resolves once each answers `stats`. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
