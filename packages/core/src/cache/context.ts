import { setMaxListeners } from 'node:events';
import type { ValueWithTtl } from '../contracts.js';
import { ClosedError, InvalidOptionError } from '../errors.js';
import type { CacheEventEmitter } from '../events.js';
import type { BusOperation, InvalidationBus } from '../invalidation-bus.js';
import { redactSecrets } from '../redact.js';
import type { CacheStats } from '../stats.js';
import { parseEntryTtl, parseTtl } from '../ttl.js';
import type { CacheConfig } from './config.js';
import type { GetOrSetOptions, SetOptions } from './options.js';
import { SEPARATOR_CODE } from './scope.js';
import { hasTaggedMark } from './tagged-entry.js';
import { TagTimes } from './tags.js';
import { Tier } from './tier.js';
import { WriteClock } from './write-clock.js';

/**
 * What every part of a `TieredCache` shares: the resolved config, the tiers, stats and events,
 * the write clock, and the lifecycle (background work tracked for `close()`). Parts depend on
 * the context, never on the public class or on each other's internals.
 */
export class CacheContext<V> {
  readonly tiers: Tier<V>[];
  /** Per tier: remaining TTL at or below which an entry is stale (grace × scale, or 0). */
  readonly staleBelow: number[];
  /** The first tier's synchronous read with remaining TTL, when it has one. */
  readonly l1PeekWithTtl: ((key: string) => ValueWithTtl<V> | undefined) | undefined;
  /** The first tier's synchronous read of a *fresh* value, when it has one: the hot path. */
  readonly l1Peek: ((key: string) => V | undefined) | undefined;
  /**
   * The first tier's `peekResolved` when the plain `l1Peek` is its `peek` (no grace): a hit as a
   * promise the tier keeps, for the root cache's untagged fast path.
   */
  readonly l1PeekResolved: ((key: string) => Promise<V> | undefined) | undefined;
  /** The first tier the slow path reads (1 when the L1 fast path already looked). */
  readonly firstSlowTier: number;
  /** `true` when some remote tier has guarded writes (`getWithToken` / `setIfUnchanged`). */
  readonly guarded: boolean;
  readonly clock = new WriteClock();
  /** Aborted by `close()`: reaches every factory, background refreshes included. */
  readonly closing = new AbortController();
  readonly background = new Set<Promise<unknown>>();
  bus: InvalidationBus | undefined;
  closed = false;
  /** Tag invalidation times (see `TagTimes`). */
  readonly tags: TagTimes<V>;
  /** `true` once a tagged entry was written or read here: the L1 fast path then unwraps them. */
  tagsSeen = false;
  /** Called once, when the first tagged entry is about to enter a tier here. */
  onFirstTag: (() => void) | undefined;

  constructor(
    readonly config: CacheConfig<V>,
    readonly stats: CacheStats,
    readonly events: CacheEventEmitter,
    onRecovered: (tier: Tier<V>) => void,
  ) {
    // Every factory run listens on this signal until it ends (removed then), so many at once
    // are normal, not a leak: no MaxListenersExceededWarning past 10.
    setMaxListeners(0, this.closing.signal);
    this.tiers = config.tiers.map(
      (options, index) =>
        new Tier<V>(
          index,
          options.backend,
          options,
          (state) => {
            if (events.has('breaker:state')) {
              events.emit('breaker:state', { tier: index, tierName: options.backend.name, state });
            }
          },
          onRecovered,
        ),
    );
    const graceMs = config.graceMs;
    // An entry is stale (kept only for fail-safe) once it has at most grace × scale left; a tier
    // whose maxTtl cannot hold the grace window keeps no grace (its entries are fresh until gone).
    this.staleBelow = this.tiers.map((t) => {
      const window = graceMs * t.ttlScale;
      return t.maxTtlMs !== undefined && t.maxTtlMs <= window ? 0 : window;
    });
    const first = this.tiers[0]!;
    const l1 = first.backend;
    this.l1PeekWithTtl = first.caps.peekWithTtl ? l1.peekWithTtl!.bind(l1) : undefined;
    this.l1PeekResolved = graceMs === 0 && first.caps.peekResolved ? l1.peekResolved!.bind(l1) : undefined;
    if (graceMs === 0) {
      this.l1Peek = first.caps.peek ? l1.peek!.bind(l1) : undefined;
    } else if (this.l1PeekWithTtl !== undefined) {
      // With grace, L1 holds entries past their TTL: the fast path serves fresh ones only.
      const peekWithTtl = this.l1PeekWithTtl;
      const staleBelow = this.staleBelow[0]!;
      this.l1Peek = (key) => {
        const entry = peekWithTtl(key);
        return entry === undefined || (entry.ttlMs !== undefined && entry.ttlMs <= staleBelow)
          ? undefined
          : entry.value;
      };
    } else {
      this.l1Peek = undefined;
    }
    if (config.eagerRefresh > 0 && this.l1PeekWithTtl === undefined) {
      throw new InvalidOptionError(
        `TieredCache: eagerRefresh needs a first tier that can tell remaining TTL (peekWithTtl); "${first.name}" cannot`,
      );
    }
    // Stale L1 entries are fail-safe candidates, so with grace the slow path reads L1 again.
    this.firstSlowTier = this.l1Peek && graceMs === 0 ? 1 : 0;
    this.guarded = this.tiers.some((t) => !t.local && t.caps.guardedWrites);
    this.tags = new TagTimes(this);
  }

