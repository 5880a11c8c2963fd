import type { ValueWithTtl } from '../contracts.js';
import { InvalidOptionError } from '../errors.js';
import type { CacheContext } from './context.js';
import { Scope } from './scope.js';
import { checkStored, hasTaggedMark, isTagged, unreadableEntry } from './tagged-entry.js';
import type { Tier } from './tier.js';
import type { ReadTicket } from './write-clock.js';

/** A read through the tiers: the value, and whether it is within its TTL (not only within grace). */
export interface ReadResult<V> {
  value: V;
  fresh: boolean;
  /** The value as the tier stores it: `value`, or its tagged entry (rewrites keep the tags). */
  stored: V;
}

/**
 * Reads below the L1 fast path: tier by tier until a hit, counting it and promoting it into
 * the tiers above with its remaining TTL — unless a write of the key happened since the read
 * began (see `WriteClock`): then the value is returned but not written back.
 */
export class ReadPath<V> {
  readonly #ctx: CacheContext<V>;

  constructor(context: CacheContext<V>) {
    this.#ctx = context;
  }

  /** `get` past an L1 miss. */
  async get(callerKey: string, scope = Scope.root): Promise<V | undefined> {
    const ctx = this.#ctx;
    ctx.open();
    const key = scope.key(callerKey, ctx.config.maxKeyLength);
    ctx.stats.requests++;
    const ticket = ctx.clock.begin(key);
    try {
      const found = await this.readBelow(key, ticket);
      if (found === undefined || !found.fresh) {
        ctx.countMiss(key);
        return undefined;
      }
      return found.value;
    } finally {
      ctx.clock.end(ticket);
    }
  }

  /** `ttl(key)`: the logical remaining TTL from the fastest tier with a fresh entry. */
  async remainingTtl(callerKey: string, scope = Scope.root): Promise<number | undefined> {
    const ctx = this.#ctx;
    ctx.open();
    const key = scope.key(callerKey, ctx.config.maxKeyLength);
    let l1 = ctx.l1PeekWithTtl?.(key);
    const tiers = ctx.tiers;
    // A tagged L1 entry the tag table cannot vouch for is checked below like any other.
    if (l1 !== undefined && hasTaggedMark(l1.value) && ctx.tags.visible(l1.value) === undefined)
      l1 = undefined;
    if (l1 !== undefined && (l1.ttlMs === undefined || l1.ttlMs > ctx.staleBelow[0]!)) {
      return logicalLeft(l1.ttlMs, ctx.staleBelow[0]!, tiers[0]!.ttlScale);
    }
    const ticket = ctx.clock.begin(key);
    try {
      for (let t = l1 === undefined && ctx.l1PeekWithTtl ? 1 : 0; t < tiers.length; t++) {
        const tier = tiers[t]!;
        let hit: ValueWithTtl<V> | undefined;
        const since = performance.now();
        try {
          hit = await tier.run('get', () => tier.read(key));
          if (hit !== undefined) checkStored(hit.value);
        } catch (error) {
          ctx.tierError(tier, 'get', error);
          continue;
        }
        if (hit === undefined || (hit.ttlMs !== undefined && hit.ttlMs <= ctx.staleBelow[t]!)) continue;
        if (isTagged(hit.value) && !(await ctx.tags.valid(hit.value, tier, since))) continue;
        if (!tier.knowsTtl) return undefined;
        return logicalLeft(hit.ttlMs, ctx.staleBelow[t]!, tier.ttlScale);
      }
      return undefined;
    } finally {
      ctx.clock.end(ticket);
    }
  }

