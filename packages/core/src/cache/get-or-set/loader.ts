import { InvalidOptionError } from '../../errors.js';
import { SingleFlight } from '../../primitives/single-flight.js';
import type { CacheContext } from '../context.js';
import type { Factory, GetOrSetOptions, GetOrSetResult } from '../options.js';
import type { ReadPath } from '../read-path.js';
import { Scope } from '../scope.js';
import type { ReadTicket } from '../write-clock.js';
import type { DistributedLock } from './distributed-lock.js';
import { DecidedFailure, StoreError } from './factory-runner.js';
import type { FailSafe } from './fail-safe.js';

/** Single-flight key prefix of `forceFresh` runs (a control character: no cache key has one). */
const FORCE_FRESH = '\u0000fresh:';

/**
 * `getOrSet` past an L1 miss: one run per key in this process (single-flight), which reads
 * the lower tiers, then computes through the distributed lock, with fail-safe when a stale
 * value is at hand.
 *
 * Counting: every call is one request and ends as exactly one of a hit (of the tier the value
 * came from — also when it was found there after waiting for another process's factory), a
 * miss (the factory ran here, or a stale value was served), or coalesced (it joined a run
 * already in flight in this process).
 */
export class Loader<V> {
  readonly #ctx: CacheContext<V>;
  readonly #reads: ReadPath<V>;
  readonly #lock: DistributedLock<V>;
  readonly #failSafe: FailSafe<V>;
  readonly flights = new SingleFlight<GetOrSetResult<V>>();
  /** The write-clock ticket of the run in flight per key (for callers deciding whether to join). */
  readonly #tickets = new Map<string, ReadTicket>();

  constructor(context: CacheContext<V>, reads: ReadPath<V>, lock: DistributedLock<V>, failSafe: FailSafe<V>) {
    this.#ctx = context;
    this.#reads = reads;
    this.#lock = lock;
    this.#failSafe = failSafe;
  }

  async getOrSet(
    callerKey: string,
    factory: Factory<V>,
    callOptions: GetOrSetOptions | undefined,
    scope = Scope.root,
  ): Promise<GetOrSetResult<V>> {
    const ctx = this.#ctx;
    ctx.open();
    const key = scope.key(callerKey, ctx.config.maxKeyLength);
    if (typeof factory !== 'function') throw new InvalidOptionError('getOrSet needs a factory function');
    const ttlMs = ctx.ttlFor(callOptions);
    // From here on `options.tags` are the stored tags (the scope's own included).
    const tags = scope.entryTags(callOptions?.tags, 'getOrSet');
    const options = tags.length > 0 || callOptions?.tags ? { ...callOptions, tags } : callOptions;
    if (options?.signal?.aborted) throw options.signal.reason;
    ctx.stats.requests++;
    // A run that began before a write of the key may return what the write replaced: a caller
    // that comes after the write does not join it (the run still answers the callers it has).
    // forceFresh calls share runs among themselves only (they must not get a value read from a tier).
    const flightKey = options?.forceFresh ? FORCE_FRESH + key : key;
    const running = this.#tickets.get(flightKey);
    if (running !== undefined && ctx.clock.superseded(running)) {
      this.flights.detach(flightKey);
      this.#tickets.delete(flightKey);
    }
    const joined = this.flights.join(flightKey, options?.signal);
    if (joined) {
      ctx.stats.coalesced++;
      if (ctx.events.has('coalesce')) ctx.events.emit('coalesce', { key });
      return joined;
    }
    return this.flights.start(
      flightKey,
      (signal) => this.#load(key, flightKey, factory, ttlMs, options, signal),
      options?.signal,
    );
  }

  /** The body of one single-flight run: lower tiers, then the lock, then the factory. */
  async #load(
    key: string,
    flightKey: string,
    factory: Factory<V>,
    ttlMs: number | undefined,
    options: GetOrSetOptions | undefined,
    signal: AbortSignal,
  ): Promise<GetOrSetResult<V>> {
    const ctx = this.#ctx;
    const ticket = ctx.clock.begin(key);
    if (ctx.guarded) ticket.tokens = [];
    this.#tickets.set(flightKey, ticket);
    try {
      const below = options?.forceFresh ? undefined : await this.#reads.readBelow(key, ticket);
      if (below?.fresh) return { value: below.value, stale: false };
      if (below !== undefined && options?.grace !== false) {
        // A stale value is at hand: the factory gets its fail-safe and soft-timeout treatment.
        if (this.#failSafe.refreshing(key)) {
          ctx.countMiss(key);
          return this.#failSafe.serveStale(key, below.value, 'factory-timeout');
        }
        return await this.#failSafe.computeWithFallback(
          key,
          factory,
          ttlMs,
          options,
          signal,
          below.value,
          ticket,
          below.stored,
        );
      }
      const { value } = await this.#lock.computeShared(key, factory, ttlMs, options, signal, ticket);
      return { value, stale: false };
    } catch (error) {
      throw error instanceof StoreError || error instanceof DecidedFailure ? error.error : error;
    } finally {
      ctx.clock.end(ticket);
      // From here on the run no longer watches for writes, so it takes no new callers either
      // (the flight would otherwise stay joinable for a few more ticks after the ticket ended).
      if (this.#tickets.get(flightKey) === ticket) {
        this.#tickets.delete(flightKey);
        this.flights.detach(flightKey);
      }
    }
  }
}
