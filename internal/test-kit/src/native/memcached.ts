import { userInfo } from 'node:os';
import { MEMCACHED } from '../servers.js';
import { APT_SERVER, type NativeRecipe, requireProgram } from './native-server.js';

/** memcached in the foreground on loopback; Debian's `memcached` package. */
export const MEMCACHED_RECIPE: NativeRecipe = {
  descriptor: MEMCACHED,
  commandMatch: 'memcached',
  pidFileName: 'memcached.pid',
  logFileName: 'memcached.log',
  ...APT_SERVER,
  checkInstalled: () => requireProgram('memcached', 'memcached'),
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
