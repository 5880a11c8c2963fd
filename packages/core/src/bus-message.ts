import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidOptionError } from './errors.js';
import { MAX_TTL_MS } from './ttl.js';

/**
 * One bus message on the wire (format 2): the invalidations a sender batched into one publish,
 * its id and its sequence number. Every field is checked on receipt ({@link decodeBusMessage});
 * anything else is rejected, never acted on.
 */
export interface BusMessage {
  v: 2;
  /** The sender's instance id. */
  src: string;
  /** The sender's message number: 1, 2, 3... A jump means messages were lost. */
  seq: number;
  /** Keys to drop from local tiers (each `delete`, `invalidate` and broadcast `set`), duplicates removed. */
  keys?: string[];
  /** Globs whose matching keys to drop from local tiers. */
  patterns?: string[];
  /** Drop every local entry. */
  clear?: true;
  /**
   * Tag invalidations: `[tag, time]` pairs, the time in wall-clock ms (fractions allowed) at
   * which every entry carrying the tag and written at or before it became a miss.
   */
  tags?: [string, number][];
}

/** Why a received bus message was dropped (the `bus:rejected` event's `reason`). */
export type BusRejectReason =
  /** Not a string, not JSON, or JSON that is not a format-2 message (a missing or wrongly typed field, an unknown field). */
  | 'malformed'
  /** Over `bus.maxMessageBytes`, or more keys or patterns than one message may carry. */
  | 'too-large'
  /** A secret is configured and the message is unsigned or its signature matches no key. */
  | 'signature'
  /** A sequence number further ahead of the sender's last one than `bus.maxSeqJump`. */
  | 'seq-jump';

/** Limits a receiver applies before acting on a message. */
export interface BusMessageLimits {
  maxMessageBytes: number;
  /** Keys plus patterns one message may carry. */
  maxItems: number;
}

/** Longest sender id accepted (instance ids are UUIDs, 36 characters). */
const MAX_SRC_LENGTH = 128;
/** Longest pattern accepted; the glob matcher is linear, this only bounds the work per key. */
const MAX_PATTERN_LENGTH = 4096;
/** Longest tag accepted on the wire (the cache's own limit, `MAX_TAG_LENGTH`, is lower). */
const MAX_WIRE_TAG_LENGTH = 4096;
const ALLOWED_FIELDS = new Set(['v', 'src', 'seq', 'keys', 'patterns', 'clear', 'tags']);

/**
 * Keys for message authentication: the first signs, every one verifies (rotation: put the new
 * key first and keep the old one second until every instance has the new one).
 */
export class BusSigner {
  readonly #keys: Buffer[];

