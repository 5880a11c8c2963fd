// The consumer check: what an adopter gets from the published tarballs, outside the monorepo.
// Packs every public package, installs the tarballs into fresh npm projects in a temp dir and
// prints one table:
//   - ESM (import) and CJS (require) consumers on Node 20, 22 and 24, each with the app's own
//     ioredis (a 5.x other than ours, and 6.x), exactly one ioredis copy installed, and each
//     process exiting by itself after close();
//   - TypeScript consumers (module node16, nodenext as CJS and as ESM, bundler) compiling
//     with inferred types against the app's ioredis types (the CJS one also runs);
//   - the conformance kit under vitest 3 and the newest vitest (and a second `npm install`
//     that must not fail with ERESOLVE);
//   - every runnable code block of the docs, type-checked and run from the tarballs, exiting
//     by itself.
// Needs REDIS_URL and MEMCACHED_SERVERS (scripts/consumer-check.sh starts the servers);
// KAFKA_BROKERS is used when set (else Kafka doc blocks are reported as not run). Node 22/24
// come from the `node` package on npm, cached under ~/.cache/tiercache-node (or --node-cache).
// Exits non-zero when any cell fails. Run after `pnpm build`.
//
//   node scripts/consumer-check.mjs [--nodes 20,22,24] [--node-cache DIR] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { docBlocks, serversUsed } from './lib/doc-blocks.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const nodesArg = args.includes('--nodes') ? args[args.indexOf('--nodes') + 1] : '20,22,24';
const wantedNodes = nodesArg.split(',').map((v) => v.trim());

const IOREDIS = ['5.10.1', '6.0.0']; // the app's own: a 5.x other than the repo's 5.11.1, and 6
const TYPESCRIPT = '5.9.3';
const TYPES_NODE = '20.19.43';
const VITEST_OLDEST = '3.2.4';
const EXIT_WITHIN_MS = 30_000;

for (const name of ['REDIS_URL', 'MEMCACHED_SERVERS']) {
  if (!process.env[name]) {
    console.error(
      `consumer check: ${name} is not set; run it through scripts/consumer-check.sh, which starts the servers`,
    );
    process.exit(2);
  }
}

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'tiercache-consumer-'));
const run = (cmd, argv, cwd, extra = {}) =>
  execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...extra });
const npm = (argv, cwd) => run('npm', [...argv, '--no-audit', '--no-fund', '--loglevel=error'], cwd);

// --- the Node binaries -------------------------------------------------------------------------
const nodeCache = args.includes('--node-cache')
  ? args[args.indexOf('--node-cache') + 1]
  : join(homedir(), '.cache', 'tiercache-node');
const nodes = new Map();
for (const major of wantedNodes) {
  if (process.version.startsWith(`v${major}.`)) {
    nodes.set(major, process.execPath);
    continue;
  }
  const dir = join(nodeCache, major);
  const bin = join(dir, 'node_modules', '.bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    console.log(`consumer check: installing node@${major} into ${dir}`);
    npm(['install', `node@${major}`], dir);
  }
  nodes.set(major, bin);
}
const nodeVersions = new Map([...nodes].map(([major, bin]) => [major, run(bin, ['--version'], work).trim()]));
console.log(`consumer check: Node ${[...nodeVersions.values()].join(', ')}; work dir ${work}`);

// --- the tarballs ------------------------------------------------------------------------------
const tarballs = new Map();
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  run('pnpm', ['pack', '--pack-destination', work], join(root, 'packages', dir));
  tarballs.set(
    manifest.name,
    join(work, `${manifest.name.replace('@', '').replace('/', '-')}-${manifest.version}.tgz`),
  );
}
const tgz = (...names) => names.map((name) => tarballs.get(name));

// --- results -----------------------------------------------------------------------------------
const rows = [];
let failures = 0;
/** One table row: `cells` maps a column (a Node major, or "all") to "ok" or a failure text. */
function record(check, cells) {
  rows.push({ check, cells });
  for (const cell of Object.values(cells)) if (!cell.startsWith('ok') && cell !== '—') failures++;
}

/** Run `file` with `bin` in `cwd`; "ok" when it printed `marker` and exited 0 by itself in time. */
function runConsumer(bin, file, cwd, marker, env = {}) {
  const result = spawnSync(bin, [file], {
    cwd,
    encoding: 'utf8',
    timeout: EXIT_WITHIN_MS,
    env: { ...process.env, ...env },
  });
  if (result.signal) return `did not exit within ${EXIT_WITHIN_MS / 1000} s after close()`;
  if (result.status !== 0) return `exit ${result.status}: ${lastLine(result.stderr || result.stdout)}`;
  if (marker && !result.stdout.includes(marker))
    return `no "${marker}" in output: ${lastLine(result.stdout)}`;
  return 'ok';
}
const stripAnsi = (text) => stripVTControlCharacters(String(text ?? ''));
const lastLine = (text) =>
  stripAnsi(text)
    .trim()
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('at '))
    .slice(-2)
    .join(' / ')
    .slice(0, 160);

