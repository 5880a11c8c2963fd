import { InvalidStreamIdError } from './errors.js';

/**
 * Parse a Redis-style id (`"<ms>-<seq>"` or `"<ms>"`) into a comparable pair.
 * Exported for backends that reuse the format.
 */
export function parseStreamId(id: string): [ms: number, seq: number] {
  const match = typeof id === 'string' ? /^(\d{1,20})(?:-(\d{1,20}))?$/.exec(id) : null;
  if (!match) {
    throw new InvalidStreamIdError(
      `stream id "${String(id)}" is not "0", "$" or "<milliseconds>-<sequence>"`,
    );
  }
  // Both parts are unsigned 64-bit integers on Redis; a larger one is refused there too.
  for (const part of [match[1]!, match[2]]) {
    if (part !== undefined && BigInt(part) > MAX_ID_PART) {
      throw new InvalidStreamIdError(
        `stream id "${id}" has a part over 18446744073709551615 (2^64 - 1), the largest a stream id can hold`,
      );
    }
  }
  return [Number(match[1]), match[2] === undefined ? 0 : Number(match[2])];
}

const MAX_ID_PART = 2n ** 64n - 1n;

const ID_FORM = /^\d+(?:-\d+)*$/;

/**
 * The one order of stream ids, the same for every `StreamingBackend`: an id is whole numbers
 * joined by `-`, compared part by part as numbers (any size, leading zeros ignored); a
 * missing part counts as 0, so `"5"` and `"5-0"` are equal. This orders Redis ids
 * (`"1700000000000-10"` after `"1700000000000-9"`, which string order gets wrong), Kafka's
 * zero-padded `"<timestamp>-<partition>-<offset>"` ids and the in-memory stream's ids alike,
 * so consumer code can tell which of two entries of a stream came first on any backend.
 *
 * Resolves a negative number when `a` comes first, positive when `b` does, 0 when they name
 * the same position. Throws `InvalidStreamIdError` for anything that is not such an id
 * (`"$"` included: it names no entry).
 *
 * @example
 * ```ts fragment
 * entries.sort((x, y) => compareStreamIds(x.id, y.id));
 * if (compareStreamIds(entry.id, lastSeen) <= 0) return; // already handled
 * ```
 */
export function compareStreamIds(a: string, b: string): number {
  const left = idParts(a);
  const right = idParts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const order = compareWholeNumbers(left[i] ?? '0', right[i] ?? '0');
    if (order !== 0) return order;
  }
  return 0;
}

function idParts(id: string): string[] {
  if (typeof id !== 'string' || !ID_FORM.test(id)) {
    throw new InvalidStreamIdError(
      `stream id ${JSON.stringify(id)} cannot be compared: an id is whole numbers joined by "-", such as "1700000000000-0"`,
    );
  }
  return id.split('-');
}

/** Compare two strings of decimal digits by value, without a size limit. */
function compareWholeNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
