import { userInfo } from 'node:os';
import { MEMCACHED } from '../servers.js';
import { type NativeRecipe, onPath } from './native-server.js';

/** memcached in the foreground on loopback; Debian's `memcached` package. */
export const MEMCACHED_RECIPE: NativeRecipe = {
  descriptor: MEMCACHED,
  commandMatch: 'memcached',
  pidFileName: 'memcached.pid',
  logFileName: 'memcached.log',
  portMayMove: true,
  startTimeoutMs: 15_000,
  stopGraceMs: 15_000,
  readyIntervalMs: 100,
  checkInstalled() {
    if (!onPath('memcached')) {
      throw new Error(
        'memcached: memcached is not installed; run "bash scripts/services/install.sh memcached" (apt-get)',
      );
    }
  },
  command: ({ port }) => ({
    command: MEMCACHED.program!,
    // memcached refuses to run as root without -u; as any other user -u is not needed.
    args: [
      '-l',
      '127.0.0.1',
      '-p',
      String(port),
      ...MEMCACHED.flags,
      ...(userInfo().uid === 0 ? ['-u', 'root'] : []),
    ],
  }),
};
