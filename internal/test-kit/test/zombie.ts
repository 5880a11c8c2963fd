import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from '../src/eventually.js';
import { processState } from '../src/native/process.js';

const parents: ChildProcess[] = [];

/**
 * A zombie: a child that exits under a parent that never reaps it (bash execs into `sleep`
 * first; the child outlives that exec by a second, so bash cannot reap it on the way).
 */
export async function zombie(): Promise<number> {
  const parent = spawn('bash', ['-c', 'sleep 1 & echo $!; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  parents.push(parent);
  const pid = await new Promise<number>((resolve) =>
    parent.stdout!.once('data', (d) => resolve(Number(String(d)))),
  );
  await eventually(() => processState(pid) === 'Z', {
    timeoutMs: 15_000,
    message: `pid ${pid} to become a zombie`,
  });
  return pid;
}

/** Kill the parents (and so reap the zombies) made by {@link zombie}. */
export function reapZombies(): void {
  for (const parent of parents.splice(0)) parent.kill('SIGKILL');
}
