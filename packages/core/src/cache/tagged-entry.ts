import { DeserializationError } from '../errors.js';

/**
 * The tagged-entry envelope: how a value written with tags is stored in every tier
 * (`{ "\u0000tc": 1, v, t: tags, at }`), how a stored value is recognised as one, and the one
 * rule for bytes that carry the mark without being one (unreadable: a miss).
 */

/** The field that marks a stored value as a tagged entry (no cached value may have it). */
export const TAGGED_MARK = '\u0000tc';

/** `true` for a value carrying {@link TAGGED_MARK}: stored, it would read back as another value. */
export function hasTaggedMark(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, TAGGED_MARK);
}
const MARK = TAGGED_MARK;

/**
 * A tagged entry as the tiers store it: the value, its tags and the wall-clock time it was
 * written (for a `getOrSet`, the time its factory started). A plain object, so every
 * serializer stores it and it travels unchanged when a hit is promoted into upper tiers.
 * Untagged entries are stored as the bare value, as before tags existed.
 */
export interface TaggedEntry<V> {
  '\u0000tc': 1;
  /** The value. */
  v: V;
  /** Tags (as stored: a namespace's own tags included). */
  t: string[];
  /** Written at, wall-clock ms. */
  at: number;
}

/**
 * `true` for a stored value that is a well-formed {@link TaggedEntry}: the mark `1`, a value
 * `v` that is not itself marked, a non-empty list of string tags, a finite write time >= 0, and
 * no other field. Never throws. A value read from a tier goes through {@link checkStored}
 * first, so past that a marked value is a well-formed entry.
 */
export function isTagged(value: unknown): value is TaggedEntry<unknown> {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, MARK)) return false;
  const entry = value as Record<string, unknown>;
  if (entry[MARK] !== 1 || entry.v === undefined || hasTaggedMark(entry.v)) return false;
  const { t, at } = entry;
  if (!Array.isArray(t) || t.length === 0 || !t.every((tag) => typeof tag === 'string')) return false;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) return false;
  // Count the fields without allocating (this runs on every tagged L1 hit).
  let fields = 0;
  for (const _ in entry) fields++;
  return fields === 4;
}

/**
 * Check a value read from a tier. Stored bytes are untrusted: a value that carries
 * {@link TAGGED_MARK} but is not a well-formed tagged entry ({@link isTagged}; a mark without
 * `v`, an envelope inside an envelope, tags not a list of strings...) is unreadable, and this
 * throws `DeserializationError`, which the read paths handle as contracts.ts says for every
 * unreadable value: `tier:error`, a miss, breaker closed. Never serves it, never lets it reach
 * the caller as a rejection or a `TypeError` later.
 */
export function checkStored(value: unknown): void {
  const error = unreadableEntry(value);
  if (error !== undefined) throw error;
}

/** The `DeserializationError` {@link checkStored} throws for `value`, or `undefined` when it is readable. */
export function unreadableEntry(value: unknown): DeserializationError | undefined {
  if (!hasTaggedMark(value) || isTagged(value)) return undefined;
  return new DeserializationError(
    `stored value carries tiercache's tagged-entry mark ${JSON.stringify(MARK)} but is not a tagged entry (a mark 1, a value v, a non-empty list of string tags t, a write time at, nothing else)`,
  );
}

/** The stored form of a value with `tags` (the value itself when there are none). */
export function tagged<V>(value: V, tags: readonly string[] | undefined, at: number): V {
  if (tags === undefined || tags.length === 0) return value;
  const entry: TaggedEntry<V> = { [MARK]: 1, v: value, t: [...tags], at } as TaggedEntry<V>;
  return entry as unknown as V;
}

let lastNow = 0;

/**
 * Wall-clock ms for entry and invalidation times, never the same twice in this process (a
 * write right after an invalidation in the same millisecond is newer than it). Processes
 * compare these times with each other, so their clocks must agree (NTP): a skew of S ms lets an
 * entry written up to S ms before an invalidation by a process whose clock runs ahead survive it.
 */
export function wallNow(): number {
  const now = Date.now();
  lastNow = now > lastNow ? now : lastNow + 0.001;
  return lastNow;
}
