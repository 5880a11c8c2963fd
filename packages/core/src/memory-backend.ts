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
   * (`setIfUnchanged` with a token read before the delete fails). Default 1 min. Marks are
   * bounded in count too: at most `maxEntries` of them (100 000 when `maxEntries` is
   * unbounded), the oldest dropped first.
   */
  deletionMark?: Duration;
}

/** Most deletion marks kept when `maxEntries` is unbounded. */
const DEFAULT_MAX_DELETION_MARKS = 100_000;
/** Buckets of the forgotten-versions table (a power of two; 8 KiB). */
const FORGOTTEN_BUCKETS = 1024;

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
  readonly #maxMarks: number;
  /**
   * Per bucket of keys (a hash of the key), the newest version this backend forgot before its
   * time: a deletion mark dropped because there were too many, or a value evicted by
   * `maxEntries`. Folded into the token of a key that holds nothing, so that forgetting never
   * makes a key look "never written" again (see {@link MemoryBackend.#token}). Fixed size.
   */
  readonly #forgotten = new Float64Array(FORGOTTEN_BUCKETS);
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
    this.#maxMarks = Number.isFinite(this.#maxEntries) ? this.#maxEntries : DEFAULT_MAX_DELETION_MARKS;
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
      const [oldest, slot] = this.#map.entries().next().value as [string, Slot<V>];
      this.#map.delete(oldest);
      this.#forget(oldest, slot.version);
    }
  }

  /**
   * Remember `key` as deleted for the mark's time; forget marks past theirs, and the oldest
   * marks past {@link MemoryBackend.#maxMarks} (so 300 000 deletes of distinct keys hold at most
   * that many marks, not 300 000 for a minute).
   *
   * Dropping a mark early is safe because the dropped version goes into `#forgotten`: a token
   * read before the delete named the value (`v…`) or the mark (`d…`), and a token read while
   * the key held nothing named that key's bucket of `#forgotten` as it was then. After the drop
   * the key's token names its bucket as it is now, which holds the dropped mark's version,
   * newer than anything any earlier token saw: every token read before the delete differs, and
   * the stale `setIfUnchanged` is refused. The cost is the other way round: a token of another
   * absent key in the same bucket, read before the drop, is refused too (a guarded write that
   * stores nothing, which is always safe; 1 in 1024 keys share a bucket).
   */
  #mark(key: string): void {
    const now = Date.now();
    for (const [k, m] of this.#marks) {
      if (m.expiresAt > now) break;
      this.#marks.delete(k);
    }
    this.#marks.delete(key);
    this.#marks.set(key, { version: ++this.#version, expiresAt: now + this.#markMs });
    if (this.#marks.size > this.#maxMarks) {
      const [oldest, mark] = this.#marks.entries().next().value as [string, { version: number }];
      this.#marks.delete(oldest);
      this.#forget(oldest, mark.version);
    }
  }

  /** Record that what `key` held at `version` was forgotten before its time (a dropped mark, an evicted value). */
  #forget(key: string, version: number): void {
    const bucket = bucketOf(key);
    if (version > this.#forgotten[bucket]!) this.#forgotten[bucket] = version;
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
    // Nothing here: name what was forgotten in the key's bucket (a dropped mark, an evicted value).
    const forgotten = this.#forgotten[bucketOf(key)]!;
    if (forgotten > 0) return `${this.#epoch}:f${forgotten}`;
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

/** FNV-1a of `key`'s UTF-16 code units, reduced to a bucket of `#forgotten`. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) & (FORGOTTEN_BUCKETS - 1);
}
