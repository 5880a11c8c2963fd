import type { CacheBackend } from '@tiercache/core';
import type { ResolvedCacheOptions } from './options.js';
import { pollUntil } from './polling.js';

/** A TTL no case waits out: entries written with it must be there for the whole case. */
export const LONG_TTL_MS = 60_000;

/** How the cache cases write "no expiry" and wait for an entry to expire, for one backend. */
export interface CaseTtl {
  /** The backend can store an entry without a TTL (it does not declare `lacks: ['noExpiry']`). */
  noExpiry: boolean;
  /** The TTL to write when a case means "no expiry" but the backend cannot do that. */
  foreverTtl: number | undefined;
  /** Poll until `key` reads as a miss; resolves whether it did within `expiryBoundMs`. */
  expiresWithin(b: CacheBackend, key: string): Promise<boolean>;
}

/** The {@link CaseTtl} for the options a suite runs with. */
export function caseTtl(o: ResolvedCacheOptions): CaseTtl {
  const noExpiry = !o.lacks.has('noExpiry');
  return {
    noExpiry,
    foreverTtl: noExpiry ? undefined : LONG_TTL_MS,
    expiresWithin: (b, key) => pollUntil(async () => (await b.get(key)) === undefined, o.expiryBoundMs),
  };
}
