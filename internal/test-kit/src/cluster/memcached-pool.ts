import { join } from 'node:path';
import { MEMCACHED_RECIPE } from '../native/memcached.js';
import { withArgs } from '../native/native-server.js';
import { servicesDir } from '../state.js';
import { NativeGroup, openNodes } from './native-group.js';

/** Options of {@link MemcachedPoolGroup.open}. */
export interface MemcachedPoolOptions {
  /** Where each server's port, pid and log live. Default `.services/memcached-pool`. */
  stateDir?: string;
  /** Servers in the pool. Default 3. */
  size?: number;
}

/**
 * A pool of independent Memcached servers on 127.0.0.1 (the client shards keys over them;
 * the servers know nothing of each other; `urls` is memjs' `servers` list, in a stable order).
 * Each node is the single server's recipe with 32 MB and one thread, its port kept (a pool's
 * member list does not move).
 */
export class MemcachedPoolGroup extends NativeGroup {
  readonly kind = 'memcached-pool';

  /** The pool kept in `stateDir` (ports drawn on first use and kept), not started. */
  static async open(options: MemcachedPoolOptions = {}): Promise<MemcachedPoolGroup> {
    const stateDir = options.stateDir ?? join(servicesDir(), 'memcached-pool');
    const recipe = withArgs(MEMCACHED_RECIPE, () => ['-m', '32', '-t', '1'], {
      kind: 'memcached-pool-node',
      portMayMove: false,
    });
    return new MemcachedPoolGroup(await openNodes(stateDir, options.size ?? 3, () => recipe));
  }
}
