/**
 * `@tiercache/core/adapter`: what a backend, stream or bus transport author needs — the
 * contracts, the capability list, errors, and the adapter kit every tiercache adapter uses
 * (option checks, closed guard, value codec, idle pool, stream-argument rules, bounded calls).
 * Applications import from `@tiercache/core`.
 */
export { ClosedGuard, closeOwned } from './adapter-kit/closed-guard.js';
export { IdlePool } from './adapter-kit/idle-pool.js';
export {
  hasMethods,
  isPlainObject,
  type NumberRange,
  OptionReader,
  rejectUnknownKeys,
  renamedOptions,
  shown,
  usedName,
  wholeNumber,
} from './adapter-kit/options.js';
export {
  checkBlockMs,
  checkCount,
  checkFields,
  checkMaxLen,
  checkReadId,
  checkStreamName,
  checkStreamOptions,
  MAX_BLOCK_MS,
} from './adapter-kit/stream-args.js';
export { checkSerializer, isSerializer, ValueCodec } from './adapter-kit/value-codec.js';
export { hasTaggedMark, TAGGED_MARK } from './cache/tagged-entry.js';
export {
  type BackendCapabilities,
  CAPABILITY_METHODS,
  type CacheCapability,
  capabilitiesOf,
} from './capabilities.js';
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
export {
  DEFAULT_MAX_KEY_LENGTH,
  globToRegExp,
  hasLoneSurrogate,
  RESERVED_KEY_PREFIX,
  validateKey,
  validateTierKey,
} from './key.js';
export { boundedCall, toTierError, withTimeout } from './primitives/deadline.js';
export { jsonSerializer, type Serializer } from './serializer.js';
export { compareStreamIds, parseStreamId } from './stream-id.js';
export { type Duration, parseDuration, parseTtl } from './ttl.js';
