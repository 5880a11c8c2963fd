import { type BackendCapabilities, capabilitiesOf } from '../capabilities.js';
import type { CacheBackend, L2CacheBackend, ValueWithTtl } from '../contracts.js';
import {
  CircuitOpenError,
  hasCode,
  InvalidOptionError,
  TierError,
  UnsupportedOperationError,
} from '../errors.js';
import {
  type BreakerState,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from '../primitives/circuit-breaker.js';
import { withTimeout } from '../primitives/deadline.js';
import { PendingWrites } from '../primitives/pending-writes.js';
import { type Duration, MAX_TTL_MS, parseDuration, parseTtl } from '../ttl.js';

/**
 * Whether a value found in a lower tier is copied into this tier: `"always"`, `"never"`, or
 * `{ probability }` (0..1) to promote only a share of hits (keeps a small L1 for the hottest keys).
 */
export type PromotionPolicy = 'always' | 'never' | { probability: number };

/** One tier of a `TieredCache`, with its own settings. */
export interface TierOptions<V = unknown> {
  /** The backend that stores this tier's entries. */
  backend: CacheBackend<V>;
  /**
   * Multiplies an entry's TTL in this tier (`0.1` keeps L1 entries a tenth as long as the
   * entry's TTL). Default 1. Must be > 0.
   */
  ttlScale?: number;
  /** Whether hits in lower tiers are copied here. Default `"always"`. */
  promotion?: PromotionPolicy;
  /** Upper bound for TTLs written to this tier; defaults to the backend's `maxTtlMs`. */
  maxTtl?: Duration;
  /**
   * Bound on every call to this tier. Default: 1000 ms for remote tiers, none for local ones,
   * and none for backends that declare `timeoutMs` (they bound every call themselves).
   * `0` disables the core's own timer (the adapter's timeout still applies).
   */
  timeout?: Duration;
  /** Circuit breaker for this tier; `false` disables it. Default on for remote tiers. */
  breaker?: CircuitBreakerOptions | false;
  /**
   * Writes this remote tier missed while it was failing (with `writeFailures: "tolerate"`) are
   * kept, up to this many keys, and applied in order when it answers again; reads of those
   * keys from this tier are answered from them meanwhile. `0` keeps none. Default 10 000.
   */
  maxPendingWrites?: number;
}

/** Error codes that describe the caller's input: not the tier's fault, never a breaker failure. */
const CALLER_ERROR_CODES = new Set([
  'TIERCACHE_BAD_KEY',
  'TIERCACHE_KEY_TOO_LONG',
  'TIERCACHE_BAD_VALUE',
  'TIERCACHE_BAD_TTL',
  'TIERCACHE_SERIALIZE',
  'TIERCACHE_VALUE_TOO_LARGE',
  'TIERCACHE_UNSUPPORTED',
  'TIERCACHE_BAD_OPTION',
  'TIERCACHE_REFUSED',
]);

/**
 * `true` for errors caused by the input (bad key, unserializable or oversized value, a request
 * the server refused as invalid): retrying the same input fails the same way.
 */
export function isCallerError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && CALLER_ERROR_CODES.has(code);
}

/**
 * A backend with the manager's per-tier settings resolved once: TTL scale, promotion,
 * timeout and circuit breaker. `run` is the one way the manager calls a remote tier.
 */
export class Tier<V> {
  readonly name: string;
  readonly local: boolean;
  readonly ttlScale: number;
  readonly maxTtlMs: number | undefined;
  readonly timeoutMs: number;
  readonly breaker: CircuitBreaker | undefined;
  /** The backend's optional methods, looked up once. */
  readonly caps: BackendCapabilities;
  /** The backend as an L2 backend, for its optional L2 methods (check `caps` first). */
  readonly l2: L2CacheBackend<V>;
  /**
   * Read a value with its remaining TTL through the best call the backend has
   * (`peekWithTtl`, `getWithTtl`, else `get` with an unknown TTL), chosen once here.
   */
  readonly read: (key: string) => Promise<ValueWithTtl<V> | undefined>;
  /** `true` when the backend can tell remaining TTL (promotions then keep it). */
  readonly knowsTtl: boolean;
  /** Writes missed while the tier was failing, applied when it answers again. */
  readonly pending: PendingWrites<V>;
  /** `0` when missed writes are not kept. */
  readonly maxPendingWrites: number;
  /** `true` while the missed writes are being applied. */
  replaying = false;
  readonly #onRecovered: (tier: Tier<V>) => void;
  readonly #promoteAlways: boolean;
  readonly #promoteProbability: number;
  /** The longest TTL written here: `maxTtlMs`, at most `MAX_TTL_MS`. */
  readonly #cap: number;

