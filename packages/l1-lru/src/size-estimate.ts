/** Bytes counted for each property or slot on top of what it holds (pointer plus bookkeeping). */
const SLOT_BYTES = 8;
/** Bytes counted for an object itself, before its properties. */
const OBJECT_BYTES = 16;
/** Deeper than this, an object counts as a flat {@link DEEP_OBJECT_BYTES} so estimation cannot overflow the stack. */
const MAX_DEPTH = 64;
const DEEP_OBJECT_BYTES = 256;

/**
 * A fast estimate of the memory a JSON-like value holds, in bytes. It is what `LruBackend`
 * counts against `maxBytes` unless a `sizeOf` is given, so it favours speed and predictability
 * over precision:
 *
 * - strings: 2 bytes per UTF-16 code unit; numbers 8; booleans 4; `null`/`undefined` 0; bigints 8
 *   per 64 bits;
 * - arrays: 16 + 8 per slot + each element; plain objects and class instances: 16 + for each own
 *   enumerable property, 2 per key character + 8 + its value; `Map`: 16 + 8 per entry + key +
 *   value; `Set`: 16 + 8 per member + member;
 * - `ArrayBuffer` and typed arrays / `DataView`: their `byteLength`; `Date`: 8;
 * - an object reachable twice (shared, or a cycle) counts once; nesting deeper than 64 levels
 *   counts 256 bytes per object and is not walked further. Functions and symbols count 0.
 */
export function estimateSize(value: unknown): number {
  if (typeof value !== 'object' || value === null) return primitiveSize(value);
  return objectSize(value, new Set(), 0);
}

function primitiveSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length * 2;
    case 'number':
      return 8;
    case 'boolean':
      return 4;
    case 'bigint':
      return 8 * Math.max(1, Math.ceil(value.toString(16).length / 16));
    default:
      return 0;
  }
}

function objectSize(value: object, seen: Set<object>, depth: number): number {
  if (seen.has(value)) return 0;
  seen.add(value);
  if (depth >= MAX_DEPTH) return DEEP_OBJECT_BYTES;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  if (value instanceof Date) return 8;
  let size = OBJECT_BYTES;
  const next = depth + 1;
  if (Array.isArray(value)) {
    for (const item of value) size += SLOT_BYTES + sizeAt(item, seen, next);
    return size;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) size += SLOT_BYTES + sizeAt(k, seen, next) + sizeAt(v, seen, next);
    return size;
  }
  if (value instanceof Set) {
    for (const item of value) size += SLOT_BYTES + sizeAt(item, seen, next);
    return size;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    size += key.length * 2 + SLOT_BYTES + sizeAt((value as Record<string, unknown>)[key], seen, next);
  }
  return size;
}

function sizeAt(value: unknown, seen: Set<object>, depth: number): number {
  return typeof value === 'object' && value !== null ? objectSize(value, seen, depth) : primitiveSize(value);
}
