/**
 * The executable specification of tiercache's contracts: vitest suites every backend runs
 * with its own factory. See the package README for the options and an example.
 *
 * @packageDocumentation
 */
export { describeCacheBackend, describeL2Backend, describeStreamingBackend } from './describe-backend.js';
export type { CacheCapability, CacheConformanceOptions, StreamConformanceOptions } from './options.js';
