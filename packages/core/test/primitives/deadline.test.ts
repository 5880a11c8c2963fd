import { describe, expect, it } from 'vitest';
import { TierError, TimeoutError } from '../../src/errors.js';
import { boundedCall, withTimeout } from '../../src/primitives/deadline.js';

describe('deadline', () => {
  it('withTimeout passes a value through and rejects with TimeoutError past the bound', async () => {
    expect(await withTimeout(Promise.resolve(1), 1000, 'fast')).toBe(1);
    const never = new Promise<number>(() => undefined);
    const started = Date.now();
    const error = await withTimeout(never, 30, 'slow call').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toContain('slow call');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('many bounds share the sweeper and each ends on its own time', async () => {
    const results = await Promise.allSettled(
      [20, 40, 60].map((ms) => withTimeout(new Promise<number>(() => undefined), ms, `t${ms}`)),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('boundedCall: past the bound a TimeoutError naming the tier; a client failure a TierError; a sync throw a rejection', async () => {
    const timedOut = await boundedCall('redis', 'get', 20, new Promise(() => undefined)).catch(
      (e: unknown) => e,
    );
    expect(timedOut).toBeInstanceOf(TimeoutError);
    expect((timedOut as Error).message).toContain('tier "redis" get');
    const failed = await boundedCall('redis', 'get', 100, Promise.reject(new Error('ECONNRESET'))).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(TierError);
    expect((failed as TierError).cause).toBeInstanceOf(Error);
    const thrown = await boundedCall('redis', 'set', 100, () => {
      throw new Error('sync');
    }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TierError);
  });
});
