/**
 * tiercache metrics for Prometheus: a two-tier cache instrumented with @tiercache/otel, an
 * OpenTelemetry PrometheusExporter serving /metrics, a burst of skewed traffic, then one scrape
 * of our own endpoint printed to stdout. Bounded: it exits when done (or after HARD_LIMIT_MS).
 *
 * Environment: METRICS_HOST (default 127.0.0.1), METRICS_PORT (default 9464), REQUESTS
 * (default 5000), SERVE_SECONDS (keep serving /metrics this long after the traffic so a real
 * Prometheus can scrape it; default 0).
 */
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { MemoryBackend, TieredCache } from '@tiercache/core';
import { LruBackend } from '@tiercache/l1-lru';
import { instrumentCache } from '@tiercache/otel';

/** Whatever happens, the process ends: CI must never hang on an example. */
const HARD_LIMIT_MS = 60_000;

interface Settings {
  host: string;
  port: number;
  requests: number;
  serveSeconds: number;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return n;
  };
  return {
    host: env.METRICS_HOST ?? '127.0.0.1',
    port: int('METRICS_PORT', 9464, 1, 65_535),
    requests: int('REQUESTS', 5000, 1, 1_000_000),
    serveSeconds: int('SERVE_SECONDS', 0, 0, 3600),
  };
}

/** A small seeded generator, so every run sends the same traffic. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stands in for a database: a few ms per query, and product ids divisible by 97 fail. */
async function loadProduct(id: number): Promise<{ id: number; name: string; price: number }> {
  await sleep(1 + (id % 4));
  if (id % 97 === 0) throw new Error(`product ${id}: database timeout`);
  return { id, name: `Product ${id}`, price: 5 + (id % 50) };
}

async function main(settings: Settings): Promise<void> {
  const exporter = new PrometheusExporter({
    host: settings.host,
    port: settings.port,
    preventServerStart: true,
  });
  try {
    await exporter.startServer();
  } catch (error) {
    throw new Error(
      `cannot serve metrics on ${settings.host}:${settings.port} (${(error as Error).message}); set METRICS_PORT to a free port`,
    );
  }
  const meterProvider = new MeterProvider({ readers: [exporter] });

  // L1: a small in-process LRU; L2: an in-process stand-in for a shared tier such as Redis.
  const cache = new TieredCache<{ id: number; name: string; price: number }>({
    name: 'catalog',
    tiers: [
      new LruBackend({ name: 'lru', maxEntries: 100 }),
      new MemoryBackend({ name: 'shared', clone: true }),
    ],
    ttl: '5m',
  });
  const stopMetrics = instrumentCache(cache, { meterProvider });

  // Skewed traffic over 1000 products, 25 requests at a time so hot keys coalesce.
  const random = seededRandom(42);
  let failed = 0;
  for (let sent = 0; sent < settings.requests; ) {
    const batch = Math.min(25, settings.requests - sent);
    const calls = Array.from({ length: batch }, () => {
      const id = Math.floor(random() ** 3 * 1000);
      return cache
        .getOrSet(`product:${id}`, () => loadProduct(id))
        .catch(() => {
          failed++;
        });
    });
    await Promise.all(calls);
    sent += batch;
  }
  const stats = cache.stats();
  console.log(
    `# traffic: ${settings.requests} requests, hit rate ${(stats.hitRate * 100).toFixed(1)}%, ${stats.factoryRuns} factory runs (${failed} failed requests), ${stats.coalesced} coalesced`,
  );

  const url = `http://${settings.host}:${settings.port}${PrometheusExporter.DEFAULT_OPTIONS.endpoint}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  console.log(`# scraped ${url}\n`);
  console.log(await response.text());

  if (settings.serveSeconds > 0) {
    console.log(`# serving ${url} for ${settings.serveSeconds} s`);
    await sleep(settings.serveSeconds * 1000);
  }
  stopMetrics();
  await cache.close();
  await meterProvider.shutdown(); // also stops the exporter's HTTP server
}

let settings: Settings;
try {
  settings = readSettings(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const hardLimit = setTimeout(
  () => {
    console.error(`example did not finish within ${HARD_LIMIT_MS} ms (plus SERVE_SECONDS); exiting`);
    process.exit(1);
  },
  HARD_LIMIT_MS + settings.serveSeconds * 1000,
);
hardLimit.unref();

main(settings).then(
  () => clearTimeout(hardLimit),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
