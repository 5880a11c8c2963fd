/** Per-tier counters in a {@link CacheStatsSnapshot}. */
export interface TierStats {
  name: string;
  hits: number;
  errors: number;
  /** Entries written into this tier from a lower one. */
  promotions: number;
  /** `"closed"` (healthy), `"open"` (skipped) or `"half-open"` (probing); always closed for local tiers. */
  breaker: 'closed' | 'open' | 'half-open';
  /** Writes this tier missed while failing, waiting to be applied when it answers again. */
  pendingWrites: number;
  /** Missed writes dropped because too many were waiting (`maxPendingWrites`). */
  droppedWrites: number;
  /** Missed writes this tier refused as invalid when they were applied: dropped, never retried (`write:refused`). */
  refusedWrites: number;
}

/** Invalidation bus counters. */
export interface BusStats {
  /** Messages published (each carries a batch of invalidations). */
  sent: number;
  /** Messages received from other instances and accepted. */
  received: number;
  /** Invalidations applied to the local tiers: one per key, pattern or clear. */
  applied: number;
  errors: number;
  /** Times the bus cleared local tiers because messages may have been lost. */
  resyncs: number;
  /** Invalidations (keys, patterns, a clear) waiting to be sent: batching, or a transport failure. */
  queued: number;
  /** Received messages dropped unread: malformed, too large, a bad signature, a forged sequence jump. */
  rejected: number;
  /** Times more than `maxQueue` invalidations waited and were replaced by one `clear`. */
  overflows: number;
  /** Senders whose sequence numbers this instance tracks now (at most `maxSenders`). */
  senders: number;
}

/** A point-in-time copy of a cache's counters. */
export interface CacheStatsSnapshot {
  requests: number;
  hits: number;
  misses: number;
  /** hits / requests (0 when there were none). */
  hitRate: number;
  tiers: (TierStats & { hitRate: number })[];
  promotions: number;
  factoryRuns: number;
  factoryErrors: number;
  /** Callers that joined a factory run already in flight. */
  coalesced: number;
  /** Factory runs in flight right now. */
  inFlight: number;
  /** Stale values served by fail-safe. */
  staleServed: number;
  /** Background refreshes started. */
  refreshes: number;
  /**
   * Write-backs dropped because a newer write of the key won (writes win): promotions of a
   * value read before the write, and factory results computed before it (see docs/consistency.md).
   */
  supersededWrites: number;
  bus: BusStats;
}

/**
 * Mutable counters owned by one cache. Plain number fields so the hot path pays one
 * increment per event and nothing else.
 */
export class CacheStats {
  requests = 0;
  misses = 0;
  factoryRuns = 0;
  factoryErrors = 0;
  coalesced = 0;
  inFlight = 0;
  staleServed = 0;
  refreshes = 0;
  supersededWrites = 0;
  /**
   * Hits of the root cache's L1 fast path: each is one request and one L1 hit, counted with a
   * single increment and added to both in {@link CacheStats.snapshot}.
   */
  fastL1Hits = 0;
  readonly tierHits: number[];
  readonly tierErrors: number[];
  readonly tierPromotions: number[];
  readonly bus: BusStats = {
    sent: 0,
    received: 0,
    applied: 0,
    errors: 0,
    resyncs: 0,
    queued: 0,
    rejected: 0,
    overflows: 0,
    senders: 0,
  };

  constructor(readonly tierNames: readonly string[]) {
    this.tierHits = tierNames.map(() => 0);
    this.tierErrors = tierNames.map(() => 0);
    this.tierPromotions = tierNames.map(() => 0);
  }

  /** A copy that later calls do not change; `live` gives each tier's breaker and pending writes. */
  snapshot(
    live: readonly Pick<TierStats, 'breaker' | 'pendingWrites' | 'droppedWrites' | 'refusedWrites'>[],
  ): CacheStatsSnapshot {
    const fast = this.fastL1Hits;
    const tierHits = this.tierHits.map((n, i) => (i === 0 ? n + fast : n));
    const requests = this.requests + fast;
    const hits = tierHits.reduce((a, b) => a + b, 0);
    const rate = (n: number): number => (requests === 0 ? 0 : n / requests);
    return {
      requests,
      hits,
      misses: this.misses,
      hitRate: rate(hits),
      tiers: this.tierNames.map((name, i) => ({
        name,
        hits: tierHits[i]!,
        errors: this.tierErrors[i]!,
        promotions: this.tierPromotions[i]!,
        breaker: live[i]?.breaker ?? 'closed',
        pendingWrites: live[i]?.pendingWrites ?? 0,
        droppedWrites: live[i]?.droppedWrites ?? 0,
        refusedWrites: live[i]?.refusedWrites ?? 0,
        hitRate: rate(tierHits[i]!),
      })),
      promotions: this.tierPromotions.reduce((a, b) => a + b, 0),
      factoryRuns: this.factoryRuns,
      factoryErrors: this.factoryErrors,
      coalesced: this.coalesced,
      inFlight: this.inFlight,
      staleServed: this.staleServed,
      refreshes: this.refreshes,
      supersededWrites: this.supersededWrites,
      bus: { ...this.bus },
    };
  }

  /** Zero every counter except `inFlight` (which describes work still running). */
  reset(): void {
    this.requests = this.misses = this.factoryRuns = this.factoryErrors = 0;
    this.coalesced = this.staleServed = this.refreshes = this.supersededWrites = this.fastL1Hits = 0;
    this.tierHits.fill(0);
    this.tierErrors.fill(0);
    this.tierPromotions.fill(0);
    Object.assign(this.bus, {
      sent: 0,
      received: 0,
      applied: 0,
      errors: 0,
      resyncs: 0,
      rejected: 0,
      overflows: 0,
    });
  }
}
