// Ops/s of a tight `await backend.get`, `await backend.peekResolved` and `peek` loop on 1000 keys with a TTL.
// Run after a build: node packages/l1-lru/scripts/hit-speed.mjs [ttlResolutionMs, default 1]
import { LruBackend } from '../dist/index.js';

const KEYS = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
const ROUND_OPS = 2_000_000;
const ROUNDS = 7;

const ttlResolutionMs = Number(process.argv[2] ?? 1);
const backend = new LruBackend({ maxEntries: 10_000, ttlResolutionMs });
console.log(`ttlResolutionMs ${ttlResolutionMs}`);
for (const key of KEYS) await backend.setWithTtl(key, { id: key }, 3_600_000);

/** Ops/s of `read(key)` awaited one after another (every read must be a hit). */
async function awaitedRound(read) {
  let hits = 0;
  const start = performance.now();
  for (let i = 0; i < ROUND_OPS; i++) if ((await read(KEYS[i % 1000])) !== undefined) hits++;
  const ms = performance.now() - start;
  if (hits !== ROUND_OPS) throw new Error(`expected ${ROUND_OPS} hits, got ${hits}`);
  return ROUND_OPS / (ms / 1000);
}

function peekRound() {
  let hits = 0;
  const start = performance.now();
  for (let i = 0; i < ROUND_OPS; i++) if (backend.peek(KEYS[i % 1000]) !== undefined) hits++;
  const ms = performance.now() - start;
  if (hits !== ROUND_OPS) throw new Error(`expected ${ROUND_OPS} hits, got ${hits}`);
  return ROUND_OPS / (ms / 1000);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gets = [];
const peeks = [];
const resolveds = [];
for (let r = 0; r < ROUNDS; r++) {
  gets.push(await awaitedRound((key) => backend.get(key)));
  resolveds.push(await awaitedRound((key) => backend.peekResolved(key)));
  peeks.push(peekRound());
  // Let timers run between rounds, as a real process would.
  await new Promise((resolve) => setTimeout(resolve, 5));
}
const m = (x) => `${(x / 1e6).toFixed(1)} M/s`;
console.log(`await get: median ${m(median(gets))} (${gets.map(m).join(', ')})`);
console.log(`await peekResolved: median ${m(median(resolveds))} (${resolveds.map(m).join(', ')})`);
console.log(`peek:      median ${m(median(peeks))} (${peeks.map(m).join(', ')})`);
