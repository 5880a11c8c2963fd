import { DeserializationError, InvalidOptionError, SerializationError } from '../errors.js';
import type { Serializer } from '../serializer.js';
import { hasMethods, shown } from './options.js';

/**
 * A serializer with the one error policy every adapter follows (stated in `contracts.ts`):
 * a value that cannot be encoded rejects the write with `SerializationError` (the caller's
 * error: the key is left absent, the breaker untouched); a stored value that cannot be decoded
 * rejects the read with `DeserializationError` (`TieredCache` reports it as `tier:error`,
 * answers a miss and leaves the breaker closed). Whatever the serializer throws is wrapped,
 * with the serializer's name and the original as `cause`.
 */
export class ValueCodec {
  readonly serializer: Serializer;

  constructor(serializer: Serializer) {
    this.serializer = serializer;
  }

  /** `"string"` or `"binary"`: what to ask the server for. */
  get format(): 'string' | 'binary' {
    return this.serializer.format;
  }

  encode(value: unknown): string | Uint8Array {
    try {
      return this.serializer.serialize(value);
    } catch (error) {
      if (error instanceof SerializationError) throw error;
      throw new SerializationError(
        `serializer "${this.serializer.name}" cannot encode the value: ${messageOf(error)}`,
        error,
      );
    }
  }

  decode(data: string | Uint8Array): unknown {
    try {
      return this.serializer.deserialize(data);
    } catch (error) {
      if (error instanceof DeserializationError) throw error;
      throw new DeserializationError(
        `serializer "${this.serializer.name}" cannot decode the stored value: ${messageOf(error)}`,
        error,
      );
    }
  }
}

/**
 * The `serializer` option of a backend: a {@link Serializer} with its `format`, or an
 * `InvalidOptionError` in the option kit's format. Every backend with a serializer checks it so.
 */
export function checkSerializer(component: string, value: unknown): Serializer {
  const format = (value as Partial<Serializer> | null)?.format;
  if (!isSerializer(value) || (format !== 'string' && format !== 'binary')) {
    throw new InvalidOptionError(
      `${component}: serializer must be a Serializer (serialize(), deserialize() and format "string" or "binary"), got ${shown(value)}`,
    );
  }
  return value;
}

/** `true` for an object with `serialize` and `deserialize` methods. */
export function isSerializer(value: unknown): value is Serializer {
  return hasMethods(value, ['serialize', 'deserialize']);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
