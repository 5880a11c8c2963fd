import { Buffer } from 'node:buffer';
import { DeserializationError } from '@tiercache/core';

/** What Keyv hands a store and expects back: the value and its absolute expiry in ms. */
export interface KeyvEnvelope {
  value?: unknown;
  expires?: number | undefined;
}

/** Turns the text Keyv's serializer produced back into a {@link KeyvEnvelope}. */
export type KeyvDeserialize = (data: string) => KeyvEnvelope | undefined | Promise<KeyvEnvelope | undefined>;

/**
 * Decode Keyv's default text format (the one `@keyv/serialize` writes): JSON in which a
 * Buffer is the string `":base64:<data>"` and a string that itself starts with `:` carries
 * one extra leading `:`.
 */
export const keyvDefaultDeserialize: KeyvDeserialize = (data) => {
  try {
    return JSON.parse(data, (_key, value: unknown) => {
      if (typeof value !== 'string' || !value.startsWith(':')) return value;
      if (value.startsWith(':base64:')) return Buffer.from(value.slice(8), 'base64');
      return value.slice(1);
    }) as KeyvEnvelope | undefined;
  } catch (error) {
    throw new DeserializationError(
      `Keyv handed the store text that is not in Keyv's default format (${(error as Error).message}); pass the Keyv's deserialize function to toKeyvStore({ deserialize })`,
      error,
    );
  }
};

/** `true` when `input` has the `{ value, expires }` shape Keyv gives a store when it does not serialize. */
export function isKeyvEnvelope(input: unknown): input is KeyvEnvelope {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const expires = (input as KeyvEnvelope).expires;
  return 'value' in input && (expires === undefined || expires === null || typeof expires === 'number');
}
