import { ClosedError } from '../errors.js';
import type { SingleFlight } from '../primitives/single-flight.js';
import type { CacheContext } from './context.js';
import type { Replayer } from './replay.js';

/**
 * `close()` of a `TieredCache`: refuse new calls, give the work in flight (factories, writes,
 * bus messages, tracked in `ctx.background` and the loader's flights) up to `closeTimeout` to
 * finish, then abort what is left and close the bus, the stream and every tier.
 */
export async function closeCache<V>(
  ctx: CacheContext<V>,
  flights: SingleFlight<unknown>,
  replayer: Replayer<V>,
  name: string,
): Promise<void> {
  ctx.closed = true;
  // Work in flight can add more (a lock release, a bus message) as it ends: wait for that too.
  const settle = async (): Promise<void> => {
    while (flights.size > 0 || ctx.background.size > 0) {
      await Promise.allSettled([...ctx.background, flights.idle()]);
    }
    await ctx.bus?.flush();
  };
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    settle(),
    new Promise((resolve) => (timer = setTimeout(resolve, ctx.config.closeTimeoutMs))),
  ]);
  clearTimeout(timer);
  const reason = new ClosedError(`TieredCache "${name}"`);
  ctx.closing.abort(reason);
  flights.abortAll(reason);
  replayer.stop();
  await Promise.allSettled([
    ctx.bus?.close(),
    ctx.config.stream?.close?.(),
    ...ctx.tiers.map((t) => (t.caps.close ? t.backend.close!() : undefined)),
  ]);
}
