import { DeserializationError } from '@tiercache/core';

/**
 * The stored form of a value: memcached cannot tell how long an item has left, so the
 * absolute expiry travels with the payload.
 *
 *   byte 0      format marker (0xc1: envelope version 1)
 *   bytes 1-8   expiry, Unix time in ms as a big-endian float64; 0 = never expires
 *   bytes 9-    the serializer's payload (UTF-8 for string serializers)
 */
const MARKER = 0xc1;

/** Bytes the envelope adds in front of the payload. */
export const ENVELOPE_HEADER_BYTES = 9;

/** An envelope taken apart. */
export interface OpenedEnvelope {
  /** Unix time in ms when the entry expires, or `undefined` when it never does. */
  expiresAt: number | undefined;
  /** The serializer's bytes. */
  payload: Buffer;
}

/** Wrap a serialized payload with its absolute expiry (`undefined` = never). */
export function sealEnvelope(payload: string | Uint8Array, expiresAt: number | undefined): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + body.byteLength);
  out[0] = MARKER;
  out.writeDoubleBE(expiresAt ?? 0, 1);
  out.set(body, ENVELOPE_HEADER_BYTES);
  return out;
}

/**
 * Take an envelope apart. Throws `DeserializationError` when the bytes are not an envelope
 * (written by another client, or by a different format version).
 */
export function openEnvelope(data: Buffer): OpenedEnvelope {
  if (data.byteLength < ENVELOPE_HEADER_BYTES || data[0] !== MARKER) {
    throw new DeserializationError(
      'stored item is not a tiercache envelope (written by another client or format?); remove the key or use another namespace',
    );
  }
  const expiresAt = data.readDoubleBE(1);
  if (!Number.isFinite(expiresAt) || expiresAt < 0) {
    throw new DeserializationError('stored item has a corrupt expiry header; remove the key');
  }
  return {
    expiresAt: expiresAt === 0 ? undefined : expiresAt,
    payload: data.subarray(ENVELOPE_HEADER_BYTES),
  };
}
