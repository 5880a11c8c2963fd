import { describe, expect, it } from 'vitest';
import { eventually } from '../src/eventually.js';

describe('eventually', () => {
  it('resolves with the first truthy value, sync or async', async () => {
    let n = 0;
    await expect(eventually(() => ++n >= 3 && n)).resolves.toBe(3);
    await expect(eventually(async () => 'ready')).resolves.toBe('ready');
  });

  it('counts a check that throws as not yet', async () => {
    let n = 0;
    const value = await eventually(() => {
      if (++n < 3) throw new Error('not yet');
      return 'ok';
    });
    expect(value).toBe('ok');
    expect(n).toBe(3);
  });

  it('names what it awaited and the last value when it gives up', async () => {
    const delivered: string[] = [];
    await expect(
      eventually(() => delivered.find((m) => m === 'after'), {
        timeoutMs: 60,
        intervalMs: 10,
        message: 'the message sent after the reconnect',
      }),
    ).rejects.toThrow(
      /^eventually: waited 60 ms \(\d+ attempts\) for the message sent after the reconnect; the last attempt returned undefined$/,
    );
  });

  it('names the last error when the check kept throwing, and keeps it as the cause', async () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const failure = await eventually(
      () => {
        throw refused;
      },
      { timeoutMs: 30, message: 'Redis to answer' },
    ).catch((error: unknown) => error as Error);
    expect(failure.message).toMatch(
      /for Redis to answer; the last attempt threw Error: connect ECONNREFUSED 127\.0\.0\.1:1$/,
    );
    expect(failure.cause).toBe(refused);
  });

  it('without a message, quotes the check it awaited', async () => {
    const stats = { applied: 0 };
    await expect(eventually(() => stats.applied === 2, { timeoutMs: 30 })).rejects.toThrow(
      'for `() => stats.applied === 2`; the last attempt returned false',
    );
  });
});
