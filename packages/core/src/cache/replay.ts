import type { PendingWrite } from '../primitives/pending-writes.js';
import { redactSecrets } from '../redact.js';
import type { CacheContext } from './context.js';
import { isCallerError, type Tier } from './tier.js';

/** How often missed writes are tried again while a tier has some. */
const PENDING_RETRY_MS = 1000;

/**
 * Writes a remote tier missed while it was failing, applied in order when it answers again:
 * when a call to it succeeds, and on a timer (every second) so it also happens without traffic.
 * New writes to a tier with missed writes queue behind them, so an older one never lands last.
 */
export class Replayer<V> {
  readonly #ctx: CacheContext<V>;
  readonly #timers = new Map<Tier<V>, NodeJS.Timeout>();

  constructor(context: CacheContext<V>) {
    this.#ctx = context;
  }

  /** Keep `ops` as missed by `tier` and make sure a retry is scheduled. */
  keep(tier: Tier<V>, ops: readonly PendingWrite<V>[]): void {
    for (const op of ops) tier.pending.add(op);
    this.schedule(tier);
  }

  /** Queue `ops` behind the writes `tier` still has to apply, and apply them now. */
  queue(tier: Tier<V>, ops: readonly PendingWrite<V>[]): void {
    for (const op of ops) tier.pending.add(op);
    void this.replay(tier);
  }

  /** Apply the writes `tier` missed, oldest first; a failure stops it until the next try. */
  replay(tier: Tier<V>): Promise<void> {
    const ctx = this.#ctx;
    if (tier.replaying || ctx.closed) return Promise.resolve();
    tier.replaying = true;
    const run = (async () => {
      // Writes queued while replaying join the end; keep going until none is left.
      while (tier.pending.size > 0 && !ctx.closed) {
        for (const { op, done } of tier.pending.drain()) {
          try {
            await tier.run('replay', () => applyPending(tier, op));
          } catch (error) {
            // A write the tier refuses (too large, unserializable, refused by the server as
            // invalid) will never go through: drop it and go on with the writes behind it.
            if (isCallerError(error)) {
              done();
              this.#refused(tier, op, error);
              continue;
            }
            ctx.tierError(tier, 'replay', error);
            this.schedule(tier);
            return;
          }
          done();
        }
      }
    })().finally(() => {
      tier.replaying = false;
    });
    ctx.track(run);
    return run;
  }

  /**
   * Count and report a missed write `tier` refused. A refused `set` must not leave the key's
   * older value readable, so its key is removed: from this tier (queued, applied next, retried
   * like any missed write) and from the in-process tiers, as a value refused at the call is.
   */
  #refused(tier: Tier<V>, op: PendingWrite<V>, error: unknown): void {
    const ctx = this.#ctx;
    tier.pending.refused++;
    const key = op.kind === 'set' || op.kind === 'remove' ? op.key : undefined;
    if (ctx.events.has('write:refused')) {
      ctx.events.emit('write:refused', {
        tier: tier.index,
        tierName: tier.name,
        kind: op.kind,
        key,
        error: redactSecrets(error),
      });
    }
    if (op.kind !== 'set' || tier.caps.guardedWrites) return; // a guarded tier got a delete already
    tier.pending.add({ kind: 'remove', key: op.key });
    const written = ctx.clock.write(op.key);
    const local = ctx.tiers
      .filter((t) => t.local)
      .map((t) => Promise.resolve().then(() => t.backend.remove(op.key)));
    ctx.track(Promise.allSettled(local).finally(written));
  }

  /** Try again in a second (once per tier at a time). */
  schedule(tier: Tier<V>): void {
    if (this.#timers.has(tier) || this.#ctx.closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(tier);
      if (tier.pending.size > 0) void this.replay(tier);
    }, PENDING_RETRY_MS);
    timer.unref();
    this.#timers.set(tier, timer);
  }

  /** Stop the retry timers (on close). */
  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

/** The pending write for a `set` a tier missed: its expiry as this tier would have had it. */
export function pendingSet<V>(
  tier: Tier<V>,
  key: string,
  value: V,
  ttlMs: number | undefined,
): PendingWrite<V> {
  const scaled = tier.scaleTtl(ttlMs);
  return { kind: 'set', key, value, expiresAt: scaled === undefined ? undefined : Date.now() + scaled };
}

/**
 * Apply one missed write to its tier. On a tier with guarded writes (shared by other
 * instances, e.g. Redis) a missed `set` is applied as a delete: another instance may have
 * written the key since, and its newer value must not be replaced by this older one — a miss
 * is always safe, a resurrected old value is not.
 */
function applyPending<V>(tier: Tier<V>, op: PendingWrite<V>): Promise<unknown> {
  const backend = tier.backend;
  switch (op.kind) {
    case 'set': {
      if (tier.caps.guardedWrites) return backend.remove(op.key);
      if (op.expiresAt === undefined) return backend.setWithTtl(op.key, op.value, undefined);
      const left = op.expiresAt - Date.now();
      return left > 0 ? backend.setWithTtl(op.key, op.value, left) : backend.remove(op.key);
    }
    case 'remove':
      return backend.remove(op.key);
    case 'pattern':
      return tier.removeMatching(op.pattern);
    case 'clear':
      return tier.clear();
  }
}
