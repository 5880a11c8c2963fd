import { createRequire } from 'node:module';
import {
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type MeterProvider,
  metrics,
  type Observable,
} from '@opentelemetry/api';
import { InvalidOptionError, type TieredCache } from '@tiercache/core';
import { hasMethods, rejectUnknownKeys } from '@tiercache/core/adapter';
import { CounterTotals } from './counter-totals.js';
import { ATTR, BREAKER_STATE_VALUE, METRIC } from './metric-names.js';

/** Options for {@link instrumentCache}. Give at most one of `meter` and `meterProvider`. */
export interface InstrumentCacheOptions {
  /** The meter to create the instruments on. Default: one named `@tiercache/otel` from `meterProvider`. */
  meter?: Meter;
  /** Where to get the meter from. Default: the global provider (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider;
  /**
   * Extra attributes on every data point (e.g. `{ 'app.cache.role': 'catalog' }`). Describe
   * the process (`service.name`, `service.instance.id`, ...) on the MeterProvider's resource
   * instead: resource attributes do not belong on data points.
   */
  attributes?: Attributes;
}

/** The instrumentation scope name used when no `meter` is given. */
export const INSTRUMENTATION_SCOPE = '@tiercache/otel';

/** The instrumentation scope version: this package's version. */
export const INSTRUMENTATION_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;

/** Bucket bounds for factory durations, seconds: from a cache-speed 1 ms up to a 30 s slow query. */
const DURATION_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Distinct `error.type` values kept apart; more become `_OTHER` (bounded series). */
const MAX_ERROR_TYPES = 32;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['meter', 'meterProvider', 'attributes']);

/**
 * Record a `TieredCache`'s activity as OpenTelemetry metrics (names in {@link METRIC}, every
 * data point tagged `cache.name`, per-tier ones `cache.tier`). Returns a function that stops
 * recording.
 *
 * Cost: high-frequency counts (requests, hits, misses, coalesced waiters, stale values, bus
 * messages) are observable instruments read from `cache.stats()` only when a reader collects,
 * so they add nothing per cache call. Promotions, factory runs and durations, and tier errors
 * come from the cache's events: subscribing to any event makes the L1 hit path check for a
 * `hit` listener (one extra branch and map lookup per hit; no `hit` listener is added here).
 *
 * Counters are cumulative from the cache's creation; `cache.resetStats()` does not make them
 * go down.
 *
 * @example
 * ```ts
 * const stop = instrumentCache(cache, { meterProvider });
 * // ... later
 * stop();
 * ```
 */
