import { afterEach, describe, expect, it, vi } from 'vitest';
import { type BreakerState, CircuitBreaker } from '../../src/primitives/circuit-breaker.js';

describe('CircuitBreaker', () => {
  afterEach(() => vi.useRealTimers());

  it('opens after failureThreshold consecutive failures; a success in between resets the count', () => {
    const states: BreakerState[] = [];
    const breaker = new CircuitBreaker({ failureThreshold: 3, open: '1s' }, (s) => states.push(s));
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.allow()).toBe(false);
    expect(states).toEqual(['open']);
  });

  it('after the open time lets exactly one probe through; its success closes, its failure re-opens', () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ failureThreshold: 1, open: 1000 }, () => undefined);
    breaker.failure();
    vi.advanceTimersByTime(999);
    expect(breaker.allow()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(breaker.allow()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allow()).toBe(false);
    breaker.failure();
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1000);
    expect(breaker.allow()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('takes the deprecated openMs, and rejects unknown or bad options with the kit message', () => {
    expect(() => new CircuitBreaker({ openMs: 10 }, () => undefined)).not.toThrow();
    expect(() => new CircuitBreaker({ failureTreshold: 2 } as never, () => undefined)).toThrow(
      'breaker: unknown option "failureTreshold"; did you mean "failureThreshold"?',
    );
    expect(() => new CircuitBreaker({ failureThreshold: 0 }, () => undefined)).toThrow(
      'breaker: failureThreshold must be a whole number >= 1, got 0',
    );
  });
});
