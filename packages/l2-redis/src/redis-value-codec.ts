import type { Serializer, ValueWithTtl } from '@tiercache/core';
import { ValueCodec } from '@tiercache/core/adapter';
import {
  type EnvelopeHeader,
  readBufferHeader,
  readStringHeader,
  sealBuffer,
  sealString,
} from './expiry-envelope.js';
import { isDeletionMark } from './guarded-writes.js';

/** What {@link RedisValueCodec.withTtl} answers for a value without an expiry envelope. */
export const PLAIN: unique symbol = Symbol('plain value');

/**
 * How a value is stored in Redis and read back: the serializer's output, behind an expiry
 * header in envelope mode; deletion marks read as a miss. The error policy is core's
 * (`contracts.ts`, applied by the kit's `ValueCodec`): a value that cannot be encoded rejects
 * the write with `SerializationError`, stored bytes that cannot be decoded reject the read with
 * `DeserializationError`.
 */
export class RedisValueCodec<V> {
  readonly #codec: ValueCodec;
  readonly #envelope: boolean;

  constructor(serializer: Serializer, envelope: boolean) {
    this.#codec = new ValueCodec(serializer);
    this.#envelope = envelope;
  }

  /** The stored form of `value`, expiring `ttl` ms from now (`undefined` = never). */
  encode(value: V, ttl: number | undefined): string | Buffer {
    const data = this.#codec.encode(value);
    const expiresAt = ttl === undefined ? undefined : Date.now() + ttl;
    if (typeof data === 'string') return this.#envelope ? sealString(data, expiresAt) : data;
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.#envelope ? sealBuffer(bytes, expiresAt) : bytes;
  }

  /**
   * A stored value, in either form: an envelope (its own expiry honoured: expired reads as a
   * miss) or a plain value (another client's, or `'server'` mode). `undefined` for a miss or a
   * deletion mark.
   */
  decode(raw: string | Buffer | null | undefined): V | undefined {
    if (raw === null || raw === undefined || isDeletionMark(raw)) return undefined;
    const header = this.header(raw);
    if (header === undefined) return this.#codec.decode(raw) as V;
    if (header.expiresAt !== undefined && header.expiresAt <= Date.now()) return undefined;
    return this.payload(raw, header);
  }

  /**
   * A stored value with the time its envelope says it has left: `undefined` for a miss, a
   * deletion mark or an expired entry, {@link PLAIN} for a plain value (no envelope: the
   * caller asks Redis for PTTL).
   */
  withTtl(raw: string | Buffer | null): ValueWithTtl<V> | undefined | typeof PLAIN {
    if (raw === null || isDeletionMark(raw)) return undefined;
    const header = this.header(raw);
    if (header === undefined) return PLAIN;
    let ttlMs: number | undefined;
    if (header.expiresAt !== undefined) {
      ttlMs = header.expiresAt - Date.now();
      // Already over by the writer's clock, even if Redis (on its own clock) still holds it.
      if (ttlMs <= 0) return undefined;
    }
    return { value: this.payload(raw, header), ttlMs };
  }

  /** The expiry header of a stored value, or `undefined` for a plain value. */
  header(raw: string | Buffer): EnvelopeHeader | undefined {
    return typeof raw === 'string' ? readStringHeader(raw) : readBufferHeader(raw);
  }

  /** The value behind `header` (decoded). */
  payload(raw: string | Buffer, header: EnvelopeHeader): V {
    const data = typeof raw === 'string' ? raw.slice(header.start) : raw.subarray(header.start);
    return this.#codec.decode(data) as V;
  }
}
