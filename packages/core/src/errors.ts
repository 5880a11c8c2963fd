/** Stable error codes; match on `error.code`, never on the message. */
export type TierCacheErrorCode =
  | 'TIERCACHE_BAD_TTL'
  | 'TIERCACHE_BAD_KEY'
  | 'TIERCACHE_KEY_TOO_LONG'
  | 'TIERCACHE_BAD_VALUE'
  | 'TIERCACHE_BAD_OPTION'
  | 'TIERCACHE_SERIALIZE'
  | 'TIERCACHE_DESERIALIZE'
  | 'TIERCACHE_VALUE_TOO_LARGE'
  | 'TIERCACHE_UNSUPPORTED'
  | 'TIERCACHE_CLOSED'
  | 'TIERCACHE_TIER_FAILED'
  | 'TIERCACHE_REFUSED'
  | 'TIERCACHE_TIMEOUT'
  | 'TIERCACHE_CIRCUIT_OPEN'
  | 'TIERCACHE_FACTORY_TIMEOUT'
  | 'TIERCACHE_FACTORY_FAILED'
  | 'TIERCACHE_NO_STREAM'
  | 'TIERCACHE_BAD_STREAM_NAME'
  | 'TIERCACHE_BAD_STREAM_ID';

/** Base class of every error tiercache throws on purpose (except the `TypeError`s below). */
export class TierCacheError extends Error {
  readonly code: TierCacheErrorCode;
  constructor(code: TierCacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A TTL that is negative, NaN, not finite where a finite one is needed, or unparsable. */
export class InvalidTtlError extends TypeError {
  readonly code = 'TIERCACHE_BAD_TTL' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTtlError';
  }
}

/** A key that is not a non-empty string, or holds characters a tier cannot store. */
export class InvalidKeyError extends TypeError {
  readonly code: 'TIERCACHE_BAD_KEY' | 'TIERCACHE_KEY_TOO_LONG';
  constructor(message: string, code: 'TIERCACHE_BAD_KEY' | 'TIERCACHE_KEY_TOO_LONG' = 'TIERCACHE_BAD_KEY') {
    super(message);
    this.code = code;
    this.name = code === 'TIERCACHE_KEY_TOO_LONG' ? 'KeyTooLongError' : 'InvalidKeyError';
  }
}

/** An option object that is wrong; thrown at construction, not on first use. */
export class InvalidOptionError extends TypeError {
  readonly code = 'TIERCACHE_BAD_OPTION' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOptionError';
  }
}

/** A value that cannot be cached (`undefined`, a function, a symbol). */
export class InvalidValueError extends TypeError {
  readonly code = 'TIERCACHE_BAD_VALUE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidValueError';
  }
}

/** A serializer failed to turn a value into bytes (circular object, BigInt under JSON, ...). */
export class SerializationError extends TierCacheError {
  constructor(message: string, cause?: unknown) {
    super('TIERCACHE_SERIALIZE', message, { cause });
  }
}

/** Stored bytes could not be turned back into a value; the entry is treated as a miss. */
export class DeserializationError extends TierCacheError {
  constructor(message: string, cause?: unknown) {
    super('TIERCACHE_DESERIALIZE', message, { cause });
  }
}

/** A value larger than a tier accepts. */
export class ValueTooLargeError extends TierCacheError {
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(tier: string, sizeBytes: number, limitBytes: number) {
    super(
      'TIERCACHE_VALUE_TOO_LARGE',
      `value of ${sizeBytes} bytes is over tier "${tier}"'s limit of ${limitBytes} bytes; store a smaller value or raise the tier's item size limit`,
    );
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** A capability a tier does not have (e.g. pattern delete on memcached). */
export class UnsupportedOperationError extends TierCacheError {
  readonly tier: string;
  constructor(tier: string, operation: string, hint = '') {
    super('TIERCACHE_UNSUPPORTED', `tier "${tier}" cannot ${operation}${hint ? `: ${hint}` : ''}`);
    this.tier = tier;
  }
}

/** A call on a cache or backend after `close()`. */
export class ClosedError extends TierCacheError {
  constructor(what: string) {
    super('TIERCACHE_CLOSED', `${what} is closed; create a new instance`);
  }
}

/** A tier's call failed; `cause` holds the backend's own error. */
export class TierError extends TierCacheError {
  readonly tier: string;
  readonly operation: string;
  constructor(tier: string, operation: string, cause: unknown) {
    super(
      'TIERCACHE_TIER_FAILED',
      `tier "${tier}" failed on ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.tier = tier;
    this.operation = operation;
  }
}

/**
 * The server answered and refused this request as invalid (a value over its size limit, a TTL
 * it cannot take, a key holding another type): the same request would be refused again, so it
 * is never retried, and it says nothing about the server's health (no breaker failure). `cause`
 * holds the client's own error, credentials removed. Adapters map their server's permanent
 * refusals onto it; everything else a server says (out of memory, read-only replica, loading)
 * stays a {@link TierError}, which missed-write replay retries.
 */
export class RefusedError extends TierCacheError {
  readonly tier: string;
  readonly operation: string;
  constructor(tier: string, operation: string, cause: unknown) {
    super(
      'TIERCACHE_REFUSED',
      `tier "${tier}" refused ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.tier = tier;
    this.operation = operation;
  }
}

/** A remote call took longer than its timeout. */
export class TimeoutError extends TierCacheError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super('TIERCACHE_TIMEOUT', `${what} did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A tier skipped because its circuit breaker is open. */
export class CircuitOpenError extends TierCacheError {
  constructor(tier: string) {
    super(
      'TIERCACHE_CIRCUIT_OPEN',
      `tier "${tier}" is skipped: its circuit breaker is open after repeated failures`,
    );
  }
}

/** A factory ran past its hard timeout. */
export class FactoryTimeoutError extends TierCacheError {
  constructor(key: string, timeoutMs: number) {
    super(
      'TIERCACHE_FACTORY_TIMEOUT',
      `factory for key "${key}" did not finish within ${timeoutMs} ms (hard timeout)`,
    );
  }
}

/** A factory threw something that is not an `Error`; the thrown value is kept as `cause`. */
export class FactoryError extends TierCacheError {
  constructor(key: string, cause: unknown) {
    super('TIERCACHE_FACTORY_FAILED', `factory for key "${key}" threw a non-Error value: ${String(cause)}`, {
      cause,
    });
  }
}

/** A stream call on a cache configured without a `StreamingBackend`. */
export class NoStreamError extends TierCacheError {
  constructor() {
    super(
      'TIERCACHE_NO_STREAM',
      'no StreamingBackend is configured; pass `stream` to the TieredCache options',
    );
  }
}

/** A stream name the backend cannot use. */
export class InvalidStreamNameError extends TierCacheError {
  constructor(message: string) {
    super('TIERCACHE_BAD_STREAM_NAME', message);
  }
}

/** A stream id that is not `"0"`, `"$"`, or an id of the backend's format. */
export class InvalidStreamIdError extends TierCacheError {
  constructor(message: string) {
    super('TIERCACHE_BAD_STREAM_ID', message);
  }
}

/**
 * `true` when `error` carries the tiercache error code `code` (works across copies of the
 * package and for errors of any class, so no cast or `instanceof` is needed).
 *
 * @example
 * ```ts fragment
 * if (hasCode(error, 'TIERCACHE_TIMEOUT')) retryLater();
 * ```
 */
export function hasCode(error: unknown, code: TierCacheErrorCode): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
