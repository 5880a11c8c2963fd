import { hasCode } from '../../errors.js';
import { parseTtl } from '../../ttl.js';
import type { CacheContext } from '../context.js';
import type { Factory, GetOrSetOptions, GetOrSetResult } from '../options.js';
import { Scope, SEPARATOR_CODE } from '../scope.js';
import { hasTaggedMark } from '../tagged-entry.js';
import { isCallerError } from '../tier.js';
import { readTokens } from '../write-back.js';
import type { ReadTicket } from '../write-clock.js';
import type { DistributedLock } from './distributed-lock.js';
import { DecidedFailure, type FactoryRunner, StoreError } from './factory-runner.js';

/** What the soft-timeout timer resolves with (a factory may return any value, strings included). */
const SOFT_TIMEOUT: unique symbol = Symbol('soft timeout');

/** Keys whose factory failed, remembered for `graceBackoff` so eager refresh skips them; oldest dropped past this. */
const MAX_BACKING_OFF = 10_000;

/**
 * Fail-safe and refresh-ahead: serving a stale value (within `grace`) when the factory fails
 * or is slow, and refreshing hot entries in the background before they expire.
 */
export class FailSafe<V> {
  readonly #ctx: CacheContext<V>;
  readonly #lock: DistributedLock<V>;
  readonly #runner: FactoryRunner<V>;
  /** Background refreshes (eager or past a soft timeout) by key: at most one per key. */
  readonly #refreshing = new Map<string, Promise<unknown>>();
  /**
   * Until when (ms) an eager refresh of a key waits after its factory failed: `graceBackoff`
   * says the factory is retried later, not on every hit. At most {@link MAX_BACKING_OFF} keys.
   */
  readonly #backingOff = new Map<string, number>();

  constructor(context: CacheContext<V>, lock: DistributedLock<V>, runner: FactoryRunner<V>) {
    this.#ctx = context;
    this.#lock = lock;
    this.#runner = runner;
  }

  /** `true` while a background refresh of `key` runs. */
  refreshing(key: string): boolean {
    return this.#refreshing.has(key);
  }

