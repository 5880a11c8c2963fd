import type { CacheEntry, L2CacheBackend, ValueWithTtl } from './contracts.js';
import { ClosedError } from './errors.js';
import { globToRegExp } from './key.js';

/** Options for {@link MemoryBackend}. */
export interface MemoryBackendOptions {
  /** Name in stats and events; default `"memory"`. */
  name?: string;
  /** Most entries kept; the least recently used go first. Default: unbounded. */
  maxEntries?: number;
  /**
   * Copy values with `structuredClone` on write and read, so callers cannot mutate what is
   * stored (as with a remote tier). Default `false`.
   */
  clone?: boolean;
}

interface Slot<V> {
  value: V;
  expiresAt: number; // Infinity = never
}

/**
 * An in-process `L2CacheBackend` on a `Map`: the embedded default L2 for the demo and tests,
 * and the reference implementation the conformance suite is checked against. It also offers
 * a process-local lock so single-flight code paths can be exercised without a server.
 */
export class MemoryBackend<V = unknown> implements L2CacheBackend<V> {
  readonly name: string;
  readonly local = true;
  readonly #map = new Map<string, Slot<V>>();
  readonly #locks = new Map<string, { token: string; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #clone: boolean;
  #closed = false;
  #tokenSeq = 0;

  constructor(options: MemoryBackendOptions = {}) {
    this.name = options.name ?? 'memory';
    this.#maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    this.#clone = options.clone ?? false;
  }

  /** Entries currently held (expired ones may still count until touched). */
  get size(): number {
    return this.#map.size;
  }

  peekWithTtl(key: string): ValueWithTtl<V> | undefined {
    const slot = this.#live(key);
    if (!slot) return undefined;
    const value = this.#clone ? structuredClone(slot.value) : slot.value;
    return {
      value,
      ttlMs: slot.expiresAt === Number.POSITIVE_INFINITY ? undefined : slot.expiresAt - Date.now(),
    };
  }

  peek(key: string): V | undefined {
    const slot = this.#live(key);
    if (!slot) return undefined;
    return this.#clone ? structuredClone(slot.value) : slot.value;
  }

  async get(key: string): Promise<V | undefined> {
    this.#open();
    return Promise.resolve(this.peek(key));
  }

  async getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#open();
    return Promise.resolve(this.peekWithTtl(key));
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#open();
    return Promise.resolve(keys.map((k) => this.peek(k)));
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#open();
    this.#set(key, value, ttlMs);
    return Promise.resolve();
  }

  async setMany(entries: readonly CacheEntry<V>[]): Promise<void> {
    this.#open();
    for (const e of entries) this.#set(e.key, e.value, e.ttlMs);
    return Promise.resolve();
  }

  async remove(key: string): Promise<void> {
    this.#open();
    this.#map.delete(key);
    return Promise.resolve();
  }

  async removePattern(pattern: string): Promise<number> {
    this.#open();
    const re = globToRegExp(pattern);
    let removed = 0;
    for (const key of [...this.#map.keys()]) {
      if (re.test(key)) {
        this.#map.delete(key);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  async clear(): Promise<void> {
    this.#open();
    this.#map.clear();
    return Promise.resolve();
  }

  healthCheck(): Promise<boolean> {
    return Promise.resolve(!this.#closed);
  }

  async acquireLock(key: string, leaseMs: number): Promise<string | undefined> {
    this.#open();
    const now = Date.now();
    const held = this.#locks.get(key);
    if (held && held.expiresAt > now) return Promise.resolve(undefined);
    const token = `${process.pid}-${++this.#tokenSeq}`;
    this.#locks.set(key, { token, expiresAt: now + leaseMs });
    return Promise.resolve(token);
  }

  releaseLock(key: string, token: string): Promise<boolean> {
    const held = this.#locks.get(key);
    if (!held || held.token !== token) return Promise.resolve(false);
    this.#locks.delete(key);
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#map.clear();
    this.#locks.clear();
    return Promise.resolve();
  }

  #set(key: string, value: V, ttlMs: number | undefined): void {
    const stored = this.#clone ? structuredClone(value) : value;
    this.#map.delete(key); // re-insert so Map order is recency order
    this.#map.set(key, {
      value: stored,
      expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs,
    });
    if (this.#map.size > this.#maxEntries) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
  }

  #live(key: string): Slot<V> | undefined {
    const slot = this.#map.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= Date.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return slot;
  }

  #open(): void {
    if (this.#closed) throw new ClosedError(`MemoryBackend "${this.name}"`);
  }
}
