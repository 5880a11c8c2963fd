/**
 * `@tiercache/l2-memcached`: a memcached tier for tiercache on memjs, with the remaining TTL
 * kept in a small envelope, memcached's key and size limits checked with clear errors, and a
 * namespace `clear()` that never flushes the server.
 *
 * @packageDocumentation
 */
export { ENVELOPE_HEADER_BYTES } from './envelope.js';
export { MAX_RELATIVE_EXPIRATION_S } from './expiration.js';
export { MemcachedBackend, memcachedTier } from './memcached-backend.js';
export { MAX_MEMCACHED_KEY_BYTES } from './memcached-key.js';
export {
  DEFAULT_MAX_VALUE_BYTES,
  type KeyPolicy,
  MAX_NAMESPACE_BYTES,
  MEMCACHED_ITEM_SIZE_LIMIT,
  type MemcachedBackendOptions,
} from './options.js';
