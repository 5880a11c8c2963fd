import { InvalidOptionError, UnsupportedOperationError } from '../errors.js';
import type { PendingWrite } from '../primitives/pending-writes.js';
import { type EntryTtl, parseEntryTtl } from '../ttl.js';
import { validateValue } from './call-options.js';
import type { CacheContext } from './context.js';
import type { SetManyEntry, SetOptions } from './options.js';
import type { ReadResult } from './read-path.js';
import { pendingSet, type Replayer } from './replay.js';
import { Scope } from './scope.js';
import { tagged, wallNow } from './tagged-entry.js';
import { isCallerError, type Tier } from './tier.js';
import { TierWrites } from './tier-writes.js';
import { writeBack } from './write-back.js';
import type { ReadTicket } from './write-clock.js';

/**
 * Every write: one entry to every tier, many entries, deletes, pattern deletes and clears, and
 * the `writeFailures` policy. Each write marks its key(s) on the write clock for as long as it
 * runs, so no read that started before it can write back after it.
 */
export class WritePath<V> {
  readonly #ctx: CacheContext<V>;
  readonly #tw: TierWrites<V>;

  /** Per tier: `true` for the remote ones (to skip them in a local-only write). */
  readonly remoteTiers: readonly boolean[];

  constructor(context: CacheContext<V>, replayer: Replayer<V>) {
    this.#ctx = context;
    this.#tw = new TierWrites(context, replayer);
    this.remoteTiers = context.tiers.map((t) => !t.local);
  }