function project(name, pkg = {}) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, private: true, version: '1.0.0', ...pkg }, null, 2),
  );
  return dir;
}

/** Every installed copy of `name` under `dir`'s node_modules (nested ones included), by version. */
function installedCopies(dir, name) {
  const copies = [];
  const walk = (modules) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(modules, entry)))
          visit(join(modules, entry, scoped), `${entry}/${scoped}`);
      } else if (!entry.startsWith('.')) visit(join(modules, entry), entry);
    }
  };
  const visit = (pkgDir, pkgName) => {
    if (pkgName === name && existsSync(join(pkgDir, 'package.json'))) {
      copies.push(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version);
    }
    walk(join(pkgDir, 'node_modules'));
  };
  walk(join(dir, 'node_modules'));
  return copies;
}

// --- app projects: the runtime consumers -------------------------------------------------------
const appPackages = [
  '@tiercache/core',
  '@tiercache/l1-lru',
  '@tiercache/l2-redis',
  '@tiercache/stream-redis',
  '@tiercache/l2-memcached',
  '@tiercache/stream-kafka',
  '@tiercache/keyv',
  '@tiercache/otel',
];

// The same program twice: as an ES module (import) and as CommonJS (require). It uses the app's
// own ioredis client for the tier, the pub/sub bus and a stream, closes what it created, quits
// its own client, and must then exit by itself.
const program = (load) => `${load}
async function main() {
  const client = new Redis(process.env.REDIS_URL);
  const prefix = 'consumer:' + process.pid + ':';
  const cache = new TieredCache({
    tiers: [lruTier({ maxEntries: 100 }), new RedisBackend({ client, prefix })],
    bus: { transport: new RedisPubSubTransport({ client }) },
  });
  const stream = new RedisStream({ client, prefix });
  const memcached = new MemcachedBackend({ servers: process.env.MEMCACHED_SERVERS, namespace: 'consumer' });
  try {
    await cache.ready();
    await cache.set('k', { n: 1 }, { ttl: '1 minute' });
    const value = await cache.getOrSet('k', async () => ({ n: 2 }));
    if (value.n !== 1) throw new Error('unexpected value ' + JSON.stringify(value));
    const id = await stream.streamAdd('s', [['f', 'v']]);
    const [latest] = await stream.streamReadLatest('s', 1);
    if (latest.id !== id) throw new Error('stream mismatch');
    await memcached.setWithTtl('k', 1, 10_000);
    if ((await memcached.get('k')) !== 1) throw new Error('memcached mismatch');
    if (typeof KafkaStream !== 'function' || typeof toKeyvStore !== 'function' || typeof instrumentCache !== 'function') {
      throw new Error('missing exports');
    }
    console.log('consumer ok');
  } finally {
    await stream.close();
    await memcached.close();
    await cache.close();
    await client.quit(); // the app's own client: the app closes it, tiercache does not
  }
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;
const esmLoad = `import { Redis } from 'ioredis';
import { TieredCache } from '@tiercache/core';
import { lruTier } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';
import { MemcachedBackend } from '@tiercache/l2-memcached';
import { KafkaStream } from '@tiercache/stream-kafka';
import { toKeyvStore } from '@tiercache/keyv';
import { instrumentCache } from '@tiercache/otel';`;
const cjsLoad = `const { Redis } = require('ioredis');
const { TieredCache } = require('@tiercache/core');
const { lruTier } = require('@tiercache/l1-lru');
const { RedisBackend, RedisPubSubTransport } = require('@tiercache/l2-redis');
const { RedisStream } = require('@tiercache/stream-redis');
const { MemcachedBackend } = require('@tiercache/l2-memcached');
const { KafkaStream } = require('@tiercache/stream-kafka');
const { toKeyvStore } = require('@tiercache/keyv');
const { instrumentCache } = require('@tiercache/otel');`;

// TypeScript: no annotation on what tiercache returns; a wrong type must be an error, so the
// @ts-expect-error lines fail the compile if inference gave `any` (or `undefined`).
const typedBody = `
  const client = new Redis(process.env.REDIS_URL ?? '');
  const cache = new TieredCache<{ id: number; name: string }>({
    tiers: [lruTier({ maxEntries: 100 }), new RedisBackend({ client, prefix: 'consumer-ts:' })],
  });
  const product = await cache.getOrSet('p:1', async () => ({ id: 1, name: 'Ada' }), { ttl: '10 minutes' });
  const name: string = product.name;
  // @ts-expect-error the value type is inferred, so a number is not a string
  const wrong: number = product.name;
  const plain = new TieredCache({ tiers: [lruTier({ maxEntries: 10 })] });
  await plain.set('k', { any: 'value' });
  const got = await plain.get('k');
  // @ts-expect-error without a declared type the value is unknown, not any
  got.any;
  await plain.close();
  await cache.close();
  await client.quit();
  console.log('typed ok', name, wrong === undefined);
