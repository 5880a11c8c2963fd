import type { L2CacheBackend } from '../contracts.js';
import { InvalidOptionError } from '../errors.js';
import { hasLoneSurrogate, RESERVED_KEY_PREFIX } from '../key.js';
import type { CacheContext } from './context.js';
import { hasTaggedMark, isTagged, type TaggedEntry, wallNow } from './tagged-entry.js';
import type { Tier } from './tier.js';

/** Most tags one entry may carry (a namespace's own tags not counted). */
export const MAX_TAGS = 64;
/** Longest tag, in UTF-16 code units. */
export const MAX_TAG_LENGTH = 256;
/**
 * Tags whose invalidation time each cache keeps in process. Past it the least recently
 * loaded tag is forgotten (and re-read from the shared tier when an entry needs it).
 */
export const MAX_KNOWN_TAGS = 10_000;

/**
 * Where a tag's invalidation time lives in every shared tier: an ordinary key, under a prefix
 * no cache key can have (cache keys cannot hold control characters), so a backend needs no
 * support of its own (memcached's default `keyPolicy: 'hash'` stores it under a hash).
 */
export const TAG_KEY_PREFIX = `${RESERVED_KEY_PREFIX}tc-tag:`;

/**
 * Check the `tags` a caller passed: an array of at most {@link MAX_TAGS} non-empty strings of at
 * most {@link MAX_TAG_LENGTH} characters without control characters or lone surrogates. Returns them without
 * duplicates; throws {@link InvalidOptionError}.
 */
export function checkTags(tags: unknown, method: string): string[] {
  if (!Array.isArray(tags)) {
    throw new InvalidOptionError(
      `${method}: tags must be an array of strings such as ['user:1'], got ${describe(tags)}`,
    );
  }
  if (tags.length > MAX_TAGS) {
    throw new InvalidOptionError(`${method}: ${tags.length} tags, over the limit of ${MAX_TAGS} per call`);
  }
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0) {
      throw new InvalidOptionError(`${method}: every tag must be a non-empty string, got ${describe(tag)}`);
    }
    if (tag.length > MAX_TAG_LENGTH) {
      throw new InvalidOptionError(
        `${method}: a tag is ${tag.length} characters, over the limit of ${MAX_TAG_LENGTH}; hash long tags`,
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are reserved for the cache's own tags
    if (/[\u0000-\u001f\u007f]/.test(tag)) {
      throw new InvalidOptionError(
        `${method}: a tag contains a control character (U+0000-U+001F or U+007F), which the cache reserves for namespaces`,
      );
    }
    if (hasLoneSurrogate(tag)) {
      throw new InvalidOptionError(
        `${method}: a tag contains a lone UTF-16 surrogate, which has no UTF-8 encoding and would share its record in a shared tier with other tags; build tags from whole characters`,
      );
    }
  }
  return tags.length > 1 ? [...new Set(tags as string[])] : (tags as string[]);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * Tag invalidation times: the in-process table, the copy in every shared tier, and the bus.
 *
 * `invalidate(tags)` stores "now" as each tag's time: in this table at once, in every shared
 * tier as the key `TAG_KEY_PREFIX + tag`, and on the bus. An entry is a miss when one of its
 * tags has a time at or after the entry's. Nothing is listed or deleted, so invalidating a tag
 * costs the same whatever the number of entries carrying it.
 *
 * Reads: an entry from a shared tier is checked against the times read from that tier in the
 * same call (one batched read), so an instance that missed bus messages still never serves it
 * past an invalidation; an in-process (L1) hit is checked against the table, kept current by
 * this instance's own invalidations and by the bus (a tag the table does not know sends the
 * read to the tiers below).
 */
export class TagTimes<V> {
  readonly #ctx: CacheContext<V>;
  readonly #times = new Map<string, number>();
  /** At least the time of every tag the table forgot: an unknown tag is taken to have this time. */
  #floor = 0;
  /**
   * Tags whose time in the table is the floor, a bound rather than a time this instance heard:
   * a time read from a shared tier replaces it (entries older than the floor but newer than the
   * tag's real invalidation are valid there).
   */
  readonly #guessed = new Set<string>();
  readonly #firstRemote: Tier<V> | undefined;
  /** Reads of tag times in flight, by tier and tag, with when they started (holds only those in flight). */
  readonly #reading = new Map<string, { since: number; time: Promise<number> }>();

  constructor(context: CacheContext<V>) {
    this.#ctx = context;
    this.#firstRemote = context.tiers.find((t) => !t.local);
  }

