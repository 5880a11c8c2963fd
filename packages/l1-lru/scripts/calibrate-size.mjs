// Compares the heap an LruBackend bounded by bytes really holds with its bound, per value shape.
// Run after a build: node packages/l1-lru/scripts/calibrate-size.mjs [shape...]
// Each shape runs in its own `node --expose-gc` child so one shape's garbage cannot skew another.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { estimateSize, LruBackend } from '../dist/index.js';

const MB = 1024 * 1024;
const BOUND = 64 * MB;

/** Value makers; `bench` mirrors bench/src/workload.ts makeValue. */
const SHAPES = {
  bench: (id) => ({
    id,
    name: `user-${id.toString().padStart(7, '0')}`,
    email: `user-${id.toString().padStart(7, '0')}@example.com`,
    active: id % 3 !== 0,
    score: (id % 1000) / 4,
    tags: ['reader', 'beta'],
  }),
  // The same values as an L2 promotion delivers them: parsed JSON, so flat strings, nothing shared.
  'bench-json': (id) => JSON.parse(JSON.stringify(SHAPES.bench(id))),
  string: (id) => `session-${id}-${'x'.repeat(id % 32)}`,
  // The same strings flattened, as JSON.parse or a socket read delivers them.
  'string-json': (id) => JSON.parse(JSON.stringify(SHAPES.string(id))),
  numbers: (id) => Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? id + i : (id + i) / 3)),
  nested: (id) => ({
    user: { id, roles: [`r${id % 7}`, `g${id % 5}`] },
    meta: { at: Date.now() + id, ok: true },
  }),
  unicode: (id) => `名前-${id}-${'é'.repeat(id % 16)}`,
  'unicode-json': (id) => JSON.parse(JSON.stringify(SHAPES.unicode(id))),
};

async function measureShape(shape) {
  const make = SHAPES[shape];
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const l1 = new LruBackend({ maxBytes: BOUND });
  let written = 0;
  let i = 0;
  while (written < 2 * BOUND) {
    const key = `key:${i}`;
    const value = make(i);
    await l1.setWithTtl(key, value, 3_600_000);
    written += estimateSize(value) + key.length;
    i++;
    if (i > 20_000_000) throw new Error('runaway fill');
  }
  globalThis.gc();
  globalThis.gc();
  const held = process.memoryUsage().heapUsed - before;
  const kept = l1.size;
  const counted = l1.calculatedSize;
  console.log(
    `${shape.padEnd(10)} held ${(held / MB).toFixed(1)} MB = ${(held / BOUND).toFixed(3)}x bound; ${kept} kept; ` +
      `${(held / kept).toFixed(0)} B/entry held vs ${(counted / kept).toFixed(0)} B/entry counted ` +
      `(value estimate for #1234: ${estimateSize(make(1234))} B)`,
  );
  // Keep l1 reachable until after the measurement.
  if (l1.size < 0) console.log('unreachable');
}

const wanted = process.argv.slice(2);
if (wanted.length === 1 && typeof globalThis.gc === 'function') {
  await measureShape(wanted[0]);
} else {
  const self = fileURLToPath(import.meta.url);
  for (const shape of wanted.length > 0 ? wanted : Object.keys(SHAPES)) {
    process.stdout.write(execFileSync(process.execPath, ['--expose-gc', self, shape], { encoding: 'utf8' }));
  }
}
