// Issue 18 item 4 (ownership): with `closeStream`, closing the cache closes the Streams bus's
// stream and the process exits by itself; without it the stream stays the caller's.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireServer } from '@tiercache/test-kit';
import { describe, expect, it } from 'vitest';

const redisUrl = await requireServer('redis');
const brokers = await requireServer('kafka');
const script = fileURLToPath(new URL('./fixtures/stream-bus-exit.mjs', import.meta.url));

/** Run the fixture; resolves whether it printed "closed" and whether it exited within `boundMs` after that. */
function run(kind: string, address: string, closeStream: boolean, boundMs: number) {
  return new Promise<{ closed: boolean; exited: boolean; stderr: string }>((resolve) => {
    const proc = spawn(process.execPath, [script, kind, address, String(closeStream)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    proc.stderr.on('data', (d) => {
      stderr += String(d);
    });
    proc.stdout.on('data', (d) => {
      out += String(d);
      if (out.includes('closed') && !timer) {
        timer = setTimeout(() => {
          proc.kill('SIGKILL');
          resolve({ closed: true, exited: false, stderr });
        }, boundMs);
      }
    });
    proc.on('exit', () => {
      clearTimeout(timer);
      resolve({ closed: out.includes('closed'), exited: true, stderr });
    });
  });
}

const setups: [string, string][] = [];
if (redisUrl) setups.push(['redis', redisUrl]);
if (brokers) setups.push(['kafka', brokers]);

describe.each(setups)('a cache on a %s Streams bus, in its own process', (kind, address) => {
  it('exits by itself after cache.close() when the transport owns the stream (closeStream: true)', async () => {
    const result = await run(kind, address, true, 5000);
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ closed: true, exited: true });
  }, 30_000);

  it('keeps a stream it was only lent open (closeStream left out): the process is still alive', async () => {
    const result = await run(kind, address, false, 2000);
    expect(result).toMatchObject({ closed: true, exited: false });
  }, 30_000);
});