  /** Tags the table knows now (bounded by {@link MAX_KNOWN_TAGS}). */
  get size(): number {
    return this.#times.size;
  }

  /**
   * The value of an in-process entry if none of its tags was invalidated at or after it was
   * written; `undefined` when one was, or when the table does not know a tag (the caller reads
   * the tiers below). One map lookup per tag, no allocation.
   */
  freshValue(entry: TaggedEntry<unknown>): unknown {
    const at = entry.at;
    const tags = entry.t;
    for (let i = 0; i < tags.length; i++) {
      const time = this.#times.get(tags[i]!);
      if (time === undefined || at <= time) return undefined;
    }
    return entry.v;
  }

  /**
   * An in-process (L1) value as a fast path serves it: a plain value as it is, a tagged entry's
   * value while its tags are fresh ({@link freshValue}), `undefined` for a stale entry and for a
   * marked value that is not a well-formed entry (the fast path declines it; a tier read checks
   * it with {@link checkStored}).
   */
  visible(value: unknown): unknown {
    if (!hasTaggedMark(value)) return value;
    return isTagged(value) ? this.freshValue(value) : undefined;
  }

  /**
   * Whether `entry`, found in tier `tier`, is still valid. From a shared tier the tag times are
   * read from that tier (batched) and merged into the table; from an in-process tier the table
   * answers, and a tag it does not know is read from the first shared tier (or, with none, taken
   * at the table's floor). A failed read of the times counts the entry as invalid: a miss is
   * always safe, a value past its invalidation is not.
   *
   * `since` (`performance.now()`) is when the read of the entry began: a read of the same tag's
   * time from the same tier that started at or after it is joined instead of sent again (its
   * answer is at least as recent as the entry), so concurrent hits of entries sharing tags
   * cost one read of the times, not one each.
   */
  async valid(entry: TaggedEntry<unknown>, tier: Tier<V>, since: number): Promise<boolean> {
    let source: Tier<V> | undefined = tier.local ? undefined : tier;
    if (source === undefined) {
      const sync = this.freshValue(entry);
      if (sync !== undefined) return true;
      if (entry.t.every((tag) => this.#times.has(tag))) return false;
      source = this.#firstRemote;
    }
    let times: number[];
    if (source === undefined) times = entry.t.map(() => this.#floor);
    else {
      try {
        times = await this.#timesSince(source, entry.t, since);
      } catch (error) {
        this.#ctx.tierError(source, 'get', error);
        return false;
      }
    }
    let valid = true;
    for (let i = 0; i < entry.t.length; i++) {
      const tag = entry.t[i]!;
      const time = source === undefined ? this.raise(tag, times[i]!) : this.#stored(tag, times[i]!);
      if (entry.at <= time) valid = false;
    }
    return valid;
  }

  /**
   * Make the table know `tags` before an entry written now with them goes into an in-process
   * tier (so L1 hits of it take the fast path). A tag it does not know gets the floor: every
   * invalidation this instance heard of is in the table or at most the floor, and the entry is
   * newer than both.
   */
  know(tags: readonly string[]): void {
    for (const tag of tags) if (!this.#times.has(tag)) this.#remember(tag, this.#floor, true);
  }

  /**
   * Record that `tag` was invalidated at `at` (this instance's call, or the bus); keeps the later
   * time, and never goes below the floor for a tag it did not know. Returns the tag's time now.
   */
  raise(tag: string, at: number): number {
    const known = this.#times.get(tag);
    if (known !== undefined && known >= at) return known;
    const time = known === undefined ? Math.max(at, this.#floor) : at;
    this.#remember(tag, time, time !== at);
    return time;
  }

  /**
   * The tag's time given what a shared tier stores for it: the later of the two, ignoring a
   * guessed (floor) time in the table, which the stored one replaces. Returns the time now.
   */
  #stored(tag: string, stored: number): number {
    const known = this.#times.get(tag);
    const heard = known === undefined || this.#guessed.has(tag) ? 0 : known;
    const time = Math.max(stored, heard);
    if (time !== known || this.#guessed.has(tag)) this.#remember(tag, time, false);
    return time;
  }

  /**
   * `invalidateTags`: the time is now; the table first (this instance's next read sees it), then
   * every shared tier, then the bus. Rejects with the tier's error when a shared tier did not
   * take the time (the table and the bus have it; other instances reading that tier would not).
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    const ctx = this.#ctx;
    const at = wallNow();
    for (const tag of tags) this.raise(tag, at);
    const remote = ctx.tiers.filter((t) => !t.local);
    const results = await Promise.allSettled(
      remote.map((tier) => tier.run('set', () => this.#store(tier, tags, at))),
    );
    ctx.publish({ op: 'tags', tags: tags.map((tag) => [tag, at]) });
    let failure: unknown;
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (result.status === 'rejected') {
        ctx.tierError(remote[i]!, 'invalidateTags', result.reason);
        failure ??= result.reason;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Forget every time (after missed bus messages): unknown tags are then read again. */
  reset(): void {
    for (const time of this.#times.values()) if (time > this.#floor) this.#floor = time;
    this.#times.clear();
    this.#guessed.clear();
  }

  #remember(tag: string, time: number, guessed: boolean): void {
    this.#times.delete(tag);
    this.#times.set(tag, time);
    if (guessed) this.#guessed.add(tag);
    else this.#guessed.delete(tag);
    if (this.#times.size > MAX_KNOWN_TAGS) {
      const [oldest, oldestTime] = this.#times.entries().next().value as [string, number];
      this.#times.delete(oldest);
      this.#guessed.delete(oldest);
      if (oldestTime > this.#floor) this.#floor = oldestTime;
    }
  }

  /** The times of `tags` in `tier`, from reads that started at or after `since` (joined, or sent now). */
  #timesSince(tier: Tier<V>, tags: readonly string[], since: number): Promise<number[]> {
    const times: Promise<number>[] = new Array(tags.length);
    const missing: number[] = [];
    for (let i = 0; i < tags.length; i++) {
      const reading = this.#reading.get(`${tier.index}:${tags[i]!}`);
      if (reading !== undefined && reading.since >= since) times[i] = reading.time;
      else missing.push(i);
    }
    if (missing.length > 0) {
      const started = performance.now();
      const batch = this.#read(
        tier,
        missing.map((i) => tags[i]!),
      );
      missing.forEach((i, j) => {
        const id = `${tier.index}:${tags[i]!}`;
        const reading = { since: started, time: batch.then((read) => read[j]!) };
        this.#reading.set(id, reading);
        const forget = (): void => {
          if (this.#reading.get(id) === reading) this.#reading.delete(id);
        };
        reading.time.then(forget, forget);
        times[i] = reading.time;
      });
    }
    return Promise.all(times);
  }

  /** The stored times of `tags` in `tier` (0 for a tag never invalidated), in one batched read. */
  async #read(tier: Tier<V>, tags: readonly string[]): Promise<number[]> {
    const keys = tags.map((tag) => TAG_KEY_PREFIX + tag);
    const backend = timesIn(tier);
    const values = await tier.run('get', () =>
      keys.length > 1 && tier.caps.getMany
        ? backend.getMany!(keys)
        : Promise.all(keys.map((key) => backend.get(key))),
    );
    return values.map(storedTime);
  }

  /**
   * Store `at` under each tag's key in `tier`, keeping a later time already there. With guarded
   * writes (Redis) the check and the write are one compare-and-set, retried when another
   * instance wrote in between; elsewhere a plain write, so two instances invalidating one tag
   * within one round trip may leave the earlier time there (the bus still carries the later).
   */
  async #store(tier: Tier<V>, tags: readonly string[], at: number): Promise<void> {
    const backend = timesIn(tier);
    const ttlMs = tier.maxTtlMs;
    await Promise.all(
      tags.map(async (tag) => {
        const key = TAG_KEY_PREFIX + tag;
        if (!tier.caps.guardedWrites) return backend.setWithTtl(key, at, ttlMs);
        for (let attempt = 0; attempt < 5; attempt++) {
          const { entry, token } = await backend.getWithToken!(key);
          if (entry !== undefined && storedTime(entry.value) >= at) return;
          if (await backend.setIfUnchanged!(key, at, ttlMs, token)) return;
        }
        return backend.setWithTtl(key, at, ttlMs);
      }),
    );
  }
}

/** A tier's backend as the store of tag times (numbers), beside the entries of type `V`. */
function timesIn<V>(tier: Tier<V>): L2CacheBackend<number> {
  return tier.l2 as unknown as L2CacheBackend<number>;
}

/** A stored tag time; anything unreadable counts as "invalidated now" (a miss is always safe). */
function storedTime(value: unknown): number {
  if (value === undefined || value === null) return 0;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : wallNow();
}
