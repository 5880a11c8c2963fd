/**
 * Running totals for observable counters fed from `cache.stats()`. An OpenTelemetry counter
 * must never go down, but a cache's counters do when someone calls `resetStats()`; so each
 * observation adds only the growth since the previous one, and a value below the previous
 * one is read as "reset, then grew to this".
 */
export class CounterTotals {
  readonly #last = new Map<string, number>();
  readonly #total = new Map<string, number>();

  /** Record the counter `id`'s current value and return its running total. */
  advance(id: string, current: number): number {
    const last = this.#last.get(id) ?? 0;
    const growth = current >= last ? current - last : current;
    this.#last.set(id, current);
    const total = (this.#total.get(id) ?? 0) + growth;
    this.#total.set(id, total);
    return total;
  }
}
