// Finding 8: the Kafka service script took a just-killed (zombie) broker for a running one; only
// Redis's checked. The lifecycle is now the test kit's, for every server: the services CLI runs
// here against a temporary state directory whose pid files name a zombie.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../scripts/services/cli.sh', import.meta.url));

/** A zombie: a child that exited under a parent (`sleep`, by exec) that never reaps it. */
async function zombie(): Promise<{ pid: number; parent: ChildProcess }> {
  const parent = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = await new Promise<number>((resolve) =>
    parent.stdout!.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  for (let i = 0; i < 50; i++) {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2];
    if (state === 'Z') return { pid, parent };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid ${pid} did not become a zombie`);
}

describe('the services CLI and a zombie server process', () => {
  const state = mkdtempSync(join(tmpdir(), 'tiercache-zombie-'));
  const parents: ChildProcess[] = [];
  afterAll(() => {
    for (const p of parents) p.kill('SIGKILL');
    rmSync(state, { recursive: true, force: true });
  });

  it.each([
    ['kafka', 'kafka/pid'],
    ['redis', 'redis/redis.pid'],
    ['memcached', 'memcached/memcached.pid'],
  ])('status reports a zombie %s as not running', async (name, pidFile) => {
    const { pid, parent } = await zombie();
    parents.push(parent);
    mkdirSync(join(state, pidFile, '..'), { recursive: true });
    writeFileSync(join(state, pidFile), `${pid}\n`);
    writeFileSync(join(state, pidFile, '..', 'port'), '1\n');
    let status = 0;
    let out = '';
    try {
      out = execFileSync('bash', [cli, 'status', name], {
        encoding: 'utf8',
        env: { ...process.env, TIERCACHE_SERVICES_DIR: state },
      });
    } catch (error) {
      status = (error as { status: number }).status;
      out = String((error as { stdout: string }).stdout);
    }
    expect(out).toMatch(/not running/);
    expect(status).toBe(3);
  });
});
