/** The data every scenario uses: about 120 bytes of JSON per value, 1000 hot keys. */

/** One cached value: a small user record, about 120 bytes once JSON-encoded. */
export interface BenchValue {
  id: number;
  name: string;
  email: string;
  active: boolean;
  score: number;
  tags: string[];
}

/** Number of hot keys in the L1 scenarios. */
export const HOT_KEYS = 1000;

/** A fresh value object for `id` (distinct objects, so memory figures are honest). */
export function makeValue(id: number): BenchValue {
  return {
    id,
    name: `user-${id.toString().padStart(7, '0')}`,
    email: `user-${id.toString().padStart(7, '0')}@example.com`,
    active: id % 3 !== 0,
    score: (id % 1000) / 4,
    tags: ['reader', 'beta'],
  };
}

/** Bytes of one value as JSON (for the report). */
export const VALUE_JSON_BYTES = Buffer.byteLength(JSON.stringify(makeValue(1234)));

/** `count` keys `${prefix}${i}`. */
export function makeKeys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** A short id unique to this process run, so keys of two runs never meet in a shared server. */
export const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;
