// The consumer check: what an adopter gets from the published tarballs, outside the monorepo.
// Packs every public package, installs the tarballs into fresh npm projects in a temp dir and
// prints one table:
//   - ESM (import) and CJS (require) consumers on Node 20, 22 and 24 (the newest of each, and
//     20.19.0 and 22.12.0, the oldest `engines` allows), each with the app's own ioredis (5.2.5,
//     the oldest of the peer range, and the newest on npm), exactly one ioredis copy (`npm ls`),
//     and each process exiting by itself after close();
//   - TypeScript consumers (module node16, nodenext as CJS and as ESM, bundler) compiling
//     with inferred types against the app's ioredis types (the CJS one also runs): a declared
//     value type flows through getOrSet, tags and namespaces, and `new TieredCache({ tiers })`
//     is TieredCache<unknown>, never undefined or any;
//   - the conformance kit under vitest 3 and the newest vitest (and a second `npm install`
//     that must not fail with ERESOLVE);
//   - every runnable code block of the docs, type-checked and run from the tarballs, exiting
//     by itself;
//   - every documented setup (pub/sub bus, the replay bus over RedisStream and over KafkaStream,
//     memcached, keyv both ways, otel, tags and namespaces), in ESM and CJS: two instances show
//     it works, then close() and the process must exit by itself.
// Needs REDIS_URL and MEMCACHED_SERVERS (scripts/consumer-check.sh starts the servers, Kafka
// too); without KAFKA_BROKERS the Kafka rows say "not run", which under CI=true is a failure.
// Node binaries other than the running one come from the `node` package on npm, cached under
// ~/.cache/tiercache-node (or --node-cache).
// Exits non-zero when any cell fails. Run after `pnpm build`.
//
//   node scripts/consumer-check.mjs [--nodes 20.19.0,20,22.12.0,22,24] [--node-cache DIR] [--keep]
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
// Columns: each major the engines range names, plus the oldest release of 20 and 22 it allows
// (require() of ES modules without a flag starts there), so `engines` says what is tested.
const nodesArg = args.includes('--nodes') ? args[args.indexOf('--nodes') + 1] : '20.19.0,20,22.12.0,22,24';
const wantedNodes = nodesArg.split(',').map((v) => v.trim());

// The app's own ioredis: the oldest the peer range (^5.2.5 || ^6.0.0) allows, which is also
// not the repo's 5.11.1, and the newest on npm (6.x today). 5.2.5 is the first 5.x with the
// named `Redis` export (5.0.0 to 5.2.4 export it as a type only).
const IOREDIS_OLDEST = '5.2.5';
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
const newestOnNpm = (name) => run('npm', ['view', name, 'version'], work).trim();
const IOREDIS = [IOREDIS_OLDEST, newestOnNpm('ioredis')];

// --- the Node binaries -------------------------------------------------------------------------
const nodeCache = args.includes('--node-cache')
  ? args[args.indexOf('--node-cache') + 1]
  : join(homedir(), '.cache', 'tiercache-node');
