import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A throwaway redis-server with `requirepass`, on 127.0.0.1 and a free port. */
export interface PasswordRedis {
  port: number;
  password: string;
  stop(): void;
}

/** A port on 127.0.0.1 that nothing listens on (just released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Start it and wait until it answers (it needs `redis-server` on the PATH, as the Redis suites do). */
export async function startPasswordRedis(password = 'the-right-password-123'): Promise<PasswordRedis> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--requirepass',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const probe = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => undefined); // refused until the server listens
  const started = Date.now();
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (Date.now() - started > 10_000) {
        proc.kill('SIGKILL');
        throw error;
      }
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  return { port, password, stop: () => proc.kill('SIGKILL') };
}