export function instrumentCache<V>(cache: TieredCache<V>, options: InstrumentCacheOptions = {}): () => void {
  checkOptions(cache, options);
  const meter =
    options.meter ??
    (options.meterProvider ?? metrics.getMeterProvider()).getMeter(
      INSTRUMENTATION_SCOPE,
      INSTRUMENTATION_VERSION,
    );
  const base: Attributes = { ...options.attributes, [ATTR.cacheName]: cache.name };
  const tiers = tierLabels(cache.tierNames);
  // Attribute objects are built once: recording with a fresh object per call would allocate on every event.
  const perTier = tiers.map((tier) => ({ ...base, [ATTR.tier]: tier }));
  const failedAttrs = new Map<string, Attributes>();
  const failed = (error: unknown): Attributes => {
    let type = errorType(error);
    if (!failedAttrs.has(type) && failedAttrs.size >= MAX_ERROR_TYPES) type = '_OTHER';
    let attrs = failedAttrs.get(type);
    if (!attrs) {
      attrs = { ...base, [ATTR.errorType]: type };
      failedAttrs.set(type, attrs);
    }
    return attrs;
  };
  const promotionAttrs = new Map<string, Attributes>();
  const errorAttrs = new Map<string, Attributes>();

  const promotions = meter.createCounter(METRIC.promotions, {
    description: 'Values copied from a lower tier into an upper one',
    unit: '{promotion}',
  });
  const factoryRuns = meter.createCounter(METRIC.factoryRuns, {
    description: 'Factory runs finished; failed ones carry error.type',
    unit: '{run}',
  });
  const factoryDuration = meter.createHistogram(METRIC.factoryDuration, {
    description: 'Duration of factory runs; failed ones carry error.type',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const tierErrors = meter.createCounter(METRIC.tierErrors, {
    description: 'Failed tier calls, by tier and operation',
    unit: '{error}',
  });

  const unsubscribe = [
    cache.on('promote', ({ from, to }) => {
      const id = `${from}>${to}`;
      let attrs = promotionAttrs.get(id);
      if (!attrs) {
        attrs = {
          ...base,
          [ATTR.tierFrom]: tiers[from] ?? String(from),
          [ATTR.tierTo]: tiers[to] ?? String(to),
        };
        promotionAttrs.set(id, attrs);
      }
      promotions.add(1, attrs);
    }),
    cache.on('factory:end', ({ durationMs, ok, error }) => {
      const attrs = ok ? base : failed(error);
      factoryRuns.add(1, attrs);
      factoryDuration.record(durationMs / 1000, attrs);
    }),
    cache.on('tier:error', ({ tier, operation }) => {
      const id = `${tier}:${operation}`;
      let attrs = errorAttrs.get(id);
      if (!attrs) {
        attrs = { ...perTier[tier], [ATTR.operation]: operation };
        errorAttrs.set(id, attrs);
      }
      tierErrors.add(1, attrs);
    }),
  ];

  const counter = (name: string, description: string, unit: string) =>
    meter.createObservableCounter(name, { description, unit });
  const gauge = (name: string, description: string, unit: string) =>
    meter.createObservableGauge(name, { description, unit });
  // Values that add up across instances (in flight, queued) are up-down counters, not gauges.
  const upDown = (name: string, description: string, unit: string) =>
    meter.createObservableUpDownCounter(name, { description, unit });
  const requests = counter(METRIC.requests, 'Cache reads', '{request}');
  const hits = counter(METRIC.hits, 'Reads served, per tier', '{hit}');
  const misses = counter(METRIC.misses, 'Reads no tier could serve', '{miss}');
  const coalesced = counter(METRIC.coalesced, 'Callers that joined a factory run in flight', '{call}');
  const staleServed = counter(METRIC.staleServed, 'Stale values served by fail-safe', '{value}');
  const refreshes = counter(METRIC.refreshes, 'Background refreshes started', '{refresh}');
  const busSent = counter(METRIC.busSent, 'Invalidation messages published', '{message}');
  const busReceived = counter(METRIC.busReceived, 'Invalidation messages received', '{message}');
  const busApplied = counter(METRIC.busApplied, 'Invalidation messages applied', '{message}');
  const busErrors = counter(METRIC.busErrors, 'Bus transport errors', '{error}');
  const busResyncs = counter(
    METRIC.busResyncs,
    'Local tiers cleared after possible message loss',
    '{resync}',
  );
  const inFlight = upDown(METRIC.factoryInFlight, 'Factory runs in flight', '{run}');
  const breaker = gauge(METRIC.breakerState, 'Circuit breaker state: 0 closed, 1 half-open, 2 open', '1');
  const busQueued = upDown(METRIC.busQueued, 'Invalidation messages waiting to be re-sent', '{message}');
  const observables: Observable[] = [
    requests,
    hits,
    misses,
    coalesced,
    staleServed,
    refreshes,
    busSent,
    busReceived,
    busApplied,
    busErrors,
    busResyncs,
    inFlight,
    breaker,
    busQueued,
  ];

  const totals = new CounterTotals();
  const observe = (result: BatchObservableResult): void => {
    const s = cache.stats();
    result.observe(requests, totals.advance('requests', s.requests), base);
    result.observe(misses, totals.advance('misses', s.misses), base);
    result.observe(coalesced, totals.advance('coalesced', s.coalesced), base);
    result.observe(staleServed, totals.advance('stale', s.staleServed), base);
    result.observe(refreshes, totals.advance('refreshes', s.refreshes), base);
    result.observe(inFlight, s.inFlight, base);
    for (let i = 0; i < s.tiers.length; i++) {
      const tier = s.tiers[i]!;
      const attrs = perTier[i] ?? { ...base, [ATTR.tier]: tier.name };
      result.observe(hits, totals.advance(`hits:${i}`, tier.hits), attrs);
      result.observe(breaker, BREAKER_STATE_VALUE[tier.breaker], attrs);
    }
    result.observe(busSent, totals.advance('bus.sent', s.bus.sent), base);
    result.observe(busReceived, totals.advance('bus.received', s.bus.received), base);
    result.observe(busApplied, totals.advance('bus.applied', s.bus.applied), base);
    result.observe(busErrors, totals.advance('bus.errors', s.bus.errors), base);
    result.observe(busResyncs, totals.advance('bus.resyncs', s.bus.resyncs), base);
    result.observe(busQueued, s.bus.queued, base);
  };
  meter.addBatchObservableCallback(observe, observables);

  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    meter.removeBatchObservableCallback(observe, observables);
    for (const off of unsubscribe) off();
  };
}

/** OpenTelemetry's `error.type` for a failed factory run: a string `code`, else the class name. */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name.length > 0 && name !== 'Object') return name;
  }
  return '_OTHER';
}

/** Tier names as attribute values; a name used by two tiers gets `#<index>` so their series stay apart. */
function tierLabels(names: readonly string[]): string[] {
  return names.map((name, i) => (names.indexOf(name) === names.lastIndexOf(name) ? name : `${name}#${i}`));
}

function checkOptions<V>(cache: TieredCache<V>, options: InstrumentCacheOptions): void {
  if (!hasMethods(cache, ['on', 'stats'])) {
    throw new InvalidOptionError('instrumentCache needs a TieredCache as its first argument');
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('instrumentCache options must be an object such as { meterProvider }');
  }
  rejectUnknownKeys('instrumentCache', options, [...KNOWN_OPTIONS]);
  if (options.meter !== undefined && options.meterProvider !== undefined) {
    throw new InvalidOptionError(
      'instrumentCache takes either meter or meterProvider, not both; the meter already belongs to a provider',
    );
  }
}