const nodes = new Map();
for (const major of wantedNodes) {
  // "22" is the newest 22.x on npm, "22.12.0" that release exactly.
  const exact = major.split('.').length === 3;
  if (exact ? process.version === `v${major}` : process.version.startsWith(`v${major}.`)) {
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
  for (const cell of Object.values(cells)) if (!cell.startsWith('ok') && !cell.startsWith('—')) failures++;
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

/**
 * `npm ls <name> --all --parseable`: the paths of every installed copy of `name`, and a problem
 * when npm reports one (an invalid or missing peer makes `npm ls` exit non-zero).
 */
function npmLs(dir, name) {
  const result = spawnSync('npm', ['ls', name, '--all', '--parseable'], { cwd: dir, encoding: 'utf8' });
  const paths = result.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.endsWith(`/node_modules/${name}`));
  return { paths, problem: result.status === 0 ? undefined : lastLine(result.stderr || result.stdout) };
}

/**
 * Compile a file importing only ioredis, strict and without skipLibCheck. When that fails on a
 * module ioredis's declarations import without shipping its types, install `@types/<module>`
 * and return a note for the rows; any other failure is left to the TS rows to show.
 */
function ioredisTypesFix(dir) {
  writeFileSync(join(dir, 'ioredis-alone.mts'), "import { Redis } from 'ioredis';\nexport type R = Redis;\n");
  const tsc = join(dir, 'node_modules', '.bin', 'tsc');
  const flags = ['--strict', '--noEmit', '--module', 'nodenext', '--types', 'node', 'ioredis-alone.mts'];
  const alone = spawnSync(tsc, flags, { cwd: dir, encoding: 'utf8' });
  if (alone.status === 0) return '';
  const missing = /Could not find a declaration file for module '([^']+)'/.exec(alone.stdout)?.[1];
  if (!missing) return '';
  npm(['install', `@types/${missing}`], dir);
  return ` (ioredis's own types need @types/${missing}, installed)`;
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
  const memcached = new MemcachedBackend({ servers: process.env.MEMCACHED_SERVERS, prefix: 'consumer' });
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
  // The app's own client, typed by the app's ioredis, is accepted by every Redis class.
  const cache = new TieredCache<{ id: number; name: string }>({
    tiers: [lruTier({ maxEntries: 100 }), new RedisBackend({ client, prefix: 'consumer-ts:' })],
    bus: { transport: new RedisPubSubTransport({ client }), channel: 'consumer-ts' },
  });
  const stream = new RedisStream({ client, prefix: 'consumer-ts:' });
  await stream.streamAdd('s', [['f', 'v']]);
  await stream.close();
  const product = await cache.getOrSet('p:1', async () => ({ id: 1, name: 'Ada' }), { ttl: '10 minutes' });
  const name: string = product.name;
  // @ts-expect-error the value type is inferred, so a number is not a string
  const wrong: number = product.name;
  // The README's shapes: tags on set and on the one-object getOrSet, a namespace of the same type.
  await cache.set('p:2', { id: 2, name: 'Grace' }, { tags: ['catalog'] });
  const listed = await cache.getOrSet({ key: 'p:3', factory: async () => ({ id: 3, name: 'Lin' }), tags: ['catalog'] });
  const users = cache.namespace('users');
  const user = await users.getOrSet('1', async () => ({ id: 1, name: 'Ada' }));
  const userName: string = user.name;
  // @ts-expect-error a namespace keeps the cache's value type
  await users.set('2', { id: 'two' });
  await cache.invalidateTags(['catalog']);
  await users.clear();
  // Without a declared type: V is unknown (never undefined, never any), so any value can be set.
  const plain = new TieredCache({ tiers: [lruTier({ maxEntries: 10 }), new RedisBackend({ client, prefix: 'consumer-ts-plain:' })] });
  const isUnknown: IsUnknown<ValueOf<typeof plain>> = true;
  await plain.set('k', { any: 'value' });
  await plain.namespace('n').set('k', 42, { tags: ['t'] });
  const got = await plain.get('k');
  // @ts-expect-error without a declared type the value is unknown, not any
  got.any;
  await plain.close();
  await cache.close();
  await client.quit();
  console.log('typed ok', name, userName, listed.id, isUnknown, wrong === undefined);
`;
const typedImports = `import { Redis } from 'ioredis';
import { TieredCache } from '@tiercache/core';
import { lruTier } from '@tiercache/l1-lru';
import { RedisBackend, RedisPubSubTransport } from '@tiercache/l2-redis';
import { RedisStream } from '@tiercache/stream-redis';

type ValueOf<C> = C extends TieredCache<infer V> ? V : never;
// true only for unknown: undefined, any and object types all fail it.
type IsUnknown<T> = 0 extends 1 & T ? false : unknown extends T ? true : false;
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

// --- the documented setups ---------------------------------------------------------------------
// Each setup the READMEs document, as an app writes it (servers by url, so tiercache creates and
// owns the clients), in ESM and in CJS: two instances prove it works (a bus message reaches the
// other instance, a value comes back), then both close() and the process must exit by itself.
const POLL = `const until = async (what, check) => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('never happened: ' + what);
};
const run = process.pid + '-' + Date.now();
`;
/** `make()`: a cache over L1 and Redis with the pub/sub bus, all by url (the cache owns them). */
const redisWithPubSub = `const url = process.env.REDIS_URL;
  const make = () => new TieredCache({
    tiers: [lruTier({ maxEntries: 100 }), new RedisBackend({ url, prefix: 'setup:' + run + ':' })],
    bus: { transport: new RedisPubSubTransport({ url }), channel: 'setup-' + run },
  });`;
/** Two instances `a` and `b` of `make()`: b drops its L1 copy when a invalidates. */
const busCheck = `
  const a = make(), b = make();
  try {
    await Promise.all([a.ready(), b.ready()]);
    await b.set('k', 'old', { broadcast: false });
    await a.invalidate('k');
    await until('b hears a', async () => (await b.get('k')) === undefined);
  } finally {
    await a.close();
    await b.close();
  }`;
