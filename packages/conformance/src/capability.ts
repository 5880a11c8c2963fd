import { CAPABILITY_METHODS } from '@tiercache/core';
import { expect, it } from 'vitest';
import type { CacheCapability, ResolvedCacheOptions } from './options.js';

export { CAPABILITY_METHODS };

/**
 * Fail with a message that says how to fix it when a backend is missing a method the suite
 * was told to expect; narrows the type so the case can call it.
 */
export function assertHasMethods<B extends object, K extends keyof B & string>(
  backend: B,
  capability: CacheCapability,
  ...methods: K[]
): asserts backend is B & Required<Pick<B, K>> {
  for (const method of methods) {
    if (typeof backend[method] !== 'function') {
      throw new Error(
        `backend has no ${method}(); implement it, or pass lacks: ['${capability}'] if the backend deliberately does without`,
      );
    }
  }
}

/**
 * Register either the capability's cases (`present`) or, when the backend declares it lacks
 * the capability, one case asserting its methods are absent: a backend must not offer a stub
 * that throws, since the manager decides what to call by checking for the method.
 */
export function capabilityCases(
  capability: Exclude<CacheCapability, 'noExpiry'>,
  options: Pick<ResolvedCacheOptions, 'lacks'>,
  backend: () => object,
  present: () => void,
): void {
  if (!options.lacks.has(capability)) {
    present();
    return;
  }
  const methods = CAPABILITY_METHODS[capability];
  it(`lacks ${capability}: ${methods.map((m) => `${m}()`).join(' and ')} ${methods.length > 1 ? 'are' : 'is'} absent`, () => {
    const b = backend() as Record<string, unknown>;
    for (const method of methods) {
      expect(b[method], `lacks: ['${capability}'] was declared, so ${method} must not exist`).toBeUndefined();
    }
  });
}
