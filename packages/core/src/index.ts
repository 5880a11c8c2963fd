export { checkBlockMs, MAX_BLOCK_MS } from './adapter-kit/stream-args.js';
export type { BusMessage, BusRejectReason } from './bus-message.js';
export { CacheNamespace } from './cache/namespace.js';
export type {
  Factory,
  FactoryContext,
  GetOrSetCall,
  GetOrSetOptions,
  GetOrSetResult,
  LockOptions,
  SetManyEntry,
  SetOptions,
  TieredCacheOptions,
  TierHealth,
} from './cache/options.js';
export { hasTaggedMark, TAGGED_MARK } from './cache/tagged-entry.js';
export { MAX_TAG_LENGTH, MAX_TAGS } from './cache/tags.js';
export { isCallerError, type PromotionPolicy, type TierOptions } from './cache/tier.js';
export { TieredCache } from './cache/tiered-cache.js';
export { CAPABILITY_METHODS, type CacheCapability } from './capabilities.js';
export type {
  BusTransport,
  BusTransportStatus,
  CacheBackend,
  CacheEntry,
  GuardedRead,
  L2CacheBackend,
  StreamAddOptions,
  StreamEntry,
  StreamFields,
  StreamingBackend,
  StreamReadOptions,
  ValueWithTtl,
} from './contracts.js';
export * from './errors.js';
export type { CacheEvents } from './events.js';
export type { BusOperation, BusOptions } from './invalidation-bus.js';
export { DEFAULT_MAX_KEY_LENGTH, globToRegExp, RESERVED_KEY_PREFIX, validateKey } from './key.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';
export { MemoryBusHub } from './memory-bus.js';
export { MemoryStream, type MemoryStreamOptions } from './memory-stream.js';
export {
  type BreakerState,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from './primitives/circuit-breaker.js';
/** @deprecated import these from `@tiercache/core/adapter`; the root re-export goes in the next minor release. */
export { boundedCall, toTierError, withTimeout } from './primitives/deadline.js';
export { redactSecrets, redactUrl } from './redact.js';
export { jsonSerializer, type Serializer, v8Serializer } from './serializer.js';
export type { BusStats, CacheStatsSnapshot, TierStats } from './stats.js';
export { type CacheStrategy, Strategy } from './strategies.js';
export { compareStreamIds, parseStreamId } from './stream-id.js';
export { StreamBusTransport, type StreamBusTransportOptions } from './stream-transport.js';
export {
  type Duration,
  type DurationUnit,
  type DurationUnitAnyCase,
  type EntryTtl,
  FOREVER,
  MAX_TTL_MS,
  parseDuration,
  parseTtl,
} from './ttl.js';