  constructor(secret: string | Uint8Array | readonly (string | Uint8Array)[]) {
    const list = typeof secret === 'string' || secret instanceof Uint8Array ? [secret] : secret;
    if (!Array.isArray(list) || list.length < 1 || list.length > 2) {
      throw new InvalidOptionError(
        'bus.secret must be a secret (string or bytes) or a list of two: [new, old] while rotating',
      );
    }
    this.#keys = list.map((key, i) => {
      const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key as Uint8Array);
      if ((typeof key !== 'string' && !(key instanceof Uint8Array)) || bytes.length < 16) {
        throw new InvalidOptionError(
          `bus.secret${list.length > 1 ? `[${i}]` : ''} must be at least 16 bytes (e.g. crypto.randomBytes(32).toString("base64")); a short secret can be guessed`,
        );
      }
      return bytes;
    });
  }

  /** `<signature>.<body>`: HMAC-SHA256 over the channel and the body, base64url. */
  sign(channel: string, body: string): string {
    return `${this.#mac(this.#keys[0]!, channel, body)}.${body}`;
  }

  /** The body of a signed message when a key verifies it, else `undefined`. */
  verify(channel: string, wire: string): string | undefined {
    const dot = wire.indexOf('.');
    if (dot !== 43) return undefined; // 32 bytes of base64url without padding
    const given = Buffer.from(wire.slice(0, dot), 'base64url');
    if (given.length !== 32) return undefined;
    const body = wire.slice(dot + 1);
    for (const key of this.#keys) {
      if (timingSafeEqual(given, Buffer.from(this.#mac(key, channel, body), 'base64url'))) return body;
    }
    return undefined;
  }

  #mac(key: Buffer, channel: string, body: string): string {
    return createHmac('sha256', key).update(channel).update('\n').update(body).digest('base64url');
  }
}

/** The JSON text of a message. */
export function encodeBusMessage(message: BusMessage): string {
  return JSON.stringify(message);
}

/** A received message, checked: the message, or why it was rejected. */
export type DecodedBusMessage =
  | { ok: true; message: BusMessage }
  | { ok: false; reason: BusRejectReason; src?: string };

/**
 * Check a received message against the format before anything acts on it. Never throws:
 * whatever arrives (a non-string, `null`, `"null"`, 100 MB, a prototype-polluting object) ends
 * as a rejection with a reason.
 */
export function decodeBusMessage(
  wire: unknown,
  channel: string,
  limits: BusMessageLimits,
  signer: BusSigner | undefined,
): DecodedBusMessage {
  if (typeof wire !== 'string') return { ok: false, reason: 'malformed' };
  // Characters are at most 3 UTF-8 bytes each: measure bytes only when the length cannot decide.
  if (
    wire.length > limits.maxMessageBytes ||
    (wire.length * 3 > limits.maxMessageBytes && Buffer.byteLength(wire) > limits.maxMessageBytes)
  ) {
    return { ok: false, reason: 'too-large' };
  }
  let body = wire;
  if (signer) {
    const verified = signer.verify(channel, wire);
    if (verified === undefined) return { ok: false, reason: 'signature' };
    body = verified;
  } else if (wire.charCodeAt(0) !== 0x7b /* { */) {
    // A signed message reaching an instance without the secret: read the body, unverified.
    const dot = wire.indexOf('.');
    if (dot > 0) body = wire.slice(dot + 1);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'malformed' };
  }
  const m = parsed as Record<string, unknown>;
  const src = typeof m.src === 'string' && m.src.length <= MAX_SRC_LENGTH ? m.src : undefined;
  const bad = (reason: BusRejectReason): DecodedBusMessage =>
    src === undefined ? { ok: false, reason } : { ok: false, reason, src };
  for (const field of Object.keys(m)) if (!ALLOWED_FIELDS.has(field)) return bad('malformed');
  if (m.v !== 2 || src === undefined || src.length === 0) return bad('malformed');
  if (typeof m.seq !== 'number' || !Number.isSafeInteger(m.seq) || m.seq < 1) return bad('malformed');
  if (m.clear !== undefined && m.clear !== true) return bad('malformed');
  if (!isStringList(m.keys, Number.POSITIVE_INFINITY) || !isStringList(m.patterns, MAX_PATTERN_LENGTH)) {
    return bad('malformed');
  }
  if (!isTagTimeList(m.tags)) return bad('malformed');
  const keys = m.keys as string[] | undefined;
  const patterns = m.patterns as string[] | undefined;
  const tags = m.tags as [string, number][] | undefined;
  if ((keys?.length ?? 0) + (patterns?.length ?? 0) + (tags?.length ?? 0) > limits.maxItems) {
    return bad('too-large');
  }
  if (m.clear === undefined && !keys?.length && !patterns?.length && !tags?.length) return bad('malformed');
  const message: BusMessage = { v: 2, src, seq: m.seq };
  if (keys?.length) message.keys = keys;
  if (patterns?.length) message.patterns = patterns;
  if (tags?.length) message.tags = tags.map(([tag, at]) => [tag, at]);
  if (m.clear) message.clear = true;
  return { ok: true, message };
}

/** `[tag, time]` pairs: a non-empty tag, a finite time >= 0 below `MAX_TTL_MS` (no Infinity, no NaN). */
function isTagTimeList(value: unknown): boolean {
  if (value === undefined) return true;
  if (!Array.isArray(value)) return false;
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2) return false;
    const [tag, at] = pair as unknown[];
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_WIRE_TAG_LENGTH) return false;
    if (typeof at !== 'number' || !Number.isFinite(at) || at < 0 || at > MAX_TTL_MS) return false;
  }
  return true;
}

function isStringList(value: unknown, maxLength: number): boolean {
  if (value === undefined) return true;
  if (!Array.isArray(value)) return false;
  for (const item of value) {
    if (typeof item !== 'string' || item.length === 0 || item.length > maxLength) return false;
  }
  return true;
}
