import type { StreamFields } from '../contracts.js';
import { InvalidOptionError, InvalidStreamNameError, InvalidValueError } from '../errors.js';
import { parseStreamId } from '../stream-id.js';

/**
 * The argument rules every `StreamingBackend` applies, so the same call gets the same answer
 * from Redis Streams, Kafka, the in-memory stream, and a user's own backend (the conformance
 * suite checks them). Each throws a typed error at the call, before anything is sent.
 */

/** Longest wait a timer can take (Node clamps longer ones to 1 ms with a warning). */
export const MAX_BLOCK_MS = 2 ** 31 - 1;

/** A stream name: a non-empty string. */
export function checkStreamName(component: string, stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new InvalidStreamNameError(
      `${component}: a stream name must be a non-empty string, got ${JSON.stringify(stream)}`,
    );
  }
}

/** `count` of a read: a whole number >= 1. */
export function checkCount(component: string, operation: string, count: unknown): asserts count is number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw new InvalidOptionError(
      `${component}.${operation}: count must be a whole number >= 1, got ${String(count)}`,
    );
  }
}

/**
 * The options argument of `streamAdd`, `streamRead` (and a backend's own read extensions):
 * absent or an object. `streamAdd(s, fields, 1000)` is a mistake, not a `maxLen`, and `null`
 * would otherwise fail as a `TypeError` on the first option read.
 */
export function checkStreamOptions(component: string, operation: string, options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const example = operation === 'streamAdd' ? '{ maxLen: 1000 }' : '{ blockMs: 1000 }';
    throw new InvalidOptionError(
      `${component}.${operation}: options must be an object such as ${example}, got ${shownPair(options)}`,
    );
  }
}

/** `maxLen` of an add: absent, or a whole number >= 1 (0 would keep nothing, not even the entry added). */
export function checkMaxLen(component: string, maxLen: unknown): number | undefined {
  if (maxLen === undefined) return undefined;
  if (typeof maxLen !== 'number' || !Number.isSafeInteger(maxLen) || maxLen < 1) {
    throw new InvalidOptionError(
      `${component}.streamAdd: maxLen must be a whole number >= 1, got ${String(maxLen)}; leave it out to keep every entry`,
    );
  }
  return maxLen;
}

/**
 * `blockMs` of a read, as whole milliseconds: absent or 0 = do not wait; a fraction rounds up
 * (a wait of 0.5 ms is a wait, not "forever" as `BLOCK 0` is to Redis); at most {@link MAX_BLOCK_MS}.
 */
export function checkBlockMs(component: string, blockMs: unknown): number {
  if (blockMs === undefined || blockMs === 0) return 0;
  if (typeof blockMs !== 'number' || !Number.isFinite(blockMs) || blockMs < 0) {
    throw new InvalidOptionError(
      `${component}: blockMs must be a finite number of milliseconds >= 0, got ${String(blockMs)}`,
    );
  }
  if (blockMs > MAX_BLOCK_MS) {
    throw new InvalidOptionError(
      `${component}: blockMs must be at most ${MAX_BLOCK_MS} (about 24.8 days, the longest timer Node.js has), got ${blockMs}; read again in a loop to wait longer`,
    );
  }
  return Math.ceil(blockMs);
}

/** Fields of an entry: at least one `[field, value]` pair of strings, field names non-empty. */
export function checkFields(component: string, fields: unknown): asserts fields is StreamFields {
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new InvalidValueError(
      `${component}.streamAdd: an entry needs at least one [field, value] pair of strings`,
    );
  }
  for (const pair of fields) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw new InvalidValueError(
        `${component}.streamAdd: fields must be [field, value] pairs of strings, got ${shownPair(pair)}`,
      );
    }
    if (pair[0].length === 0) {
      throw new InvalidValueError(`${component}.streamAdd: a field name must be a non-empty string`);
    }
  }
}

/** A read position: `"0"`, `"$"` or `<ms>[-<seq>]` (throws `InvalidStreamIdError`). */
export function checkReadId(lastId: unknown): asserts lastId is string {
  if (lastId !== '$') parseStreamId(lastId as string);
}

function shownPair(pair: unknown): string {
  try {
    const text = JSON.stringify(pair) ?? String(pair);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof pair;
  }
}