  /**
   * Run the factory with a stale value in hand. A factory error or hard timeout serves the
   * stale value (kept fresh locally for `graceBackoff` so the factory is not hammered); past
   * the soft timeout the stale value is served and the run refreshes the cache in the background.
   */
  async computeWithFallback(
    key: string,
    factory: Factory<V>,
    ttlMs: number | undefined,
    options: GetOrSetOptions | undefined,
    signal: AbortSignal,
    staleValue: V,
    ticket: ReadTicket,
    staleStored: V = staleValue,
  ): Promise<GetOrSetResult<V>> {
    const ctx = this.#ctx;
    const run = this.#lock
      .computeShared(key, factory, ttlMs, options, signal, ticket, staleValue)
      .then((r) => r.value);
    const softMs =
      options?.softTimeout === undefined
        ? ctx.config.softTimeoutMs
        : parseTtl(options.softTimeout, 'softTimeout');
    let timer: NodeJS.Timeout | undefined;
    const soft =
      softMs === undefined
        ? undefined
        : new Promise<typeof SOFT_TIMEOUT>((resolve) => (timer = setTimeout(resolve, softMs, SOFT_TIMEOUT)));
    try {
      const first = await (soft ? Promise.race([run, soft]) : run);
      if (first === SOFT_TIMEOUT) {
        // The run outlives this call: its write-back stays subject to the writes-win rule.
        ctx.clock.retain(ticket);
        this.refreshInBackground(
          key,
          run.finally(() => ctx.clock.end(ticket)),
        );
        return this.serveStale(key, staleValue, 'factory-timeout');
      }
      return { value: first, stale: false };
    } catch (error) {
      // Cancelled (every waiter gave up, or close) or the value could not be stored: no fail-safe.
      if (
        isCallerError(error) ||
        signal.aborted ||
        error instanceof StoreError ||
        error instanceof DecidedFailure
      ) {
        throw error;
      }
      const reason = hasCode(error, 'TIERCACHE_FACTORY_TIMEOUT') ? 'factory-timeout' : 'factory-error';
      this.#backOff(key);
      // Keep the stale value fresh in the local tiers for a while: retry the factory later, not
      // on every call. Not when a write of the key came meanwhile: it wins over the stale value.
      if (!ctx.clock.superseded(ticket)) {
        const backoff = ctx.config.graceBackoffMs + ctx.config.graceMs;
        await Promise.allSettled(
          ctx.tiers
            .filter((t) => t.local)
            .map((t) => t.run('set', () => t.backend.setWithTtl(key, staleStored, t.scaleTtl(backoff)))),
        );
      }
      return this.serveStale(key, staleValue, reason);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Count and report a stale value served. */
  serveStale(key: string, value: V, reason: 'factory-error' | 'factory-timeout'): GetOrSetResult<V> {
    const ctx = this.#ctx;
    ctx.stats.staleServed++;
    if (ctx.events.has('stale')) ctx.events.emit('stale', { key, reason });
    return { value, stale: true };
  }

  /**
   * The eager-refresh hot path: a fresh L1 hit (counted), plus one background refresh when the
   * entry has used `eagerRefresh` of its TTL. `undefined` sends the caller down the slow path.
   */
  eagerHit(key: string, factory: Factory<V>, options: GetOrSetOptions | undefined): V | undefined {
    const ctx = this.#ctx;
    const entry = ctx.l1PeekWithTtl!(key);
    if (entry === undefined) return undefined;
    let value = entry.value;
    if (ctx.tagsSeen && hasTaggedMark(value)) {
      // The root fast path never serves a namespace's entries (their keys start with the separator).
      if (key.charCodeAt(0) === SEPARATOR_CODE) return undefined;
      const fresh = ctx.tags.visible(value);
      if (fresh === undefined) return undefined;
      value = fresh as V;
    }
    const l1 = ctx.tiers[0]!;
    const scale = l1.ttlScale;
    const staleBelow = ctx.staleBelow[0]!;
    const left = entry.ttlMs === undefined ? undefined : (entry.ttlMs - staleBelow) / scale;
    if (left !== undefined && left <= 0) return undefined; // stale: the slow path decides
    ctx.stats.requests++;
    ctx.countHit(key, 0);
    if (left !== undefined && !ctx.closed && !this.#refreshing.has(key) && !this.#isBackingOff(key)) {
      const ttlMs = ctx.ttlFor(options);
      // Compare with the life L1 actually gives an entry (its maxTtl may cut the TTL short).
      const cap = l1.maxTtlMs === undefined ? Number.POSITIVE_INFINITY : (l1.maxTtlMs - staleBelow) / scale;
      const life = Math.min(ttlMs ?? Number.POSITIVE_INFINITY, cap);
      if (Number.isFinite(life) && left < life * (1 - ctx.config.eagerRefresh)) {
        ctx.stats.refreshes++;
        if (ctx.events.has('refresh:start')) ctx.events.emit('refresh:start', { key });
        const ticket = ctx.clock.begin(key);
        const stale = value;
        const refresh = (): Promise<V> =>
          this.#runner.compute(key, factory, {
            ttlMs,
            timeoutMs: ctx.timeoutFor(options),
            signal: ctx.closing.signal,
            broadcast: options?.broadcast,
            ticket,
            stale,
            localOnly: options?.localOnly,
            tags: options?.tags === undefined ? undefined : Scope.root.entryTags(options.tags, 'getOrSet'),
          });
        // The hit came from L1: what the shared tiers hold now is read (with its token) before the
        // factory runs, so another instance's write meanwhile wins over the refreshed value there.
        const run = (
          ctx.guarded && !options?.localOnly
            ? readTokens(ctx, key, ticket).then((read) => (read ? refresh() : stale))
            : refresh()
        ).finally(() => ctx.clock.end(ticket));
        this.refreshInBackground(
          key,
          run.catch((error: unknown) => {
            this.#backOff(key);
            throw error;
          }),
        );
      }
    }
    return value;
  }

  /** Remember that `key`'s factory just failed: eager refresh leaves it alone for `graceBackoff`. */
  #backOff(key: string): void {
    const backoff = this.#ctx.config.graceBackoffMs;
    if (backoff <= 0) return;
    this.#backingOff.delete(key);
    if (this.#backingOff.size >= MAX_BACKING_OFF) {
      const oldest = this.#backingOff.keys().next().value;
      if (oldest !== undefined) this.#backingOff.delete(oldest);
    }
    this.#backingOff.set(key, Date.now() + backoff);
  }

  #isBackingOff(key: string): boolean {
    const until = this.#backingOff.get(key);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.#backingOff.delete(key);
    return false;
  }

  /** Track a factory run that finishes after its callers got an answer; one per key. */
  refreshInBackground(key: string, run: Promise<unknown>): void {
    const tracked = run.catch(() => undefined).finally(() => this.#refreshing.delete(key));
    this.#refreshing.set(key, tracked);
    this.#ctx.track(tracked);
  }
}
