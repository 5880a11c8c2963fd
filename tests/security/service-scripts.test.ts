// Finding 8: `kafka.sh` took a just-killed (zombie) broker for a running one; only redis.sh
// checked. Each script runs here from a copy in a temporary root whose pid file names a zombie.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const services = fileURLToPath(new URL('../../scripts/services', import.meta.url));

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

describe('service scripts and a zombie server process', () => {
  const root = mkdtempSync(join(tmpdir(), 'tiercache-zombie-'));
  mkdirSync(join(root, 'scripts'), { recursive: true });
  cpSync(services, join(root, 'scripts/services'), { recursive: true });
  const parents: ChildProcess[] = [];
  afterAll(() => {
    for (const p of parents) p.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it.each([
    ['kafka', '.services/kafka/pid'],
    ['redis', '.services/redis/redis.pid'],
    ['memcached', '.services/memcached/memcached.pid'],
  ])('%s.sh status reports a zombie as not running', async (name, pidFile) => {
    const { pid, parent } = await zombie();
    parents.push(parent);
    mkdirSync(join(root, pidFile, '..'), { recursive: true });
    writeFileSync(join(root, pidFile), `${pid}\n`);
    writeFileSync(join(root, pidFile, '..', 'port'), '1\n');
    let status = 0;
    let out = '';
    try {
      out = execFileSync('bash', [join(root, 'scripts/services', `${name}.sh`), 'status'], {
        encoding: 'utf8',
      });
    } catch (error) {
      status = (error as { status: number }).status;
      out = String((error as { stdout: string }).stdout);
    }
    expect(out).toMatch(/not running|stopped/);
    expect(status).toBe(3);
  });
});
