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
export * from './errors.js';
export { DEFAULT_MAX_KEY_LENGTH, globToRegExp, validateKey } from './key.js';
export { MemoryBackend, type MemoryBackendOptions } from './memory-backend.js';
export { MemoryStream, type MemoryStreamOptions, parseStreamId } from './memory-stream.js';
export { jsonSerializer, type Serializer } from './serializer.js';
export { type Duration, type DurationUnit, parseDuration, parseTtl } from './ttl.js';
