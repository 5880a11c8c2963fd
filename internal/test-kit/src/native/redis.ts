import { REDIS } from '../servers.js';
import { type NativeRecipe, onPath } from './native-server.js';

/** redis-server in the foreground, nothing persisted; Debian's `redis-server` package. */
export const REDIS_RECIPE: NativeRecipe = {
  descriptor: REDIS,
  commandMatch: 'redis',
  pidFileName: 'redis.pid',
  logFileName: 'redis.log',
  portMayMove: true,
  startTimeoutMs: 15_000,
  stopGraceMs: 15_000,
  readyIntervalMs: 100,
  checkInstalled() {
    if (!onPath('redis-server')) {
      throw new Error(
        'redis: redis-server is not installed; run "bash scripts/services/install.sh redis" (apt-get)',
      );
    }
  },
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
