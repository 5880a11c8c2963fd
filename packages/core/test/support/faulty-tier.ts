import type { CacheBackend } from '../../src/index.js';

/** One call a {@link FaultyTier} is about to forward. */
export interface TierCall {
  /** The backend method, e.g. `"getWithTtl"`, `"setWithTtl"`. */
  operation: string;
  key?: string;
}

type OptionalMethod =
  | 'getWithTtl'
  | 'getMany'
  | 'setMany'
  | 'removePattern'
  | 'clear'
  | 'acquireLock'
  | 'releaseLock'
  | 'getWithToken'
  | 'setIfUnchanged';

/**
 * A remote tier that fails on demand (a real server cannot be told to refuse one call, or one
 * key): core's own, small form of `@tiercache/conformance`'s `FaultyBackend`, which core's tests
 * cannot import (conformance depends on core). It offers the optional methods listed in
 * `offer` (each must exist on `inner`), so a test decides which capabilities the cache sees.
 */
export class FaultyTier<V> implements CacheBackend<V> {
  readonly name: string;
  readonly local = false;
  readonly inner: CacheBackend<V>;
  #fault: ((call: TierCall) => unknown) | undefined;

  constructor(inner: CacheBackend<V>, options: { name?: string; offer?: readonly OptionalMethod[] } = {}) {
    this.inner = inner;
    this.name = options.name ?? inner.name;
    const methods = inner as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const self = this as unknown as Record<string, unknown>;
    for (const method of options.offer ?? []) {
      const fn = methods[method];
      if (typeof fn !== 'function') throw new TypeError(`the wrapped backend has no ${method}`);
      self[method] = (...args: unknown[]) =>
        this.#call({ operation: method, key: typeof args[0] === 'string' ? args[0] : undefined }, () =>
          fn.apply(inner, args),
        );
    }
  }

  /** Fail every call with `error`, or with what `error(call)` returns (`undefined` lets that call through). */
  fail(error: unknown = new Error(`${this.name} down`)): this {
    this.#fault = typeof error === 'function' ? (error as (call: TierCall) => unknown) : () => error;
    return this;
  }

  /** Let every call through again. */
  heal(): this {
    this.#fault = undefined;
    return this;
  }

  get(key: string): Promise<V | undefined> {
    return this.#call({ operation: 'get', key }, () => this.inner.get(key));
  }

  setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    return this.#call({ operation: 'setWithTtl', key }, () => this.inner.setWithTtl(key, value, ttlMs));
  }

  remove(key: string): Promise<void> {
    return this.#call({ operation: 'remove', key }, () => this.inner.remove(key));
  }

  async healthCheck(): Promise<boolean> {
    return this.#fault?.({ operation: 'healthCheck' }) === undefined;
  }

  async #call<T>(call: TierCall, forward: () => Promise<T>): Promise<T> {
    const error = this.#fault?.(call);
    if (error !== undefined) throw error;
    return forward();
  }
}