const SETUPS = [
  {
    name: 'pub/sub bus (RedisBackend + RedisPubSubTransport by url)',
    servers: ['REDIS_URL'],
    imports: {
      '@tiercache/core': ['TieredCache'],
      '@tiercache/l1-lru': ['lruTier'],
      '@tiercache/l2-redis': ['RedisBackend', 'RedisPubSubTransport'],
    },
    body: `${redisWithPubSub}${busCheck}`,
  },
  {
    name: 'replay bus: StreamBusTransport over RedisStream (closeStream)',
    servers: ['REDIS_URL'],
    imports: {
      '@tiercache/core': ['StreamBusTransport', 'TieredCache'],
      '@tiercache/l1-lru': ['lruTier'],
      '@tiercache/l2-redis': ['RedisBackend'],
      '@tiercache/stream-redis': ['RedisStream'],
    },
    body: `const url = process.env.REDIS_URL;
  const make = () => new TieredCache({
    tiers: [lruTier({ maxEntries: 100 }), new RedisBackend({ url, prefix: 'setup:' + run + ':' })],
    bus: {
      transport: new StreamBusTransport(new RedisStream({ url, prefix: 'setup:' + run + ':' }), { closeStream: true }),
      channel: 'setup-' + run,
    },
  });${busCheck}`,
  },
  {
    name: 'replay bus: StreamBusTransport over KafkaStream (closeStream)',
    servers: ['KAFKA_BROKERS'],
    imports: {
      '@tiercache/core': ['StreamBusTransport', 'TieredCache'],
      '@tiercache/l1-lru': ['lruTier'],
      '@tiercache/stream-kafka': ['KafkaStream'],
    },
    body: `const brokers = process.env.KAFKA_BROKERS;
  const make = () => new TieredCache({
    tiers: [lruTier({ maxEntries: 100 })],
    bus: {
      transport: new StreamBusTransport(new KafkaStream({ brokers, prefix: 'setup.' }), { closeStream: true }),
      channel: 'setup-' + run,
    },
  });${busCheck}`,
  },
  {
    name: 'memcached tier (memcachedTier by servers)',
    servers: ['MEMCACHED_SERVERS'],
    imports: {
      '@tiercache/core': ['TieredCache'],
      '@tiercache/l1-lru': ['lruTier'],
      '@tiercache/l2-memcached': ['memcachedTier'],
    },
    body: `const make = () => new TieredCache({
    tiers: [lruTier({ maxEntries: 100 }), memcachedTier({ servers: process.env.MEMCACHED_SERVERS, prefix: 'setup-' + run })],
  });
  const a = make(), b = make();
  try {
    await a.set('k', { n: 1 }, { ttl: '1 minute' });
    const seen = await b.get('k');
    if (seen?.n !== 1) throw new Error('b did not read a\\'s value from memcached: ' + JSON.stringify(seen));
  } finally {
    await a.close();
    await b.close();
  }`,
  },
  {
    name: 'keyv: keyvTier over @keyv/redis (closeClient) and toKeyvStore',
    servers: ['REDIS_URL'],
    imports: {
      '@tiercache/core': ['MemoryBackend', 'TieredCache'],
      '@tiercache/keyv': ['keyvTier', 'toKeyvStore'],
      keyv: ['Keyv'],
      '@keyv/redis': ['createKeyv'],
    },
    body: `const cache = new TieredCache({
    tiers: [
      new MemoryBackend({ name: 'l1' }),
      keyvTier(createKeyv(process.env.REDIS_URL, { namespace: 'setup-' + run, throwOnErrors: true }), { closeClient: true }),
    ],
  });
  const keyv = new Keyv({ store: toKeyvStore(cache), namespace: '', serialize: undefined, deserialize: undefined });
  try {
    await keyv.set('k', { n: 1 }, 60_000);
    const seen = await cache.get('k');
    if (seen?.n !== 1) throw new Error('keyv value not in the cache: ' + JSON.stringify(seen));
  } finally {
    await cache.close();
  }`,
  },
  {
    name: 'otel: instrumentCache with a MeterProvider',
    servers: ['REDIS_URL'],
    imports: {
      '@tiercache/core': ['TieredCache'],
      '@tiercache/l2-redis': ['redisTier'],
      '@tiercache/otel': ['instrumentCache'],
      '@opentelemetry/sdk-metrics': [
        'MeterProvider',
        'InMemoryMetricExporter',
        'PeriodicExportingMetricReader',
        'AggregationTemporality',
      ],
    },
    body: `const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const cache = new TieredCache({ name: 'setup', tiers: [redisTier({ url: process.env.REDIS_URL, prefix: 'setup:' + run + ':' })] });
  const stop = instrumentCache(cache, { meterProvider });
  try {
    await cache.getOrSet('k', async () => 1);
    await cache.get('k');
    await reader.forceFlush();
    const names = exporter.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics.map((x) => x.descriptor.name)));
    if (!names.some((n) => n.includes('hits'))) throw new Error('no hits metric: ' + names.join(', '));
  } finally {
    stop();
    await cache.close();
    await meterProvider.shutdown();
  }`,
  },
  {
    name: 'tags and namespaces over Redis with the pub/sub bus',
    servers: ['REDIS_URL'],
    imports: {
      '@tiercache/core': ['TieredCache'],
      '@tiercache/l1-lru': ['lruTier'],
      '@tiercache/l2-redis': ['RedisBackend', 'RedisPubSubTransport'],
    },
    body: `${redisWithPubSub}
  const a = make(), b = make();
  try {
    await Promise.all([a.ready(), b.ready()]);
    const usersA = a.namespace('users'), usersB = b.namespace('users');
    await usersA.set('1', 'Ada', { tags: ['team'] });
    if ((await usersB.get('1')) !== 'Ada') throw new Error('b does not see a\\'s namespaced value');
    await usersA.invalidateTags(['team']); // tags are per namespace
    await until('the tag invalidation reaches b', async () => (await usersB.get('1')) === undefined);
    await usersA.set('2', 'Lin');
    await usersB.get('2');
    await usersA.clear();
    await until('the namespace clear reaches b', async () => (await usersB.get('2')) === undefined);
  } finally {
    await a.close();
    await b.close();
  }`,
  },
];

