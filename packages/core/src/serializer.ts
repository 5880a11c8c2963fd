import { DeserializationError, SerializationError } from './errors.js';

/**
 * Turns values into bytes for remote tiers and back. In-process tiers never serialize.
 * `format` tells an adapter whether to read strings or buffers from its server.
 */
export interface Serializer {
  /** A short name, e.g. `"json"`. */
  readonly name: string;
  /** `"string"` serializers produce text; `"binary"` ones produce `Uint8Array`s. */
  readonly format: 'string' | 'binary';
  /** Encode a value; throws {@link SerializationError} for values it cannot encode. */
  serialize(value: unknown): string | Uint8Array;
  /** Decode what `serialize` produced; throws {@link DeserializationError} on bad input. */
  deserialize(data: string | Uint8Array): unknown;
}

const decoder = new TextDecoder();

/**
 * The default serializer: `JSON.stringify`/`JSON.parse`. `null`, numbers, strings, booleans,
 * arrays and plain objects round-trip; `Date`s come back as ISO strings. BigInt, circular
 * objects, functions and `undefined` are refused with a {@link SerializationError} instead of
 * being stored as something else.
 */
export const jsonSerializer: Serializer = {
  name: 'json',
  format: 'string',
  serialize(value: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw new SerializationError(
        `value cannot be serialized as JSON (${(error as Error).message}); pass a serializer that handles it`,
        error,
      );
    }
    if (text === undefined) {
      throw new SerializationError(
        `a ${typeof value} cannot be serialized as JSON; cache data, not ${typeof value}s`,
      );
    }
    return text;
  },
  deserialize(data: string | Uint8Array): unknown {
    const text = typeof data === 'string' ? data : decoder.decode(data);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new DeserializationError(`stored value is not valid JSON: ${(error as Error).message}`, error);
    }
  },
};
