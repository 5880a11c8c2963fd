/**
 * The stored form of a value in `ttlSource: 'envelope'` mode: the absolute expiry travels in
 * front of the serializer's output, so a read needs only GET (not GET + PTTL).
 *
 *   byte 0       0x01 (SOH): JSON text never starts with it, so a plain value is told apart
 *   bytes 1..n   the expiry as ASCII decimal digits (Unix time in ms), none for "never"
 *   byte n+1     0x02 (STX): end of the header
 *   the rest     the serializer's output, unchanged
 *
 * The header is ASCII so that it survives string replies (ioredis decodes them as UTF-8) and
 * reads the same in Buffer replies. Anything that does not match it exactly (marker, 0 to 16
 * digits, terminator) is a plain value: written by another client or in `'server'` mode.
 */
const MARKER = 0x01;
const END = 0x02;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** 16 digits reach far past any real clock (year 318857); longer runs are not headers. */
const MAX_DIGITS = 16;
const NEVER_HEADER = '\u0001\u0002';

/** A header taken apart: when the entry expires and where the serializer's output starts. */
export interface EnvelopeHeader {
  /** Unix time in ms, or `undefined` when the entry never expires. */
  expiresAt: number | undefined;
  /** Index of the first payload character (string) or byte (Buffer). */
  start: number;
}

/** Prefix `data` (a string serializer's output) with its expiry; `undefined` = never. */
export function sealString(data: string, expiresAt: number | undefined): string {
  return expiresAt === undefined ? NEVER_HEADER + data : `\u0001${expiresAt}\u0002${data}`;
}

/** Prefix `data` (a binary serializer's output) with its expiry; `undefined` = never. */
export function sealBuffer(data: Buffer, expiresAt: number | undefined): Buffer {
  const header = expiresAt === undefined ? NEVER_HEADER : `\u0001${expiresAt}\u0002`;
  const out = Buffer.allocUnsafe(header.length + data.byteLength);
  out.write(header, 0, 'latin1');
  data.copy(out, header.length);
  return out;
}

/** The header of a string reply, or `undefined` when it holds a plain value. */
export function readStringHeader(raw: string): EnvelopeHeader | undefined {
  if (raw.charCodeAt(0) !== MARKER) return undefined;
  const limit = Math.min(raw.length, MAX_DIGITS + 2);
  let expiresAt = 0;
  for (let i = 1; i < limit; i++) {
    const c = raw.charCodeAt(i);
    if (c === END) return { expiresAt: i === 1 ? undefined : expiresAt, start: i + 1 };
    if (c < DIGIT_0 || c > DIGIT_9) return undefined;
    expiresAt = expiresAt * 10 + (c - DIGIT_0);
  }
  return undefined;
}

/** The header of a Buffer reply, or `undefined` when it holds a plain value. */
export function readBufferHeader(raw: Buffer): EnvelopeHeader | undefined {
  if (raw[0] !== MARKER) return undefined;
  const limit = Math.min(raw.length, MAX_DIGITS + 2);
  let expiresAt = 0;
  for (let i = 1; i < limit; i++) {
    const c = raw[i]!;
    if (c === END) return { expiresAt: i === 1 ? undefined : expiresAt, start: i + 1 };
    if (c < DIGIT_0 || c > DIGIT_9) return undefined;
    expiresAt = expiresAt * 10 + (c - DIGIT_0);
  }
  return undefined;
}