`;
const typedImports = `import { Redis } from 'ioredis';
import { TieredCache } from '@tiercache/core';
import { lruTier } from '@tiercache/l1-lru';
import { RedisBackend } from '@tiercache/l2-redis';
`;
const typedProgram = `${typedImports}
async function main(): Promise<void> {${typedBody}}
main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
const tsConfigs = {
  // node16 forbids require() of an ES module, so its consumer is an ES module (.mts); the
  // CommonJS consumers compile with nodenext (README: "import or require").
  'node16 (ESM)': { module: 'node16', moduleResolution: 'node16', file: 'node16.mts', runs: false },
  'nodenext (CJS)': {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    file: 'nodenext-cjs.cts',
    runs: true,
  },
  'nodenext (ESM)': {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    file: 'nodenext-esm.mts',
    runs: false,
  },
  bundler: { module: 'esnext', moduleResolution: 'bundler', file: 'bundler.ts', runs: false },
};

for (const ioredis of IOREDIS) {
  const dir = project(`app-ioredis-${ioredis}`);
  let installError;
  try {
    npm(
      [
        'install',
        `ioredis@${ioredis}`,
        'memjs@1.3.2',
        'kafkajs@2.2.4',
        'keyv@5.6.0',
        '@opentelemetry/api@1.9.0',
        `typescript@${TYPESCRIPT}`,
        `@types/node@${TYPES_NODE}`,
        ...tgz(...appPackages),
      ],
      dir,
    );
  } catch (error) {
    installError = lastLine(error.stderr ?? error.message);
  }
  const copies = installError ? [] : installedCopies(dir, 'ioredis');
  record(`app's own ioredis ${ioredis} accepted, one copy installed`, {
    all: installError
      ? `npm install failed: ${installError}`
      : copies.length === 1 && copies[0] === ioredis
        ? 'ok'
        : `ioredis copies: ${copies.join(', ') || 'none'}`,
  });
  if (installError) continue;
  writeFileSync(join(dir, 'consumer.mjs'), program(esmLoad));
  writeFileSync(join(dir, 'consumer.cjs'), program(cjsLoad));
  for (const [kind, file] of [
    ['ESM consumer (import)', 'consumer.mjs'],
    ['CJS consumer (require)', 'consumer.cjs'],
  ]) {
    const cells = {};
    for (const [major, bin] of nodes) cells[major] = runConsumer(bin, file, dir, 'consumer ok');
    record(`${kind}, ioredis ${ioredis}, exits after close()`, cells);
  }
  // TypeScript consumers, against this ioredis's own types.
  for (const [label, ts] of Object.entries(tsConfigs)) {
    writeFileSync(join(dir, ts.file), typedProgram);
    const config = `tsconfig.${ts.file.replace(/\.\w+$/, '')}.json`;
    writeFileSync(
      join(dir, config),
      JSON.stringify({
        compilerOptions: {
          module: ts.module,
          moduleResolution: ts.moduleResolution,
          target: 'es2022',
          strict: true,
          types: ['node'],
          outDir: `out-${ts.file.replace(/\.\w+$/, '')}`,
          noEmit: !ts.runs,
        },
        files: [ts.file],
      }),
    );
    let cell;
    try {
      run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', config], dir);
      cell = 'ok';
    } catch (error) {
      cell = `tsc: ${lastLine(error.stdout || error.stderr)}`;
    }
    const cells = { all: cell };
    if (ts.runs && cell === 'ok') {
      const out = join(`out-${ts.file.replace(/\.\w+$/, '')}`, ts.file.replace(/\.cts$/, '.cjs'));
      for (const [major, bin] of nodes) cells[major] = runConsumer(bin, out, dir, 'typed ok');
    }
    record(
      `TS ${label}${ts.runs ? ' compiles and runs' : ' compiles'}, inferred types, ioredis ${ioredis}`,
      cells,
    );
  }
  // The docs' code blocks, type-checked and run from the tarballs (once, with the newest ioredis).
  if (ioredis === IOREDIS.at(-1)) checkDocBlocks(dir);
}

