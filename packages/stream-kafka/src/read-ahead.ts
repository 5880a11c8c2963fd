import type { FetchedEntry } from './partition-fetch.js';

/** Pages kept at once (one per reader position); the oldest goes first. */
const MAX_PAGES = 4;
/** How long kept records are served; after it, a read fetches again. */
const KEEP_MS = 1_000;

interface Kept {
  entries: FetchedEntry[];
  /** Index of the first entry not handed out yet. */
  next: number;
  at: number;
}

/**
 * Records a fetch brought back beyond the page a read asked for, kept for the read that
 * resumes right after that page (a consumer paging through a topic), so it is answered without
 * fetching and decoding the same records again.
 *
 * Why: a Fetch returns up to `maxBytesPerPartition` (1 MiB by default), thousands of records,
 * while a page is `count` of them. Without this, paging through 5 000 records in pages of 1 000
 * fetched and decoded about 15 000 (each page re-fetched everything after it), which is most of
 * why `streamRead` ran at 0.2x a raw kafkajs consumer.
 *
 * Only for single-partition topics, where stream order is offset order and records never change
 * once written. Kept per `(topic, id of the last entry handed out)`, at most {@link MAX_PAGES}
 * positions and for {@link KEEP_MS}: bounded by `MAX_PAGES` fetches' worth of records. A topic
 * deleted and created again within that time could be answered from the old records once.
 */
export class ReadAhead {
  readonly #kept = new Map<string, Kept>();

  /**
   * The `count` kept entries that follow `lastId` in `topic`, in order; `undefined` when fewer
   * are kept for that position. `idOf` names an entry (to key the rest under the last one).
   */
  take(
    topic: string,
    lastId: string,
    count: number,
    idOf: (e: FetchedEntry) => string,
  ): FetchedEntry[] | undefined {
    const slot = `${topic}\u0000${lastId}`;
    const kept = this.#kept.get(slot);
    if (kept === undefined) return undefined;
    this.#kept.delete(slot);
    // A short remainder is not served: a fetch may find more records than were kept, and a
    // short page should mean "that is all there is", as it does from a fetch.
    if (Date.now() - kept.at > KEEP_MS || kept.entries.length - kept.next < count) return undefined;
    const end = kept.next + count;
    const page = kept.entries.slice(kept.next, end);
    if (end < kept.entries.length) {
      kept.next = end;
      this.#remember(topic, idOf(page[page.length - 1]!), kept);
    }
    return page;
  }

  /** Keep `entries[from..]`, the records after a page whose last entry is `lastId`. */
  keep(topic: string, lastId: string, entries: FetchedEntry[], from: number): void {
    if (from >= entries.length) return;
    this.#remember(topic, lastId, { entries, next: from, at: Date.now() });
  }

  /** Forget everything (close). */
  clear(): void {
    this.#kept.clear();
  }

  #remember(topic: string, lastId: string, kept: Kept): void {
    const slot = `${topic}\u0000${lastId}`;
    this.#kept.delete(slot);
    this.#kept.set(slot, kept);
    if (this.#kept.size > MAX_PAGES) this.#kept.delete(this.#kept.keys().next().value!);
  }
}
