import { randomBytes } from 'node:crypto';
import { InvalidTtlError, parseTtl } from '@tiercache/core';
import type { Cluster, Redis } from 'ioredis';
import { RELEASE_LOCK } from './lua-script.js';

/**
 * A single-instance Redis lease per key, under `lockPrefix` (apart from cache keys): taken with
 * `SET <lockPrefix><key> <random token> NX PX lease`, released only by the token holding it
 * (atomic compare-and-delete). `bounded` bounds each command the way the backend's calls are.
 */
export class RedisLock {
  constructor(
    readonly client: Redis | Cluster,
    readonly lockPrefix: string,
    readonly bounded: <T>(operation: string, work: Promise<T>) => Promise<T>,
  ) {}

  /** Take the lease `key` for `leaseMs`; resolves the token, or `undefined` while someone else holds it. */
  async acquire(key: string, leaseMs: number): Promise<string | undefined> {
    const parsed = parseTtl(leaseMs, 'leaseMs');
    if (parsed === undefined)
      throw new InvalidTtlError('leaseMs is required: how long the lock may be held, in ms');
    const token = randomBytes(16).toString('hex');
    const reply = await this.bounded(
      'acquireLock',
      this.client.set(this.lockPrefix + key, token, 'PX', Math.ceil(parsed), 'NX'),
    );
    return reply === 'OK' ? token : undefined;
  }

  /** Release the lease only if `token` still holds it; `true` when released. */
  async release(key: string, token: string): Promise<boolean> {
    const reply = await this.bounded(
      'releaseLock',
      RELEASE_LOCK.run(this.client, this.lockPrefix + key, token),
    );
    return reply === 1;
  }
}
