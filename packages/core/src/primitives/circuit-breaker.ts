import { OptionReader } from '../adapter-kit/options.js';
import type { Duration } from '../ttl.js';

/** Options for the circuit breaker around each remote tier. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long an open breaker skips the tier before letting one probe through. Default 5 s. */
  open?: Duration;
  /** @deprecated use `open` (a {@link Duration}); kept for one minor release. */
  openMs?: number;
}

/** `closed`: calls flow. `open`: calls are skipped. `half-open`: one probe call decides. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A consecutive-failure circuit breaker. While open, the tier is skipped at no cost (no
 * timeout to wait out); after `openMs` one probe call is let through, and its outcome closes
 * or re-opens the breaker.
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #onChange: (state: BreakerState) => void;
  #failures = 0;
  #openUntil = 0;
  #probing = false;

  /** @param component - who the option errors name (a tier's breaker: `TieredCache: tiers[0].breaker`). */
  constructor(
    options: CircuitBreakerOptions,
    onChange: (state: BreakerState) => void,
    component = 'breaker',
  ) {
    const read = new OptionReader<CircuitBreakerOptions>(component, options, [
      'failureThreshold',
      'open',
      'openMs',
    ]);
    this.#threshold = read.integer('failureThreshold', 1, 5);
    this.#openMs =
      options.open !== undefined ? read.duration('open', 5000) : read.number('openMs', { min: 1 }, 5000);
    this.#onChange = onChange;
  }

  /** `true` when a call may go to the tier now. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (Date.now() < this.#openUntil) return false;
      this.#set('half-open');
    }
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /** Record a successful call. */
  success(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.state !== 'closed') this.#set('closed');
  }

  /** Record a failed call. */
  failure(): void {
    this.#probing = false;
    this.#failures++;
    if (this.state === 'half-open' || (this.state === 'closed' && this.#failures >= this.#threshold)) {
      this.#openUntil = Date.now() + this.#openMs;
      this.#set('open');
    }
  }

  #set(state: BreakerState): void {
    this.state = state;
    this.#onChange(state);
  }
}
