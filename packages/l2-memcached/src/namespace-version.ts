import { randomInt } from 'node:crypto';
import { TierError } from '@tiercache/core';
import type { Client } from 'memjs';

/** Runs one memcached request under the backend's deadline and error mapping. */
export type MemcachedCall = <T>(operation: string, run: () => Promise<T>) => Promise<T>;

/**
 * The namespace's version number, which every data key carries (`<ns>:<version>:<key>`).
 * `clear()` increments it, so every existing entry becomes unreachable at once without
 * listing keys (memcached cannot) or flushing the whole server (others may share it); the
 * orphaned items age out by TTL or LRU.
 *
 * The counter lives under `<ns>:__version`. Each instance caches it for `cacheMs`, so a
 * `clear()` made elsewhere is seen within that window. A missing counter (never created, or
 * evicted under memory pressure) starts again at a random number below 2^31, not at 0: were it
 * to restart where the old one did, entries written under those old versions that are still
 * in memory would come back. The chance of landing on a version that still has entries is
 * about (clears since the old counter started) / 2^31. When the counter cannot be read (its
 * server is down), the version already known is kept, so one dead server of a pool does not
 * take every key down with it.
 */
export class NamespaceVersion {
  readonly #tier: string;
  readonly #client: Client;
  readonly #call: MemcachedCall;
  readonly #namespace: string;
  readonly #counterKey: string;
  readonly #cacheMs: number;
  #prefix: string | undefined;
  #fetchedAt = 0;
  #refreshing: Promise<string> | undefined;
  // Bumped by clear(); a read that started before the bump must not overwrite its result.
  #generation = 0;

  constructor(tier: string, client: Client, namespace: string, cacheMs: number, call: MemcachedCall) {
    this.#tier = tier;
    this.#client = client;
    this.#call = call;
    this.#namespace = namespace;
    this.#counterKey = `${namespace}:__version`;
    this.#cacheMs = cacheMs;
  }

  /**
   * The key prefix for the current version, `"<ns>:<version>:"`. Returns the cached string
   * without a promise while it is fresh, so the hot path does not wait on a microtask.
   */
  prefix(): string | Promise<string> {
    if (this.#prefix !== undefined && Date.now() - this.#fetchedAt < this.#cacheMs) return this.#prefix;
    if (this.#refreshing) return this.#refreshing;
    const generation = this.#generation;
    const refreshing = this.#read().then(
      (version) => {
        const prefix = this.#prefixFor(version);
        if (generation === this.#generation) this.#remember(prefix);
        return prefix;
      },
      (error: unknown) => {
        // The counter lives on one server of a pool. While that server is unreachable, keep the
        // version we know (for another `cacheMs`) so the keys on the other servers keep working;
        // nobody can bump a counter nobody reaches. Without a known version, the call fails.
        const known = this.#prefix;
        if (known === undefined || generation !== this.#generation) throw error;
        this.#remember(known);
        return known;
      },
    );
    this.#refreshing = refreshing;
    const done = (): void => {
      if (this.#refreshing === refreshing) this.#refreshing = undefined;
    };
    refreshing.then(done, done);
    return refreshing;
  }

  /**
   * Read the version from the server on the next call (another instance cleared the namespace).
   * The known version stays as the fallback while the server holding the counter is down; a
   * read already in flight may have seen the old version, so its result is not remembered and
   * later calls do not join it.
   */
  forget(): void {
    this.#fetchedAt = 0;
    this.#generation++;
    this.#refreshing = undefined;
  }

  /** Move the namespace to a new version; resolves once the server has counted it. */
  async bump(): Promise<void> {
    this.#generation++;
    const { value } = await this.#call('clear', () =>
      this.#client.increment(this.#counterKey, 1, { initial: randomSeed() }),
    );
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TierError(
        this.#tier,
        'clear',
        new Error(`increment of "${this.#counterKey}" returned no number`),
      );
    }
    this.#generation++;
    this.#remember(this.#prefixFor(String(value)));
  }

  #remember(prefix: string): void {
    this.#prefix = prefix;
    this.#fetchedAt = Date.now();
  }

  #prefixFor(version: string): string {
    return `${this.#namespace}:${version}:`;
  }

  async #read(): Promise<string> {
    const stored = await this.#get();
    if (stored !== undefined) return stored;
    const seed = String(randomSeed());
    // `add` only succeeds for the first creator; everyone else reads what it wrote.
    const added = await this.#call('read namespace version', () => this.#client.add(this.#counterKey, seed));
    if (added) return seed;
    return (await this.#get()) ?? seed;
  }

  async #get(): Promise<string | undefined> {
    const { value } = await this.#call('read namespace version', () => this.#client.get(this.#counterKey));
    if (value === null) return undefined;
    // incr may leave trailing spaces when a number shrinks; we only ever grow it, but allow them.
    const match = /^(\d{1,15}) *$/.exec(value.toString('latin1'));
    if (!match) {
      throw new TierError(
        this.#tier,
        'read namespace version',
        new Error(
          `"${this.#counterKey}" does not hold a number; delete that key so the namespace can start over`,
        ),
      );
    }
    return String(Number(match[1]));
  }
}

/**
 * A starting point for a new counter. Below 2^31 so that, with room for two billion clears,
 * values stay under 2^32: memjs 1.3.2 reads an increment's 64-bit result back correctly only
 * below that, and writes `initial` as a 32-bit number.
 */
function randomSeed(): number {
  return randomInt(1, 2 ** 31);
}
