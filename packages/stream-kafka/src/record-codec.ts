import type { StreamFields } from '@tiercache/core';

/**
 * Fields travel as the record value, a JSON array of `[field, value]` pairs: it keeps order
 * and duplicate names (Kafka headers in kafkajs are an object, which keeps neither), and any
 * Kafka tool can read it.
 */
export function encodeFields(fields: StreamFields): string {
  return JSON.stringify(fields);
}

/**
 * Turn a record value back into fields. A record another producer wrote in another shape
 * comes back as one `["value", <text>]` pair rather than an error: throwing would leave
 * every reader stuck before that offset for good.
 */
export function decodeFields(value: Buffer | null): StreamFields {
  if (value === null) return [];
  const text = value.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed) && parsed.every(isPair)) return parsed;
  } catch {
    // Not ours; fall through to the raw form.
  }
  return [['value', text]];
}

function isPair(item: unknown): item is [string, string] {
  return (
    Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && typeof item[1] === 'string'
  );
}
