/**
 * The names of every instrument `instrumentCache` creates, and the attribute keys on them.
 * Exported so dashboards and tests can refer to them instead of repeating strings.
 * In Prometheus they appear with dots as underscores and counters with `_total`
 * (e.g. `tiercache_hits_total`).
 */
export const METRIC = {
  /** Reads (get, getMany keys, has, getOrSet). Observable counter. */
  requests: 'tiercache.requests',
  /** Reads served, per tier (`cache.tier`). Observable counter. */
  hits: 'tiercache.hits',
  /** Reads no tier could serve. Observable counter. */
  misses: 'tiercache.misses',
  /** Values copied from a lower tier into an upper one (`cache.tier.from`, `cache.tier.to`). Counter. */
  promotions: 'tiercache.promotions',
  /** Factory runs finished; failed ones carry `error.type`. Counter. */
  factoryRuns: 'tiercache.factory.runs',
  /** How long factory runs took, in seconds; failed ones carry `error.type`. Histogram. */
  factoryDuration: 'tiercache.factory.duration',
  /** Factory runs in flight now. Observable up-down counter (additive across instances). */
  factoryInFlight: 'tiercache.factory.in_flight',
  /** Callers that joined a factory run already in flight. Observable counter. */
  coalesced: 'tiercache.coalesced',
  /** Stale values served by fail-safe. Observable counter. */
  staleServed: 'tiercache.stale.served',
  /** Background refreshes started (eager refresh, soft timeouts). Observable counter. */
  refreshes: 'tiercache.refreshes',
  /** Failed tier calls, per tier (`cache.tier`) and operation (`cache.operation`). Counter. */
  tierErrors: 'tiercache.tier.errors',
  /** Circuit breaker state per tier: 0 closed, 1 half-open, 2 open. Observable gauge. */
  breakerState: 'tiercache.breaker.state',
  /** Invalidation messages this instance published. Observable counter. */
  busSent: 'tiercache.bus.sent',
  /** Invalidation messages received from other instances. Observable counter. */
  busReceived: 'tiercache.bus.received',
  /** Received messages applied to the local tiers. Observable counter. */
  busApplied: 'tiercache.bus.applied',
  /** Bus transport errors. Observable counter. */
  busErrors: 'tiercache.bus.errors',
  /** Times the bus cleared the local tiers because messages may have been lost. Observable counter. */
  busResyncs: 'tiercache.bus.resyncs',
  /** Messages waiting to be re-sent after a transport failure. Observable up-down counter. */
  busQueued: 'tiercache.bus.queued',
} as const;

/** Attribute keys used on the instruments in {@link METRIC}. */
export const ATTR = {
  /** The cache's `name` option. On every data point. */
  cacheName: 'cache.name',
  /** A tier's backend name (e.g. `"lru"`, `"redis"`). */
  tier: 'cache.tier',
  /** The tier a promoted value came from. */
  tierFrom: 'cache.tier.from',
  /** The tier a promoted value was written into. */
  tierTo: 'cache.tier.to',
  /** The tier call that failed (`get`, `set`, `remove`, `promote`, ...). */
  operation: 'cache.operation',
  /**
   * On failed factory runs only (OpenTelemetry's `error.type`): the error's `code` when it
   * has a string one (e.g. `TIERCACHE_TIMEOUT`), else its class name, else `_OTHER`.
   */
  errorType: 'error.type',
} as const;

/** Breaker states as the numbers the `tiercache.breaker.state` gauge reports. */
export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
