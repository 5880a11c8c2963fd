import { InvalidOptionError } from '@tiercache/core';

/**
 * `value` when it is a positive integer, `fallback` when it is `undefined`; anything else is
 * an {@link InvalidOptionError} naming the option.
 */
export function positiveInteger(what: string, option: string, value: unknown, fallback: number): number;
export function positiveInteger(
  what: string,
  option: string,
  value: unknown,
  fallback?: undefined,
): number | undefined;
export function positiveInteger(
  what: string,
  option: string,
  value: unknown,
  fallback?: number,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(
      `${what}: ${option} must be a positive integer (milliseconds or a count), got ${String(value)}`,
    );
  }
  return value;
}