  /**
   * A tagged entry is about to be written (or promoted) here: switch the L1 fast path to the
   * one that recognises tagged entries. Until then the untagged fast path does no extra work.
   */
  sawTags(): void {
    if (this.tagsSeen) return;
    this.tagsSeen = true;
    this.onFirstTag?.();
  }

  /**
   * The root L1 fast path once tagged entries exist: a plain value as it is, a tagged one only
   * while its tags are fresh, a namespace's entry never (it is reached through its view only).
   * `undefined` without an L1 peek.
   */
  taggedL1Peek(): ((key: string) => V | undefined) | undefined {
    const peek = this.l1Peek;
    if (peek === undefined) return undefined;
    const tags = this.tags;
    return (key) => {
      const value = peek(key);
      if (value === undefined || !hasTaggedMark(value)) return value;
      if (key.charCodeAt(0) === SEPARATOR_CODE) return undefined;
      return tags.visible(value) as V | undefined;
    };
  }

  /** Reject calls after `close()`. */
  open(): void {
    if (this.closed) throw new ClosedError(`TieredCache "${this.config.name}"`);
  }

  /** Keep `promise` for `close()` to wait on; its rejection is handled by the caller. */
  track(promise: Promise<unknown>): void {
    this.background.add(promise);
    promise.finally(() => this.background.delete(promise)).catch(() => undefined);
  }

  /** Publish on the bus (when there is one), tracked for `close()`. */
  publish(message: BusOperation): void {
    if (this.bus) this.track(this.bus.publish(message));
  }

  /** Whether a `set` (or stored factory result) with these options is broadcast. */
  broadcasts(broadcast: boolean | undefined): boolean {
    return this.bus !== undefined && (broadcast ?? this.config.broadcastSets ?? true);
  }

  /** Count a tier's failure and report it (credentials scrubbed: backends' own errors included). */
  tierError(tier: Tier<V>, operation: string, error: unknown): void {
    this.stats.tierErrors[tier.index]!++;
    if (this.events.has('tier:error')) {
      this.events.emit('tier:error', {
        tier: tier.index,
        tierName: tier.name,
        operation,
        error: redactSecrets(error),
      });
    }
  }

  /** Count a hit in tier `tier` and emit its event: the one place hits are counted. */
  countHit(key: string, tier: number): void {
    this.stats.tierHits[tier]!++;
    if (this.events.listenerCount > 0) this.emitHit(key, tier);
  }

  /** The `hit` event (the L1 fast path counts on its own and calls this only with listeners). */
  emitHit(key: string, tier: number): void {
    if (this.events.has('hit')) this.events.emit('hit', { key, tier, tierName: this.tiers[tier]!.name });
  }

  /** Count a miss and emit its event. */
  countMiss(key: string): void {
    this.stats.misses++;
    if (this.events.has('miss')) this.events.emit('miss', { key });
  }

  /** The logical TTL (ms) of a write with these options; `undefined` for `FOREVER` (no expiry). */
  ttlFor(options: SetOptions | undefined): number | undefined {
    if (options === undefined) return this.config.defaultTtlMs;
    if (options.ttl !== undefined) return parseEntryTtl(options.ttl, 'ttl');
    if (options.strategy !== undefined) return options.strategy.ttlMs;
    return this.config.defaultTtlMs;
  }

  /** The hard factory timeout of a `getOrSet` call (ms), if any. */
  timeoutFor(options: GetOrSetOptions | undefined): number | undefined {
    return options?.timeout === undefined
      ? this.config.factoryTimeoutMs
      : parseTtl(options.timeout, 'timeout');
  }

  /** A factory-computed TTL, shortened by the configured jitter (`FOREVER` stays forever). */
  jittered(ttlMs: number | undefined): number | undefined {
    const jitter = this.config.jitter;
    return jitter === 0 || ttlMs === undefined
      ? ttlMs
      : Math.max(1, Math.round(ttlMs * (1 - Math.random() * jitter)));
  }
}
