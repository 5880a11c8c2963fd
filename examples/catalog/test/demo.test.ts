import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireServer } from '@tiercache/test-kit';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const small = { DEMO_REQUESTS: '3000', DEMO_STAMPEDE: '200' };

describe('pnpm demo', () => {
  it('runs on the embedded default and prints its table with a passing stampede check', async () => {
    const env = { ...process.env, ...small };
    delete env.REDIS_URL;
    const { stdout } = await run(process.execPath, [main], { env, timeout: 60_000 });
    expect(stdout).toContain('L2: in-memory (embedded default');
    expect(stdout).toMatch(/\| hit rate L1 \(l1-lru\)\s+\| \d+\.\d %/);
    expect(stdout).toMatch(
      /stampede check\s+\| 200 concurrent requests for a cold key → 1 factory run \(OK\)/,
    );
  });
});

const redisUrl = await requireServer('redis');

describe.skipIf(!redisUrl)('pnpm demo with REDIS_URL', () => {
  it('uses Redis as L2 and Redis Streams for events, and says so', async () => {
    const { stdout } = await run(process.execPath, [main], {
      env: { ...process.env, ...small, REDIS_URL: redisUrl },
      timeout: 60_000,
    });
    expect(stdout).toContain(`L2: Redis at ${redisUrl} (REDIS_URL)`);
    expect(stdout).toContain('events and invalidation bus: Redis Streams');
    expect(stdout).toMatch(/\| hit rate L2 \(redis\)/);
    expect(stdout).toContain('1 factory run (OK)');
    expect(stdout).toMatch(/event stream\s+\| published \d+-\d+, latest read back: type=demo-finished/);
  });
});
