/**
 * The executable specification of tiercache's contracts: vitest suites every backend runs
 * with its own factory, and a fault-injecting wrapper for your own fail-safe tests. See the
 * package README for the options and an example.
 *
 * @packageDocumentation
 */
export {
  describeBackendInCache,
  describeCacheBackend,
  describeL2Backend,
  describeStreamingBackend,
} from './describe-backend.js';
export {
  type FaultError,
  type FaultMode,
  FaultyBackend,
  type FaultyBackendOptions,
  type FaultyCall,
  type FaultyL2Backend,
} from './faulty-backend.js';
export type { ExitCheck } from './handles.js';
export type {
  CacheCapability,
  CacheConformanceOptions,
  ErrorHooks,
  SilentServerAddress,
  StreamConformanceOptions,
} from './options.js';
