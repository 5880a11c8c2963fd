import type { TierCacheErrorCode } from '@tiercache/core';

/** The error a call must reject with: its class name as users know it, and its code. */
export interface ExpectedError {
  name: string;
  code: TierCacheErrorCode;
}

/** How one call ended, as a failure message shows it. */
export type Settled =
  | { kind: 'threw'; error: unknown }
  | { kind: 'not-a-promise'; value: unknown }
  | { kind: 'resolved'; value: unknown; ms: number }
  | { kind: 'rejected'; error: unknown; ms: number }
  | { kind: 'pending'; ms: number };

/**
 * Run `call` and wait up to `boundMs` for it to settle. A promise-returning method that throws
 * synchronously is reported as such: callers `await` or `.catch()` it, and a synchronous throw
 * escapes a `.catch()`.
 */
export async function settle(call: () => unknown, boundMs: number): Promise<Settled> {
  const started = Date.now();
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return { kind: 'threw', error };
  }
  if (!isThenable(result)) return { kind: 'not-a-promise', value: result };
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    Promise.resolve(result).then(
      (value): Settled => ({ kind: 'resolved', value, ms: Date.now() - started }),
      (error: unknown): Settled => ({ kind: 'rejected', error, ms: Date.now() - started }),
    ),
    new Promise<Settled>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'pending', ms: Date.now() - started }), boundMs);
    }),
  ]);
  clearTimeout(timer);
  return outcome;
}

/** `undefined` when `settled` is a rejection with `expected`'s code, else what went wrong. */
export function rejectionProblem(settled: Settled, expected: ExpectedError): string | undefined {
  switch (settled.kind) {
    case 'rejected':
      if (codeOf(settled.error) === expected.code) return undefined;
      return `rejected with ${describeError(settled.error)} instead of ${expected.name} (code ${expected.code})`;
    case 'threw':
      return `threw ${describeError(settled.error)} synchronously; return a rejected promise instead (make the method async)`;
    case 'not-a-promise':
      return `returned ${shortly(settled.value)}, not a promise`;
    case 'resolved':
      return `resolved ${shortly(settled.value)} instead of rejecting with ${expected.name} (code ${expected.code})`;
    case 'pending':
      return `had not settled after ${settled.ms} ms (expected ${expected.name}, code ${expected.code})`;
  }
}

/** The `code` of an error, if it has one. */
export function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** An error as a failure message shows it: class, code and message. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return shortly(error);
  const code = codeOf(error);
  return `${error.name}${code === undefined ? '' : ` (code ${String(code)})`}: ${error.message.slice(0, 120)}`;
}

/** A value as a failure message shows it. */
export function shortly(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    // Inside arrays and objects too, a miss shows as undefined (JSON would print null).
    const text =
      JSON.stringify(value, (_key, v: unknown) => (v === undefined ? '<undefined>' : v)) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}

/** Join problems into one failure message under a heading that says what the rule is. */
export function report(heading: string, problems: readonly string[]): string {
  return `${heading}\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
