import { hasMethods, OptionReader, rejectUnknownKeys, shown } from '../adapter-kit/options.js';
import type { CacheBackend, StreamingBackend } from '../contracts.js';
import { InvalidOptionError, InvalidTtlError } from '../errors.js';
import type { BusOptions } from '../invalidation-bus.js';
import { DEFAULT_MAX_KEY_LENGTH } from '../key.js';
import { MemoryBackend } from '../memory-backend.js';
import { type CacheStrategy, Strategy } from '../strategies.js';
import { isStreamingBackend } from '../stream-transport.js';
import { MAX_TTL_MS, parseTtl } from '../ttl.js';
import type { LockOptions, TieredCacheOptions } from './options.js';
import type { TierOptions } from './tier.js';

/** {@link TieredCacheOptions} checked once, with defaults applied and every time in ms. */
export interface CacheConfig<V> {
  name: string;
  /** One entry per tier, fastest first, each as `TierOptions` (a bare backend wrapped). */
  tiers: TierOptions<V>[];
  defaultTtlMs: number;
  maxKeyLength: number;
  raiseWrites: boolean;
  jitter: number;
  factoryTimeoutMs: number | undefined;
  softTimeoutMs: number | undefined;
  /** 0 when fail-safe is off. */
  graceMs: number;
  graceBackoffMs: number;
  /** 0 when eager refresh is off. */
  eagerRefresh: number;
  /** `undefined` when cross-process single-flight is turned off. */
  lock: { leaseMs: number; pollMs: number } | undefined;
  stream: StreamingBackend | undefined;
  bus: BusOptions | undefined;
  /** `undefined`: broadcast when a bus is configured. */
  broadcastSets: boolean | undefined;
  closeTimeoutMs: number;
}

const OPTION_KEYS = [
  'name',
  'tiers',
  'ttl',
  'strategy',
  'maxKeyLength',
  'writeFailures',
  'jitter',
  'factoryTimeout',
  'grace',
  'graceBackoff',
  'factorySoftTimeout',
  'eagerRefresh',
  'lock',
  'stream',
  'bus',
  'broadcastSets',
  'closeTimeout',
] as const satisfies readonly (keyof TieredCacheOptions)[];

const OPTION_ALIASES: Readonly<Record<string, keyof TieredCacheOptions>> = {
  stores: 'tiers',
  defaultTtl: 'ttl',
  timeout: 'factoryTimeout',
  hardTimeout: 'factoryTimeout',
  softTimeout: 'factorySoftTimeout',
  gracePeriod: 'grace',
  namespace: 'name',
};

/**
 * Resolve the options of a `TieredCache`: a pure function (it builds nothing but the default
 * in-memory tier), so every rule about options lives here and is unit-tested on its own.
 */
export function resolveConfig<V>(options: TieredCacheOptions<V> | undefined): CacheConfig<V> {
  const read = new OptionReader<TieredCacheOptions<V>>('TieredCache', options, OPTION_KEYS, OPTION_ALIASES);
  const raw = read.raw;
  const strategy = raw.strategy;
  if (strategy !== undefined && !isStrategy(strategy)) {
    throw read.error(
      'strategy',
      'one of Strategy.RealTime, ShortTerm, MediumTerm, LongTerm or Strategy.Custom(ttl)',
      strategy,
    );
  }
  const stream = raw.stream;
  if (stream !== undefined && !isStreamingBackend(stream)) {
    throw read.error('stream', 'a StreamingBackend (streamAdd, streamReadLatest, streamRead)', stream);
  }
  const bus = raw.bus;
  if (bus !== undefined && (typeof bus !== 'object' || bus === null || !bus.transport)) {
    throw new InvalidOptionError('TieredCache: bus.transport is required when bus is given');
  }
  const eagerRefresh: unknown = raw.eagerRefresh ?? 0;
  if (typeof eagerRefresh !== 'number' || !(eagerRefresh === 0 || (eagerRefresh > 0 && eagerRefresh < 1))) {
    throw read.error(
      'eagerRefresh',
      'a fraction of the TTL between 0 and 1 (exclusive), or 0 for off',
      eagerRefresh,
    );
  }
  const defaultTtlMs =
    raw.ttl !== undefined
      ? (parseTtl(raw.ttl, 'ttl') as number)
      : ((strategy as CacheStrategy | undefined) ?? Strategy.ShortTerm).ttlMs;
  // Tiers keep every entry for its TTL + grace, and a fail-safe backoff for graceBackoff + grace.
  const graceMs = addedToTtl(read.duration('grace') ?? 0, 'grace', defaultTtlMs, 'the default ttl');
  const graceBackoffMs = addedToTtl(
    parseTtl(raw.graceBackoff ?? 5000, 'graceBackoff') as number,
    'graceBackoff',
    graceMs,
    'grace',
  );
  return {
    name: read.string('name', 'tiercache'),
    tiers: resolveTiers(raw.tiers),
    defaultTtlMs,
    maxKeyLength: read.integer('maxKeyLength', 1, DEFAULT_MAX_KEY_LENGTH),
    raiseWrites: read.oneOf('writeFailures', ['tolerate', 'raise'] as const, 'tolerate') === 'raise',
    jitter: read.number('jitter', { min: 0, max: 0.5 }, 0),
    factoryTimeoutMs: optionalTtl(raw.factoryTimeout, 'factoryTimeout'),
    softTimeoutMs: optionalTtl(raw.factorySoftTimeout, 'factorySoftTimeout'),
    graceMs,
    graceBackoffMs,
    eagerRefresh,
    lock: resolveLock(raw.lock),
    stream,
    bus,
    broadcastSets: read.boolean('broadcastSets'),
    closeTimeoutMs: read.duration('closeTimeout', 5000),
  };
}

