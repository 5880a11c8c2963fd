import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';

/** What every backend under test can do at the end of its life. */
interface Closable {
  readonly name: string;
  close?(): Promise<void>;
}

/**
 * The suite-level backend and the names a suite uses. Created inside a `describe` block: it
 * registers the `beforeAll`/`afterAll` hooks that build and close the shared instance.
 */
export interface SuiteContext<B> {
  /** The instance shared by the cases of this suite (available inside cases only). */
  readonly backend: B;
  /** A key no other case or concurrent suite uses; `label` only makes failures readable. */
  key(label: string): string;
  /** A stream name no other case or concurrent suite uses (letters, digits, `-`, `.` only). */
  streamName(label: string): string;
  /**
   * Run `body` against a fresh instance from the factory and close it afterwards, for cases
   * whose effects must not reach the shared instance (e.g. `clear`).
   */
  withIsolated(body: (backend: B) => Promise<void>): Promise<void>;
  /** A fresh instance from the factory that the case closes itself (lifecycle cases). */
  fresh(): Promise<B>;
}

/**
 * Register the hooks for one suite. Every key and stream name carries a random per-suite id,
 * so suites can run in parallel against one shared real server without seeing each other.
 */
export function createSuiteContext<B extends Closable>(factory: () => B | Promise<B>): SuiteContext<B> {
  const runId = randomUUID().slice(0, 8);
  let shared: B | undefined;
  let seq = 0;

  beforeAll(async () => {
    shared = await factory();
  });
  afterAll(async () => {
    const b = shared;
    shared = undefined;
    await b?.close?.();
  });

  return {
    get backend(): B {
      if (!shared)
        throw new Error(
          'the suite backend is only available inside a test case (the factory runs in beforeAll)',
        );
      return shared;
    },
    key: (label) => `tcc:${runId}:${++seq}:${label}`,
    streamName: (label) => `tcc-${runId}-${++seq}-${label}`,
    async fresh() {
      const own = await factory();
      if (own === shared) {
        throw new Error(
          'the factory returned the suite instance again; it must build a new instance on every call',
        );
      }
      return own;
    },
    async withIsolated(body) {
      const own = await this.fresh();
      try {
        await body(own);
      } finally {
        await own.close?.();
      }
    },
  };
}
