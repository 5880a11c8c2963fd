import { REDIS } from '../servers.js';
import { APT_SERVER, type NativeRecipe, requireProgram } from './native-server.js';

/** redis-server in the foreground, nothing persisted; Debian's `redis-server` package. */
export const REDIS_RECIPE: NativeRecipe = {
  descriptor: REDIS,
  commandMatch: 'redis',
  pidFileName: 'redis.pid',
  logFileName: 'redis.log',
  ...APT_SERVER,
  checkInstalled: () => requireProgram('redis', 'redis-server'),
  command: ({ port, stateDir }) => ({
    command: REDIS.program!,
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      ...REDIS.flags,
      '--protected-mode',
      'yes',
      '--dir',
      stateDir,
      '--daemonize',
      'no',
    ],
  }),
};
