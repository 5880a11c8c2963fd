import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Each new group must catch a backend that gets its rule wrong, with a message that says what
 * to fix. The deliberately broken backends live in `fixtures/*.fixture.ts`; one child vitest
 * runs only the new groups against all of them (`-t`), and these cases read its JSON report.
 */

interface AssertionResult {
  fullName: string;
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}
interface JsonReport {
  testResults: { name: string; assertionResults: AssertionResult[] }[];
}

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const GROUPS = 'lifecycle|errors|stream arguments|stream id order|in a TieredCache';
let results: AssertionResult[] = [];

beforeAll(async () => {
  const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'tcc-broken-'));
  const out = join(dir, 'report.json');
  // The child is a vitest of its own, not a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          vitest,
          'run',
          '--config',
          join(fixtures, 'vitest.config.ts'),
          '-t',
          GROUPS,
          '--reporter=json',
          `--outputFile=${out}`,
        ],
        { cwd: fixtures, env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      child.on('error', reject);
      child.on('exit', (c) =>
        c === 0 || c === 1 ? resolve(c) : reject(new Error(`child vitest exited ${c}: ${stderr}`)),
      );
    });
    expect(code, 'the broken backends must fail').toBe(1);
    const report = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
    results = report.testResults.flatMap((file) => file.assertionResults);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

/** The one result whose name contains every part, with its failure text. */
function result(...parts: string[]): AssertionResult & { message: string } {
  const found = results.filter((r) => parts.every((p) => r.fullName.includes(p)));
  expect(
    found.map((r) => r.fullName),
    `one case named like ${parts.join(' … ')}`,
  ).toHaveLength(1);
  return { ...found[0]!, message: found[0]!.failureMessages.join('\n') };
}

function expectFailure(parts: string[], ...says: RegExp[]): void {
  const r = result(...parts);
  expect(r.status, r.fullName).toBe('failed');
  for (const re of says) expect(r.message).toMatch(re);
}

describe('lifecycle catches a backend that ignores close()', () => {
  const suite = 'no-guard backend';
  it('calls after close() that still answer, named one by one, with the kit helper to use', () => {
    expectFailure(
      [suite, 'every method rejects with ClosedError'],
      /must reject with ClosedError \(code TIERCACHE_CLOSED\)/,
      /ClosedGuard/,
      /get: resolved/,
      /setWithTtl: resolved/,
    );
  });

  it('healthCheck true after close()', () => {
    expectFailure(
      [suite, 'healthCheck resolves false'],
      /healthCheck\(\) after close\(\) must resolve false/,
    );
  });

  it('a timer close() forgot, in-process and in a child process', () => {
    expectFailure(
      [suite, 'no socket, timer'],
      /still open .* after close\(\): Timeout ×1/,
      /close\(\) must end every/,
    );
    expectFailure(
      [suite, 'child process'],
      /still running 1000 ms after close\(\) resolved/,
      /still open: \["Timeout"\]/,
    );
  });

  it('an idempotent close() still passes', () => {
    expect(result(suite, 'close() is idempotent').status).toBe('passed');
  });
});

describe('errors catches a backend with the wrong error categories', () => {
  const suite = 'careless codec';
  it('lists the hooks it was given', () => {
    expect(result(suite, 'optional hooks given: withSerializer, writeRaw, againstSilentServer').status).toBe(
      'passed',
    );
  });

  it('a serializer error that escapes unwrapped', () => {
    expectFailure(
      [suite, 'serializer that throws'],
      /reject the write with SerializationError/,
      /ValueCodec/,
      /setWithTtl on a new key: rejected with Error: this serializer refuses/,
    );
  });

  it('an unreadable value answered as a miss, directly and inside a TieredCache', () => {
    expectFailure(
      [suite, 'reads reject with DeserializationError'],
      /contracts\.ts: a stored value the backend cannot decode rejects the read with DeserializationError/,
      /get: resolved undefined instead of rejecting with DeserializationError/,
    );
    expectFailure([suite, 'inside a TieredCache'], /must report the DeserializationError as tier:error/);
  });

  it('calls that outlive the declared timeoutMs', () => {
    expectFailure(
      [suite, 'server that never answers'],
      /with timeoutMs = 200 declared, no call may wait on the server longer than that/,
      /get: had not settled after \d+ ms \(expected TimeoutError/,
      /healthCheck: must resolve false/,
    );
  });
});

describe('stream arguments catch a stream that checks nothing', () => {
  const suite = 'naive stream';
  const cases: [string, RegExp][] = [
    [
      'count 0, -1, 1.5 or NaN',
      /streamRead\(count 1\.5\): resolved .* instead of rejecting with InvalidOptionError/,
    ],
    ['maxLen 0, -1 or 1.5', /checkMaxLen/],
    ['blockMs -1, NaN or 2^31', /streamRead\(blockMs -1\): resolved/],
    ['fields [], ', /streamAdd\(fields \[\]\): resolved "e\d+" instead of rejecting with InvalidValueError/],
    [
      'malformed read id',
      /streamRead\(lastId "abc"\): resolved .* instead of rejecting with InvalidStreamIdError/,
    ],
    ["empty stream name ''", /checkStreamName/],
  ];
  for (const [name, says] of cases) {
    it(name, () => {
      expectFailure([suite, name], says, /from @tiercache\/core\/adapter so every backend answers alike/);
    });
  }

  it('ids compareStreamIds cannot order', () => {
    expectFailure(
      [suite, 'compare in publish order'],
      /compareStreamIds cannot read the id "e\d+": stream ids must be whole numbers joined by "-"/,
    );
  });
});

describe('in a TieredCache catches a backend that misleads the cache', () => {
  const suite = 'careless backend';
  it('a remaining TTL reported as the TTL written: promotion and fail-safe', () => {
    expectFailure([suite, 'promoted into L1'], /getWithTtl must report the remaining TTL/);
    expectFailure([suite, 'fail-safe'], /reported more time left than the entry had/);
  });

  it('removePattern and clear that do nothing', () => {
    expectFailure(
      [suite, 'invalidatePattern reaches'],
      /removePattern on the tier: it must delete every key matching/,
    );
    expectFailure([suite, 'clear reaches'], /clear must empty the backend's namespace/);
  });

  it('setIfUnchanged that ignores its token', () => {
    expectFailure(
      [suite, 'guarded writes'],
      /setIfUnchanged stored a value over a delete made after its token was read/,
    );
  });
});
