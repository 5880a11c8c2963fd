import type { CacheBackend } from './contracts.js';

/**
 * An optional capability of a {@link CacheBackend}. A backend offers the methods of a
 * capability or none of them (never a stub that throws); the manager resolves them once per
 * tier, and the conformance suite asserts a capability a backend declares it `lacks` is absent.
 *
 * - `getMany`, `setMany`, `removePattern`, `clear`, `peek`: the method of that name
 *   (`peek` also covers `peekWithTtl`).
 * - `lock`: `acquireLock` and `releaseLock`.
 * - `guardedWrites`: `getWithToken` and `setIfUnchanged` (compare-and-set against what a read saw).
 * - `noExpiry`: the backend can keep an entry forever; without it, an entry written with
 *   `ttlMs: undefined` is still stored but gets a bounded TTL of the backend's choosing.
 */
export type CacheCapability =
  | 'getMany'
  | 'setMany'
  | 'removePattern'
  | 'clear'
  | 'peek'
  | 'lock'
  | 'guardedWrites'
  | 'noExpiry';

/** The methods each capability stands for (`noExpiry` is a behaviour, not a method). */
export const CAPABILITY_METHODS: Readonly<Record<CacheCapability, readonly string[]>> = {
  getMany: ['getMany'],
  setMany: ['setMany'],
  removePattern: ['removePattern'],
  clear: ['clear'],
  peek: ['peek', 'peekWithTtl'],
  lock: ['acquireLock', 'releaseLock'],
  guardedWrites: ['getWithToken', 'setIfUnchanged'],
  noExpiry: [],
};

/** What a backend can do besides the required methods, looked up once per tier. */
export interface BackendCapabilities {
  getMany: boolean;
  setMany: boolean;
  removePattern: boolean;
  clear: boolean;
  /** A synchronous `peek`. */
  peek: boolean;
  /** A synchronous `peekWithTtl`. */
  peekWithTtl: boolean;
  /** `peekResolved` (a speed hook of in-process tiers, not a capability of the list). */
  peekResolved: boolean;
  /** `getWithTtl` (an L2 backend). */
  getWithTtl: boolean;
  /** `acquireLock` and `releaseLock`. */
  lock: boolean;
  /** `getWithToken` and `setIfUnchanged`. */
  guardedWrites: boolean;
  close: boolean;
  /** `dropCachedState` (a lifecycle hook, like `close`; not a capability of the list). */
  dropCachedState: boolean;
}

/** The capabilities of `backend`, by the methods it has. */
export function capabilitiesOf(backend: CacheBackend<unknown>): BackendCapabilities {
  const has = (method: string): boolean =>
    typeof (backend as unknown as Record<string, unknown>)[method] === 'function';
  return {
    getMany: has('getMany'),
    setMany: has('setMany'),
    removePattern: has('removePattern'),
    clear: has('clear'),
    peek: has('peek'),
    peekWithTtl: has('peekWithTtl'),
    peekResolved: has('peek') && has('peekResolved'),
    getWithTtl: has('getWithTtl'),
    lock: has('acquireLock') && has('releaseLock'),
    guardedWrites: has('getWithToken') && has('setIfUnchanged'),
    close: has('close'),
    dropCachedState: has('dropCachedState'),
  };
}
