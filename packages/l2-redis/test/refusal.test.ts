import { randomUUID } from 'node:crypto';
import { requireServer } from '@tiercache/test-kit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { batchRefused, isIoredisRefusal } from '../src/refusal.js';

const url = await requireServer('redis');

/** The error a real Redis answers `command` with. */
async function replyTo(redis: Redis, command: string, ...args: (string | number)[]): Promise<unknown> {
  return redis.call(command, ...args).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe.skipIf(!url)('which Redis replies are refusals (never retried)', () => {
  const redis = new Redis(url!);
  const key = `refusal:${randomUUID()}`;
  afterAll(async () => {
    await redis.del(key, `${key}:list`);
    redis.disconnect();
  });

  it('refuses the request itself: a bad expiry, an out-of-range integer, a key of another type', async () => {
    await redis.rpush(`${key}:list`, 'a');
    const refusals = [
      await replyTo(redis, 'SET', key, 'v', 'PX', '-5'),
      await replyTo(redis, 'SET', key, 'v', 'PX', '99999999999999999999'),
      await replyTo(redis, 'GET', `${key}:list`),
    ];
    for (const error of refusals)
      expect([String(error), isIoredisRefusal(error)]).toEqual([String(error), true]);
  });

  it('depends on the server: unknown commands, scripts errors and a client-side failure are not refusals', async () => {
    const others = [
      await replyTo(redis, 'NOSUCHCOMMAND'),
      await replyTo(redis, 'EVAL', "return redis.error_reply('OOM pretend')", 0),
      new Error('Connection is closed.'),
      'not an error',
    ];
    for (const error of others)
      expect([String(error), isIoredisRefusal(error)]).toEqual([String(error), false]);
  });

  it('a refused batch is reported to each of its writes as a plain failure, not as a refusal', async () => {
    const refused = await replyTo(redis, 'GET', `${key}:list`);
    const wrapped = batchRefused(refused, 3);
    expect(isIoredisRefusal(wrapped)).toBe(false);
    expect((wrapped as Error).cause).toBe(refused);
    const other = new Error('Connection is closed.');
    expect(batchRefused(other, 3)).toBe(other);
  });
});
