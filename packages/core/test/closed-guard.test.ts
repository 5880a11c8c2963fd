import { describe, expect, it } from 'vitest';
import { ClosedGuard } from '../src/adapter-kit/closed-guard.js';
import { ClosedError } from '../src/errors.js';

describe('ClosedGuard', () => {
  it('is closed before release runs, so what release sets off already sees it closed', async () => {
    const guard = new ClosedGuard('Demo "a"');
    let seen: boolean | undefined;
    let thrown: unknown;
    await guard.close(() => {
      seen = guard.closed;
      try {
        guard.check();
      } catch (error) {
        thrown = error;
      }
    });
    expect(seen).toBe(true);
    expect(thrown).toBeInstanceOf(ClosedError);
  });

  it('runs release once: every close() returns the first one’s promise', async () => {
    const guard = new ClosedGuard('Demo "b"');
    let runs = 0;
    const first = guard.close(async () => {
      runs++;
    });
    const second = guard.close(async () => {
      runs++;
    });
    expect(second).toBe(first);
    await first;
    expect(runs).toBe(1);
    expect(() => guard.check()).toThrow('Demo "b"');
  });
});
