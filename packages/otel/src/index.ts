/**
 * OpenTelemetry metrics for tiercache: {@link instrumentCache} records a `TieredCache`'s hits
 * per tier, misses, factory runs and durations, coalesced waiters, promotions, tier errors,
 * breaker states and bus messages on any OpenTelemetry `Meter`.
 *
 * @packageDocumentation
 */
export {
  INSTRUMENTATION_SCOPE,
  INSTRUMENTATION_VERSION,
  type InstrumentCacheOptions,
  instrumentCache,
} from './instrument-cache.js';
export { ATTR, BREAKER_STATE_VALUE, METRIC } from './metric-names.js';
