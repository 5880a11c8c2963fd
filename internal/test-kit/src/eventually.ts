import { inspect } from 'node:util';

/** How {@link eventually} waits. */
export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 20 ms). */
  intervalMs?: number;
  /** What is awaited, for the error: "the subscriber to see the delete" (default: the source of `check`). */
  message?: string;
}

/**
 * Calls `check` until it returns a truthy value (resolved, when it returns a promise) and
 * resolves with that value. A `check` that throws counts as not yet. After `timeoutMs` it
 * throws an error naming what was awaited and the last value or error `check` gave, so a
 * failure says more than "timed out":
 *
 *     await eventually(() => stats.blockingReaders === 1, { message: 'one blocked reader' });
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 20 } = options;
  const message = options.message ?? `\`${String(check).replace(/\s+/g, ' ').slice(0, 200)}\``;
  const started = Date.now();
  let attempts = 0;
  let last: { value: unknown } | { error: unknown } = { value: undefined };
  for (;;) {
    attempts++;
    try {
      const value = await check();
      if (value) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() - started >= timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const lastSeen =
    'error' in last
      ? `the last attempt threw ${last.error instanceof Error ? `${last.error.name}: ${last.error.message}` : inspect(last.error)}`
      : `the last attempt returned ${inspect(last.value, { depth: 3, breakLength: Number.POSITIVE_INFINITY })}`;
  throw new Error(`eventually: waited ${timeoutMs} ms (${attempts} attempts) for ${message}; ${lastSeen}`, {
    cause: 'error' in last ? last.error : undefined,
  });
}