  /**
   * Read the tiers from `from` down; count and promote the first fresh hit. With grace, the
   * first stale entry met is returned (`fresh: false`) when no tier has a fresh one, as the
   * fail-safe candidate.
   */
  async readBelow(
    key: string,
    ticket: ReadTicket,
    from = this.#ctx.firstSlowTier,
    count = true,
  ): Promise<ReadResult<V> | undefined> {
    const ctx = this.#ctx;
    let stale: ReadResult<V> | undefined;
    for (let t = from; t < ctx.tiers.length; t++) {
      const tier = ctx.tiers[t]!;
      let hit: ValueWithTtl<V> | undefined;
      const since = performance.now();
      const pending = tier.pending.size > 0 ? tier.pending.lookup(key) : undefined;
      if (pending === 'removed') continue;
      if (pending !== undefined) hit = pending;
      else {
        try {
          if (ticket.tokens !== undefined && tier.caps.guardedWrites) {
            const guarded = await tier.run('get', () => tier.l2.getWithToken!(key));
            // The token is kept for an unreadable value too: the write over it stays guarded.
            ticket.tokens[t] = guarded.token;
            hit = guarded.entry;
          } else hit = await tier.run('get', () => tier.read(key));
          if (hit !== undefined) checkStored(hit.value);
        } catch (error) {
          ctx.tierError(tier, 'get', error);
          continue;
        }
      }
      if (hit === undefined) continue;
      let value = hit.value;
      // A tag-invalidated entry is gone: neither a hit nor a fail-safe candidate.
      if (isTagged(value)) {
        // Whatever becomes of this entry (a hit promoted, or a stale one fail-safe writes back
        // into L1), the L1 fast path must from now on recognise tagged entries.
        if (!ctx.tagsSeen) ctx.sawTags();
        if (!(await ctx.tags.valid(value, tier, since))) continue;
        value = value.v as V;
      }
      if (hit.ttlMs !== undefined && hit.ttlMs <= ctx.staleBelow[t]!) {
        stale ??= { value, fresh: false, stored: hit.value };
        continue;
      }
      if (count) ctx.countHit(key, t);
      if (t > 0) this.promote(key, hit, t, ticket);
      return { value, fresh: true, stored: hit.value };
    }
    return stale;
  }

  /**
   * The read of a rewrite (`expire`): from the fastest tier, or, when a shared tier has guarded
   * writes, from the first such tier with its token in `ticket.tokens`, so the rewrite stores
   * there only what that tier still holds (an L1 copy may be older than another instance's
   * write). Counts nothing.
   */
  readForRewrite(key: string, ticket: ReadTicket): Promise<ReadResult<V> | undefined> {
    const ctx = this.#ctx;
    const guarded = ctx.guarded ? ctx.tiers.findIndex((t) => !t.local && t.caps.guardedWrites) : -1;
    if (guarded < 0) return this.readBelow(key, ticket, 0, false);
    ticket.tokens = [];
    return this.readBelow(key, ticket, guarded, false);
  }

