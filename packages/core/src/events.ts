import type { BusRejectReason } from './bus-message.js';

/** Every event a `TieredCache` emits, with its payload. */
export interface CacheEvents {
  /** A read was served by tier `tier` (0 = L1). */
  hit: { key: string; tier: number; tierName: string };
  /** A read found the key in no tier. */
  miss: { key: string };
  /** A value found in a lower tier was written into an upper one with its remaining TTL. */
  promote: { key: string; from: number; to: number; ttlMs: number | undefined };
  /**
   * A value was written by `set` or `setMany` (one event per key). A `getOrSet` factory's
   * result is reported by `factory:end` instead.
   */
  set: { key: string; ttlMs: number | undefined };
  /** A key was removed (locally or by a bus message). */
  delete: { key: string; source: 'local' | 'bus' };
  /** A factory started (`coalesced` waiters joined it later). */
  'factory:start': { key: string };
  /** A factory finished. */
  'factory:end': { key: string; durationMs: number; ok: boolean; error?: unknown };
  /** A caller joined a factory run already in flight instead of starting one. */
  coalesce: { key: string };
  /** A tier call failed (the cache carried on without it). */
  'tier:error': { tier: number; tierName: string; operation: string; error: unknown };
  /**
   * A write a tier missed (kept while it was failing) was refused by it when applied: the
   * server said the request is invalid (e.g. a value over its item size limit), so it is
   * dropped, never retried, and the writes behind it go on. A refused `set` leaves its key
   * removed from that tier. Counted in `stats().tiers[i].refusedWrites`.
   */
  'write:refused': {
    tier: number;
    tierName: string;
    kind: 'set' | 'remove' | 'pattern' | 'clear';
    key: string | undefined;
    error: unknown;
  };
  /** A tier's circuit breaker changed state. */
  'breaker:state': { tier: number; tierName: string; state: 'closed' | 'open' | 'half-open' };
  /** A stale value was served because the factory or a lower tier failed (fail-safe). */
  stale: { key: string; reason: 'factory-error' | 'factory-timeout' | 'tier-error' };
  /** A background refresh started before expiry. */
  'refresh:start': { key: string };
  /** The bus sent a message: `items` invalidations batched into one, `op` the broadest kind among them. */
  'bus:sent': { op: string; items: number };
  /** The bus applied an operation from another instance (a batched message gives one per kind). */
  'bus:received': { op: string; from: string };
  /**
   * The bus dropped a received message unread (it never throws): `reason` says why, `from` is
   * the sender id the message claimed, when it had one (unverified unless a secret is set).
   */
  'bus:rejected': { reason: BusRejectReason; from: string | undefined };
  /** The bus lost messages (gap or disconnect) and cleared the local tiers to stay correct. */
  'bus:resync': { reason: string };
  /** The bus transport reported an error. */
  'bus:error': { error: unknown };
}

type Listener<T> = (payload: T) => void;

/**
 * A small typed event emitter. `has` lets the hot path skip building payloads when nobody
 * listens; a listener that throws is isolated so it cannot break a cache call.
 */
export class CacheEventEmitter {
  readonly #listeners = new Map<keyof CacheEvents, Set<Listener<never>>>();
  /** Count of listeners over all events; 0 means every `emit` can be skipped. */
  listenerCount = 0;

  /** Subscribe; returns a function that unsubscribes. */
  on<E extends keyof CacheEvents>(event: E, listener: Listener<CacheEvents[E]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    if (!set.has(listener as Listener<never>)) {
      set.add(listener as Listener<never>);
      this.listenerCount++;
    }
    return () => this.off(event, listener);
  }

  /** Unsubscribe. */
  off<E extends keyof CacheEvents>(event: E, listener: Listener<CacheEvents[E]>): void {
    if (this.#listeners.get(event)?.delete(listener as Listener<never>)) this.listenerCount--;
  }

  /** `true` when `event` has at least one listener. */
  has(event: keyof CacheEvents): boolean {
    return this.listenerCount > 0 && (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Deliver `payload` to every listener of `event`. */
  emit<E extends keyof CacheEvents>(event: E, payload: CacheEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as Listener<CacheEvents[E]>)(payload);
      } catch (error) {
        // A broken listener must not fail the cache call that emitted the event, nor the process.
        process.emitWarning(
          `tiercache "${String(event)}" listener threw: ${String(error)}`,
          'TierCacheListenerWarning',
        );
      }
    }
  }
}
