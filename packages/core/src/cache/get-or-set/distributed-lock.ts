import { sleep } from '../../primitives/sleep.js';
import type { CacheContext } from '../context.js';
import type { Factory, GetOrSetOptions } from '../options.js';
import type { ReadPath } from '../read-path.js';
import type { Tier } from '../tier.js';
import type { ReadTicket } from '../write-clock.js';
import type { FactoryRunner } from './factory-runner.js';

/**
 * Lock keys live in their own namespace, apart from cache keys: a backend stores them under
 * its lock prefix, and the `getOrSet:` part keeps room for other lock users.
 */
const LOCK_PREFIX = 'getOrSet:';

/** What a shared computation produced: the value, and the tier it was found in if not computed here. */
export interface SharedResult<V> {
  value: V;
  /** The tier where another process's result was found; `undefined` when the factory ran here. */
  foundIn: number | undefined;
}

/**
 * Cross-process single-flight: the factory runs once across processes when a shared tier can
 * lock (`acquireLock`/`releaseLock`); other processes wait for its value to appear in that
 * tier. Without the lock tier (absent, breaker open, failing) it runs here: availability over
 * global single-flight.
 */
export class DistributedLock<V> {
  readonly #ctx: CacheContext<V>;
  readonly #reads: ReadPath<V>;
  readonly #runner: FactoryRunner<V>;
  readonly #tier: Tier<V> | undefined;

  constructor(context: CacheContext<V>, reads: ReadPath<V>, runner: FactoryRunner<V>) {
    this.#ctx = context;
    this.#reads = reads;
    this.#runner = runner;
    this.#tier =
      context.config.lock === undefined ? undefined : context.tiers.find((t) => !t.local && t.caps.lock);
  }

  /** Run the factory once across processes, or find the value another process computed. */
  async computeShared(
    key: string,
    factory: Factory<V>,
    ttlMs: number | undefined,
    options: GetOrSetOptions | undefined,
    signal: AbortSignal,
    ticket: ReadTicket,
    stale?: V,
  ): Promise<SharedResult<V>> {
    const ctx = this.#ctx;
    const here = async (): Promise<SharedResult<V>> => {
      ctx.countMiss(key);
      const value = await this.#runner.compute(key, factory, {
        ttlMs,
        timeoutMs: ctx.timeoutFor(options),
        signal,
        broadcast: options?.broadcast,
        ticket,
        stale,
        localOnly: options?.localOnly,
        tags: options?.tags,
      });
      return { value, foundIn: undefined };
    };
    const lockTier = this.#tier;
    if (lockTier === undefined || lockTier.breaker?.state === 'open' || options?.localOnly) return here();
    const { leaseMs, pollMs } = ctx.config.lock!;
    const lockKey = LOCK_PREFIX + key;
    const found = async (): Promise<SharedResult<V> | undefined> => {
      const late = await this.#reads.readBelow(key, ticket, lockTier.index);
      return late?.fresh ? { value: late.value, foundIn: lockTier.index } : undefined;
    };
    const deadline = Date.now() + leaseMs * 2 + 1000;
    let pause = pollMs;
    while (!signal.aborted) {
      let token: string | undefined;
      try {
        token = await lockTier.run('acquireLock', () => lockTier.backend.acquireLock!(lockKey, leaseMs));
      } catch (error) {
        ctx.tierError(lockTier, 'acquireLock', error);
        return here();
      }
      if (token !== undefined) {
        try {
          // Another process may have finished between our miss and our lock.
          return (await found()) ?? (await here());
        } finally {
          ctx.track(
            lockTier
              .run('releaseLock', () => lockTier.backend.releaseLock!(lockKey, token))
              .catch((error: unknown) => ctx.tierError(lockTier, 'releaseLock', error)),
          );
        }
      }
      // Another process holds the lock: wait for its value to appear in the shared tier.
      try {
        await sleep(pause, signal);
      } catch (aborted) {
        ctx.countMiss(key); // every caller gave up while another process computed: no value
        throw aborted;
      }
      pause = Math.min(pause * 2, 200);
      const result = await found();
      if (result) return result;
      if (Date.now() > deadline) break;
    }
    if (signal.aborted) {
      ctx.countMiss(key); // the caller got no value
      throw signal.reason;
    }
    return here();
  }
}
