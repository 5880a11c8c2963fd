import { type BusOperation, type BusOptions, InvalidationBus } from '../invalidation-bus.js';
import { redactSecrets } from '../redact.js';
import type { CacheContext } from './context.js';
import { wallNow } from './tagged-entry.js';

/**
 * Connect `ctx` to the bus (`ctx.bus`) as instance `instanceId`; resolves once the subscription
 * is active. A failed subscription is counted and reported as `bus:error` here (and awaited by
 * `ready()`), never left an unhandled rejection.
 */
export function bindBus<V>(ctx: CacheContext<V>, options: BusOptions, instanceId: string): Promise<void> {
  const binding = new BusBinding(ctx);
  const { stats, events } = ctx;
  ctx.bus = new InvalidationBus(
    options,
    instanceId,
    { apply: (op) => binding.apply(op), resync: () => binding.clearLocal() },
    stats.bus,
    events,
  );
  const ready = ctx.bus.start();
  ready.catch((error: unknown) => {
    stats.bus.errors++;
    if (events.has('bus:error')) events.emit('bus:error', { error: redactSecrets(error) });
  });
  return ready;
}

/**
 * What another instance's bus message does here: drop the named keys (or the matching ones,
 * or everything) from the in-process tiers, or record tag invalidation times. Each application is a write on the write clock,
 * so a read of the key that was in flight when the message arrived does not promote after it.
 */
export class BusBinding<V> {
  readonly #ctx: CacheContext<V>;

  constructor(context: CacheContext<V>) {
    this.#ctx = context;
  }

  async apply(message: BusOperation): Promise<void> {
    const ctx = this.#ctx;
    const locals = ctx.tiers.filter((t) => t.local);
    if (message.op === 'delete' || message.op === 'set') {
      const written = message.keys.map((key) => ctx.clock.write(key));
      try {
        await Promise.all(locals.flatMap((t) => message.keys.map((key) => t.backend.remove(key))));
      } finally {
        for (const done of written) done();
      }
      if (ctx.events.has('delete'))
        for (const key of message.keys) ctx.events.emit('delete', { key, source: 'bus' });
    } else if (message.op === 'tags') {
      // The table is what L1 hits are checked against; reads in flight must not promote past it.
      // A time ahead of this clock is taken as now: a forged far-future time would otherwise make
      // the tag's entries written here misses until a resync.
      const written = ctx.clock.writeAll();
      const now = wallNow();
      for (const [tag, at] of message.tags) ctx.tags.raise(tag, Math.min(at, now));
      written();
    } else if (message.op === 'pattern') {
      const written = ctx.clock.writeAll();
      try {
        await Promise.all(locals.map((t) => t.removeMatching(message.pattern)));
      } finally {
        written();
      }
    } else {
      await this.clearLocal();
    }
  }

  /**
   * Empty the in-process tiers (a `clear` message, or a resync after missed messages); the tag
   * table forgets what it knew, so tags are read again from the shared tier.
   */
  async clearLocal(): Promise<void> {
    const ctx = this.#ctx;
    const written = ctx.clock.writeAll();
    ctx.tags.reset();
    // Shared tiers that cache server state (memcached's namespace version) read it again, or
    // reads after this would find what the other instance cleared and promote it into L1.
    for (const t of ctx.tiers) if (t.caps.dropCachedState) t.backend.dropCachedState!();
    try {
      await Promise.all(ctx.tiers.filter((t) => t.local).map((t) => t.clear()));
    } finally {
      written();
    }
  }
}
