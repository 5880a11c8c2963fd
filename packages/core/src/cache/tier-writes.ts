import type { PendingWrite } from '../primitives/pending-writes.js';
import type { CacheContext } from './context.js';
import type { Replayer } from './replay.js';
import { isCallerError, type Tier } from './tier.js';

/**
 * One write's trip to the tiers, for `WritePath`: a tier still replaying missed writes queues
 * it behind them, the others go through their breaker and timeout; afterwards the failures are
 * settled by the `writeFailures` policy (a value no tier can store is removed everywhere).
 */
export class TierWrites<V> {
  readonly #ctx: CacheContext<V>;
  readonly #replayer: Replayer<V>;

  constructor(context: CacheContext<V>, replayer: Replayer<V>) {
    this.#ctx = context;
    this.#replayer = replayer;
  }

  /**
   * Report the failed tiers of a write. A caller error (the value cannot be stored) removes
   * `keys` from every tier and rejects with it. A tier error rejects with
   * `writeFailures: "raise"`; with `"tolerate"` the writes `missed(tier)` describes are kept
   * by that tier and applied when it answers again.
   */
  async settle(
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
        const { results, missed } = await this.removeEverywhere(keys);
        await this.settle(results, 'remove', missed);
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
  write<T>(
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

  /** Send the removal of `keys` to every tier (a tier with missed writes queues it behind them). */
  async removeEverywhere(
    keys: readonly string[],
  ): Promise<{ results: PromiseSettledResult<unknown>[]; missed: () => PendingWrite<V>[] }> {
    const missed = (): PendingWrite<V>[] => keys.map((key) => ({ kind: 'remove', key }));
    const remove = (tier: Tier<V>): Promise<unknown> =>
      keys.length === 1
        ? tier.backend.remove(keys[0]!)
        : Promise.all(keys.map((key) => tier.backend.remove(key)));
    const results = await Promise.allSettled(
      this.#ctx.tiers.map((tier) => this.write(tier, 'remove', () => remove(tier), missed)),
    );
    return { results, missed };
  }
}