/**
 * `ms`, a duration option the cache adds to `baseMs` (another option) to get a TTL it stores:
 * refused with `InvalidTtlError` when the sum is past `MAX_TTL_MS`, the longest TTL every tier
 * can store and read back (else every write would fail at the tiers).
 */
function addedToTtl(ms: number, what: string, baseMs: number, baseWhat: string): number {
  if (ms + baseMs > MAX_TTL_MS) {
    throw new InvalidTtlError(
      `TieredCache: ${what} (${ms} ms) plus ${baseWhat} (${baseMs} ms) is longer than the longest TTL every tier can store and read back (MAX_TTL_MS, ${MAX_TTL_MS} ms); the tiers keep entries for that sum, so pass a shorter ${what}`,
    );
  }
  return ms;
}

function resolveTiers<V>(input: TieredCacheOptions<V>['tiers']): TierOptions<V>[] {
  const tiers = input ?? [new MemoryBackend<V>({ name: 'memory' })];
  if (!Array.isArray(tiers) || tiers.length === 0) {
    throw new InvalidOptionError('TieredCache: tiers must be a non-empty array of backends, fastest first');
  }
  return tiers.map((entry: CacheBackend<V> | TierOptions<V>, index) => {
    const wrapped = isTierOptions(entry);
    const tier: TierOptions<V> = wrapped ? entry : { backend: entry };
    if (wrapped) {
      rejectUnknownKeys(`TieredCache: tiers[${index}]`, tier, TIER_OPTION_KEYS);
      const scale: unknown = tier.ttlScale;
      if (scale !== undefined && !(typeof scale === 'number' && scale > 0 && Number.isFinite(scale))) {
        throw new InvalidOptionError(
          `TieredCache: tiers[${index}].ttlScale must be a finite number > 0, got ${shown(scale)}`,
        );
      }
    }
    const backend = tier.backend;
    if (!hasMethods(backend, ['get', 'setWithTtl'])) {
      throw new InvalidOptionError(
        `TieredCache: tiers[${index}] is not a CacheBackend (it needs get, setWithTtl, remove, healthCheck)`,
      );
    }
    return tier;
  });
}

const TIER_OPTION_KEYS = [
  'backend',
  'ttlScale',
  'promotion',
  'maxTtl',
  'timeout',
  'breaker',
  'maxPendingWrites',
] as const satisfies readonly (keyof TierOptions)[];

function resolveLock(lock: false | LockOptions | undefined): CacheConfig<unknown>['lock'] {
  if (lock === false) return undefined;
  const read = new OptionReader<LockOptions>('TieredCache lock', lock, ['lease', 'poll']);
  return {
    leaseMs: parseTtl(read.raw.lease ?? 10_000, 'lock.lease') as number,
    pollMs: parseTtl(read.raw.poll ?? 10, 'lock.poll') as number,
  };
}

function optionalTtl(value: unknown, what: string): number | undefined {
  return value === undefined ? undefined : parseTtl(value, what);
}

function isStrategy(value: unknown): value is CacheStrategy {
  const ttlMs = (value as CacheStrategy | null)?.ttlMs;
  return typeof ttlMs === 'number' && ttlMs > 0 && Number.isFinite(ttlMs);
}

/** `true` for `{ backend, ...tier settings }`, `false` for a bare backend. */
export function isTierOptions<V>(input: CacheBackend<V> | TierOptions<V>): input is TierOptions<V> {
  return (
    typeof input === 'object' && input !== null && 'backend' in input && typeof input.backend === 'object'
  );
}
