import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
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
 * The default serializer: `JSON.stringify`/`JSON.parse`. `null`, finite numbers, strings,
 * booleans, arrays and plain objects round-trip. JSON changes some values silently, so L1 (which
 * keeps the value itself) and other instances (which read it back) disagree: a `Date` comes back
 * as an ISO string, a `Map` or `Set` as `{}`, `NaN`, `Infinity` and `-0` as `null` and `0`,
 * `undefined` object properties vanish, class instances lose their prototype. BigInt, circular
 * objects, functions and a top-level `undefined` are refused with a {@link SerializationError}.
 * Use {@link v8Serializer} to keep those values as they are.
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

/**
 * A structure-preserving serializer on `node:v8` (the structured clone format): `Date`, `Map`,
 * `Set`, `RegExp`, `BigInt`, typed arrays, `NaN`, `Infinity`, `-0`, `undefined` properties and
 * circular references come back as they were, so every instance reads what L1 holds. Class
 * instances still come back as plain objects; functions and symbols are refused.
 *
 * Binary (pass it as a tier's `serializer`), and Node-only: a value written by a newer Node.js
 * major may not be readable by an older one (it then reads as a miss with a
 * {@link DeserializationError}). Decoding runs V8's deserializer on bytes from the shared tier:
 * use it where that tier is as trusted as your process (see docs/security.md).
 */
export const v8Serializer: Serializer = {
  name: 'v8',
  format: 'binary',
  serialize(value: unknown): Uint8Array {
    if (value === undefined) {
      throw new SerializationError('undefined cannot be cached (it means a miss); store null instead');
    }
    try {
      return v8Serialize(value);
    } catch (error) {
      throw new SerializationError(
        `value cannot be serialized by node:v8 (${(error as Error).message}); functions, symbols and objects holding them cannot be cached`,
        error,
      );
    }
  },
  deserialize(data: string | Uint8Array): unknown {
    if (typeof data === 'string') {
      throw new DeserializationError('the v8 serializer reads bytes; the tier handed it a string');
    }
    try {
      return v8Deserialize(data);
    } catch (error) {
      throw new DeserializationError(
        `stored value is not in node:v8's format: ${(error as Error).message}`,
        error,
      );
    }
  },
};
