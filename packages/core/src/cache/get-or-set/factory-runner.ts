import { FactoryError, FactoryTimeoutError, hasCode, InvalidValueError } from '../../errors.js';
import { withTimeout } from '../../primitives/deadline.js';
import { parseEntryTtl } from '../../ttl.js';
import type { CacheContext } from '../context.js';
import type { Factory, FactoryContext } from '../options.js';
import { SCOPE_SEPARATOR } from '../scope.js';
import { hasTaggedMark, TAGGED_MARK, wallNow } from '../tagged-entry.js';
import { checkTags } from '../tags.js';
import { writeBack } from '../write-back.js';
import type { ReadTicket } from '../write-clock.js';
import type { WritePath } from '../write-path.js';

/**
 * Storing a factory's result failed (`writeFailures: "raise"`). Typed so fail-safe can tell it
 * from a factory failure and never mask it; the loader rethrows the original `error`.
 */
export class StoreError extends Error {
  constructor(readonly error: unknown) {
    super('storing the factory result failed', { cause: error });
    this.name = 'StoreError';
  }
}

/** How one factory run goes: what the `getOrSet` call asked, and what the load found. */
export interface FactoryRun<V> {
  /** The call's logical TTL, `undefined` for `FOREVER` (the factory may change it with `setTtl`). */
  ttlMs: number | undefined;
  timeoutMs: number | undefined;
  signal: AbortSignal;
  broadcast: boolean | undefined;
  /** The load's write-clock ticket (and its guarded-write tokens). */
  ticket: ReadTicket;
  /** The stale value at hand, shown to the factory. */
  stale?: V;
  /** Store only in the in-process tiers. */
  localOnly?: boolean;
  /** Stored tags of the result (a namespace's own included; the factory may change them with `setTags`). */
  tags?: readonly string[];
}

/**
 * The factory called `ctx.fail(error)`: it failed on purpose, so fail-safe serves no stale
 * value for it; the loader rethrows `error`.
 */
export class DecidedFailure extends Error {
  constructor(readonly error: Error) {
    super(error.message, { cause: error });
    this.name = 'DecidedFailure';
  }
}

/** One factory run: timeouts, cancellation, validation of the result, and storing it. */
export class FactoryRunner<V> {
  readonly #ctx: CacheContext<V>;
  readonly #writes: WritePath<V>;

  constructor(context: CacheContext<V>, writes: WritePath<V>) {
    this.#ctx = context;
    this.#writes = writes;
  }

  /**
   * Run `factory` for `key` and store its result in every tier — unless a write of the key
   * happened since `ticket` was taken (the value is then returned but not stored: it may have
   * been computed from data that write replaced).
   */
  async compute(key: string, factory: Factory<V>, run: FactoryRun<V>): Promise<V> {
    const { ttlMs: callTtlMs, timeoutMs, signal, broadcast, ticket } = run;
    const ctx = this.#ctx;
    const { stats, events } = ctx;
    stats.factoryRuns++;
    stats.inFlight++;
    if (events.has('factory:start')) events.emit('factory:start', { key });
    const started = performance.now();
    // One controller per run, linked to `signal` by a listener removed when the run ends, so
    // nothing per run stays attached to a long-lived signal (AbortSignal.any([signal, close])
    // kept ~52 bytes per miss on Node 20). `signal` is the single-flight run's, which close()
    // aborts, or (refresh ahead) the cache's close signal itself.
    const controller = new AbortController();
    const abortRun = (): void => controller.abort(signal.reason);
    const decided: { skip: boolean; ttl?: { ms: number | undefined }; tags?: readonly string[] } = {
      skip: false,
    };
    // Entries are as old as the data they were computed from: an invalidation of one of their
    // tags after this moment makes them a miss, even if it lands before they are stored.
    const at = wallNow();
    const context: FactoryContext<V> = {
      key,
      signal: controller.signal,
      stale: run.stale,
      skip: () => {
        decided.skip = true;
      },
      fail: (error: unknown): never => {
        throw new DecidedFailure(error instanceof Error ? error : new FactoryError(key, error));
      },
      setTtl: (ttl) => {
        decided.ttl = { ms: parseEntryTtl(ttl, 'setTtl') };
      },
      setTags: (tags) => {
        const own = checkTags(tags, 'setTags');
        // A namespace's own tags stay: they are what its clear() invalidates.
        const scoped = (run.tags ?? []).filter((tag) => tag.endsWith(SCOPE_SEPARATOR));
        const prefix = scoped.length > 0 ? scoped[scoped.length - 1]! : '';
        decided.tags = [...scoped, ...own.map((tag) => prefix + tag)];
      },
    };
    let value: V;
    try {
      if (signal.aborted) controller.abort(signal.reason);
      else signal.addEventListener('abort', abortRun, { once: true });
      let result = Promise.resolve().then(() => factory(context));
      if (timeoutMs !== undefined) {
        result = withTimeout(result, timeoutMs, 'factory').catch((error: unknown) => {
          if (hasCode(error, 'TIERCACHE_TIMEOUT')) {
            const timedOut = new FactoryTimeoutError(key, timeoutMs);
            controller.abort(timedOut);
            throw timedOut;
          }
          throw error;
        });
      }
      value = await result;
      checkResult(key, value);
    } catch (thrown) {
      const error =
        thrown instanceof DecidedFailure
          ? thrown
          : thrown instanceof Error
            ? thrown
            : new FactoryError(key, thrown);
      stats.factoryErrors++;
      stats.inFlight--;
      if (events.has('factory:end')) {
        events.emit('factory:end', {
          key,
          durationMs: performance.now() - started,
          ok: false,
          error: error instanceof DecidedFailure ? error.error : error,
        });
      }
      throw error;
    } finally {
      signal.removeEventListener('abort', abortRun);
    }
    stats.inFlight--;
    if (events.has('factory:end')) {
      events.emit('factory:end', { key, durationMs: performance.now() - started, ok: true });
    }
    if (decided.skip) return value;
    if (ctx.clock.superseded(ticket)) {
      ctx.stats.supersededWrites++;
      return value;
    }
    const ttlMs = decided.ttl === undefined ? callTtlMs : decided.ttl.ms;
    const written = ctx.clock.write(key);
    try {
      const logicalTtl = ctx.jittered(ttlMs);
      const stored = this.#writes.stored(value, decided.tags ?? run.tags, at);
      // Shared tiers with guarded writes first: another instance's write since our read wins.
      if (!(await writeBack(ctx, this.#writes, key, stored, logicalTtl, ticket, written, run.localOnly))) {
        return value;
      }
    } catch (error) {
      throw new StoreError(error);
    } finally {
      written();
    }
    if (ctx.broadcasts(broadcast)) ctx.publish({ op: 'set', keys: [key] });
    return value;
  }
}

function checkResult(key: string, value: unknown): void {
  if (value === undefined) {
    throw new InvalidValueError(
      `factory for key "${key}" returned undefined; return null to cache a negative result`,
    );
  }
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new InvalidValueError(`factory for key "${key}" returned a ${typeof value}; cache data, not code`);
  }
  if (hasTaggedMark(value)) {
    throw new InvalidValueError(
      `factory for key "${key}" returned an object with the field ${JSON.stringify(TAGGED_MARK)}, which marks tiercache's own tagged entries`,
    );
  }
}
