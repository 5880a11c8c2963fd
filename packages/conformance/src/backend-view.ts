/**
 * `backend` as a tier of a `TieredCache` the case builds, without `close` (closing that cache
 * must not close the suite's backend) and with `overrides` (e.g. `local: false`, so a shared
 * in-process backend is used the way a shared remote tier is). Methods stay bound to the
 * backend itself, so classes with private fields work through it.
 */
export function borrowed<B extends object>(backend: B, overrides: Readonly<Record<string, unknown>> = {}): B {
  return new Proxy(backend, {
    get(target, property) {
      if (property === 'close') return undefined;
      if (typeof property === 'string' && Object.hasOwn(overrides, property)) return overrides[property];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
