import { type Duration, parseTtl } from './ttl.js';

/** A named TTL policy, as in the seed's `CacheStrategy`. */
export interface CacheStrategy {
  /** `"RealTime"`, `"ShortTerm"`, `"MediumTerm"`, `"LongTerm"` or `"Custom"`. */
  readonly name: 'RealTime' | 'ShortTerm' | 'MediumTerm' | 'LongTerm' | 'Custom';
  /** The TTL the strategy gives an entry, in milliseconds. */
  readonly ttlMs: number;
}

/**
 * The seed's strategies: RealTime 10 s, ShortTerm 5 min, MediumTerm 1 h, LongTerm 3 h, and
 * `Strategy.Custom(ttl)` for anything else (a bad TTL throws `InvalidTtlError` right there).
 */
export const Strategy = {
  RealTime: { name: 'RealTime', ttlMs: 10_000 } as CacheStrategy,
  ShortTerm: { name: 'ShortTerm', ttlMs: 300_000 } as CacheStrategy,
  MediumTerm: { name: 'MediumTerm', ttlMs: 3_600_000 } as CacheStrategy,
  LongTerm: { name: 'LongTerm', ttlMs: 10_800_000 } as CacheStrategy,
  Custom(ttl: Duration): CacheStrategy {
    return { name: 'Custom', ttlMs: parseTtl(ttl, 'Strategy.Custom ttl') ?? 0 };
  },
} as const;
