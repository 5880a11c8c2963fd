/**
 * Freeze `value` and every object reachable through its own enumerable properties, array
 * slots, `Map` entries and `Set` members, in place, and return it. Typed arrays and
 * `ArrayBuffer`s are left as they are (the language cannot freeze their bytes), and a frozen
 * `Map`, `Set` or `Date` can still be changed through its methods: `freeze` protects JSON-like
 * data, which is what a cache holds.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  // An explicit stack, not recursion: deeply nested data must not overflow the call stack.
  // A seen-set rather than Object.isFrozen: an object the caller froze may still hold
  // unfrozen children, and cycles must end.
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    if (ArrayBuffer.isView(next) || next instanceof ArrayBuffer) continue;
    seen.add(next);
    Object.freeze(next);
    if (next instanceof Map) {
      for (const [k, v] of next) pending.push(k, v);
    } else if (next instanceof Set) {
      for (const member of next) pending.push(member);
    }
    for (const child of Object.values(next)) pending.push(child);
  }
  return value;
}
