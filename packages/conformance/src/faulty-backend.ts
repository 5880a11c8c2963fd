import {
  type CacheBackend,
  type CacheEntry,
  ClosedError,
  type GuardedRead,
  type L2CacheBackend,
  TierError,
  type ValueWithTtl,
} from '@tiercache/core';
import { OptionReader } from '@tiercache/core/adapter';

/** What a {@link FaultyBackend} is doing to calls now. */
export type FaultMode =
  | { kind: 'healthy' }
  | { kind: 'fail' }
  | { kind: 'hang' }
  | { kind: 'slow'; ms: number }
  | { kind: 'flaky'; rate: number };

/** One call a {@link FaultyBackend} is about to forward, as a fault function sees it. */
export interface FaultyCall {
  /** The backend method, e.g. `"get"`, `"setWithTtl"`. */
  operation: string;
  /** The key, for calls on one key. */
  key?: string;
}

/**
 * What `fail` rejects with: an error, or a function choosing one per call (`undefined` lets
 * that call through, so a test can fail one key or one operation only).
 */
export type FaultError = unknown | ((call: FaultyCall) => unknown);

/** Options for {@link FaultyBackend}. */
export interface FaultyBackendOptions {
  /** Name in stats and events. Default: the wrapped backend's name. */
  name?: string;
  /**
   * Whether the cache treats the tier as in-process. Default `false`: a wrapped tier acts as a
   * remote one (breaker, timeout and missed-write replay apply), which is what fault tests need.
   */
  local?: boolean;
  /** Seed of the pseudo-random sequence `flaky` draws from, so a run repeats. Default 1. */
  seed?: number;
}

const OPTIONAL_METHODS = [
  'getWithTtl',
  'getMany',
  'setMany',
  'removePattern',
  'clear',
  'acquireLock',
  'releaseLock',
  'getWithToken',
  'setIfUnchanged',
] as const;

/**
 * A wrapper that injects faults into any `CacheBackend`, for fail-safe, breaker and timeout
 * tests that a real server cannot produce on demand. It offers exactly the optional methods
 * the wrapped backend has (so the cache sees the same capabilities), except the synchronous
 * `peek`/`peekWithTtl`: a wrapped tier is read like a remote one.
 *
 * Modes (each replaces the previous one; they apply to calls made from then on, and
 * `heal()` also releases calls held by `hang()`):
 * - `fail(error?)`: every call rejects (default: a `TierError`, as a backend reports a server
 *   that refuses); `healthCheck` resolves `false`;
 * - `hang()`: calls never settle until the mode changes (a server that accepts and never answers);
 * - `slow(ms)`: calls are forwarded after `ms`;
 * - `flaky(rate)`: each call fails with probability `rate`, from a seeded sequence;
 * - `heal()`: calls go straight through.
 *
 * `close()` settles held calls with `ClosedError` and closes the wrapped backend: the wrapper
 * owns what it wraps.
 *
 * @example
 * ```ts fragment
 * const redis = new FaultyBackend(new RedisBackend({ url }));
 * const cache = new TieredCache({ tiers: [new MemoryBackend(), redis], grace: '1h' });
 * await cache.getOrSet('k', load);
 * redis.fail();
 * await cache.getOrSet('k', load); // served from L1 or stale within grace
 * redis.heal();
 * ```
 */
export class FaultyBackend<V = unknown> implements CacheBackend<V> {
  readonly name: string;
  readonly local: boolean;
  readonly maxTtlMs: number | undefined;
  readonly timeoutMs: number | undefined;
  /** The wrapped backend. */
  readonly inner: CacheBackend<V>;

  declare getWithTtl?: (key: string) => Promise<ValueWithTtl<V> | undefined>;
  declare getMany?: (keys: readonly string[]) => Promise<(V | undefined)[]>;
  declare setMany?: (entries: readonly CacheEntry<V>[]) => Promise<void>;
  declare removePattern?: (pattern: string) => Promise<number>;
  declare clear?: () => Promise<void>;
  declare acquireLock?: (key: string, leaseMs: number) => Promise<string | undefined>;
  declare releaseLock?: (key: string, token: string) => Promise<boolean>;
  declare getWithToken?: (key: string) => Promise<GuardedRead<V>>;
  declare setIfUnchanged?: (
    key: string,
    value: V,
    ttlMs: number | undefined,
    token: string,
  ) => Promise<boolean>;

  #mode: FaultMode = { kind: 'healthy' };
  #error: FaultError;
  #random: () => number;
  #held: (() => void)[] = [];
  #closed = false;
  #calls = 0;
  #failed = 0;