  constructor(
    readonly index: number,
    readonly backend: CacheBackend<V>,
    options: Omit<TierOptions<V>, 'backend'>,
    onBreakerChange: (state: 'closed' | 'open' | 'half-open') => void,
    onRecovered: (tier: Tier<V>) => void = () => undefined,
  ) {
    this.#onRecovered = onRecovered;
    this.name = backend.name;
    this.local = backend.local === true;
    // Checked with the other options, in resolveConfig.
    this.ttlScale = options.ttlScale ?? 1;
    this.maxTtlMs =
      options.maxTtl === undefined ? backend.maxTtlMs : parseTtl(options.maxTtl, `tier ${index} maxTtl`);
    this.#cap = this.maxTtlMs !== undefined && this.maxTtlMs < MAX_TTL_MS ? this.maxTtlMs : MAX_TTL_MS;
    // Local tiers never wait; backends that bound their own calls need no second timer.
    this.timeoutMs =
      options.timeout === undefined
        ? this.local || backend.timeoutMs !== undefined
          ? 0
          : 1000
        : parseDuration(options.timeout, `tier ${index} timeout`);
    const promotion = options.promotion ?? 'always';
    if (promotion === 'always' || promotion === 'never') {
      this.#promoteAlways = promotion === 'always';
      this.#promoteProbability = promotion === 'always' ? 1 : 0;
    } else if (
      typeof promotion === 'object' &&
      typeof promotion.probability === 'number' &&
      promotion.probability >= 0 &&
      promotion.probability <= 1
    ) {
      this.#promoteAlways = promotion.probability === 1;
      this.#promoteProbability = promotion.probability;
    } else {
      throw new InvalidOptionError(
        `tier ${index} ("${this.name}"): promotion must be "always", "never" or { probability: 0..1 }`,
      );
    }
    const caps = capabilitiesOf(backend as CacheBackend<unknown>);
    this.caps = caps;
    this.l2 = backend as L2CacheBackend<V>;
    if (caps.peekWithTtl) {
      this.read = (key) => Promise.resolve(backend.peekWithTtl!(key));
    } else if (caps.getWithTtl) {
      const l2 = this.l2;
      this.read = (key) => l2.getWithTtl(key);
    } else {
      this.read = (key) =>
        backend.get(key).then((value) => (value === undefined ? undefined : { value, ttlMs: undefined }));
    }
    this.knowsTtl = caps.peekWithTtl || caps.getWithTtl;
    const maxPending = options.maxPendingWrites ?? (this.local ? 0 : 10_000);
    if (!Number.isInteger(maxPending) || maxPending < 0) {
      throw new InvalidOptionError(
        `tier ${index} ("${this.name}"): maxPendingWrites must be a whole number >= 0`,
      );
    }
    this.maxPendingWrites = maxPending;
    this.pending = new PendingWrites<V>(Math.max(1, maxPending));
    const breakerOptions = options.breaker ?? (this.local ? false : {});
    this.breaker =
      breakerOptions === false
        ? undefined
        : new CircuitBreaker(breakerOptions, onBreakerChange, `TieredCache: tiers[${index}].breaker`);
  }

  /** Decide (per hit) whether to copy a lower-tier value into this tier. */
  shouldPromote(): boolean {
    return this.#promoteAlways || (this.#promoteProbability > 0 && Math.random() < this.#promoteProbability);
  }

  /**
   * This tier's TTL for an entry whose TTL is `ttlMs` at scale 1 (`undefined` = never expires),
   * capped by `maxTtlMs` and by `MAX_TTL_MS`: a valid TTL that grace (added to it) or a
   * `ttlScale` > 1 takes past the longest TTL every tier stores is stored for `MAX_TTL_MS`
   * (the entry is then fresh for `MAX_TTL_MS` − grace, still over 31 000 years), not refused.
   */
  scaleTtl(ttlMs: number | undefined): number | undefined {
    if (ttlMs === undefined) return this.maxTtlMs;
    const scaled = this.ttlScale === 1 ? ttlMs : Math.max(1, Math.round(ttlMs * this.ttlScale));
    return Math.min(scaled, this.#cap);
  }

  /**
   * Call the backend through the breaker and timeout. Caller errors (bad value, key) pass
   * through unchanged; anything else becomes a {@link TierError} and counts as a failure.
   */
  run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const breaker = this.breaker;
    if (breaker && !breaker.allow()) return Promise.reject(new CircuitOpenError(this.name));
    let promise: Promise<T>;
    try {
      promise = call();
    } catch (error) {
      promise = Promise.reject(error);
    }
    if (this.timeoutMs > 0)
      promise = withTimeout(promise, this.timeoutMs, `tier "${this.name}" ${operation}`);
    if (!breaker) {
      return promise.then(
        (value) => {
          if (this.pending.size > 0) this.#onRecovered(this);
          return value;
        },
        (error: unknown) => Promise.reject(this.#wrap(operation, error)),
      );
    }
    return promise.then(
      (value) => {
        breaker.success();
        if (this.pending.size > 0) this.#onRecovered(this);
        return value;
      },
      (error: unknown) => {
        // The server answered: a bad input or an undecodable stored value says nothing about its health.
        if (isCallerError(error) || hasCode(error, 'TIERCACHE_DESERIALIZE')) {
          breaker.success();
          throw error;
        }
        breaker.failure();
        throw this.#wrap(operation, error);
      },
    );
  }

  /** This tier's health now, with the time it took to answer (bounded by the tier's timeout). */
  async health(): Promise<{ name: string; healthy: boolean; latencyMs: number; breaker: BreakerState }> {
    const started = performance.now();
    let healthy = false;
    try {
      const check = this.backend.healthCheck();
      healthy =
        this.timeoutMs > 0
          ? await withTimeout(check, this.timeoutMs, `${this.name} health check`)
          : await check;
    } catch {
      healthy = false;
    }
    return {
      name: this.name,
      healthy: healthy === true,
      latencyMs: performance.now() - started,
      breaker: this.breaker?.state ?? 'closed',
    };
  }

  /** Empty this tier (its own namespace); `UnsupportedOperationError` when it cannot. */
  clear(): Promise<void> {
    if (!this.caps.clear) throw new UnsupportedOperationError(this.name, 'clear');
    return this.backend.clear!();
  }

  /** Remove every key matching `pattern`: by pattern where the tier can, else by emptying it. */
  removeMatching(pattern: string): Promise<number> {
    return this.caps.removePattern ? this.backend.removePattern!(pattern) : this.clear().then(() => 0);
  }

  #wrap(operation: string, error: unknown): unknown {
    if (isCallerError(error) || error instanceof TierError) return error;
    return new TierError(this.name, operation, error);
  }
}
