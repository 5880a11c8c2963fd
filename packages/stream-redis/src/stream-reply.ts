import type { StreamEntry, StreamFields } from '@tiercache/core';

/**
 * Turn one raw entry (`[id, [field, value, ...]]`) into a {@link StreamEntry}. XREADGROUP
 * reports entries deleted since delivery with `null` fields; they come back with no fields.
 */
export function toEntry(raw: unknown): StreamEntry {
  const [id, flat] = raw as [string, string[] | null];
  const fields: StreamFields = [];
  if (flat) for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i]!, flat[i + 1]!]);
  return { id, fields };
}

/** Entries of an XRANGE/XREVRANGE reply. */
export function toEntries(raw: unknown): StreamEntry[] {
  return Array.isArray(raw) ? raw.map(toEntry) : [];
}

/**
 * Entries of an XREAD/XREADGROUP reply for a single stream, or `[]` for the `null` Redis sends
 * when a blocking read times out. Over RESP2 the reply is `[[key, entries]]`; over RESP3 (the
 * default of ioredis 6) it is a map, which ioredis hands over flattened as `[key, entries]`.
 */
export function toReadEntries(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  if (typeof raw[0] === 'string') return toEntries(raw[1]);
  const [, entries] = raw[0] as [string, unknown];
  return toEntries(entries);
}
