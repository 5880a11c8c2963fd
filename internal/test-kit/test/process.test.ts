import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../src/eventually.js';
import {
  alive,
  freezeProcess,
  PidFile,
  processState,
  spawnDetached,
  terminate,
  withLock,
} from '../src/native/process.js';
import { reapZombies, zombie } from './zombie.js';

const dir = mkdtempSync(join(tmpdir(), 'tiercache-process-'));
afterAll(() => {
  reapZombies();
  rmSync(dir, { recursive: true, force: true });
});

describe('the process primitive', () => {
  it('takes a zombie for a dead process (kill -0 still succeeds on it)', async () => {
    const pid = await zombie();
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(alive(pid)).toBe(false);
  });

  it('a pid file names a running server only while that pid is alive and runs the expected command', async () => {
    const pid = await spawnDetached({ command: 'sleep', args: ['30'], logFile: join(dir, 'sleep.log') });
    const file = new PidFile(join(dir, 'sleep.pid'), 'sleep');
    file.write(pid);
    expect(file.running()).toBe(pid);
    expect(
      new PidFile(file.path, 'redis').running(),
      'a recycled pid running something else',
    ).toBeUndefined();
    await expect(terminate(pid, 5_000)).resolves.toBe('terminated');
    expect(file.running()).toBeUndefined();
    file.write(await zombie());
    expect(file.running()).toBeUndefined();
  });

  it('stops a process that ignores SIGTERM with SIGKILL after the grace period, and a frozen one too', async () => {
    const stubborn = await spawnDetached({
      command: 'bash',
      args: ['-c', "trap '' TERM; echo up; while :; do sleep 0.05; done"],
      logFile: join(dir, 'stubborn.log'),
    });
    await eventually(() => readFileSync(join(dir, 'stubborn.log'), 'utf8').includes('up'), {
      message: 'the process to ignore SIGTERM',
    });
    const started = Date.now();
    await expect(terminate(stubborn, 300)).resolves.toBe('killed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(alive(stubborn)).toBe(false);

    const frozen = await spawnDetached({ command: 'sleep', args: ['30'], logFile: join(dir, 'sleep.log') });
    await freezeProcess(frozen);
    expect(processState(frozen)).toBe('T');
    await expect(terminate(frozen, 5_000), 'SIGCONT first, so SIGTERM is acted on').resolves.toBe(
      'terminated',
    );
  });

  it('runs one holder of a lock at a time and takes over a lock whose holder is dead', async () => {
    const lock = join(dir, 'lock');
    const order: string[] = [];
    const first = withLock(lock, 5_000, async () => {
      order.push('first in');
      await new Promise((r) => setTimeout(r, 100));
      order.push('first out');
    });
    const second = withLock(lock, 5_000, async () => {
      order.push('second');
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);

    writeFileSync(lock, `${await zombie()}\n`);
    await expect(withLock(lock, 1_000, async () => 'taken over')).resolves.toBe('taken over');
  });
});
