import { once } from 'node:events';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDemoCache } from './cache-setup.js';
import { CatalogDb } from './catalog-db.js';
import { LatencyRecorder } from './latency.js';
import { ProgressBar } from './progress.js';
import { ZipfSampler } from './zipf.js';

const REQUESTS = Number(process.env.DEMO_REQUESTS ?? 20_000);
const CONCURRENCY = Number(process.env.DEMO_CONCURRENCY ?? 32);
const PRODUCTS = Number(process.env.DEMO_PRODUCTS ?? 5_000);
const DB_LATENCY_MS = Number(process.env.DEMO_DB_LATENCY_MS ?? 10);
const STAMPEDE = Number(process.env.DEMO_STAMPEDE ?? 500);

const { cache, description } = await createDemoCache();
const db = new CatalogDb(DB_LATENCY_MS);

const server = createServer((req, res) => {
  const match = /^\/products\/(\d+)$/.exec(req.url ?? '');
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const id = Number(match[1]);
  cache
    .getOrSet(`product:${id}`, () => db.load(id))
    .then(
      (product) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(product));
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
const agent = new Agent({ keepAlive: true, maxSockets: Math.max(CONCURRENCY, STAMPEDE) });

function fetchProduct(id: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: `/products/${id}`, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

console.log('tiercache demo: a catalog API behind TieredCache.getOrSet');
for (const line of description) console.log(`  ${line}`);
console.log(
  `  ${REQUESTS} requests, ${CONCURRENCY} in flight, Zipf-like over ${PRODUCTS} products, database ${DB_LATENCY_MS} ms per load\n`,
);

const zipf = new ZipfSampler(PRODUCTS);
const latency = new LatencyRecorder();
const bar = new ProgressBar(REQUESTS, 'load');
let issued = 0;
let done = 0;
let failures = 0;
const started = performance.now();
async function worker(): Promise<void> {
  while (issued < REQUESTS) {
    issued++;
    const t0 = performance.now();
    const status = await fetchProduct(zipf.next());
    latency.record(performance.now() - t0);
    if (status !== 200) failures++;
    done++;
    if (done % 200 === 0 || done === REQUESTS) bar.update(done);
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const elapsedS = (performance.now() - started) / 1000;
const stats = cache.stats();
const loadsDuringRun = db.loads;

// Stampede: many concurrent requests for one product nobody asked for yet.
const coldId = PRODUCTS + 1;
const loadsBefore = db.loadsById.get(coldId) ?? 0;
const stampedeStatuses = await Promise.all(Array.from({ length: STAMPEDE }, () => fetchProduct(coldId)));
const stampedeLoads = (db.loadsById.get(coldId) ?? 0) - loadsBefore;
const stampedeOk = stampedeStatuses.every((s) => s === 200) && stampedeLoads === 1;

const streamId = await cache.publishToStream('catalog:events', [
  ['type', 'demo-finished'],
  ['requests', String(REQUESTS)],
]);
const [lastEvent] = await cache.readStreamLatest('catalog:events', 1);

const rows: [string, string][] = [
  [
    'requests',
    `${REQUESTS} (${failures} failed) in ${elapsedS.toFixed(1)} s, ${Math.round(REQUESTS / elapsedS)} req/s`,
  ],
  ['cache requests', String(stats.requests)],
  ...stats.tiers.map((t, i): [string, string] => [
    `hit rate L${i + 1} (${t.name})`,
    `${(t.hitRate * 100).toFixed(1)} % (${t.hits} hits)`,
  ]),
  [
    'miss rate',
    `${((stats.misses / Math.max(1, stats.requests)) * 100).toFixed(1)} % (${stats.misses} misses)`,
  ],
  ['promotions L2→L1', String(stats.promotions)],
  [
    'factory runs (database loads)',
    `${stats.factoryRuns} (${loadsDuringRun} database loads for ${REQUESTS} requests)`,
  ],
  ['coalesced waiters', String(stats.coalesced)],
  ['latency p50', `${latency.percentile(50).toFixed(2)} ms`],
  ['latency p99', `${latency.percentile(99).toFixed(2)} ms`],
  [
    'stampede check',
    `${STAMPEDE} concurrent requests for a cold key → ${stampedeLoads} factory run ${stampedeOk ? '(OK)' : '(FAILED)'}`,
  ],
  [
    'event stream',
    `published ${streamId}, latest read back: ${lastEvent?.fields.map(([f, v]) => `${f}=${v}`).join(' ')}`,
  ],
];
const width = Math.max(...rows.map(([k]) => k.length));
const valueWidth = Math.max(...rows.map(([, v]) => v.length));
console.log(`\n| ${'metric'.padEnd(width)} | ${'value'.padEnd(valueWidth)} |`);
console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(valueWidth + 2)}|`);
for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v.padEnd(valueWidth)} |`);

agent.destroy();
server.close();
await cache.clear(); // leave nothing behind in a shared Redis
await cache.close();
if (!stampedeOk || failures > 0) {
  console.error('\ndemo FAILED: see the table above');
  process.exitCode = 1;
}
