export type { BusMessage, BusRejectReason } from './bus-message.js';
export { type BreakerState, CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';
export type {
  BusTransport,
  BusTransportStatus,
  CacheBackend,
  CacheEntry,
  L2CacheBackend,
  StreamAddOptions,
  StreamEntry,
  StreamFields,
  StreamingBackend,
  StreamReadOptions,
  ValueWithTtl,
} from './contracts.js';
export { boundedCall, toTierError, withTimeout } from './deadline.js';
export * from './errors.js';
export type { CacheEvents } from './events.js';
export type { BusOperation, BusOptions } from './invalidation-bus.js';
export { DEFAULT_MAX_KEY_LENGTH, globToRegExp, validateKey } from './key.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';
export { MemoryBusHub } from './memory-bus.js';
export {
  checkBlockMs,
  MAX_BLOCK_MS,
  MemoryStream,
  type MemoryStreamOptions,
  parseStreamId,
} from './memory-stream.js';
export { redactSecrets, redactUrl } from './redact.js';
export { jsonSerializer, type Serializer, v8Serializer } from './serializer.js';
export type { BusStats, CacheStatsSnapshot, TierStats } from './stats.js';
export { type CacheStrategy, Strategy } from './strategies.js';
export { StreamBusTransport, type StreamBusTransportOptions } from './stream-transport.js';
export { isCallerError, type PromotionPolicy, type TierOptions } from './tier.js';
export {
  type Factory,
  type FactoryContext,
  type GetOrSetOptions,
  type GetOrSetResult,
  type LockOptions,
  type SetManyEntry,
  type SetOptions,
  TieredCache,
  type TieredCacheOptions,
  type TierHealth,
} from './tiered-cache.js';
export { type Duration, type DurationUnit, parseDuration, parseTtl } from './ttl.js';