// --- the conformance kit -----------------------------------------------------------------------
const newestVitest = run('npm', ['view', 'vitest', 'version'], work).trim();
for (const vitest of [VITEST_OLDEST, newestVitest]) {
  const dir = project(`kit-vitest-${vitest}`, { type: 'module' });
  const cells = {};
  try {
    npm(['install', `vitest@${vitest}`, ...tgz('@tiercache/core', '@tiercache/conformance')], dir);
    writeFileSync(
      join(dir, 'memory-backend.test.js'),
      `import { describeCacheBackend } from '@tiercache/conformance';
import { MemoryBackend } from '@tiercache/core';

describeCacheBackend('MemoryBackend', () => new MemoryBackend());
`,
    );
    // A later install in the same project must still resolve (no ERESOLVE on the peer range).
    npm(['install'], dir);
    for (const [major, bin] of nodes) {
      const result = spawnSync(bin, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 180_000,
        env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      const passed = /Tests\s+(\d+) passed/.exec(stripAnsi(result.stdout))?.[1];
      cells[major] =
        result.status === 0 && passed
          ? 'ok'
          : `vitest exit ${result.status ?? result.signal}: ${lastLine(result.stdout)}`;
      if (cells[major] === 'ok' && major === wantedNodes[0]) cells.all = `ok (${passed} tests)`;
    }
  } catch (error) {
    cells.all = `npm install failed: ${lastLine(error.stderr ?? error.message)}`;
  }
  record(`conformance kit on vitest ${vitest} (second npm install ok)`, cells);
}

// --- the docs' code blocks ---------------------------------------------------------------------
function checkDocBlocks(dir) {
  const blocks = docBlocks(root).filter((block) => !block.fragment);
  npm(
    [
      'install',
      'cache-manager@7.2.9',
      '@opentelemetry/sdk-metrics@2.12.0',
      '@opentelemetry/exporter-prometheus@0.223.0',
    ],
    dir,
  );
  const docsDir = join(dir, 'docs');
  mkdirSync(docsDir);
  for (const block of blocks) writeFileSync(join(docsDir, `${block.id}.mts`), `${block.code}\nexport {};\n`);
  writeFileSync(
    join(dir, 'tsconfig.docs.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        types: ['node'],
        outDir: 'docs-out',
        rootDir: 'docs',
      },
      include: ['docs/*.mts'],
    }),
  );
  let compiled = 'ok';
  try {
    run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.docs.json'], dir);
  } catch (error) {
    compiled = `tsc: ${lastLine(error.stdout || error.stderr)}`;
  }
  record(`docs: ${blocks.length} code blocks type-check against the tarballs`, { all: compiled });
  if (compiled !== 'ok') return;
  const failed = {};
  const notRun = [];
  for (const [major, bin] of nodes) {
    const bad = [];
    for (const block of blocks) {
      const missing = serversUsed(block.code).filter((name) => !process.env[name]);
      if (missing.length > 0) {
        if (major === wantedNodes[0]) notRun.push(`${block.file}:${block.line} (no ${missing.join(', ')})`);
        continue;
      }
      const cell = runConsumer(bin, join('docs-out', `${block.id}.mjs`), dir, '', {
        PROMETHEUS_PORT: String(9464 + Number(major)),
      });
      if (cell !== 'ok') bad.push(`${block.file}:${block.line} ${cell}`);
    }
    failed[major] = bad.length === 0 ? 'ok' : bad.join('; ');
  }
  record(
    `docs: every runnable block (${blocks.length - notRun.length}) runs and exits by itself after close()`,
    failed,
  );
  if (notRun.length > 0) {
    record(
      `docs: not run here for want of a server (pnpm test runs them the same way): ${notRun.join(', ')}`,
      { all: '—' },
    );
  }
}

// --- the table ---------------------------------------------------------------------------------
const columns = ['all', ...nodes.keys()];
const header = ['check', 'result', ...[...nodes.keys()].map((major) => `Node ${nodeVersions.get(major)}`)];
const lines = [header, header.map(() => '---')];
for (const { check, cells } of rows) lines.push([check, ...columns.map((column) => cells[column] ?? '·')]);
console.log('');
for (const line of lines) console.log(`| ${line.join(' | ')} |`);
console.log('');
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`consumer check: kept ${work}`);
if (failures > 0) {
  console.error(
    `consumer check FAILED: ${failures} cell(s) not ok (${Math.round((Date.now() - started) / 1000)} s)`,
  );
  process.exit(1);
}
console.log(`consumer check: ok (${Math.round((Date.now() - started) / 1000)} s)`);
