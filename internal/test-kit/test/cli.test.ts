// Finding 8: the Kafka service script took a just-killed (zombie) broker for a running one; only
// Redis's checked. The lifecycle is now the kit's, for every server: the services CLI runs here
// against a temporary state directory whose pid files name a zombie.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { reapZombies, zombie } from './zombie.js';

const cli = fileURLToPath(new URL('../../../scripts/services/cli.sh', import.meta.url));
const state = mkdtempSync(join(tmpdir(), 'tiercache-cli-'));
const run = promisify(execFile);

/** `cli.sh <args>` on the temporary state: its exit code and output. */
async function services(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run('bash', [cli, ...args], {
      env: { ...process.env, TIERCACHE_SERVICES_DIR: state },
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: `${failed.stdout}${failed.stderr}` };
  }
}

describe('the services CLI (scripts/services/cli.sh)', () => {
  afterAll(() => {
    reapZombies();
    rmSync(state, { recursive: true, force: true });
  });

  it.each([
    ['kafka', 'kafka/pid'],
    ['redis', 'redis/redis.pid'],
    ['memcached', 'memcached/memcached.pid'],
  ])('status reports a zombie %s as not running (exit 3)', async (name, pidFile) => {
    mkdirSync(join(state, pidFile, '..'), { recursive: true });
    writeFileSync(join(state, pidFile), `${await zombie()}\n`);
    writeFileSync(join(state, pidFile, '..', 'port'), '1\n');
    expect(await services('status', name)).toEqual({ code: 3, out: `${name}: not running\n` });
  });

  it('refuses an unknown server by name (exit 2)', async () => {
    const { code, out } = await services('start', 'mongo');
    expect(code).toBe(2);
    expect(out).toMatch(/unknown server "mongo"; known: redis, memcached, kafka/);
  });
});