  /** Values for `keys` in order (`undefined` for misses), one batched read per tier. */
  async getMany(callerKeys: readonly string[], scope = Scope.root): Promise<(V | undefined)[]> {
    const ctx = this.#ctx;
    ctx.open();
    if (!Array.isArray(callerKeys)) throw new InvalidOptionError('getMany takes an array of keys');
    const keys = callerKeys.map((key) => scope.key(key, ctx.config.maxKeyLength));
    ctx.stats.requests += keys.length;
    const out: (V | undefined)[] = new Array(keys.length).fill(undefined);
    let missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      let value = ctx.l1Peek?.(keys[i]!);
      if (value !== undefined && hasTaggedMark(value)) value = ctx.tags.visible(value) as V | undefined;
      if (value !== undefined) {
        out[i] = value;
        ctx.countHit(keys[i]!, 0);
      } else missing.push(i);
    }
    const tickets = missing.map((i) => ctx.clock.begin(keys[i]!));
    const ticketOf = new Map(missing.map((index, j) => [index, tickets[j]!]));
    try {
      for (let t = ctx.firstSlowTier; t < ctx.tiers.length && missing.length > 0; t++) {
        const tier = ctx.tiers[t]!;
        let found: (ValueWithTtl<V> | undefined)[];
        const since = performance.now();
        try {
          found = await tier.run('getMany', () =>
            this.#readMany(
              tier,
              missing.map((i) => keys[i]!),
            ),
          );
        } catch (error) {
          ctx.tierError(tier, 'getMany', error);
          continue;
        }
        const still: number[] = [];
        for (let j = 0; j < missing.length; j++) {
          const index = missing[j]!;
          const pending = tier.pending.size > 0 ? tier.pending.lookup(keys[index]!) : undefined;
          const hit = pending === 'removed' ? undefined : (pending ?? found[j]);
          // An unreadable value is a miss of this key alone, reported (the others are still hits).
          const unreadable = hit === undefined ? undefined : unreadableEntry(hit.value);
          if (unreadable !== undefined) {
            ctx.tierError(tier, 'getMany', unreadable);
            still.push(index);
            continue;
          }
          // Entries kept only for grace are not values for getMany (as for get).
          if (
            hit === undefined ||
            (hit.ttlMs !== undefined && hit.ttlMs <= ctx.staleBelow[t]!) ||
            (isTagged(hit.value) && !(await ctx.tags.valid(hit.value, tier, since)))
          ) {
            still.push(index);
            continue;
          }
          out[index] = isTagged(hit.value) ? (hit.value.v as V) : hit.value;
          ctx.countHit(keys[index]!, t);
          this.promote(keys[index]!, hit, t, ticketOf.get(index)!);
        }
        missing = still;
      }
    } finally {
      for (const ticket of tickets) ctx.clock.end(ticket);
    }
    for (const index of missing) ctx.countMiss(keys[index]!);
    return out;
  }

  /**
   * Copy a hit from tier `from` into the tiers above it, unless a write of the key happened
   * since `ticket` was taken. The remaining TTL is taken back to scale 1 and re-scaled for
   * each upper tier, so an entry never outlives its source.
   */
  promote(key: string, hit: ValueWithTtl<V>, from: number, ticket: ReadTicket): void {
    const ctx = this.#ctx;
    if (ctx.clock.superseded(ticket)) {
      ctx.stats.supersededWrites++;
      return;
    }
    const source = ctx.tiers[from]!;
    if (!ctx.tagsSeen && isTagged(hit.value)) ctx.sawTags();
    let logicalTtl: number | undefined;
    if (hit.ttlMs !== undefined) logicalTtl = hit.ttlMs / source.ttlScale;
    else if (!source.knowsTtl) logicalTtl = ctx.config.defaultTtlMs + ctx.config.graceMs; // the tier cannot tell: the default
    for (let t = 0; t < from; t++) {
      const tier = ctx.tiers[t]!;
      if (!tier.shouldPromote()) continue;
      const ttlMs = tier.scaleTtl(logicalTtl === undefined ? undefined : Math.max(1, Math.round(logicalTtl)));
      ctx.stats.tierPromotions[t]!++;
      if (ctx.events.has('promote')) ctx.events.emit('promote', { key, from, to: t, ttlMs });
      if (tier.local) {
        // In-process tiers have no breaker or timeout to go through: write directly.
        tier.backend
          .setWithTtl(key, hit.value, ttlMs)
          .catch((error: unknown) => ctx.tierError(tier, 'promote', error));
      } else if (tier.pending.size === 0 && !tier.replaying) {
        // A tier still catching up on missed writes gets no promotions: one could undo a missed delete.
        const write = tier.run('promote', () => tier.backend.setWithTtl(key, hit.value, ttlMs));
        ctx.track(write.catch((error: unknown) => ctx.tierError(tier, 'promote', error)));
      }
    }
  }

  #readMany(tier: Tier<V>, keys: string[]): Promise<(ValueWithTtl<V> | undefined)[]> {
    const backend = tier.backend;
    // Remaining TTLs keep promotion honest; adapters pipeline concurrent calls into one round trip.
    if (!tier.knowsTtl && tier.caps.getMany) {
      return backend.getMany!(keys).then((values) =>
        values.map((v) => (v === undefined ? undefined : { value: v, ttlMs: undefined })),
      );
    }
    return Promise.all(keys.map((key) => tier.read(key)));
  }
}

/** A tier's remaining TTL taken back to the entry's logical TTL (grace removed, scale undone). */
function logicalLeft(ttlMs: number | undefined, staleBelow: number, scale: number): number {
  return ttlMs === undefined
    ? Number.POSITIVE_INFINITY
    : Math.max(1, Math.round((ttlMs - staleBelow) / scale));
}
