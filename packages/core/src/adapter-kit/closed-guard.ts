import { ClosedError } from '../errors.js';

/**
 * The closed state of a backend, stream or transport: `close()` is idempotent (every call
 * gets the same promise), and every other method asks {@link ClosedGuard.check} first so a
 * call after `close()` rejects with `ClosedError` naming the component.
 *
 * @example
 * ```ts fragment
 * readonly #closed = new ClosedGuard(`MyBackend "${this.name}"`);
 * get(key: string) { this.#closed.check(); ... }
 * close() { return this.#closed.close(() => this.#client.quit()); }
 * ```
 */
export class ClosedGuard {
  readonly #what: string;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** @param what the component as an error names it, e.g. `MyBackend "sessions"`. */
  constructor(what: string) {
    this.#what = what;
  }

  /** `true` once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Throw `ClosedError` after `close()`. */
  check(): void {
    if (this.#closed) throw this.error();
  }

  /** The `ClosedError` naming this component (for methods that reject rather than throw). */
  error(): ClosedError {
    return new ClosedError(this.#what);
  }

  /**
   * Run `release` once, on the first call; later calls return the same promise. The guard is
   * closed before `release` starts, so whatever `release` sets off already sees it closed.
   */
  close(release: () => Promise<unknown> | unknown = () => undefined): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closing = (async () => {
        await release();
      })();
    }
    return this.#closing!;
  }
}

/**
 * The ownership rule, in one place: a component closes what it created, and a client it was
 * given only when told to (`closeClient: true`).
 */
export async function closeOwned(owned: boolean, close: () => Promise<unknown> | unknown): Promise<void> {
  if (owned) await close();
}
