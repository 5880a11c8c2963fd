import { ClosedGuard } from './adapter-kit/closed-guard.js';
import { OptionReader } from './adapter-kit/options.js';
import type { CacheEntry, GuardedRead, L2CacheBackend, ValueWithTtl } from './contracts.js';
import { globToRegExp } from './key.js';
import type { Duration } from './ttl.js';

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
  /**
   * How long a deleted key is remembered as deleted, for guarded writes
   * (`setIfUnchanged` with a token read before the delete fails). Default 1 min.
   */
  deletionMark?: Duration;
}

interface Slot<V> {
  value: V;
  expiresAt: number; // Infinity = never
  /** Which write stored it: the guarded-write token is derived from it. */
  version: number;
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
  /** Deleted keys, oldest first (all marks live equally long, so insertion order is expiry order). */
  readonly #marks = new Map<string, { version: number; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #clone: boolean;
  readonly #markMs: number;
  readonly #closed: ClosedGuard;
  #tokenSeq = 0;
  #version = 0;
  /** Bumped by `removePattern` and `clear`, which leave no per-key marks. */
  #epoch = 0;

  constructor(options: MemoryBackendOptions = {}) {
    const read = new OptionReader<MemoryBackendOptions>('MemoryBackend', options, [
      'name',
      'maxEntries',
      'clone',
      'deletionMark',
    ]);
    this.name = read.string('name', 'memory');
    this.#closed = new ClosedGuard(`MemoryBackend "${this.name}"`);
    this.#maxEntries = read.integer('maxEntries', 1) ?? Number.POSITIVE_INFINITY;
    this.#clone = read.boolean('clone', false);
    this.#markMs = read.duration('deletionMark', 60_000);
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
    this.#closed.check();
    return Promise.resolve(this.peek(key));
  }

  async getWithTtl(key: string): Promise<ValueWithTtl<V> | undefined> {
    this.#closed.check();
    return Promise.resolve(this.peekWithTtl(key));
  }

  async getMany(keys: readonly string[]): Promise<(V | undefined)[]> {
    this.#closed.check();
    return Promise.resolve(keys.map((k) => this.peek(k)));
  }

  async setWithTtl(key: string, value: V, ttlMs: number | undefined): Promise<void> {
    this.#closed.check();
    this.#set(key, value, ttlMs);
    return Promise.resolve();
  }

  async setMany(entries: readonly CacheEntry<V>[]): Promise<void> {
    this.#closed.check();
    for (const e of entries) this.#set(e.key, e.value, e.ttlMs);
    return Promise.resolve();
  }

  async remove(key: string): Promise<void> {
    this.#closed.check();
    this.#map.delete(key);
    this.#mark(key);
    return Promise.resolve();
  }

  async getWithToken(key: string): Promise<GuardedRead<V>> {
    this.#closed.check();
    const slot = this.#live(key);
    return { entry: slot ? this.peekWithTtl(key) : undefined, token: this.#token(key, slot) };
  }

  async setIfUnchanged(key: string, value: V, ttlMs: number | undefined, token: string): Promise<boolean> {
    this.#closed.check();
    if (this.#token(key, this.#live(key)) !== token) return false;
    this.#set(key, value, ttlMs);
    return true;
  }

  async removePattern(pattern: string): Promise<number> {
    this.#closed.check();
    const re = globToRegExp(pattern);
    this.#epoch++;
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
    this.#closed.check();
    this.#epoch++;
    this.#map.clear();
    return Promise.resolve();
  }

  healthCheck(): Promise<boolean> {
    return Promise.resolve(!this.#closed.closed);
  }

  async acquireLock(key: string, leaseMs: number): Promise<string | undefined> {
    this.#closed.check();
    const now = Date.now();
    const held = this.#locks.get(key);
    if (held && held.expiresAt > now) return Promise.resolve(undefined);
    const token = `${process.pid}-${++this.#tokenSeq}`;
    this.#locks.set(key, { token, expiresAt: now + leaseMs });
    return Promise.resolve(token);
  }

  async releaseLock(key: string, token: string): Promise<boolean> {
    this.#closed.check();
    const held = this.#locks.get(key);
    if (!held || held.token !== token) return Promise.resolve(false);
    this.#locks.delete(key);
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return this.#closed.close(() => {
      this.#map.clear();
      this.#marks.clear();
      this.#locks.clear();
    });
  }

  #set(key: string, value: V, ttlMs: number | undefined): void {
    const stored = this.#clone ? structuredClone(value) : value;
    this.#map.delete(key); // re-insert so Map order is recency order
    this.#map.set(key, {
      value: stored,
      expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs,
      version: ++this.#version,
    });
    this.#marks.delete(key);
    if (this.#map.size > this.#maxEntries) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
  }

  /** Remember `key` as deleted for the mark's time; forget marks past theirs. */
  #mark(key: string): void {
    const now = Date.now();
    for (const [k, m] of this.#marks) {
      if (m.expiresAt > now) break;
      this.#marks.delete(k);
    }
    this.#marks.delete(key);
    this.#marks.set(key, { version: ++this.#version, expiresAt: now + this.#markMs });
  }

  /**
   * What `key` holds now, as a guarded-write token: the stored value's version, or the
   * deletion mark's, or nothing ('' — unless a pattern delete or clear happened since the
   * start: those bump the epoch, which invalidates every token read before them).
   */
  #token(key: string, slot: Slot<V> | undefined): string {
    if (slot) return `${this.#epoch}:v${slot.version}`;
    const mark = this.#marks.get(key);
    if (mark && mark.expiresAt > Date.now()) return `${this.#epoch}:d${mark.version}`;
    return this.#epoch === 0 ? '' : `${this.#epoch}:`;
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
}