  constructor(inner: CacheBackend<V>, options: FaultyBackendOptions = {}) {
    const read = new OptionReader<FaultyBackendOptions>('FaultyBackend', options, ['name', 'local', 'seed']);
    this.inner = inner;
    this.name = read.string('name', inner.name);
    this.local = read.boolean('local', false);
    this.maxTtlMs = inner.maxTtlMs;
    this.timeoutMs = inner.timeoutMs;
    this.#random = seededRandom(read.integer('seed', 0, 1));
    const methods = inner as unknown as Record<string, unknown>;
    const self = this as unknown as Record<string, unknown>;
    for (const method of OPTIONAL_METHODS) {
      const fn = methods[method];
      if (typeof fn !== 'function') continue;
      self[method] = (...args: unknown[]) =>
        this.#call({ operation: method, key: typeof args[0] === 'string' ? args[0] : undefined }, () =>
          (fn as (...a: unknown[]) => Promise<unknown>).apply(inner, args),
        );
    }
  }

  /** The current mode. */
  get mode(): FaultMode {
    return this.#mode;
  }

  /** Calls received (`healthCheck` and `close` not counted). */
  get calls(): number {
    return this.#calls;
  }

  /** Calls this wrapper made fail. */
  get failures(): number {
    return this.#failed;
  }

  /** Every call rejects with `error` (default: a `TierError`), or with what `error(call)` returns. */
  fail(error?: FaultError): this {
    this.#error = error;
    return this.#set({ kind: 'fail' });
  }

  /** Calls never settle until the mode changes. */
  hang(): this {
    return this.#set({ kind: 'hang' });
  }

  /** Calls are forwarded after `ms` milliseconds. */
  slow(ms: number): this {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`slow(ms) needs ms >= 0, got ${ms}`);
    return this.#set({ kind: 'slow', ms });
  }

  /** Each call fails with probability `rate` (0..1), drawn from the seeded sequence. */
  flaky(rate: number, error?: FaultError): this {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`flaky(rate) needs 0 <= rate <= 1, got ${rate}`);
    this.#error = error;
    return this.#set({ kind: 'flaky', rate });
  }

  /** Calls go straight through again; calls held by `hang()` are forwarded now. */
  heal(): this {
    return this.#set({ kind: 'healthy' });
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

  /** `false` while failing (or on a failed flaky draw); waits while hanging; else the inner answer. */
  async healthCheck(): Promise<boolean> {
    try {
      await this.#gate({ operation: 'healthCheck' }, false);
    } catch {
      return false;
    }
    return this.inner.healthCheck();
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#release();
    }
    await this.inner.close?.();
  }

  #set(mode: FaultMode): this {
    this.#mode = mode;
    if (mode.kind !== 'hang') this.#release();
    return this;
  }

  #release(): void {
    const held = this.#held;
    this.#held = [];
    for (const resume of held) resume();
  }

  async #call<T>(call: FaultyCall, forward: () => Promise<T>): Promise<T> {
    this.#calls++;
    await this.#gate(call, true);
    return forward();
  }

  /** Apply the mode to one call: resolve to let it through, reject to fail it. */
  async #gate(call: FaultyCall, count: boolean): Promise<void> {
    for (;;) {
      if (this.#closed) throw new ClosedError(`FaultyBackend "${this.name}"`);
      const mode = this.#mode;
      switch (mode.kind) {
        case 'healthy':
          return;
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, mode.ms));
          return;
        case 'hang':
          await new Promise<void>((resume) => this.#held.push(resume));
          continue; // look at the mode again: healed, failing, or closed
        case 'fail':
        case 'flaky': {
          if (mode.kind === 'flaky' && this.#random() >= mode.rate) return;
          const error = this.#errorFor(call);
          if (error === undefined) return;
          if (count) this.#failed++;
          throw error;
        }
      }
    }
  }

  #errorFor(call: FaultyCall): unknown {
    const chosen = this.#error;
    if (typeof chosen === 'function') return (chosen as (c: FaultyCall) => unknown)(call);
    return chosen ?? new TierError(this.name, call.operation, new Error(`injected ${this.#mode.kind} fault`));
  }
}

/** mulberry32: a small seeded generator, enough to make a flaky run repeat. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A {@link FaultyBackend} around an `L2CacheBackend` is one too. */
export type FaultyL2Backend<V = unknown> = FaultyBackend<V> & L2CacheBackend<V>;