/** The setup as an ES module or as CommonJS. */
function setupProgram(setup, format) {
  const load = Object.entries(setup.imports)
    .map(([from, names]) =>
      format === 'esm'
        ? `import { ${names.join(', ')} } from '${from}';`
        : `const { ${names.join(', ')} } = require('${from}');`,
    )
    .join('\n');
  return `${load}
${POLL}
async function main() {
  ${setup.body}
  console.log('setup ok');
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;
}

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
  const listed = installError ? undefined : npmLs(dir, 'ioredis');
  record(`app's own ioredis ${ioredis} accepted, one copy installed (npm ls ioredis)`, {
    all: installError
      ? `npm install failed: ${installError}`
      : listed.problem
        ? `npm ls ioredis: ${listed.problem}`
        : copies.length === 1 && copies[0] === ioredis && listed.paths.length === 1
          ? 'ok'
          : `ioredis copies: ${copies.join(', ') || 'none'}; npm ls: ${listed.paths.length} path(s)`,
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
  // TypeScript consumers, against this ioredis's own types. First ioredis alone (strict, no
  // skipLibCheck): if its own declarations need a types package it does not bring (ioredis
  // 6.1.0 imports 'redis-errors', which ships none), the app installs it, and so does this
  // check; the row says so.
  const typesNote = ioredisTypesFix(dir);
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
      `TS ${label}${ts.runs ? ' compiles and runs' : ' compiles'}, inferred types, ioredis ${ioredis}${typesNote}`,
      cells,
    );
  }
  // The docs' code blocks, type-checked and run from the tarballs (once, with the newest ioredis).
  if (ioredis === IOREDIS.at(-1)) {
    checkDocBlocks(dir);
    checkSetups(dir);
  }
}

// --- the conformance kit -----------------------------------------------------------------------
const newestVitest = newestOnNpm('vitest');
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
      '@keyv/redis@5.1.6',
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
        PROMETHEUS_PORT: String(9464 + 1 + [...nodes.keys()].indexOf(major)),
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
      // Under CI=true every server runs (consumer-check.sh starts Kafka too): not running is a failure.
      { all: process.env.CI === 'true' ? 'not run under CI=true' : '—' },
    );
  }
}

function checkSetups(dir) {
  // @keyv/redis and @opentelemetry/sdk-metrics: installed by checkDocBlocks, which runs first.
  SETUPS.forEach((setup, index) => {
    const missing = setup.servers.filter((name) => !process.env[name]);
    if (missing.length > 0) {
      // Under CI=true every server runs: a setup that cannot run there is a failure.
      record(`setup exits after close(): ${setup.name}`, {
        all:
          process.env.CI === 'true'
            ? `not run: no ${missing.join(', ')} under CI=true`
            : `— (no ${missing.join(', ')})`,
      });
      return;
    }
    const files = ['esm', 'cjs'].map((format) => {
      const file = `setup-${index}.${format === 'esm' ? 'mjs' : 'cjs'}`;
      writeFileSync(join(dir, file), setupProgram(setup, format));
      return file;
    });
    const cells = {};
    for (const [major, bin] of nodes) {
      const results = files.map((file) => [file, runConsumer(bin, file, dir, 'setup ok')]);
      const bad = results.filter(([, cell]) => cell !== 'ok');
      cells[major] = bad.length === 0 ? 'ok' : bad.map(([file, cell]) => `${file}: ${cell}`).join('; ');
    }
    record(`setup (ESM and CJS) works and exits after close(): ${setup.name}`, cells);
  });
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
