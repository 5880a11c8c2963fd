import type { CacheContext } from './context.js';
import type { ReadTicket, WriteMark } from './write-clock.js';
import type { WritePath } from './write-path.js';

/**
 * Store a value that was computed or read earlier (a factory result, an eager refresh, the
 * rewrite of `expire`) under the key's write mark `written`: first into each shared tier with
 * guarded writes whose token `ticket` holds, only if that tier still holds what it held when
 * the token was read; then into the other tiers, unless a write of the key came meanwhile.
 * Resolves `false` (counted as a superseded write) when a newer write won and nothing more was
 * stored; rejects with the tiers' error like {@link WritePath.writeAll}.
 */
export async function writeBack<V>(
  ctx: CacheContext<V>,
  writes: WritePath<V>,
  key: string,
  stored: V,
  logicalTtlMs: number | undefined,
  ticket: ReadTicket,
  written: WriteMark,
  localOnly = false,
): Promise<boolean> {
  const tokens = localOnly ? undefined : ticket.tokens;
  const done = tokens?.length ? await writes.writeGuarded(key, stored, logicalTtlMs, tokens) : [];
  // A write of the key that came while the guarded write was on its way wins in the other tiers.
  if (done === undefined || (done.length > 0 && written.overtaken())) {
    ctx.stats.supersededWrites++;
    return false;
  }
  await writes.writeAll(key, stored, logicalTtlMs, localOnly ? writes.remoteTiers : done);
  return true;
}

/**
 * Read the token of each shared tier with guarded writes into `ticket.tokens`, for a write-back
 * whose value did not come from those tiers (an eager refresh starts from an L1 hit): the result
 * is then stored there only if nothing was written since this read. `false` when a tier could
 * not be read (reported): the caller stores nothing rather than write that tier unguarded.
 */
export async function readTokens<V>(ctx: CacheContext<V>, key: string, ticket: ReadTicket): Promise<boolean> {
  const tokens: (string | undefined)[] = [];
  ticket.tokens = tokens;
  const reads = ctx.tiers.map(async (tier) => {
    if (tier.local || !tier.caps.guardedWrites) return true;
    try {
      tokens[tier.index] = (await tier.run('get', () => tier.l2.getWithToken!(key))).token;
      return true;
    } catch (error) {
      ctx.tierError(tier, 'get', error);
      return false;
    }
  });
  return (await Promise.all(reads)).every(Boolean);
}