  /** `set`: validate, write every tier, then tell other instances. */
  async set(callerKey: string, value: V, options: SetOptions | undefined, scope = Scope.root): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    const key = scope.key(callerKey, ctx.config.maxKeyLength);
    validateValue(value);
    const ttlMs = ctx.ttlFor(options);
    const tags = scope.entryTags(options?.tags, 'set');
    const written = ctx.clock.write(key);
    try {
      const stored = tags.length === 0 ? value : this.stored(value, tags, wallNow());
      await this.writeAll(key, stored, ttlMs, options?.localOnly ? this.remoteTiers : undefined);
    } finally {
      written();
    }
    if (ctx.events.has('set')) ctx.events.emit('set', { key, ttlMs });
    if (ctx.broadcasts(options?.broadcast)) ctx.publish({ op: 'set', keys: [key] });
  }

  /**
   * The form in which `value` is written: itself, or with `tags` (written at `at`) a tagged
   * entry, after which the L1 fast path recognises tagged entries and the tag table knows the tags.
   */
  stored(value: V, tags: readonly string[] | undefined, at: number): V {
    if (tags === undefined || tags.length === 0) return value;
    const ctx = this.#ctx;
    ctx.sawTags();
    ctx.tags.know(tags);
    return tagged(value, tags, at);
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
    logicalTtlMs: number | undefined,
    tokens: readonly (string | undefined)[],
  ): Promise<boolean[] | undefined> {
    const ctx = this.#ctx;
    const ttlMs = logicalTtlMs === undefined ? undefined : logicalTtlMs + ctx.config.graceMs;
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
          await this.#tw.settle([{ status: 'rejected', reason: error }], 'set', () => [], [key]);
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
        : this.#tw.write(
            tier,
            'set',
            () => tier.backend.setWithTtl(key, value, ttl),
            () => [pendingSet(tier, key, value, ttlMs)],
          );
    }
    const results = await Promise.allSettled(writes);
    for (const result of results) {
      if (result.status === 'rejected') {
        await this.#tw.settle(results, 'set', (tier) => [pendingSet(tier, key, value, ttlMs)], [key]);
        return;
      }
    }
  }

  /** `setMany`: one batched write per tier where the tier supports it. */
  async setMany(entries: readonly SetManyEntry<V>[], scope = Scope.root): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    if (!Array.isArray(entries))
      throw new InvalidOptionError('setMany takes an array of { key, value, ttl?, tags? }');
    const graceMs = ctx.config.graceMs;
    const at = wallNow();
    const prepared = entries.map((e) => {
      const key = scope.key(e?.key, ctx.config.maxKeyLength);
      validateValue(e.value);
      const tags = scope.entryTags(e.tags, 'setMany');
      return { key, value: e.value, tags, ttlMs: ctx.ttlFor(e), broadcast: e.broadcast };
    });
    for (const e of prepared) e.value = this.stored(e.value, e.tags, at);
    if (prepared.length === 0) return;
    const written = prepared.map((e) => ctx.clock.write(e.key));
    try {
      const missedBy = (tier: Tier<V>): PendingWrite<V>[] =>
        prepared.map((e) =>
          pendingSet(tier, e.key, e.value, e.ttlMs === undefined ? undefined : e.ttlMs + graceMs),
        );
      const results = await Promise.allSettled(
        ctx.tiers.map((tier) =>
          this.#tw.write(
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
      await this.#tw.settle(
        results,
        'setMany',
        missedBy,
        prepared.map((e) => e.key),
      );
    } finally {
      for (const done of written) done();
    }
    if (ctx.events.has('set'))
      for (const e of prepared) ctx.events.emit('set', { key: e.key, ttlMs: e.ttlMs });
    const broadcast = prepared.filter((e) => ctx.broadcasts(e.broadcast)).map((e) => e.key);
    if (broadcast.length > 0) ctx.publish({ op: 'set', keys: broadcast });
  }

  /** `delete`: remove from every tier and tell other instances. */
  async delete(callerKey: string, scope = Scope.root): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    await this.#removeKeys([scope.key(callerKey, ctx.config.maxKeyLength)]);
  }

  /** `deleteMany`: every key from every tier, and one bus message for all of them. */
  async deleteMany(callerKeys: readonly string[], scope = Scope.root): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    if (!Array.isArray(callerKeys)) throw new InvalidOptionError('deleteMany takes an array of keys');
    const unique = [...new Set(callerKeys.map((key) => scope.key(key, ctx.config.maxKeyLength)))];
    if (unique.length > 0) await this.#removeKeys(unique);
  }

  /** Remove validated `keys` from every tier under their write marks, tell other instances, settle. */
  async #removeKeys(keys: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const written = keys.map((key) => ctx.clock.write(key));
    try {
      const { results, missed } = await this.#tw.removeEverywhere(keys);
      if (ctx.events.has('delete'))
        for (const key of keys) ctx.events.emit('delete', { key, source: 'local' });
      ctx.publish({ op: 'delete', keys: [...keys] });
      await this.#tw.settle(results, 'remove', missed);
    } finally {
      for (const done of written) done();
    }
  }

  /**
   * `expire`: rewrite the value `read` finds with a new TTL from now; `false` when there is
   * none, or when a write of the key came while it was being read (that write wins).
   */
  async expire(
    callerKey: string,
    ttl: EntryTtl,
    read: (key: string, ticket: ReadTicket) => Promise<ReadResult<V> | undefined>,
    scope = Scope.root,
  ): Promise<boolean> {
    const ctx = this.#ctx;
    ctx.open();
    const key = scope.key(callerKey, ctx.config.maxKeyLength);
    const ttlMs = parseEntryTtl(ttl, 'ttl');
    const ticket = ctx.clock.begin(key);
    let found: ReadResult<V> | undefined;
    try {
      found = await read(key, ticket);
      if (found === undefined || !found.fresh || ctx.clock.superseded(ticket)) return false;
    } finally {
      ctx.clock.end(ticket);
    }
    const written = ctx.clock.write(key);
    try {
      if (!(await writeBack(ctx, this, key, found.stored, ttlMs, ticket, written))) return false;
    } finally {
      written();
    }
    ctx.publish({ op: 'set', keys: [key] });
    return true;
  }

  /**
   * `invalidateTags`: record "now" as the invalidation time of each tag (see `TagTimes`). A bulk
   * write on the write clock, like `clear`: no read or factory in flight here may store what it
   * read after it (elsewhere, their entries are older than the invalidation and read as misses).
   */
  async invalidateTags(callerTags: readonly string[], scope = Scope.root): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    const tags = scope.invalidationTags(callerTags);
    if (tags.length > 0) await this.invalidateStoredTags(tags);
  }

  /** Invalidate stored tags (already checked and scoped): a namespace's `clear()` uses it directly. */
  async invalidateStoredTags(tags: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    ctx.open();
    const written = ctx.clock.writeAll();
    try {
      await ctx.tags.invalidate(tags);
    } finally {
      written();
    }
  }

  /** `invalidatePattern`: every tier (refused up front when a remote tier cannot list keys). */
  async removePattern(callerPattern: string, scope = Scope.root): Promise<number> {
    const ctx = this.#ctx;
    ctx.open();
    if (typeof callerPattern !== 'string' || callerPattern.length === 0) {
      throw new InvalidOptionError('invalidatePattern needs a non-empty glob such as "user:*"');
    }
    const pattern = scope.pattern(callerPattern);
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
          this.#tw.write(tier, 'removePattern', () => tier.removeMatching(pattern), missed),
        ),
      );
      ctx.publish({ op: 'pattern', pattern });
      await this.#tw.settle(results, 'removePattern', missed);
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
        ctx.tiers.map((tier) => this.#tw.write(tier, 'clear', () => tier.clear(), missed)),
      );
      ctx.publish({ op: 'clear' });
      await this.#tw.settle(results, 'clear', missed);
    } finally {
      written();
    }
  }
}
