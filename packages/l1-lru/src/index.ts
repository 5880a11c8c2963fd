/**
 * `@tiercache/l1-lru`: the in-process tier on lru-cache.
 *
 * @packageDocumentation
 */
export { LruBackend, type LruTierOptions, lruTier } from './lru-backend.js';
export type { LruBackendOptions, LruCloneMode } from './lru-options.js';
export { ENTRY_OVERHEAD_BYTES, estimateEntrySize, estimateSize, stringSize } from './size-estimate.js';
