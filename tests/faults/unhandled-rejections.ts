/**
 * Collects unhandled promise rejections while a fault is injected. A cache that loses track
 * of a promise when a server disappears (a timed-out call whose late failure nobody awaits)
 * shows up here even when every call the test made resolved.
 */
export class UnhandledRejections {
  readonly reasons: unknown[] = [];
  readonly #listener = (reason: unknown): void => {
    this.reasons.push(reason);
  };

  /** Start listening. */
  start(): this {
    process.on('unhandledRejection', this.#listener);
    return this;
  }

  /** Stop listening. */
  stop(): void {
    process.off('unhandledRejection', this.#listener);
  }

  /** The rejections as text, for an assertion message. */
  describe(): string[] {
    return this.reasons.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r)));
  }
}
