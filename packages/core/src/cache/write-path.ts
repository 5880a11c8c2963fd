import { InvalidOptionError, InvalidValueError, UnsupportedOperationError } from '../errors.js';
import type { PendingWrite } from '../primitives/pending-writes.js';
import { type Duration, parseTtl } from '../ttl.js';
import type { CacheContext } from './context.js';
import type { SetManyEntry, SetOptions } from './options.js';
import { pendingSet, type Replayer } from './replay.js';
import { isCallerError, type Tier } from './tier.js';
import type { ReadTicket } from './write-clock.js';

/**
 * Every write: one entry to every tier, many entries, deletes, pattern deletes and clears, and
 * the `writeFailures` policy. Each write marks its key(s) on the write clock for as long as it
 * runs, so no read that started before it can write back after it.
 */
export class WritePath<V> {
  readonly #ctx: CacheContext<V>;
  readonly #replayer: Replayer<V>;

  /** Per tier: `true` for the remote ones (to skip them in a local-only write). */
  readonly remoteTiers: readonly boolean[];

  constructor(context: CacheContext<V>, replayer: Replayer<V>) {
    this.#ctx = context;
    this.#replayer = replayer;
    this.remoteTiers = context.tiers.map((t) => !t.local);
  }

  /** `set`: validate, write every tier, then tell other instances. */
  async set(key: string, value: V, options: SetOptions | undefined): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    ctx.validateKey(key);
    validateValue(value);
    const ttlMs = ctx.ttlFor(options);
    const written = ctx.clock.write(key);
    try {
      await this.writeAll(key, value, ttlMs, options?.localOnly ? this.remoteTiers : undefined);
    } finally {
      written();
    }
    if (ctx.events.has('set')) ctx.events.emit('set', { key, ttlMs });
    if (ctx.broadcasts(options?.broadcast)) ctx.publish({ op: 'set', keys: [key] });
  }

  /**
   * The guarded part of storing a factory's result: write it to each remote tier whose token
   * the load took (`ticket.tokens`), only if that tier still holds what it held then. Resolves
   * the tiers written (for {@link writeAll} to skip), or `undefined` when a tier says something
   * newer is there: then nothing more is written anywhere.
   */
  async writeGuarded(
    key: string,
    value: V,
    logicalTtlMs: number,
    tokens: readonly (string | undefined)[],
  ): Promise<boolean[] | undefined> {
    const ctx = this.#ctx;
    const ttlMs = logicalTtlMs + ctx.config.graceMs;
    const written: boolean[] = [];
    for (let t = ctx.tiers.length - 1; t >= 0; t--) {
      const token = tokens[t];
      const tier = ctx.tiers[t]!;
      // A tier still applying missed writes takes this one in order, unguarded.
      if (token === undefined || tier.pending.size > 0 || tier.replaying) continue;
      let stored: boolean;
      try {
        stored = await tier.run('set', () =>
          tier.l2.setIfUnchanged!(key, value, tier.scaleTtl(ttlMs), token),
        );
      } catch (error) {
        if (isCallerError(error)) {
          await this.#settle([{ status: 'rejected', reason: error }], 'set', () => [], [key]);
        }
        ctx.tierError(tier, 'set', error);
        if (ctx.config.raiseWrites) throw error;
        written[t] = true; // not retried unguarded: the value may be stale by the time the tier is back
        continue;
      }
      if (!stored) return undefined;
      written[t] = true;
    }
    return written;
  }

  /**
   * Write one entry to every tier (the caller holds the key's write mark). A value a tier
   * refuses removes the key from every tier and rejects; failing tiers follow `writeFailures`.
   */
  async writeAll(
    key: string,
    value: V,
    logicalTtlMs: number | undefined,
    written?: readonly boolean[],
  ): Promise<void> {
    // Tiers keep entries for TTL + grace; freshness is remaining TTL > grace (scaled per tier).
    const ttlMs = logicalTtlMs === undefined ? undefined : logicalTtlMs + this.#ctx.config.graceMs;
    const tiers = this.#ctx.tiers;
    const writes: Promise<unknown>[] = new Array(tiers.length);
    for (let t = 0; t < tiers.length; t++) {
      const tier = tiers[t]!;
      if (written?.[t]) {
        writes[t] = Promise.resolve();
        continue;
      }
      const ttl = tier.scaleTtl(ttlMs);
      // In-process tiers have no breaker or timeout to go through: write directly.
      writes[t] = tier.local
        ? tier.backend.setWithTtl(key, value, ttl)
        : this.#tierWrite(
            tier,
            'set',
            () => tier.backend.setWithTtl(key, value, ttl),
            () => [pendingSet(tier, key, value, ttlMs)],
          );
    }
    const results = await Promise.allSettled(writes);
    for (const result of results) {
      if (result.status === 'rejected') {
        await this.#settle(results, 'set', (tier) => [pendingSet(tier, key, value, ttlMs)], [key]);
        return;
      }
    }
  }

  /** `setMany`: one batched write per tier where the tier supports it. */
  async setMany(entries: readonly SetManyEntry<V>[]): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    if (!Array.isArray(entries))
      throw new InvalidOptionError('setMany takes an array of { key, value, ttl? }');
    const graceMs = ctx.config.graceMs;
    const prepared = entries.map((e) => {
      ctx.validateKey(e?.key);
      validateValue(e.value);
      return { key: e.key, value: e.value, ttlMs: ctx.ttlFor(e), broadcast: e.broadcast };
    });
    if (prepared.length === 0) return;
    const written = prepared.map((e) => ctx.clock.write(e.key));
    try {
      const missedBy = (tier: Tier<V>): PendingWrite<V>[] =>
        prepared.map((e) =>
          pendingSet(tier, e.key, e.value, e.ttlMs === undefined ? undefined : e.ttlMs + graceMs),
        );
      const results = await Promise.allSettled(
        ctx.tiers.map((tier) =>
          this.#tierWrite(
            tier,
            'setMany',
            () => {
              const scaled = prepared.map((e) => ({
                key: e.key,
                value: e.value,
                ttlMs: tier.scaleTtl(e.ttlMs === undefined ? undefined : e.ttlMs + graceMs),
              }));
              if (tier.caps.setMany) return tier.backend.setMany!(scaled);
              return Promise.all(scaled.map((e) => tier.backend.setWithTtl(e.key, e.value, e.ttlMs))).then(
                () => undefined,
              );
            },
            () => missedBy(tier),
          ),
        ),
      );
      await this.#settle(
        results,
        'setMany',
        missedBy,
        prepared.map((e) => e.key),
      );
    } finally {
      for (const done of written) done();
    }
    const broadcast = prepared.filter((e) => ctx.broadcasts(e.broadcast)).map((e) => e.key);
    if (broadcast.length > 0) ctx.publish({ op: 'set', keys: broadcast });
  }

  /** `delete`: remove from every tier and tell other instances. */
  async delete(key: string): Promise<void> {
    this.#ctx.open();
    this.#ctx.validateKey(key);
    await this.#removeKeys([key]);
  }

  /** `deleteMany`: every key from every tier, and one bus message for all of them. */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    if (!Array.isArray(keys)) throw new InvalidOptionError('deleteMany takes an array of keys');
    for (const key of keys) ctx.validateKey(key);
    const unique = [...new Set(keys)];
    if (unique.length > 0) await this.#removeKeys(unique);
  }

  /** Remove validated `keys` from every tier under their write marks, tell other instances, settle. */
  async #removeKeys(keys: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const written = keys.map((key) => ctx.clock.write(key));
    try {
      const { results, missed } = await this.#removeEverywhere(keys);
      if (ctx.events.has('delete'))
        for (const key of keys) ctx.events.emit('delete', { key, source: 'local' });
      ctx.publish({ op: 'delete', keys: [...keys] });
      await this.#settle(results, 'remove', missed);
    } finally {
      for (const done of written) done();
    }
  }

  /** Send the removal of `keys` to every tier (a tier with missed writes queues it behind them). */
  async #removeEverywhere(
    keys: readonly string[],
  ): Promise<{ results: PromiseSettledResult<unknown>[]; missed: () => PendingWrite<V>[] }> {
    const missed = (): PendingWrite<V>[] => keys.map((key) => ({ kind: 'remove', key }));
    const remove = (tier: Tier<V>): Promise<unknown> =>
      keys.length === 1
        ? tier.backend.remove(keys[0]!)
        : Promise.all(keys.map((key) => tier.backend.remove(key)));
    const results = await Promise.allSettled(
      this.#ctx.tiers.map((tier) => this.#tierWrite(tier, 'remove', () => remove(tier), missed)),
    );
    return { results, missed };
  }

  /**
   * `expire`: rewrite the value `read` finds with a new TTL from now; `false` when there is
   * none, or when a write of the key came while it was being read (that write wins).
   */
  async expire(
    key: string,
    ttl: Duration,
    read: (key: string, ticket: ReadTicket) => Promise<{ value: V; fresh: boolean } | undefined>,
  ): Promise<boolean> {
    const ctx = this.#ctx;
    ctx.open();
    ctx.validateKey(key);
    const ttlMs = parseTtl(ttl, 'ttl') as number;
    const ticket = ctx.clock.begin(key);
    let found: { value: V; fresh: boolean } | undefined;
    try {
      found = await read(key, ticket);
      if (found === undefined || !found.fresh || ctx.clock.superseded(ticket)) return false;
    } finally {
      ctx.clock.end(ticket);
    }
    const written = ctx.clock.write(key);
    try {
      await this.writeAll(key, found.value, ttlMs);
    } finally {
      written();
    }
    ctx.publish({ op: 'set', keys: [key] });
    return true;
  }

  /** `invalidatePattern`: every tier (refused up front when a remote tier cannot list keys). */
  async removePattern(pattern: string): Promise<number> {
    const ctx = this.#ctx;
    ctx.open();
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new InvalidOptionError('invalidatePattern needs a non-empty glob such as "user:*"');
    }
    for (const tier of ctx.tiers) {
      if (!tier.local && !tier.caps.removePattern) {
        throw new UnsupportedOperationError(
          tier.name,
          'delete by pattern',
          'the server cannot list keys; use delete() for known keys, clear() (namespace versioning), or a tier that supports removePattern',
        );
      }
    }
    const missed = (): PendingWrite<V>[] => [{ kind: 'pattern', pattern }];
    const written = ctx.clock.writeAll();
    try {
      const results = await Promise.allSettled(
        ctx.tiers.map((tier) =>
          this.#tierWrite(tier, 'removePattern', () => tier.removeMatching(pattern), missed),
        ),
      );
      ctx.publish({ op: 'pattern', pattern });
      await this.#settle(results, 'removePattern', missed);
      return results.reduce(
        (max, r) => (r.status === 'fulfilled' && typeof r.value === 'number' ? Math.max(max, r.value) : max),
        0,
      );
    } finally {
      written();
    }
  }

  /** `clear`: every tier's own namespace, and other instances' local tiers. */
  async clear(): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    for (const tier of ctx.tiers) {
      if (!tier.caps.clear) throw new UnsupportedOperationError(tier.name, 'clear');
    }
    const missed = (): PendingWrite<V>[] => [{ kind: 'clear' }];
    const written = ctx.clock.writeAll();
    try {
      const results = await Promise.allSettled(
        ctx.tiers.map((tier) => this.#tierWrite(tier, 'clear', () => tier.clear(), missed)),
      );
      ctx.publish({ op: 'clear' });
      await this.#settle(results, 'clear', missed);
    } finally {
      written();
    }
  }

  /**
   * Report the failed tiers of a write. A caller error (the value cannot be stored) removes
   * `keys` from every tier and rejects with it. A tier error rejects with
   * `writeFailures: "raise"`; with `"tolerate"` the writes `missed(tier)` describes are kept
   * by that tier and applied when it answers again.
   */
  async #settle(
    results: PromiseSettledResult<unknown>[],
    operation: string,
    missed: (tier: Tier<V>) => PendingWrite<V>[],
    keys?: string[],
  ): Promise<void> {
    const ctx = this.#ctx;
    let callerError: unknown;
    let tierError: unknown;
    for (let t = 0; t < results.length; t++) {
      const result = results[t]!;
      if (result.status === 'fulfilled') continue;
      if (isCallerError(result.reason)) {
        callerError ??= result.reason;
      } else {
        const tier = ctx.tiers[t]!;
        ctx.tierError(tier, operation, result.reason);
        tierError ??= result.reason;
        if (!ctx.config.raiseWrites && tier.maxPendingWrites > 0) this.#replayer.keep(tier, missed(tier));
      }
    }
    if (callerError !== undefined) {
      if (keys) {
        const { results, missed } = await this.#removeEverywhere(keys);
        await this.#settle(results, 'remove', missed);
      }
      throw callerError;
    }
    if (tierError !== undefined && ctx.config.raiseWrites) throw tierError;
  }

  /**
   * Write to one tier. A remote tier that still has missed writes to apply gets this one
   * queued behind them (so an older missed write can never overwrite it); otherwise the call
   * goes through the tier's breaker and timeout.
   */
  #tierWrite<T>(
    tier: Tier<V>,
    operation: string,
    call: () => Promise<T>,
    missed: () => PendingWrite<V>[],
  ): Promise<T | undefined> {
    if (tier.local) return call();
    if (tier.pending.size > 0 || tier.replaying) {
      this.#replayer.queue(tier, missed());
      return Promise.resolve(undefined);
    }
    return tier.run(operation, call);
  }
}

/** Reject what can never be a cached value. */
export function validateValue(value: unknown): void {
  if (value === undefined) {
    throw new InvalidValueError('cannot cache undefined (it means "miss"); store null for a negative result');
  }
  const type = typeof value;
  if (type === 'function' || type === 'symbol') {
    throw new InvalidValueError(`cannot cache a ${type}; cache data, not code`);
  }
}
